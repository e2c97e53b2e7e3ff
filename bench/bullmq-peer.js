// The peer of issue 18's benchmark on one machine: what a Node user builds instead of
// Baton's embedded default. A bare node:http endpoint that enqueues each call into BullMQ
// (`queue.add`, awaited before the 200, so an acknowledged job is in Redis), with a BullMQ
// `Worker` in the same process running a no-op processor.
// Run as a child process by bench/run.js; prints "listening <port>" once it is up.
// Env: PEER_REDIS_URL (default redis://127.0.0.1:6379), PEER_QUEUE (a fresh queue name,
// obliterated on SIGTERM), PEER_CONCURRENCY (jobs run at once).
import { createServer } from "node:http";
import { Queue, Worker } from "bullmq";
import IORedis from "ioredis";

const redisUrl = process.env.PEER_REDIS_URL ?? "redis://127.0.0.1:6379";
const queueName = process.env.PEER_QUEUE;
const concurrency = Number(process.env.PEER_CONCURRENCY ?? 32);
if (!queueName) {
  console.error("PEER_QUEUE is required.");
  process.exit(2);
}

// BullMQ's own advice: the worker's connection must not give up retrying
const connection = () => new IORedis(redisUrl, { maxRetriesPerRequest: null });
const queue = new Queue(queueName, { connection: connection() });
let done = 0;
let failed = 0;
const worker = new Worker(queueName, async () => { done++; }, {
  connection: connection(),
  concurrency,
  // finished jobs are not kept, as graphile-worker deletes them and Baton's are purged later
  removeOnComplete: { count: 0 },
  removeOnFail: { count: 1000 },
});
worker.on("failed", () => { failed++; });
worker.on("error", (err) => console.error(err));
await worker.waitUntilReady();

let accepted = 0;
const server = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/stats") {
    queue.getJobCounts("waiting", "active", "delayed", "prioritized", "paused").then((c) => {
      const open = Object.values(c).reduce((a, b) => a + b, 0);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ accepted, done, failed, open }));
    }, (err) => {
      res.writeHead(500).end(String(err));
    });
    return;
  }
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    let payload;
    try {
      payload = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {};
    } catch {
      res.writeHead(400).end();
      return;
    }
    // FireAndForget, as Baton's: 200 with no body once the job is enqueued
    queue.add("noop", payload, { removeOnComplete: true, removeOnFail: 1000 }).then(() => {
      accepted++;
      res.writeHead(200, { "content-length": "0" }).end();
    }, (err) => {
      console.error(err);
      res.writeHead(503, { "content-length": "0" }).end();
    });
  });
});
server.keepAliveTimeout = 72_000;
server.listen(0, "127.0.0.1", () => console.log(`listening ${server.address().port}`));

process.on("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
  worker.close()
    .then(() => queue.obliterate({ force: true }))
    .then(() => queue.close())
    .then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
});
