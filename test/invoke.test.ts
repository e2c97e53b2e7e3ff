/**
 * Invoking API triggers over a real socket (SPEC §2): every verb, where arguments come
 * from, control parameters, argument defaults, input schemas, and the three call modes
 * with their exact statuses, headers and bodies.
 */
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBaton, type TestBaton } from "./helpers/baton.js";

let b: TestBaton;
/** a folder of this file's own, with an `Echo` (served by the demo robot by name) that has defaults */
let folderKey: string;
const triggerIds: Record<string, string> = {};

const PROCESS_DEFAULTS = { level: "process", a: "process", b: "process", nested: { x: 1, y: 1 } };
const TRIGGER_DEFAULTS = { a: "trigger", b: "trigger", fromTrigger: true };
const DEFAULTS = { ...PROCESS_DEFAULTS, ...TRIGGER_DEFAULTS };
const VERBS = ["GET", "POST", "PUT", "DELETE"] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const STRICT_SCHEMA = {
  type: "object",
  required: ["id", "name"],
  properties: {
    id: { type: "integer" },
    name: { type: "string", minLength: 1 },
    count: { type: "integer", minimum: 0, maximum: 10 },
    tags: { type: "array", items: { type: "string" } },
  },
  additionalProperties: false,
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const url = (slug: string, query = "") => `${b.base}/t/${folderKey}/${slug}${query}`;
const auth = () => ({ authorization: `Bearer ${b.token}` });

async function createTrigger(body: Record<string, unknown>): Promise<{ id: string; invokeUrl: string }> {
  const t = await b.apiJson(`/api/v1/folders/${folderKey}/triggers`, { method: "POST", json: body });
  triggerIds[body.slug as string] = t.id;
  return t;
}

/** Invokes a trigger of this file's folder; GET and DELETE carry no body. */
function call(verb: string, slug: string, options: { query?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { ...auth(), ...options.headers };
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  return fetch(url(slug, options.query ?? ""), { method: verb, headers, body, redirect: "manual" });
}

async function expectProblem(res: Response, status: number, code: string): Promise<Record<string, any>> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as Record<string, any>;
  expect(body).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  return body;
}

async function expectJson(res: Response, status: number): Promise<any> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return res.json();
}

/** The seed's loop: GET the status URI until it stops answering 200; returns that answer (a 303). */
async function pollStatus(statusUri: string): Promise<Response> {
  for (let i = 0; i < 500; i++) {
    const res = await fetch(statusUri, { headers: auth(), redirect: "manual" });
    if (res.status !== 200) return res;
    await res.arrayBuffer();
    await sleep(10);
  }
  throw new Error(`${statusUri} never left 200`);
}

/** Polls a job's status URI until `accept` says yes about the 200 body. */
async function statusWhen(statusUri: string, accept: (body: any) => boolean): Promise<{ res: Response; body: any }> {
  for (let i = 0; i < 500; i++) {
    const res = await fetch(statusUri, { headers: auth(), redirect: "manual" });
    expect(res.status).toBe(200);
    const body = await res.json();
    if (accept(body)) return { res, body };
    await sleep(10);
  }
  throw new Error(`${statusUri}: condition never met`);
}

async function listJobs(query: string): Promise<any[]> {
  const page = await b.apiJson(`/api/v1/jobs?${query}`);
  expect(Object.keys(page).sort()).toEqual(["items", "nextCursor"]);
  return page.items;
}

/** Blocks on the wait URI (a notification, not a polling loop) until the job is final. */
async function waitFinal(jobKey: string): Promise<any> {
  for (;;) {
    const res = await b.api(`/api/v1/jobs/${jobKey}/wait`, { redirect: "manual" });
    await res.arrayBuffer();
    if (res.status !== 303) break;
  }
  return b.apiJson(`/api/v1/jobs/${jobKey}`);
}

beforeAll(async () => {
  b = await startTestBaton();
  folderKey = (await b.apiJson("/api/v1/folders", { method: "POST", json: { name: "InvokeTests" } })).key;
  await b.apiJson(`/api/v1/folders/${folderKey}/processes`, { method: "POST", json: { name: "Echo", defaultInputArguments: PROCESS_DEFAULTS } });
  await b.apiJson(`/api/v1/folders/${folderKey}/processes`, { method: "POST", json: { name: "Sleep" } });
  // no robot serves Strict: its jobs stay Pending, which is all the schema tests need
  await b.apiJson(`/api/v1/folders/${folderKey}/processes`, {
    method: "POST", json: { name: "Strict", defaultInputArguments: { id: 1 }, inputSchema: STRICT_SCHEMA },
  });
  for (const verb of VERBS) {
    await createTrigger({ name: `Echo ${verb}`, slug: `echo-${verb.toLowerCase()}`, verb, processName: "Echo", callMode: "LongPolling", defaultArguments: TRIGGER_DEFAULTS });
  }
  await createTrigger({ name: "Echo async", slug: "echo-async", verb: "POST", processName: "Echo", callMode: "AsyncRequestReply", defaultArguments: TRIGGER_DEFAULTS });
  await createTrigger({ name: "Echo FF", slug: "echo-ff", verb: "POST", processName: "Echo", callMode: "FireAndForget" });
  await createTrigger({ name: "Echo FF GET", slug: "echo-ff-get", verb: "GET", processName: "Echo", callMode: "FireAndForget" });
  await createTrigger({ name: "Sleep LP", slug: "sleep-lp", verb: "POST", processName: "Sleep", callMode: "LongPolling" });
  await createTrigger({ name: "Strict", slug: "strict", verb: "POST", processName: "Strict", callMode: "AsyncRequestReply" });
  await createTrigger({ name: "Strict GET", slug: "strict-get", verb: "GET", processName: "Strict", callMode: "AsyncRequestReply" });
});
afterAll(async () => { await b?.close(); });

describe("verbs and where arguments come from", () => {
  it("management API shows each trigger's full invoke URL", async () => {
    for (const verb of VERBS) {
      const t = await b.apiJson(`/api/v1/triggers/${triggerIds[`echo-${verb.toLowerCase()}`]}`);
      expect(t).toMatchObject({ verb, enabled: true, callMode: "LongPolling", invokeUrl: url(`echo-${verb.toLowerCase()}`) });
    }
  });

  it("a trigger with the longest slug allowed (128 characters) can be invoked", async () => {
    const slug = `${"s".repeat(60)}.${"-".repeat(10)}_${"9".repeat(56)}`;
    expect(slug).toHaveLength(128);
    const t = await createTrigger({ name: "Long slug", slug, verb: "POST", processName: "Echo", callMode: "LongPolling" });
    expect(t.invokeUrl).toBe(url(slug));
    const res = await call("POST", slug, { body: { long: true } });
    expect(await expectJson(res, 200)).toEqual({ ...PROCESS_DEFAULTS, long: true });
  });

  it.each(["GET", "DELETE"])("%s: arguments come from the query string, JSON values parsed, the rest strings", async (verb) => {
    const q = new URLSearchParams();
    const sent: Record<string, string> = {
      int: "42", float: "1.5", neg: "-3", exp: "1e3", yes: "true", no: "false",
      arr: "[1,\"two\",{\"three\":3}]", obj: "{\"k\":[true,null]}", emptyArr: "[]", emptyObj: "{}",
      str: "hello world", nul: "null", quoted: "\"quoted\"", leadingZero: "007", numberish: "12abc", badJson: "{not json}",
      blank: "", unicode: "日本語 ✓", plus: "a+b", amp: "x&y=z",
    };
    for (const [k, v] of Object.entries(sent)) q.append(k, v);
    const res = await call(verb, `echo-${verb.toLowerCase()}`, { query: `?${q}` });
    expect(await expectJson(res, 200)).toEqual({
      ...DEFAULTS,
      int: 42, float: 1.5, neg: -3, exp: 1000, yes: true, no: false,
      arr: [1, "two", { three: 3 }], obj: { k: [true, null] }, emptyArr: [], emptyObj: {},
      // null is not among the JSON kinds SPEC §2 converts; nor are JSON strings
      str: "hello world", nul: "null", quoted: "\"quoted\"", leadingZero: "007", numberish: "12abc", badJson: "{not json}",
      blank: "", unicode: "日本語 ✓", plus: "a+b", amp: "x&y=z",
    });
  });

  it.each(["GET", "DELETE"])("%s: raw query encodings ('+' is a space, %%-escapes) and a repeated key", async (verb) => {
    const res = await call(verb, `echo-${verb.toLowerCase()}`, { query: "?s=a+b%20c&u=%E2%9C%93&r=1&r=x&r=%5B2%5D" });
    expect(await expectJson(res, 200)).toEqual({ ...DEFAULTS, s: "a b c", u: "✓", r: [1, "x", [2]] });
  });

  it("arguments named like Object.prototype members (__proto__, constructor) reach the process as plain arguments", async () => {
    const expected = (extra: string) => ({ ...DEFAULTS, ...JSON.parse(`{"__proto__":{"polluted":1},"constructor":2,"toString":"s"${extra}}`) });
    const viaQuery = await call("GET", "echo-get", { query: "?__proto__={\"polluted\":1}&constructor=2&toString=s" });
    const outQ = await expectJson(viaQuery, 200);
    expect(Object.keys(outQ)).toContain("__proto__");
    expect(outQ).toEqual(expected(""));
    const viaBody = await call("POST", "echo-post", { body: "{\"__proto__\":{\"polluted\":1},\"constructor\":2,\"toString\":\"s\",\"k\":1}" });
    const outB = await expectJson(viaBody, 200);
    expect(Object.keys(outB)).toContain("__proto__");
    expect(outB).toEqual(expected(",\"k\":1"));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each(["GET", "DELETE"])("%s without a query string: the defaults alone", async (verb) => {
    const res = await call(verb, `echo-${verb.toLowerCase()}`);
    expect(await expectJson(res, 200)).toEqual(DEFAULTS);
  });

  it.each(["POST", "PUT"])("%s: arguments come from the JSON object body, types kept", async (verb) => {
    const input = { n: 1, s: "str", numericString: "42", bool: false, nul: null, arr: [1, [2]], obj: { deep: { er: "✓" } }, unicode: "日本語" };
    const res = await call(verb, `echo-${verb.toLowerCase()}`, { body: input });
    expect(await expectJson(res, 200)).toEqual({ ...DEFAULTS, ...input });
  });

  it.each(["POST", "PUT"])("%s: an empty body (no Content-Type) is {}", async (verb) => {
    const res = await fetch(url(`echo-${verb.toLowerCase()}`), { method: verb, headers: auth() });
    expect(await expectJson(res, 200)).toEqual(DEFAULTS);
  });

  it.each(["POST", "PUT"])("%s: an empty body with Content-Type application/json is {}", async (verb) => {
    const res = await call(verb, `echo-${verb.toLowerCase()}`, { body: "" });
    expect(await expectJson(res, 200)).toEqual(DEFAULTS);
  });

  it("POST accepts application/json with parameters and +json types; the query string is ignored", async () => {
    const r1 = await call("POST", "echo-post", { body: { v: 1 }, headers: { "content-type": "application/json; charset=utf-8" }, query: "?q=1" });
    expect(await expectJson(r1, 200)).toEqual({ ...DEFAULTS, v: 1 });
    const r2 = await call("POST", "echo-post", { body: { v: 2 }, headers: { "content-type": "application/vnd.example+json" } });
    expect(await expectJson(r2, 200)).toEqual({ ...DEFAULTS, v: 2 });
  });

  it("DELETE ignores a body: its arguments are the query string", async () => {
    const res = await fetch(url("echo-delete", "?fromQuery=1"), { method: "DELETE", headers: { ...auth(), "content-type": "application/json" }, body: JSON.stringify({ fromBody: 1 }) });
    expect(await expectJson(res, 200)).toEqual({ ...DEFAULTS, fromQuery: 1 });
  });
});

describe("defaults and control parameters", () => {
  it("process defaults < trigger defaults < request, per argument (not deep-merged)", async () => {
    const res = await call("POST", "echo-post", { body: { b: "request", r: 1, nested: { y: 2 } } });
    expect(await expectJson(res, 200)).toEqual({ level: "process", a: "trigger", b: "request", fromTrigger: true, r: 1, nested: { y: 2 } });
  });

  it("a request may override a default with null", async () => {
    const res = await call("PUT", "echo-put", { body: { a: null, level: null } });
    expect(await expectJson(res, 200)).toEqual({ ...DEFAULTS, a: null, level: null });
  });

  it("$callMode in a POST body overrides the trigger's default; the $ key never reaches the process", async () => {
    // trigger default LongPolling → AsyncRequestReply
    const res = await call("POST", "echo-post", { body: { x: 1, $callMode: "AsyncRequestReply" } });
    const accepted = await expectJson(res, 202);
    const job = await b.apiJson(`/api/v1/jobs/${accepted.jobKey}`);
    expect(job.callMode).toBe("AsyncRequestReply");
    expect(job.inputArguments).toEqual({ ...DEFAULTS, x: 1 });
    const redirect = await pollStatus(accepted.statusUri);
    expect(redirect.status).toBe(303);
    const out = await fetch(redirect.headers.get("location")!, { headers: auth() });
    expect(await expectJson(out, 200)).toEqual({ ...DEFAULTS, x: 1 });
  });

  it("$callMode LongPolling overrides an AsyncRequestReply trigger (the demo echo of Shared)", async () => {
    const res = await fetch(b.invokeUrl("echo"), {
      method: "POST", headers: { ...auth(), "content-type": "application/json" }, body: JSON.stringify({ hello: "world", $callMode: "LongPolling" }),
    });
    expect(await expectJson(res, 200)).toEqual({ hello: "world" });
  });

  it.each(VERBS)("%s with $callMode AsyncRequestReply, FireAndForget and LongPolling", async (verb) => {
    const slug = `echo-${verb.toLowerCase()}`;
    const withBody = verb === "POST" || verb === "PUT";
    const invoke = (mode: string) => withBody
      ? call(verb, slug, { body: { v: verb, $callMode: mode } })
      : call(verb, slug, { query: `?v=${verb}&$callMode=${mode}` });

    const lp = await invoke("LongPolling");
    expect(await expectJson(lp, 200)).toEqual({ ...DEFAULTS, v: verb });

    const arr = await invoke("AsyncRequestReply");
    const accepted = await expectJson(arr, 202);
    expect(arr.headers.get("location")).toBe(accepted.statusUri);
    const job = await b.apiJson(`/api/v1/jobs/${accepted.jobKey}`);
    expect(job).toMatchObject({ callMode: "AsyncRequestReply", source: "ApiTrigger", triggerId: triggerIds[slug], inputArguments: { ...DEFAULTS, v: verb } });
    expect(job.inputArguments).not.toHaveProperty("$callMode");
    const redirect = await pollStatus(accepted.statusUri);
    expect(redirect.status).toBe(303);
    expect(await expectJson(await fetch(redirect.headers.get("location")!, { headers: auth() }), 200)).toEqual({ ...DEFAULTS, v: verb });

    const before = await listJobs(`triggerId=${triggerIds[slug]}&limit=1000`);
    const ff = await invoke("FireAndForget");
    expect(ff.status).toBe(200);
    expect(await ff.text()).toBe("");
    const after = await listJobs(`triggerId=${triggerIds[slug]}&limit=1000`);
    expect(after.length).toBe(before.length + 1);
    const stored = after.find((j) => !before.some((o) => o.key === j.key));
    expect(stored).toMatchObject({ callMode: "FireAndForget", inputArguments: { ...DEFAULTS, v: verb } });
  });

  it("$callMode in a GET query string overrides the trigger's default", async () => {
    const res = await call("GET", "echo-get", { query: "?$callMode=AsyncRequestReply&k=v" });
    const accepted = await expectJson(res, 202);
    expect((await b.apiJson(`/api/v1/jobs/${accepted.jobKey}`)).inputArguments).toEqual({ ...DEFAULTS, k: "v" });
  });
});

describe("input schema", () => {
  const strictJobs = async () => (await listJobs(`processName=Strict&folderKey=${folderKey}&limit=1000`)).length;

  it("400 invalid-arguments lists every violation, and no job exists", async () => {
    const before = await strictJobs();
    const res = await call("POST", "strict", { body: { id: "not-an-integer", count: 11, tags: ["ok", 2], extra: true } });
    const problem = await expectProblem(res, 400, "invalid-arguments");
    const violations = problem.violations as { path: string; message: string }[];
    expect(violations.map((v) => v.path).sort()).toEqual(["/", "/count", "/id", "/name", "/tags/1"]);
    for (const v of violations) expect(typeof v.message).toBe("string");
    expect(problem.detail).toContain("5 violations");
    expect(await strictJobs()).toBe(before);
  });

  it("validation comes first for LongPolling and FireAndForget too: 400, no job, no wait", async () => {
    const before = await strictJobs();
    for (const mode of ["LongPolling", "FireAndForget", "AsyncRequestReply"]) {
      const res = await call("POST", "strict", { body: { $callMode: mode } });
      const problem = await expectProblem(res, 400, "invalid-arguments");
      expect(problem.violations).toEqual([{ path: "/name", message: expect.any(String) }]);
    }
    expect(await strictJobs()).toBe(before);
  });

  it("query-string values are validated after conversion: a non-number stays a string", async () => {
    const before = await strictJobs();
    const res = await call("GET", "strict-get", { query: "?name=n&count=abc" });
    const problem = await expectProblem(res, 400, "invalid-arguments");
    expect(problem.violations.map((v: any) => v.path)).toEqual(["/count"]);
    expect(await strictJobs()).toBe(before);
  });

  it("valid arguments (a required one supplied by the process defaults) create the job", async () => {
    const before = await strictJobs();
    const r1 = await call("GET", "strict-get", { query: "?name=n&count=5&tags=[\"a\"]" });
    const a1 = await expectJson(r1, 202);
    const r2 = await call("POST", "strict", { body: { id: 7, name: "m" } });
    const a2 = await expectJson(r2, 202);
    expect(await strictJobs()).toBe(before + 2);
    expect((await b.apiJson(`/api/v1/jobs/${a1.jobKey}`)).inputArguments).toEqual({ id: 1, name: "n", count: 5, tags: ["a"] });
    expect((await b.apiJson(`/api/v1/jobs/${a2.jobKey}`)).inputArguments).toEqual({ id: 7, name: "m" });
  });
});

describe("AsyncRequestReply", () => {
  it("202 with an absolute Location, Retry-After and { jobKey, state, statusUri }", async () => {
    const res = await call("POST", "echo-async", { body: { z: 1 } });
    expect(res.status).toBe(202);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = await res.json();
    expect(Object.keys(body).sort()).toEqual(["jobKey", "state", "statusUri"]);
    expect(body.jobKey).toMatch(UUID);
    expect(body.state).toBe("Pending");
    const location = res.headers.get("location")!;
    expect(location).toBe(`${b.base}/api/v1/jobs/${body.jobKey}/status`);
    expect(new URL(location).href).toBe(location); // absolute
    expect(body.statusUri).toBe(location);
    expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    await waitFinal(body.jobKey);
  });

  it("Location follows the Host header; X-Forwarded-* are ignored unless proxies are trusted", async () => {
    const u = new URL(b.url);
    const answer = await new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
      const req = httpRequest({
        host: u.hostname, port: u.port, method: "POST", path: new URL(url("echo-async")).pathname, agent: false,
        headers: { ...auth(), "content-type": "application/json", host: "baton.example:8443", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" },
      }, (res) => { res.resume(); resolve({ status: res.statusCode!, location: res.headers.location }); });
      req.on("error", reject);
      req.end("{}");
    });
    expect(answer.status).toBe(202);
    expect(answer.location).toMatch(/^http:\/\/baton\.example:8443\/default\/DefaultTenant\/orchestrator_\/api\/v1\/jobs\/[0-9a-f-]{36}\/status$/);
  });

  it("status: 200 with Retry-After and the job while not final; output 409 job-not-finished; stop → 303 → 409 job-stopped", async () => {
    const res = await fetch(b.invokeUrl("sleep"), { method: "POST", headers: { ...auth(), "content-type": "application/json" }, body: JSON.stringify({ seconds: 30 }) });
    const accepted = await expectJson(res, 202);
    const { jobKey, statusUri } = accepted;

    const { res: statusRes, body } = await statusWhen(statusUri, (s) => s.state === "Running");
    expect(statusRes.headers.get("content-type")).toMatch(/^application\/json/);
    expect(statusRes.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(statusRes.headers.get("location")).toBeNull();
    expect(Object.keys(body).sort()).toEqual(["createdAt", "info", "jobKey", "process", "startedAt", "state"]);
    expect(body).toMatchObject({ jobKey, state: "Running", process: "Sleep" });
    expect(body.createdAt).toMatch(ISO);
    expect(body.startedAt).toMatch(ISO);
    expect(Date.parse(body.startedAt)).toBeGreaterThanOrEqual(Date.parse(body.createdAt));
    expect(body.info === null || typeof body.info === "string").toBe(true);

    // the output URI before the job is final
    const early = await fetch(`${b.base}/api/v1/jobs/${jobKey}/output`, { headers: auth(), redirect: "manual" });
    const notFinished = await expectProblem(early, 409, "job-not-finished");
    expect(notFinished).toMatchObject({ jobKey, state: "Running" });

    const stop = await b.api(`/api/v1/jobs/${jobKey}/stop`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ strategy: "SoftStop" }) });
    expect(stop.status).toBe(202);
    await stop.arrayBuffer();

    const redirect = await pollStatus(statusUri);
    expect(redirect.status).toBe(303);
    expect(redirect.headers.get("location")).toBe(`${b.base}/api/v1/jobs/${jobKey}/output`);
    expect(await redirect.text()).toBe("");
    const out = await fetch(redirect.headers.get("location")!, { headers: auth(), redirect: "manual" });
    const stopped = await expectProblem(out, 409, "job-stopped");
    expect(stopped).toMatchObject({ jobKey, state: "Stopped" });
  });

  it("a Pending job's status has startedAt null", async () => {
    // no robot serves Strict, so it stays Pending
    const accepted = await expectJson(await call("POST", "strict", { body: { name: "p" } }), 202);
    const res = await fetch(accepted.statusUri, { headers: auth(), redirect: "manual" });
    const body = await expectJson(res, 200);
    expect(body).toEqual({
      jobKey: accepted.jobKey, state: "Pending", process: "Strict", createdAt: expect.stringMatching(ISO), startedAt: null, info: body.info,
    });
    expect(body.info === null || typeof body.info === "string").toBe(true);
    expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
  });

  it("Successful: status 303 to the output URI, output 200 with the output arguments (repeatably)", async () => {
    const accepted = await expectJson(await call("POST", "echo-async", { body: { answer: 42 } }), 202);
    const redirect = await pollStatus(accepted.statusUri);
    expect(redirect.status).toBe(303);
    const outputUri = redirect.headers.get("location")!;
    expect(outputUri).toBe(`${b.base}/api/v1/jobs/${accepted.jobKey}/output`);
    for (let i = 0; i < 2; i++) {
      const out = await fetch(outputUri, { headers: auth(), redirect: "manual" });
      expect(await expectJson(out, 200)).toEqual({ ...DEFAULTS, answer: 42 });
    }
    // final stays final: the status URI keeps redirecting
    const again = await fetch(accepted.statusUri, { headers: auth(), redirect: "manual" });
    expect(again.status).toBe(303);
    expect(again.headers.get("location")).toBe(outputUri);
  });

  it("Faulted: output 500 job-faulted with the job's error", async () => {
    const res = await fetch(b.invokeUrl("fail"), { method: "POST", headers: { ...auth(), "content-type": "application/json" }, body: JSON.stringify({ message: "boom" }) });
    const accepted = await expectJson(res, 202);
    const redirect = await pollStatus(accepted.statusUri);
    expect(redirect.status).toBe(303);
    const out = await fetch(redirect.headers.get("location")!, { headers: auth(), redirect: "manual" });
    const problem = await expectProblem(out, 500, "job-faulted");
    expect(problem).toMatchObject({ jobKey: accepted.jobKey, state: "Faulted", error: { code: "DemoFailure", message: "boom" }, detail: "boom" });
  });

  it("an output of {} when the process returns nothing", async () => {
    const accepted = await expectJson(await fetch(b.invokeUrl("echo"), { method: "POST", headers: auth() }), 202);
    const redirect = await pollStatus(accepted.statusUri);
    expect(await expectJson(await fetch(redirect.headers.get("location")!, { headers: auth() }), 200)).toEqual({});
  });
});

describe("FireAndForget", () => {
  it("200 with no body and no job information; the job is stored and runs", async () => {
    const input = { fire: "and forget", n: [1, 2, 3] };
    const res = await call("POST", "echo-ff", { body: input });
    expect(res.status).toBe(200);
    expect(res.headers.get("location")).toBeNull();
    expect(res.headers.get("retry-after")).toBeNull();
    expect(res.headers.get("content-length") ?? "0").toBe("0");
    expect(await res.text()).toBe("");

    const items = await listJobs(`processName=Echo&folderKey=${folderKey}&triggerId=${triggerIds["echo-ff"]}`);
    expect(items).toHaveLength(1);
    const [job] = items;
    expect(job).toMatchObject({
      folderKey, processName: "Echo", triggerId: triggerIds["echo-ff"], source: "ApiTrigger", callMode: "FireAndForget", inputArguments: { ...PROCESS_DEFAULTS, ...input },
    });
    expect(job.key).toMatch(UUID);
    const final = await waitFinal(job.key);
    expect(final).toMatchObject({ state: "Successful", outputArguments: { ...PROCESS_DEFAULTS, ...input } });
  });

  it("a GET FireAndForget trigger stores the query-string arguments", async () => {
    const res = await call("GET", "echo-ff-get", { query: "?ff=1&s=x" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
    const items = await listJobs(`triggerId=${triggerIds["echo-ff-get"]}`);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ callMode: "FireAndForget", inputArguments: { ...PROCESS_DEFAULTS, ff: 1, s: "x" } });
  });
});

describe("LongPolling", () => {
  it("Faulted: 500 job-faulted on the call itself", async () => {
    const res = await fetch(b.invokeUrl("fail"), {
      method: "POST", headers: { ...auth(), "content-type": "application/json" }, body: JSON.stringify({ message: "sync boom", $callMode: "LongPolling" }),
    });
    const problem = await expectProblem(res, 500, "job-faulted");
    expect(problem).toMatchObject({ state: "Faulted", error: { code: "DemoFailure", message: "sync boom" } });
    expect(problem.jobKey).toMatch(UUID);
  });

  it("Stopped while the caller waits: 409 job-stopped on the call itself", async () => {
    const pending = call("POST", "sleep-lp", { body: { seconds: 30 } });
    let job: any;
    for (let i = 0; i < 500 && !job; i++) {
      job = (await listJobs(`triggerId=${triggerIds["sleep-lp"]}&state=Running`))[0];
      if (!job) await sleep(10);
    }
    expect(job).toBeDefined();
    const stop = await b.api(`/api/v1/jobs/${job.key}/stop`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ strategy: "SoftStop" }) });
    expect(stop.status).toBe(202);
    const problem = await expectProblem(await pending, 409, "job-stopped");
    expect(problem).toMatchObject({ jobKey: job.key, state: "Stopped" });
  });
});
