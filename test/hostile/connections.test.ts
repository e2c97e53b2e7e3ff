/**
 * Attack replays (issue 12, finding 6): connections held open by clients that never finish
 * their request. A request must arrive within the request timeout (408, closed); a body is
 * read only from a caller the route accepts (401 at once, without reading it); an answer
 * given before the body arrived, and every 413, closes the connection.
 */
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configFromEnv } from "../../src/config.js";
import { invoke, startTestBaton, type TestBaton } from "../helpers/baton.js";

let b: TestBaton;
beforeAll(async () => {
  // a short request timeout, so that the timeouts are seen in a test's time
  b = await startTestBaton({ requestTimeoutSeconds: 1 });
});
afterAll(async () => { await b.close(); });

interface RawConnection {
  socket: Socket;
  /** everything the server sent, once it closed the connection */
  closed: Promise<string>;
}

function open(): Promise<RawConnection> {
  const u = new URL(b.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname, () => {
      const chunks: Buffer[] = [];
      socket.on("data", (c: Buffer) => chunks.push(c));
      // the server may reset a connection it gave up on; what it sent before counts
      socket.on("error", () => {});
      const closed = new Promise<string>((done) => socket.once("close", () => done(Buffer.concat(chunks).toString("latin1"))));
      resolve({ socket, closed });
    });
    socket.once("error", reject);
  });
}

/** the first answer the server sent: status, lower-cased headers, body */
function parse(raw: string): { status: number; headers: Record<string, string>; body: string } {
  const end = raw.indexOf("\r\n\r\n");
  const [statusLine, ...lines] = raw.slice(0, end).split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers["content-length"] ?? 0);
  return { status: Number(statusLine!.split(" ")[1]), headers, body: raw.slice(end + 4, end + 4 + length) };
}

/** resolves with the first complete answer (headers and Content-Length body) on the socket */
function firstAnswer(c: RawConnection): Promise<ReturnType<typeof parse>> {
  return new Promise((resolve, reject) => {
    let raw = "";
    const onData = (chunk: Buffer) => {
      raw += chunk.toString("latin1");
      const end = raw.indexOf("\r\n\r\n");
      if (end === -1) return;
      const parsed = parse(raw);
      if (raw.length >= end + 4 + Number(parsed.headers["content-length"] ?? 0)) {
        c.socket.off("data", onData);
        resolve(parsed);
      }
    };
    c.socket.on("data", onData);
    c.socket.once("close", () => reject(new Error(`closed before an answer: ${JSON.stringify(raw)}`)));
  });
}

const tenantPath = () => new URL(b.base).pathname;
const host = () => new URL(b.url).host;

describe("request timeout", () => {
  it("is BATON_REQUEST_TIMEOUT_SECONDS, 30 s by default, at least 1 s", () => {
    expect(configFromEnv({}).requestTimeoutSeconds).toBe(30);
    expect(configFromEnv({ BATON_REQUEST_TIMEOUT_SECONDS: "120" }).requestTimeoutSeconds).toBe(120);
    expect(() => configFromEnv({ BATON_REQUEST_TIMEOUT_SECONDS: "0" })).toThrow(/BATON_REQUEST_TIMEOUT_SECONDS must be at least 1/);
    expect(() => configFromEnv({ BATON_REQUEST_TIMEOUT_SECONDS: "1.5" })).toThrow(/non-negative integer/);
  });

  it("a body trickled slower than the request timeout: 408 request-timeout, and the connection closes", async () => {
    const c = await open();
    c.socket.write(`POST ${tenantPath()}/api/v1/folders HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: Bearer ${b.token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
    // one byte now and then, for as long as the connection stays open
    const trickle = setInterval(() => { if (!c.socket.destroyed) c.socket.write(" "); }, 100);
    try {
      const answer = parse(await c.closed);
      expect(answer.status).toBe(408);
      expect(answer.headers["content-type"]).toBe("application/problem+json; charset=utf-8");
      expect(answer.headers.connection).toBe("close");
      expect(JSON.parse(answer.body)).toMatchObject({ status: 408, code: "request-timeout", type: "about:blank" });
    } finally {
      clearInterval(trickle);
    }
  });

  it("headers that never end: 408, and the connection closes", async () => {
    const c = await open();
    c.socket.write(`GET ${tenantPath()}/api/v1/folders HTTP/1.1\r\nHost: ${host()}\r\n`);
    const trickle = setInterval(() => { if (!c.socket.destroyed) c.socket.write("X-Slow: 1\r\n"); }, 100);
    try {
      expect(parse(await c.closed).status).toBe(408);
    } finally {
      clearInterval(trickle);
    }
  });

  it("a connection that sends nothing at all is closed too", async () => {
    const c = await open();
    // headersTimeout (at most the request timeout) runs from the connection's start
    expect(parse(await c.closed).status).toBe(408);
  });

  it("the LongPolling wait after the body is not the request: it outlasts the request timeout", async () => {
    // the job takes longer than the request timeout (1 s); the caller still gets the result
    const res = await invoke(b, "sleep", { seconds: 2.5, $callMode: "LongPolling" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sleptSeconds: 2.5 });
    // and the wait URI (a GET that waits) likewise
    await b.patchSettings({ longPollTimeoutSeconds: 1, syncMaxJobDurationSeconds: 20 });
    try {
      const first = await invoke(b, "sleep", { seconds: 2.5, $callMode: "LongPolling" });
      expect(first.status).toBe(303);
      await b.patchSettings({ longPollTimeoutSeconds: 10 });
      const waited = await fetch(first.headers.get("location")!, { headers: { authorization: `Bearer ${b.token}` }, redirect: "manual" });
      expect(waited.status).toBe(200);
      expect(await waited.json()).toEqual({ sleptSeconds: 2.5 });
    } finally {
      await b.patchSettings({ longPollTimeoutSeconds: 50, syncMaxJobDurationSeconds: 900 });
    }
  });
});

describe("authentication before the body", () => {
  it("an unauthenticated management POST declaring 10 MB, with no body sent: 401 at once, and the connection closes", async () => {
    for (const path of ["/api/v1/folders", "/api/v1/tokens", "/api/v1/users", "/api/robot/v1/sessions"]) {
      const c = await open();
      c.socket.write(`POST ${tenantPath()}${path} HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n`);
      const answer = await firstAnswer(c);
      expect(answer.status, path).toBe(401);
      expect(answer.headers["www-authenticate"]).toMatch(/^Bearer/);
      expect(answer.headers.connection).toBe("close");
      expect(JSON.parse(answer.body)).toMatchObject({ status: 401, code: "unauthorized" });
      await c.closed;
    }
  });

  it("a wrong token, an unknown console cookie, a cookie without its CSRF token, an organization route without an administrator: refused before the body", async () => {
    const org = new URL(b.tenantUrl).pathname.split("/")[1];
    const login = await fetch(`${b.base}/api/v1/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ userName: "admin", password: "test-password" }) });
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    const cases: [string, string, number][] = [
      [`${tenantPath()}/api/v1/folders`, "Authorization: Bearer baton_pat_wrong\r\n", 401],
      [`${tenantPath()}/api/v1/folders`, "Cookie: baton_session=nope\r\n", 401],
      [`${tenantPath()}/api/v1/folders`, `Cookie: ${cookie}\r\n`, 403],
      [`/${org}/api/v1/tenants`, "", 401],
      [`/${org}/api/v1/external-apps`, "Authorization: Bearer baton_pat_wrong\r\n", 401],
    ];
    for (const [path, credential, status] of cases) {
      const c = await open();
      c.socket.write(`POST ${path} HTTP/1.1\r\nHost: ${host()}\r\n${credential}Content-Type: application/json\r\nContent-Length: 10000000\r\n\r\n`);
      const answer = await firstAnswer(c);
      expect(answer.status, path).toBe(status);
      expect(answer.headers.connection).toBe("close");
      await c.closed;
    }
  });

  it("a login (no credential by nature) and an authenticated POST still read their bodies", async () => {
    const login = await fetch(`${b.base}/api/v1/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ userName: "admin", password: "test-password" }) });
    expect(login.status).toBe(200);
    const folder = await b.apiJson("/api/v1/folders", { method: "POST", json: { name: "ReadAfterAuth" } });
    expect(folder.name).toBe("ReadAfterAuth");
  });
});

describe("413 closes the connection", () => {
  it("a declared body over the limit: 413 with Connection: close, and the socket closes", async () => {
    for (const path of [`${tenantPath()}/api/v1/folders`, new URL(b.invokeUrl("echo")).pathname]) {
      const c = await open();
      c.socket.write(`POST ${path} HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: Bearer ${b.token}\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n`);
      const answer = await firstAnswer(c);
      expect(answer.status, path).toBe(413);
      expect(answer.headers.connection).toBe("close");
      expect(JSON.parse(answer.body)).toMatchObject({ status: 413, code: "payload-too-large" });
      await c.closed;
    }
  });

  it("a whole body over the limit, sent at once: 413 with Connection: close", async () => {
    await b.patchSettings({ maxRequestBodyBytes: 100 });
    try {
      const body = JSON.stringify({ padding: "x".repeat(200) });
      const c = await open();
      c.socket.write(`POST ${new URL(b.invokeUrl("echo")).pathname} HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: Bearer ${b.token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      const answer = await firstAnswer(c);
      expect(answer.status).toBe(413);
      expect(answer.headers.connection).toBe("close");
      await c.closed;
    } finally {
      await b.patchSettings({ maxRequestBodyBytes: 1024 * 1024 });
    }
  });
});
