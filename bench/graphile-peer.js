// The peer of issue 4's benchmark: what a user would build instead of Baton. A bare
// node:http endpoint that enqueues each call into graphile-worker (addJob, which commits
// before it returns, so an acknowledged job is as durable as a Baton job), with a
// graphile-worker runner in the same process executing a no-op task.
// Run as a child process by bench/run.js; prints "listening <port>" once it is up.
// Env: PEER_DATABASE_URL (PostgreSQL), PEER_SCHEMA (graphile-worker's own schema, created
// by its migrations), PEER_CONCURRENCY (jobs run at once).
import { createServer } from "node:http";
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

let accepted = 0;
const server = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/stats") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ accepted, done }));
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
    // FireAndForget, as Baton's: 200 with no body once the job is committed
    runner.addJob("noop", payload).then(() => {
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
  runner.stop().then(() => process.exit(0), () => process.exit(1));
});
