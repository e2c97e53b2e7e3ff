// The baseline of scenario 1: a bare node:http server that does the least an invoke URL
// can do in AsyncRequestReply mode — read the body, answer 202 with a Location header, a
// Retry-After and a small JSON body — so the ratio measures what Baton adds on top of Node.
// Run as a child process by bench/run.js; prints "listening <port>" once it is up.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";

const server = createServer((req, res) => {
  req.on("data", () => {});
  req.on("end", () => {
    const jobKey = randomUUID();
    const location = `http://${req.headers.host}/default/DefaultTenant/orchestrator_/api/v1/jobs/${jobKey}/status`;
    const body = JSON.stringify({ jobKey, state: "Pending", statusUri: location });
    res.writeHead(202, {
      location,
      "retry-after": "1",
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
  });
});
server.keepAliveTimeout = 72_000;

server.listen(0, "127.0.0.1", () => {
  console.log(`listening ${server.address().port}`);
});

process.on("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
