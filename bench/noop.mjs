// The process of the end-to-end robot scenario: a no-op module run by `baton robot`. It
// answers when it ran (ms since the epoch, the machine's one clock): with the job's
// createdAt, the time from the invocation to the job running on a robot (scenario 4).
export default () => ({ ranAt: Date.now() });
