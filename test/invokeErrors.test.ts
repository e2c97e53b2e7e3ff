/**
 * Every way an invocation can be wrong (SPEC §2, §4): the status, the problem+json body
 * with its stable `code`, the headers that go with it (Allow, WWW-Authenticate), nothing
 * internal leaking, no job created, and a server that keeps answering after a barrage of
 * malformed requests.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBaton, type TestBaton } from "./helpers/baton.js";

let b: TestBaton;
let otherFolderKey: string;
const ids: Record<string, string> = {};

const auth = () => ({ authorization: `Bearer ${b.token}` });
const jsonHeaders = () => ({ ...auth(), "content-type": "application/json" });
const sharedUrl = (slug: string, query = "") => `${b.base}/t/${b.sharedKey}/${slug}${query}`;

/** Anything that betrays internals: stack frames, source paths, SQL, driver names, the token. */
function expectNoLeak(text: string): void {
  expect(text).not.toMatch(/\n\s+at |\bat [\w.<>]+ \(|\.[cm]?[jt]s:\d+|node_modules|file:\/\//);
  expect(text).not.toMatch(/\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE TABLE)\b|sqlite|SQLITE_|better-sqlite/i);
  expect(text).not.toMatch(/RangeError|TypeError|ReferenceError|SyntaxError:|Maximum call stack/);
  if (b) expect(text).not.toContain(b.token);
}

/** The status, `application/problem+json`, RFC 9457 members plus `code`, and no leak. */
async function expectProblem(res: Response, status: number, code: string): Promise<Record<string, any>> {
  const text = await res.text();
  expect({ status: res.status, text }).toMatchObject({ status });
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  expectNoLeak(text);
  const body = JSON.parse(text) as Record<string, any>;
  expect(body).toMatchObject({ status, code, type: "about:blank", title: expect.any(String), detail: expect.any(String) });
  expect(body.title.length).toBeGreaterThan(0);
  expect(body.detail.length).toBeGreaterThan(0);
  return body;
}

interface RawAnswer { status: number; headers: IncomingHttpHeaders; body: string }

/**
 * node:http, for what fetch cannot send: a literal `..` path, a chunked body, a Host of
 * our choosing. `chunks` are written one by one without a Content-Length (chunked).
 */
function raw(method: string, path: string, options: { headers?: Record<string, string>; body?: Buffer | string; chunks?: (Buffer | string)[] } = {}): Promise<RawAnswer> {
  const u = new URL(b.url);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...auth(), ...options.headers };
    // node:http frames a GET body with nothing unless told its length
    if (options.body !== undefined && headers["content-length"] === undefined) headers["content-length"] = String(Buffer.byteLength(options.body));
    const req = httpRequest({ host: u.hostname, port: u.port, method, path, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    // the server may answer (413) and close before the whole body is written
    req.on("error", (err: NodeJS.ErrnoException) => (err.code === "EPIPE" || err.code === "ECONNRESET" ? undefined : reject(err)));
    if (options.chunks) {
      for (const c of options.chunks) req.write(c);
      req.end();
    } else {
      req.end(options.body);
    }
  });
}

function expectRawProblem(res: RawAnswer, status: number, code?: string): Record<string, any> {
  expect({ status: res.status, body: res.body }).toMatchObject({ status });
  expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
  expectNoLeak(res.body);
  const body = JSON.parse(res.body) as Record<string, any>;
  expect(body).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String), code: code ?? expect.any(String) });
  return body;
}

async function jobCount(triggerSlug: string): Promise<number> {
  const page = await b.apiJson(`/api/v1/jobs?triggerId=${ids[triggerSlug]}&limit=1000`);
  return page.items.length;
}

beforeAll(async () => {
  b = await startTestBaton();
  for (const t of (await b.apiJson(`/api/v1/folders/${b.sharedKey}/triggers`)).items) ids[t.slug] = t.id;
  const create = async (body: Record<string, unknown>) => {
    const t = await b.apiJson(`/api/v1/folders/${b.sharedKey}/triggers`, { method: "POST", json: body });
    ids[body.slug as string] = t.id;
  };
  await create({ name: "Echo GET", slug: "echo-get", verb: "GET", processName: "Echo", callMode: "LongPolling" });
  await create({ name: "Echo PUT", slug: "echo-put", verb: "PUT", processName: "Echo", callMode: "LongPolling" });
  await create({ name: "Echo DELETE", slug: "echo-delete", verb: "DELETE", processName: "Echo", callMode: "LongPolling" });
  await create({ name: "Echo LP", slug: "echo-lp", verb: "POST", processName: "Echo", callMode: "LongPolling" });
  await create({ name: "Soon disabled", slug: "soon-disabled", verb: "POST", processName: "Echo", callMode: "LongPolling" });
  otherFolderKey = (await b.apiJson("/api/v1/folders", { method: "POST", json: { name: "Other" } })).key;
});
afterAll(async () => { await b?.close(); });

describe("method, folder, slug, enabled", () => {
  it.each([
    ["echo", "POST", ["GET", "PUT", "DELETE", "PATCH"]],
    ["echo-get", "GET", ["POST", "PUT", "DELETE", "PATCH"]],
    ["echo-put", "PUT", ["GET", "POST", "DELETE"]],
    ["echo-delete", "DELETE", ["GET", "POST", "PUT"]],
  ] as const)("%s (verb %s): any other method is 405 with Allow, and no job", async (slug, verb, others) => {
    const before = await jobCount(slug);
    for (const method of others) {
      const withBody = method !== "GET";
      const res = await fetch(sharedUrl(slug), { method, headers: jsonHeaders(), body: withBody ? "{}" : undefined });
      expect(res.headers.get("allow")).toBe(verb);
      const problem = await expectProblem(res, 405, "method-not-allowed");
      expect(problem.detail).toContain(verb);
    }
    // HEAD: the same status and Allow, without a body
    const head = await fetch(sharedUrl(slug), { method: "HEAD", headers: auth() });
    expect(head.status).toBe(405);
    expect(head.headers.get("allow")).toBe(verb);
    expect(await jobCount(slug)).toBe(before);
  });

  it("the verb is checked before the body: a 405 even with an invalid body", async () => {
    const res = await fetch(sharedUrl("echo-get"), { method: "POST", headers: jsonHeaders(), body: "{not json" });
    expect(res.headers.get("allow")).toBe("GET");
    await expectProblem(res, 405, "method-not-allowed");
  });

  it("unknown folder: 404 trigger-not-found, for a well-formed key and for one that is not a UUID", async () => {
    for (const folder of [randomUUID(), "not-a-uuid", "00000000-0000-0000-0000-000000000000", "Shared", "%20", "1"]) {
      const res = await fetch(`${b.base}/t/${folder}/echo`, { method: "POST", headers: jsonHeaders(), body: "{}" });
      await expectProblem(res, 404, "trigger-not-found");
    }
  });

  it("a trigger's slug under another folder of the tenant: 404, existence not confirmed", async () => {
    const res = await fetch(`${b.base}/t/${otherFolderKey}/echo`, { method: "POST", headers: jsonHeaders(), body: "{}" });
    await expectProblem(res, 404, "trigger-not-found");
  });

  it("unknown slug: 404 trigger-not-found, whatever the method", async () => {
    for (const method of ["GET", "POST", "PUT", "DELETE"]) {
      const res = await fetch(sharedUrl("no-such-trigger"), { method, headers: jsonHeaders(), body: method === "GET" ? undefined : "{}" });
      await expectProblem(res, 404, "trigger-not-found");
    }
    for (const slug of ["ech", "echo.", "echo-", "%27%20OR%201%3D1%20--", "echo%27%3B%20DROP%20TABLE%20jobs%3B--", "%2A", "%25"]) {
      const res = await fetch(sharedUrl(slug), { method: "POST", headers: jsonHeaders(), body: "{}" });
      await expectProblem(res, 404, "trigger-not-found");
    }
  });

  it("unknown organization or tenant: 404", async () => {
    const res = await fetch(`${b.url}/default/NoSuchTenant/orchestrator_/t/${b.sharedKey}/echo`, { method: "POST", headers: jsonHeaders(), body: "{}" });
    await expectProblem(res, 404, "tenant-not-found");
  });

  it("disabled trigger: 409 trigger-disabled and no job; enabled again, it works", async () => {
    const patch = (enabled: boolean) => b.apiJson(`/api/v1/triggers/${ids["soon-disabled"]}`, { method: "PATCH", json: { enabled } });
    expect(await patch(false)).toMatchObject({ enabled: false });
    const before = await jobCount("soon-disabled");
    for (const mode of ["LongPolling", "AsyncRequestReply", "FireAndForget"]) {
      const res = await fetch(sharedUrl("soon-disabled"), { method: "POST", headers: jsonHeaders(), body: JSON.stringify({ $callMode: mode }) });
      await expectProblem(res, 409, "trigger-disabled");
    }
    // wrong verb on a disabled trigger is still a 405
    const wrong = await fetch(sharedUrl("soon-disabled"), { method: "GET", headers: auth() });
    expect(wrong.status).toBe(405);
    await wrong.arrayBuffer();
    expect(await jobCount("soon-disabled")).toBe(before);
    await patch(true);
    const ok = await fetch(sharedUrl("soon-disabled"), { method: "POST", headers: jsonHeaders(), body: "{\"back\":true}" });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ back: true });
  });
});

describe("bodies", () => {
  // (a UTF-8 BOM before the JSON is accepted: test/httpContract.test.ts; one before anything else is not)
  it.each([
    "{", "{a:1}", "{'a':1}", "{\"a\":1}x", "{\"a\":1,}", "\"unterminated", "NaN", "undefined", "{\"a\":01}", "   ", "\uFEFF", "\uFEFF\uFEFF{}", "{}{}",
  ])("invalid JSON %j: 400 invalid-json, no job", async (body) => {
    const before = await jobCount("echo-lp");
    const res = await fetch(sharedUrl("echo-lp"), { method: "POST", headers: jsonHeaders(), body });
    await expectProblem(res, 400, "invalid-json");
    expect(await jobCount("echo-lp")).toBe(before);
  });

  it.each(["[]", "[{\"a\":1}]", "\"string\"", "1", "-0.5", "null", "true", "false"])("a JSON body that is not an object (%s): 400 invalid-body", async (body) => {
    for (const slug of ["echo-lp", "echo-put"]) {
      const res = await fetch(sharedUrl(slug), { method: slug === "echo-put" ? "PUT" : "POST", headers: jsonHeaders(), body });
      await expectProblem(res, 400, "invalid-body");
    }
  });

  it.each([
    "text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml",
    "application/jsonx", "application/javascript", "json", "*/*",
  ])("Content-Type %s: 415 unsupported-media-type", async (type) => {
    const before = await jobCount("echo-lp");
    const res = await fetch(sharedUrl("echo-lp"), { method: "POST", headers: { ...auth(), "content-type": type }, body: "{\"a\":1}" });
    await expectProblem(res, 415, "unsupported-media-type");
    expect(await jobCount("echo-lp")).toBe(before);
  });

  it("a body without any Content-Type: 415", async () => {
    const res = await fetch(sharedUrl("echo-lp"), { method: "POST", headers: auth(), body: new TextEncoder().encode("{\"a\":1}") });
    expect(res.status).toBe(415);
    await expectProblem(res, 415, "unsupported-media-type");
  });

  it("arguments nested deeper than the limit: 400 invalid-arguments (never a 500), at the boundary and far past it", async () => {
    const nested = (levels: number) => `{"$callMode":"LongPolling","a":${"[".repeat(levels)}${"]".repeat(levels)}}`;
    const ok = await fetch(sharedUrl("echo"), { method: "POST", headers: jsonHeaders(), body: nested(99) });
    expect(ok.status).toBe(200);
    expect(JSON.stringify(await ok.json())).toBe(`{"a":${"[".repeat(99)}${"]".repeat(99)}}`);
    for (const levels of [100, 5_000, 200_000]) {
      const res = await fetch(sharedUrl("echo"), { method: "POST", headers: jsonHeaders(), body: nested(levels) });
      const problem = await expectProblem(res, 400, "invalid-arguments");
      expect(problem.violations[0].path).toMatch(/^\/a(\/0)+$/);
    }
    // through the query string of a GET trigger too
    const viaQuery = await fetch(sharedUrl("echo-get", `?a=${"[".repeat(3000)}${"]".repeat(3000)}`), { headers: auth() });
    await expectProblem(viaQuery, 400, "invalid-arguments");
  });
});

describe("control parameters", () => {
  it.each([
    ["$foo", 1], ["$", true], ["$callmode", "LongPolling"], ["$CallMode", "LongPolling"], ["$priority", "High"], ["$$callMode", "LongPolling"],
  ])("unknown %s in the body: 400 unknown-control-parameter naming it, no job", async (key, value) => {
    const before = await jobCount("echo-lp");
    const res = await fetch(sharedUrl("echo-lp"), { method: "POST", headers: jsonHeaders(), body: JSON.stringify({ ok: 1, [key]: value }) });
    const problem = await expectProblem(res, 400, "unknown-control-parameter");
    expect(problem.parameter).toBe(key);
    expect(await jobCount("echo-lp")).toBe(before);
  });

  it("unknown $ key in a query string (GET and DELETE): 400 unknown-control-parameter", async () => {
    for (const [slug, method] of [["echo-get", "GET"], ["echo-delete", "DELETE"]] as const) {
      const res = await fetch(sharedUrl(slug, "?a=1&%24debug=1"), { method, headers: auth() });
      const problem = await expectProblem(res, 400, "unknown-control-parameter");
      expect(problem.parameter).toBe("$debug");
    }
  });

  it.each([
    ["longpolling"], ["LONGPOLLING"], [" LongPolling"], [""], ["Sync"], [1], [null], [true], [["LongPolling"]], [{ mode: "LongPolling" }],
  ])("a call mode of %j in the body: 400 invalid-call-mode, no job", async (value) => {
    const before = await jobCount("echo-lp");
    const res = await fetch(sharedUrl("echo-lp"), { method: "POST", headers: jsonHeaders(), body: JSON.stringify({ $callMode: value }) });
    await expectProblem(res, 400, "invalid-call-mode");
    expect(await jobCount("echo-lp")).toBe(before);
  });

  it("invalid $callMode in a query string: 400 invalid-call-mode", async () => {
    for (const q of ["?$callMode=Sync", "?$callMode=", "?%24callMode=fireandforget", "?$callMode=LongPolling&$callMode=Nope"]) {
      const res = await fetch(sharedUrl("echo-get", q), { headers: auth() });
      await expectProblem(res, 400, "invalid-call-mode");
    }
  });
});

describe("size limit (tenant setting maxRequestBodyBytes)", () => {
  const LIMIT = 100;
  /** a JSON body of exactly `size` bytes (UTF-8), LongPolling so a 200 carries the echo */
  const bodyOf = (size: number, fill = "x") => {
    const head = "{\"$callMode\":\"LongPolling\",\"p\":\"";
    const tail = "\"}";
    const fillBytes = Buffer.byteLength(fill);
    const room = size - head.length - tail.length;
    const body = head + fill.repeat(Math.floor(room / fillBytes)) + "y".repeat(room % fillBytes) + tail;
    expect(Buffer.byteLength(body)).toBe(size);
    return body;
  };
  const path = () => new URL(sharedUrl("echo")).pathname;

  it("413 payload-too-large past the limit, with Content-Length and chunked; at the limit it is accepted", async () => {
    await b.patchSettings({ maxRequestBodyBytes: LIMIT });
    try {
      // exactly at the limit: accepted (Content-Length)
      const atLimit = await fetch(sharedUrl("echo"), { method: "POST", headers: jsonHeaders(), body: bodyOf(LIMIT) });
      expect(atLimit.status).toBe(200);
      expect(JSON.parse(bodyOf(LIMIT))).toMatchObject(await atLimit.json());

      // one byte over (Content-Length)
      const over = await fetch(sharedUrl("echo"), { method: "POST", headers: jsonHeaders(), body: bodyOf(LIMIT + 1) });
      const problem = await expectProblem(over, 413, "payload-too-large");
      expect(problem.limit).toBe(LIMIT);

      // bytes, not characters: 40 characters of 3 bytes each
      const multibyte = bodyOf(LIMIT + 20, "✓");
      expect(multibyte.length).toBeLessThan(LIMIT);
      await expectProblem(await fetch(sharedUrl("echo"), { method: "POST", headers: jsonHeaders(), body: multibyte }), 413, "payload-too-large");

      // a big body is refused without the server reading it all
      const big = await fetch(sharedUrl("echo"), { method: "POST", headers: jsonHeaders(), body: bodyOf(5 * 1024 * 1024) });
      await expectProblem(big, 413, "payload-too-large");

      // chunked (no Content-Length): at the limit in pieces, accepted
      const pieces = (s: string, n: number) => s.match(new RegExp(`[\\s\\S]{1,${n}}`, "g"))!;
      const chunkedOk = await raw("POST", path(), { headers: { "content-type": "application/json" }, chunks: pieces(bodyOf(LIMIT), 7) });
      expect(chunkedOk.status).toBe(200);
      expect(chunkedOk.headers["content-type"]).toMatch(/^application\/json/);

      // chunked, over the limit
      for (const total of [LIMIT + 1, 10 * LIMIT, 2 * 1024 * 1024]) {
        const res = await raw("POST", path(), { headers: { "content-type": "application/json" }, chunks: pieces(bodyOf(total), 64 * 1024 > total ? 30 : 64 * 1024) });
        expect(expectRawProblem(res, 413, "payload-too-large").limit).toBe(LIMIT);
      }

      // a lying Content-Length above the limit is refused before reading
      const declared = await raw("POST", path(), { headers: { "content-type": "application/json", "content-length": String(LIMIT + 1) }, body: bodyOf(LIMIT + 1) });
      expectRawProblem(declared, 413, "payload-too-large");

      // the checks before the body still come first: no token → 401, unknown slug → 404
      await expectProblem(await fetch(sharedUrl("echo"), { method: "POST", headers: { "content-type": "application/json" }, body: bodyOf(1000) }), 401, "unauthorized");
      await expectProblem(await fetch(sharedUrl("nope"), { method: "POST", headers: jsonHeaders(), body: bodyOf(1000) }), 404, "trigger-not-found");

      // the server still answers on a fresh connection
      const after = await fetch(sharedUrl("echo"), { method: "POST", headers: jsonHeaders(), body: "{\"$callMode\":\"LongPolling\",\"still\":\"up\"}" });
      expect(await after.json()).toEqual({ still: "up" });
    } finally {
      await b.patchSettings({ maxRequestBodyBytes: 1024 * 1024 });
    }
  });
});

describe("authentication", () => {
  const badAuth: [string, (token: string) => Record<string, string>][] = [
    ["no Authorization", () => ({})],
    ["Basic credentials", () => ({ authorization: `Basic ${Buffer.from("admin:test-password").toString("base64")}` })],
    ["Bearer without a token", () => ({ authorization: "Bearer" })],
    ["Bearer with spaces only", () => ({ authorization: "Bearer    " })],
    ["an unknown token", () => ({ authorization: `Bearer baton_pat_${randomBytes(32).toString("base64url")}` })],
    ["the token with a suffix", (token) => ({ authorization: `Bearer ${token}x` })],
    ["two tokens", (token) => ({ authorization: `Bearer ${token} ${token}` })],
    ["a misspelt scheme", (token) => ({ authorization: `Bearr ${token}` })],
    ["the bare token", (token) => ({ authorization: token })],
  ];

  it.each(badAuth)("%s: 401 unauthorized with WWW-Authenticate: Bearer, before anything else is checked", async (_what, headersFor) => {
    for (const target of [sharedUrl("echo"), sharedUrl("no-such-slug"), `${b.base}/t/${randomUUID()}/echo`]) {
      const res = await fetch(target, { method: "POST", headers: { ...headersFor(b.token), "content-type": "application/json" }, body: "{not even json" });
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
      await expectProblem(res, 401, "unauthorized");
    }
  });

  it("a revoked token: 401", async () => {
    const { id, token } = await b.apiJson("/api/v1/tokens", { method: "POST", json: { name: "short-lived", scopes: ["OR.Jobs"] } });
    const ok = await fetch(sharedUrl("echo-lp"), { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: "{\"t\":1}" });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ t: 1 });
    expect((await b.api(`/api/v1/tokens/${id}`, { method: "DELETE" })).status).toBe(204);
    const res = await fetch(sharedUrl("echo-lp"), { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: "{}" });
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
    await expectProblem(res, 401, "unauthorized");
  });

  it("a token without permission to create jobs: 403, no job", async () => {
    const { token } = await b.apiJson("/api/v1/tokens", { method: "POST", json: { name: "read-only", scopes: ["OR.Jobs.Read"] } });
    const before = await jobCount("echo-lp");
    const res = await fetch(sharedUrl("echo-lp"), { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: "{}" });
    await expectProblem(res, 403, "insufficient-scope");
    expect(await jobCount("echo-lp")).toBe(before);
  });

  it("status, output and wait URIs: 401 without a token; 404 for a job that does not exist or may not be seen", async () => {
    const accepted = await (await fetch(sharedUrl("echo"), { method: "POST", headers: jsonHeaders(), body: "{}" })).json();
    const { token: noJobs } = await b.apiJson("/api/v1/tokens", { method: "POST", json: { name: "no-jobs", scopes: ["OR.Execution"] } });
    for (const kind of ["status", "output", "wait"]) {
      const uri = `${b.base}/api/v1/jobs/${accepted.jobKey}/${kind}`;
      const anon = await fetch(uri, { redirect: "manual" });
      expect(anon.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
      await expectProblem(anon, 401, "unauthorized");
      await expectProblem(await fetch(uri, { headers: { authorization: "Bearer nope" }, redirect: "manual" }), 401, "unauthorized");
      await expectProblem(await fetch(uri, { headers: { authorization: `Bearer ${noJobs}` }, redirect: "manual" }), 404, "job-not-found");
      for (const key of [randomUUID(), "not-a-uuid", "x%2Fy", "%00", "'%20OR%201=1"]) {
        await expectProblem(await fetch(`${b.base}/api/v1/jobs/${key}/${kind}`, { headers: auth(), redirect: "manual" }), 404, "job-not-found");
      }
    }
    // a wait URI with a forged signature
    const forged = await fetch(`${b.base}/api/v1/jobs/${accepted.jobKey}/wait?exp=${Math.floor(Date.now() / 1000) + 600}&sig=AAAA`, { redirect: "manual" });
    expect(forged.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
    await expectProblem(forged, 401, "unauthorized");
  });
});

describe("hostile and malformed requests", () => {
  it("path traversal, encoded separators and unicode slugs: 4xx problems, never a route outside the trigger", async () => {
    const prefix = new URL(b.base).pathname;
    const k = b.sharedKey;
    const cases: [string, string, number][] = [
      ["POST", `${prefix}/t/${k}/../../api/v1/settings`, 404],
      ["GET", `${prefix}/t/${k}/../../api/v1/settings`, 404],
      ["POST", `${prefix}/t/${k}/..%2f..%2fapi%2fv1%2fsettings`, 404],
      ["POST", `${prefix}/t/${k}/%2e%2e`, 404],
      ["POST", `${prefix}/t/..%2F${k}/echo`, 404],
      ["POST", `${prefix}/t/${k}/echo%2Fextra`, 404],
      ["POST", `${prefix}/t/${k}/echo/extra`, 404],
      ["POST", `${prefix}/t/${k}/echo%00`, 404],
      ["POST", `${prefix}/t/${k}/%E2%9C%93`, 404],
      ["POST", `${prefix}/t/${k}/%F0%9F%98%80%F0%9F%98%80`, 404],
      ["POST", `${prefix}/t/${k}/%C0%AF`, 400],
      ["POST", `${prefix}/t/${k}/%zz`, 400],
      ["POST", `${prefix}/t/${k}/%`, 400],
      ["POST", `${prefix}/t/${k}/${"a".repeat(5000)}`, 414],
      ["POST", `${prefix}/t/${k}/${"a".repeat(129)}`, 404],
    ];
    for (const [method, path, status] of cases) {
      const res = await raw(method, path, { headers: { "content-type": "application/json" }, body: "{}" });
      expect({ path: path.slice(0, 200), status: res.status }).toEqual({ path: path.slice(0, 200), status });
      expectRawProblem(res, status);
    }
  });

  it("a query string too long for the request line: a 4xx problem, not a hang or a 500", async () => {
    const prefix = new URL(sharedUrl("echo-get")).pathname;
    const res = await raw("GET", `${prefix}?a=${"x".repeat(100_000)}`);
    expectRawProblem(res, 431);
    // answered by the parser's error handler, on the raw socket: the same type as every problem
    expect(res.headers["content-type"]).toBe("application/problem+json; charset=utf-8");
    // long but within limits: accepted, all arguments kept
    const q = new URLSearchParams();
    for (let i = 0; i < 300; i++) q.append(`k${i}`, `${i}`);
    const ok = await fetch(sharedUrl("echo-get", `?${q}`), { headers: auth() });
    expect(ok.status).toBe(200);
    const out = await ok.json();
    expect(Object.keys(out)).toHaveLength(300);
    expect(out.k299).toBe(299);
  });

  it("a fuzz-ish barrage: random bytes, random types, random queries and slugs; never a 500, and the server still answers", async () => {
    // a small deterministic PRNG, so a failure can be replayed
    let seed = 0x5eed1234;
    const rnd = () => { seed = (seed * 1664525 + 1013904223) >>> 0; return seed / 2 ** 32; };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));
    const types = ["application/json", "application/json; charset=utf-8", "text/plain", "", "application/problem+json", "application/x-www-form-urlencoded", "\u00ff/\u00fe", "application/json; charset=utf-16", "a".repeat(2000)];
    const fragments = ["", "{", "}", "[", "]", "\"", ":", ",", "null", "1e999", "-", "\\u0000", "\\ud800", "$callMode", "\"$callMode\"", "\"LongPolling\"", "__proto__", "✓", "\u0000", "日本"];
    const slugs = ["echo", "echo-get", "..", ".", "%2e", "%2F", "%E2%80%AE", "%F0%9F%92%A9", "a%00b", "%5C..%5C", "~", "%7E", "echo;", "echo%3Fq", "%252e", "%C3%A9cho"];
    const methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];
    const statuses = new Map<number, number>();
    const one = async (i: number) => {
      const kind = i % 4;
      let res: Response;
      if (kind === 0) {
        // random bytes with a random content type
        const type = pick(types);
        const headers: Record<string, string> = { ...auth() };
        if (type) headers["content-type"] = type;
        res = await fetch(sharedUrl(pick(["echo", "echo-lp", "echo-put"])), { method: pick(["POST", "PUT"]), headers, body: bytes(Math.floor(rnd() * 512)) });
      } else if (kind === 1) {
        // JSON-ish text from fragments
        const body = Array.from({ length: Math.floor(rnd() * 30) }, () => pick(fragments)).join("");
        res = await fetch(sharedUrl("echo-lp"), { method: "POST", headers: jsonHeaders(), body });
      } else if (kind === 2) {
        // random query strings on a GET trigger
        const q = Array.from({ length: Math.floor(rnd() * 40) }, () => `${encodeURIComponent(pick(fragments))}${pick(["", "$", "%24"])}=${encodeURIComponent(pick(fragments) + pick(fragments))}`).join("&");
        res = await fetch(sharedUrl("echo-get", `?${q}`), { headers: auth() });
      } else {
        // random slugs, folders and methods
        const folder = pick([b.sharedKey, otherFolderKey, randomUUID(), "x", "%2e%2e"]);
        const method = pick(methods);
        res = await fetch(`${b.base}/t/${folder}/${pick(slugs)}${pick(slugs)}`, { method, headers: jsonHeaders(), body: ["GET", "HEAD"].includes(method) ? undefined : "{}" });
      }
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 500) throw new Error(`request ${i}: ${res.status} ${text.slice(0, 500)}`);
      if (res.status >= 400 && text) {
        expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
        expectNoLeak(text);
      }
    };
    for (let batch = 0; batch < 20; batch++) await Promise.all(Array.from({ length: 25 }, (_, j) => one(batch * 25 + j)));
    // every family of answer showed up: successes and client errors, nothing else
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
    expect([...statuses.keys()].some((s) => s >= 200 && s < 300)).toBe(true);
    expect([...statuses.keys()].some((s) => s >= 400 && s < 500)).toBe(true);

    // the server is still healthy
    const res = await fetch(sharedUrl("echo"), { method: "POST", headers: jsonHeaders(), body: JSON.stringify({ $callMode: "LongPolling", alive: true }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ alive: true });
    expect((await fetch(`${b.url}/healthz`)).status).toBe(200);
  });

  it("malformed HTTP on a raw connection: 400 problem, and the server keeps serving", async () => {
    const { connect } = await import("node:net");
    const u = new URL(b.url);
    const send = (payload: string) => new Promise<string>((resolve, reject) => {
      const socket = connect(Number(u.port), u.hostname, () => socket.end(payload));
      const chunks: Buffer[] = [];
      socket.on("data", (c) => chunks.push(c));
      socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
      socket.on("error", (err: NodeJS.ErrnoException) => (err.code === "ECONNRESET" ? resolve(Buffer.concat(chunks).toString("latin1")) : reject(err)));
    });
    const path = new URL(sharedUrl("echo")).pathname;
    for (const payload of [
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}`,
      `POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}`,
      "GARBAGE\r\n\r\n",
      `GET ${path} HTTP/9.9\r\n\r\n`,
    ]) {
      const answer = await send(payload);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
      expect({ payload, status }).toEqual({ payload, status: 400 });
      expect(answer).toMatch(/content-type: application\/problem\+json/i);
      expectNoLeak(answer);
    }
    const res = await fetch(sharedUrl("echo"), { method: "POST", headers: jsonHeaders(), body: JSON.stringify({ $callMode: "LongPolling", alive: 2 }) });
    expect(await res.json()).toEqual({ alive: 2 });
  });
});
