// The prober of bench/hostile.js, in a worker thread of its own (its event loop is not the
// attackers'): `GET {path}` with a bearer token on one keep-alive connection, then a pause of
// `minGapMs`–`maxGapMs`, until told to stop. Each probe is recorded as [start (ms since the
// epoch, performance clock), latency ms (request sent → whole body read), status (0: no
// answer)]; on "stop" the samples are posted back and the connection is closed.
import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import { Client } from "undici";

const { origin, path, token, minGapMs, maxGapMs, timeoutMs } = workerData;
const client = new Client(origin, { pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
const headers = { authorization: `Bearer ${token}` };
const samples = [];
let stopping = false;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

parentPort.on("message", (msg) => { if (msg === "stop") stopping = true; });

async function probe() {
  const start = now();
  let status = 0;
  try {
    const res = await client.request({ path, method: "GET", headers });
    await res.body.text();
    status = res.statusCode;
  } catch {
    // no answer (connection refused or reset, timeout): status 0; undici reconnects next time
  }
  samples.push([start, now() - start, status]);
}

parentPort.postMessage("started");
while (!stopping) {
  await probe();
  await sleep(minGapMs + Math.random() * (maxGapMs - minGapMs));
}
await client.close().catch(() => {});
parentPort.postMessage({ samples });
