// The peer of issue 4's benchmark: what a user would build instead of Baton. A bare
// node:http endpoint that enqueues each call into graphile-worker (addJob, which commits
// before it returns, so an acknowledged job is as durable as a Baton job), with a
// graphile-worker runner in the same process executing a no-op task.
// Run as a child process by bench/run.js; prints "listening <port>" once it is up.
// Env: PEER_DATABASE_URL (PostgreSQL), PEER_SCHEMA (graphile-worker's own schema, created
// by its migrations), PEER_CONCURRENCY (jobs run at once).
import { servePeer } from "./peerServer.js";
import { Logger, run } from "graphile-worker";

const connectionString = process.env.PEER_DATABASE_URL;
const schema = process.env.PEER_SCHEMA;
const concurrency = Number(process.env.PEER_CONCURRENCY ?? 32);
if (!connectionString || !schema) {
  console.error("PEER_DATABASE_URL and PEER_SCHEMA are required.");
  process.exit(2);
}

// quiet, as Baton runs with BATON_LOG_LEVEL=silent; errors still reach stderr
const logger = new Logger(() => (level, message) => { if (level === "error") console.error(message); });

let done = 0;
const runner = await run({
  connectionString,
  schema,
  concurrency,
  // the enqueuing endpoint and the worker share one pool, as a user's app would
  maxPoolSize: concurrency + 10,
  noHandleSignals: true,
  logger,
  taskList: {
    noop: async () => { done++; },
  },
});

servePeer({
  enqueue: (payload) => runner.addJob("noop", payload),
  stats: (accepted) => ({ accepted, done }),
  stop: () => runner.stop(),
});
