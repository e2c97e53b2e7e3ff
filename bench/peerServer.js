// The HTTP side of the bench's peers (graphile-peer.js, bullmq-peer.js): a bare node:http
// endpoint that enqueues each call's JSON body and answers 200 once it is enqueued
// (FireAndForget, as Baton's), `GET /stats` for the counts, and SIGTERM to stop.
import { createServer } from "node:http";

/**
 * `enqueue(payload)` resolves once the job is stored; `stats(accepted)` is the `/stats` body;
 * `stop()` closes the queue on SIGTERM. Prints "listening <port>" once it is up.
 */
export function servePeer({ enqueue, stats, stop }) {
  let accepted = 0;
  const server = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/stats") {
      Promise.resolve(stats(accepted)).then((body) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
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
      enqueue(payload).then(() => {
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
    stop().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
  });
}
