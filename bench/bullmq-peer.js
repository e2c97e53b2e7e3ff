// The peer of issue 18's benchmark on one machine: what a Node user builds instead of
// Baton's embedded default. A bare node:http endpoint that enqueues each call into BullMQ
// (`queue.add`, awaited before the 200, so an acknowledged job is in Redis), with a BullMQ
// `Worker` in the same process running a no-op processor.
// Run as a child process by bench/run.js; prints "listening <port>" once it is up.
// Env: PEER_REDIS_URL (default redis://127.0.0.1:6379), PEER_QUEUE (a fresh queue name,
// obliterated on SIGTERM), PEER_CONCURRENCY (jobs run at once).
import { Queue, Worker } from "bullmq";
import IORedis from "ioredis";
import { servePeer } from "./peerServer.js";

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

servePeer({
  enqueue: (payload) => queue.add("noop", payload, { removeOnComplete: true, removeOnFail: 1000 }),
  stats: async (accepted) => {
    const counts = await queue.getJobCounts("waiting", "active", "delayed", "prioritized", "paused");
    return { accepted, done, failed, open: Object.values(counts).reduce((a, b) => a + b, 0) };
  },
  stop: async () => {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
  },
});
