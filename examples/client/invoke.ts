import { BatonClient } from "baton";

const client = new BatonClient({
  url: process.env.BATON_URL ?? "http://127.0.0.1:8080/default/DefaultTenant",
  token: process.env.BATON_TOKEN,
});

// LongPolling: one call that blocks until the job is final. If it takes longer than the
// tenant's longPollTimeoutSeconds, the client follows the 303s to the wait URI, sending
// the token again on every hop.
const echoed = await client.invoke("echo", { greeting: "hello" }, { callMode: "LongPolling" });
console.log("LongPolling:", JSON.stringify(echoed));

// AsyncRequestReply: 202, then the status URI is polled (honouring Retry-After) until its
// 303 leads to the output. onState reports each new state and the time since the call began.
const slept = await client.invoke("sleep", { seconds: 1.5 }, {
  callMode: "AsyncRequestReply",
  onState: (state, elapsedMs) => console.log(`  ${state} after ${elapsedMs} ms`),
});
console.log("AsyncRequestReply:", JSON.stringify(slept));

// FireAndForget: resolves once the job is stored; nothing comes back.
await client.invoke("echo", { note: "no answer needed" }, { callMode: "FireAndForget" });
console.log("FireAndForget: stored");

// Typed output: say what the process returns.
interface Slept { sleptSeconds: number }
const { sleptSeconds } = await client.invoke<Slept>("sleep", { seconds: 0.1 }, { callMode: "LongPolling" });
console.log("slept", sleptSeconds);
