// The process of the end-to-end robot scenario: a no-op module run by `baton robot`.
export default () => ({});
