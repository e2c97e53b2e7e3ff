import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBaton, TEST_STORE, type TestBaton } from "../helpers/baton.js";
import type { Job, RobotSession } from "../../src/core/types.js";

/**
 * Issue 12, findings 4, 10 and 11: every number, date and name the API takes is bounded, so
 * nothing reaches the store and answers 500, or breaks a job (a deadline or a backoff no Date
 * can hold, a session whose jobs stay Running for good). Each attack answers 400 with its
 * code and a violation naming the parameter. On both stores.
 */

const PROBLEM_TYPE = "application/problem+json; charset=utf-8";
let b: TestBaton;
let n = 0;
const unique = (prefix: string) => `${prefix}-${++n}-${randomUUID().slice(0, 8)}`;

interface Violation { path: string; message: string }

async function expect400(res: Response, code: string, path: string): Promise<Record<string, unknown>> {
  const text = await res.text();
  expect(res.status, text).toBe(400);
  expect(res.headers.get("content-type")).toBe(PROBLEM_TYPE);
  const body = JSON.parse(text) as Record<string, unknown> & { violations?: Violation[] };
  expect(body, text).toMatchObject({ status: 400, code, type: "about:blank" });
  expect(body.violations?.map((v) => v.path), text).toContain(path);
  for (const v of body.violations!) expect(v.message).toEqual(expect.any(String));
  return body;
}

const send = (method: string, path: string, body: unknown, raw = false) =>
  b.api(path, { method, headers: { "content-type": "application/json" }, body: raw ? (body as string) : JSON.stringify(body) });

async function newProcess(fields: Record<string, unknown> = {}, folderKey = b.sharedKey): Promise<string> {
  const name = unique("P");
  const res = await send("POST", `/api/v1/folders/${folderKey}/processes`, { name, ...fields });
  expect(res.status, await res.clone().text()).toBe(201);
  return name;
}

async function startJob(processName: string, folderKey = b.sharedKey): Promise<Job> {
  return b.apiJson<Job>("/api/v1/jobs", { method: "POST", json: { folderKey, processName } });
}

/** a robot key and an HTTP session of it serving `processes` */
async function robotSession(processes: string[]): Promise<{ key: string; sessionId: string; robot: (path: string, body: unknown) => Promise<Response> }> {
  const key = (await b.apiJson<{ key: string }>("/api/v1/robots", { method: "POST", json: { name: unique("r") } })).key;
  const robot = (path: string, body: unknown) =>
    fetch(`${b.base}/api/robot/v1${path}`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  const res = await robot("/sessions", { processes, slots: 10 });
  expect(res.status, await res.clone().text()).toBe(201);
  return { key, sessionId: ((await res.json()) as { sessionId: string }).sessionId, robot };
}

beforeAll(async () => { b = await startTestBaton({}, { demo: false }); });
afterAll(async () => { await b?.close(); });

describe("finding 4: durations, counts and sizes of a process", () => {
  it.each([
    ["retry backoff 1e300", { retry: { maxAttempts: 2, backoffSeconds: 1e300 } }, "/retry/backoffSeconds"],
    ["retry backoff over a year", { retry: { maxAttempts: 2, backoffSeconds: 365 * 86400 + 1 } }, "/retry/backoffSeconds"],
    ["retry attempts 2^31", { retry: { maxAttempts: 2 ** 31, backoffSeconds: 1 } }, "/retry/maxAttempts"],
    ["retry attempts 1.5", { retry: { maxAttempts: 1.5 } }, "/retry/maxAttempts"],
    ["retry not an object", { retry: 5 }, "/retry"],
    ["retry with an unknown field", { retry: { maxAttempts: 1, extra: 1 } }, "/retry/extra"],
    ["maxDurationSeconds 1e13", { maxDurationSeconds: 1e13 }, "/maxDurationSeconds"],
    ["maxDurationSeconds 2^31", { maxDurationSeconds: 2 ** 31 }, "/maxDurationSeconds"],
  ])("refuses %s (400 invalid-process naming the field)", async (_what, fields, path) => {
    await expect400(await send("POST", `/api/v1/folders/${b.sharedKey}/processes`, { name: unique("P"), ...fields }), "invalid-process", path);
    const name = await newProcess();
    await expect400(await send("PATCH", `/api/v1/folders/${b.sharedKey}/processes/${name}`, fields), "invalid-process", path);
  });

  it("takes a year exactly, and claims of such a process work (the deadline is a year on)", async () => {
    const name = await newProcess({ maxDurationSeconds: 365 * 86400, retry: { maxAttempts: 100, backoffSeconds: 365 * 86400 } });
    const job = await startJob(name);
    const { sessionId, robot } = await robotSession([name]);
    const res = await robot(`/sessions/${sessionId}/claim`, { max: 1, waitSeconds: 0 });
    expect(res.status).toBe(200);
    const claimed = ((await res.json()) as { jobs: { key: string; deadlineAt: string }[] }).jobs;
    expect(claimed.map((j) => j.key)).toEqual([job.key]);
    expect(Date.parse(claimed[0]!.deadlineAt) - Date.now()).toBeGreaterThan(364 * 86400 * 1000);
  });

  it("a session whose job's process has a huge backoff (stored before the bound) closes cleanly, and its other jobs, of other folders too, are released", async () => {
    const folder = await b.apiJson<{ key: string }>("/api/v1/folders", { method: "POST", json: { name: unique("F") } });
    const huge = await newProcess({ retry: { maxAttempts: 100, backoffSeconds: 60 } });
    const plain = await newProcess({ retry: { maxAttempts: 3, backoffSeconds: 0 } });
    const other = await newProcess({ retry: { maxAttempts: 3, backoffSeconds: 0 } }, folder.key);
    // what the old API let in: SQLite kept 1e300; PostgreSQL's integer column keeps 2^31-1, with an attempt that overflows any Date
    const store = b.baton.store;
    const proc = (await store.getProcess(b.tenant.id, b.sharedKey, huge))!;
    const hugeBackoff = TEST_STORE === "postgres" ? 2 ** 31 - 1 : 1e300;
    await store.updateProcess({ ...proc, retry: { maxAttempts: 100, backoff: { type: "Exponential", delaySeconds: hugeBackoff, maxDelaySeconds: hugeBackoff, jitter: false } } });
    b.baton.catalog["processes"].clear();
    const jobs = [await startJob(huge), await startJob(plain), await startJob(other, folder.key)];
    const { sessionId, robot } = await robotSession([huge, plain, other]);
    const claim = await robot(`/sessions/${sessionId}/claim`, { max: 10, waitSeconds: 0 });
    expect(((await claim.json()) as { jobs: unknown[] }).jobs).toHaveLength(3);
    if (TEST_STORE === "postgres") await store.updateJob(b.tenant.id, jobs[0]!.key, ["Running"], sessionId, { state: "Running", attempt: 40 });
    const session = (await store.getSession(b.tenant.id, sessionId)) as RobotSession;

    await b.baton.robots.closeSession(session, "lost");

    const after = await Promise.all(jobs.map((j) => b.apiJson<Job>(`/api/v1/jobs/${j.key}`)));
    expect(after.map((j) => j.state)).toEqual(["Pending", "Pending", "Pending"]);
    // the huge backoff is clamped: the job waits, until the last instant a store keeps at most
    const row = (await store.getJob(b.tenant.id, jobs[0]!.key))!;
    expect(row.sessionId).toBeNull();
    expect(await store.getSession(b.tenant.id, sessionId)).toBeNull();
  });

  it("one job whose release fails changes nothing: the session keeps its jobs, and a later close releases them all", async () => {
    const names = [await newProcess(), await newProcess(), await newProcess()];
    const jobs = await Promise.all(names.map((p) => startJob(p)));
    const { sessionId, robot } = await robotSession(names);
    const claim = await robot(`/sessions/${sessionId}/claim`, { max: 10, waitSeconds: 0 });
    expect(((await claim.json()) as { jobs: unknown[] }).jobs).toHaveLength(3);
    const store = b.baton.store;
    const session = (await store.getSession(b.tenant.id, sessionId)) as RobotSession;
    const updateJob = store.updateJob.bind(store);
    const bad = jobs[1]!.key;
    store.updateJob = async (...args: Parameters<typeof store.updateJob>) => {
      if (args[1] === bad) throw new Error("the store refused this one");
      return updateJob(...args);
    };
    try {
      // one transaction (issue 14): the session's end and its jobs' release, or nothing; no
      // job is left Running under a session that no longer exists
      await expect(b.baton.robots.closeSession(session, "closed")).rejects.toThrow("the store refused this one");
    } finally {
      store.updateJob = updateJob;
    }
    const during = await Promise.all(jobs.map(async (j) => (await store.getJob(b.tenant.id, j.key))!));
    expect(during.map((j) => [j.state, j.sessionId])).toEqual([["Running", sessionId], ["Running", sessionId], ["Running", sessionId]]);
    expect(await store.getSession(b.tenant.id, sessionId)).not.toBeNull();
    await b.baton.robots.closeSession(session, "closed");
    const after = await Promise.all(jobs.map((j) => b.apiJson<Job>(`/api/v1/jobs/${j.key}`)));
    expect(after.map((j) => j.state)).toEqual(["Pending", "Pending", "Pending"]);
    expect(await store.getSession(b.tenant.id, sessionId)).toBeNull();
  });
});

describe("finding 10: dates out of range", () => {
  const BAD_DATES = ["+275760-09-13T00:00:00.000Z", "275760-09-13", "+999999-01-01", "0000-00-00", "0000-01-01", "2024-02-31", "March 7, 2024", "1", "10000-01-01T00:00:00Z"];

  it.each(BAD_DATES)("GET /jobs?createdAfter=%s and createdBefore: 400 invalid-filter", async (date) => {
    await expect400(await b.api(`/api/v1/jobs?createdAfter=${encodeURIComponent(date)}`), "invalid-filter", "/createdAfter");
    await expect400(await b.api(`/api/v1/jobs?createdBefore=${encodeURIComponent(date)}`), "invalid-filter", "/createdBefore");
  });

  it.each(BAD_DATES)("GET /audit?since=%s: 400 invalid-filter", async (date) => {
    await expect400(await b.api(`/api/v1/audit?since=${encodeURIComponent(date)}`), "invalid-filter", "/since");
  });

  it.each(BAD_DATES)("POST /tokens expiresAt %s: 400 invalid-token", async (date) => {
    await expect400(await send("POST", "/api/v1/tokens", { name: unique("t"), scopes: ["OR.Jobs"], expiresAt: date }), "invalid-token", "/expiresAt");
  });

  it.each(BAD_DATES)("a robot's log line at %s: 400 invalid-logs", async (date) => {
    const name = await newProcess();
    const job = await startJob(name);
    const { sessionId, robot } = await robotSession([name]);
    await robot(`/sessions/${sessionId}/claim`, { max: 1, waitSeconds: 0 });
    await expect400(await robot(`/sessions/${sessionId}/jobs/${job.key}/logs`, { lines: [{ message: "ok" }, { message: "m", at: date }] }), "invalid-logs", "/lines/1/at");
  });

  it("dates in range still work, normalized", async () => {
    expect((await b.api("/api/v1/jobs?createdAfter=2024-01-01&createdBefore=9999-12-31T23:59:59Z")).status).toBe(200);
    expect((await b.api("/api/v1/audit?since=0001-01-01T00:00:00%2B00:00")).status).toBe(200);
    const name = await newProcess();
    const job = await startJob(name);
    const { sessionId, robot } = await robotSession([name]);
    await robot(`/sessions/${sessionId}/claim`, { max: 1, waitSeconds: 0 });
    expect((await robot(`/sessions/${sessionId}/jobs/${job.key}/logs`, { lines: [{ message: "m", at: "2024-05-01T12:00:00+02:00" }] })).status).toBe(204);
    const logs = await b.apiJson<{ items: { at: string }[] }>(`/api/v1/jobs/${job.key}/logs`);
    expect(logs.items.map((l) => l.at)).toEqual(["2024-05-01T10:00:00.000Z"]);
  });
});

describe("finding 10: integers, repeated parameters, long lists, prototype keys", () => {
  it("a log cursor past 2^31 is 400 invalid-cursor (PostgreSQL's integer column)", async () => {
    const job = await startJob(await newProcess());
    const cursor = Buffer.from(JSON.stringify({ s: 2 ** 31 })).toString("base64url");
    const res = await b.api(`/api/v1/jobs/${job.key}/logs?cursor=${cursor}`);
    expect(res.status, await res.clone().text()).toBe(400);
    expect(await res.json()).toMatchObject({ code: "invalid-cursor", violations: [{ path: "/cursor", message: expect.any(String) }] });
  });

  it.each([
    ["/api/v1/jobs?state=Pending&state=Running", "/state"],
    ["/api/v1/jobs?processName=a&processName=b", "/processName"],
    ["/api/v1/jobs?folderKey=a&folderKey=b", "/folderKey"],
    ["/api/v1/jobs?limit=1&limit=2", "/limit"],
    ["/api/v1/audit?since=2024-01-01&since=2024-01-02", "/since"],
    ["/api/v1/triggers?folderKey=a&folderKey=b", "/folderKey"],
  ])("GET %s: 400 invalid-query naming the parameter", async (path, param) => {
    await expect400(await b.api(path), "invalid-query", param);
  });

  it("repeated parameters of an invocation are still arrays of arguments", async () => {
    const name = await newProcess();
    const trigger = await b.apiJson<{ invokeUrl: string }>(`/api/v1/folders/${b.sharedKey}/triggers`, {
      method: "POST", json: { name: "t", slug: unique("s"), verb: "GET", processName: name, callMode: "FireAndForget" },
    });
    expect((await b.api(`${trigger.invokeUrl}?a=1&a=2`)).status).toBe(200);
    const jobs = await b.apiJson<{ items: Job[] }>(`/api/v1/jobs?processName=${name}`);
    expect(jobs.items[0]!.inputArguments).toEqual({ a: [1, 2] });
  });

  it("a session serving more than 1,000 process names: 400 invalid-session", async () => {
    const key = (await b.apiJson<{ key: string }>("/api/v1/robots", { method: "POST", json: { name: unique("r") } })).key;
    const open = (body: unknown) => fetch(`${b.base}/api/robot/v1/sessions`, {
      method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body),
    });
    await expect400(await open({ processes: Array.from({ length: 50_000 }, (_, i) => `p${i}`), slots: 1 }), "invalid-session", "/processes");
    await expect400(await open({ processes: Array.from({ length: 1001 }, (_, i) => `p${i}`), slots: 1 }), "invalid-session", "/processes");
    await expect400(await open({ processes: ["ok", "x".repeat(129)], slots: 1 }), "invalid-session", "/processes/1");
    await expect400(await open({ processes: ["ok"], slots: 2 ** 31 }), "invalid-session", "/slots");
    const res = await open({ processes: Array.from({ length: 1000 }, (_, i) => `p${i}`), slots: 1 });
    expect(res.status).toBe(201);
    const { sessionId } = (await res.json()) as { sessionId: string };
    const claim = await fetch(`${b.base}/api/robot/v1/sessions/${sessionId}/claim`, {
      method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ waitSeconds: 0 }),
    });
    expect(claim.status).toBe(200);
  });

  it.each([
    ['{"constructor":1}', "/constructor"],
    ['{"__proto__":{"longPollTimeoutSeconds":5}}', "/__proto__"],
    ['{"toString":1}', "/toString"],
    ['{"hasOwnProperty":1}', "/hasOwnProperty"],
  ])("PATCH /settings %s: 400 invalid-settings", async (body, path) => {
    await expect400(await send("PATCH", "/api/v1/settings", body, true), "invalid-settings", path);
  });
});

describe("finding 11: non-finite numbers, unsafe names, the job's source", () => {
  it("1e999 in POST /jobs arguments is 400 invalid-arguments, not a stored null", async () => {
    const name = await newProcess();
    await expect400(await send("POST", "/api/v1/jobs", `{"folderKey":"${b.sharedKey}","processName":"${name}","inputArguments":{"n":{"m":[1,-1e999]}}}`, true), "invalid-arguments", "/n/m/1");
  });

  it("1e999 in an invocation body is 400 invalid-arguments", async () => {
    const name = await newProcess();
    const trigger = await b.apiJson<{ invokeUrl: string }>(`/api/v1/folders/${b.sharedKey}/triggers`, {
      method: "POST", json: { name: "t", slug: unique("s"), verb: "POST", processName: name, callMode: "FireAndForget" },
    });
    const res = await b.api(trigger.invokeUrl, { method: "POST", headers: { "content-type": "application/json" }, body: '{"n":1e999}' });
    await expect400(res, "invalid-arguments", "/n");
    // in a query string, 1e999 is no number: it stays the string
    const get = await b.apiJson<{ invokeUrl: string }>(`/api/v1/folders/${b.sharedKey}/triggers`, {
      method: "POST", json: { name: "t", slug: unique("s"), verb: "GET", processName: name, callMode: "FireAndForget" },
    });
    expect((await b.api(`${get.invokeUrl}?n=1e999`)).status).toBe(200);
    const jobs = await b.apiJson<{ items: Job[] }>(`/api/v1/jobs?processName=${name}`);
    expect(jobs.items[0]!.inputArguments).toEqual({ n: "1e999" });
  });

  it("1e999 in a process's defaults or a trigger's defaults is 400", async () => {
    await expect400(await send("POST", `/api/v1/folders/${b.sharedKey}/processes`, `{"name":"${unique("P")}","defaultInputArguments":{"x":1e999}}`, true), "invalid-process", "/defaultInputArguments/x");
    const name = await newProcess();
    await expect400(await send("POST", `/api/v1/folders/${b.sharedKey}/triggers`, `{"name":"t","slug":"${unique("s")}","verb":"POST","processName":"${name}","defaultArguments":{"x":1e999}}`, true), "invalid-trigger", "/defaultArguments/x");
  });

  it("1e999 in a robot's output arguments or error details is 400", async () => {
    const name = await newProcess();
    const job = await startJob(name);
    const { key, sessionId, robot } = await robotSession([name]);
    await robot(`/sessions/${sessionId}/claim`, { max: 1, waitSeconds: 0 });
    const raw = (path: string, body: string) => fetch(`${b.base}/api/robot/v1/sessions/${sessionId}${path}`, {
      method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body,
    });
    await expect400(await raw(`/jobs/${job.key}/complete`, '{"outputArguments":{"total":1e999}}'), "invalid-output", "/outputArguments/total");
    await expect400(await raw(`/jobs/${job.key}/fail`, '{"error":{"code":"X","message":"m","details":{"v":-1e999}}}'), "invalid-error", "/error/details/v");
    expect((await b.apiJson<Job>(`/api/v1/jobs/${job.key}`)).state).toBe("Running");
  });

  const UNSAFE = ["\u202E", "\u202A", "\u2066", "\u2069", "\u200B", "\u200D", "\u2060", "\uFEFF", "\u0085", "\u007F", "\u2028"];

  it.each(UNSAFE.map((c) => [`U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`, c]))("names holding %s are refused", async (_code, c) => {
    const evil = `invoice${c}fdp.exe`;
    await expect400(await send("POST", "/api/v1/folders", { name: evil }), "invalid-folder", "/name");
    const folder = await b.apiJson<{ key: string }>("/api/v1/folders", { method: "POST", json: { name: unique("F") } });
    await expect400(await send("PATCH", `/api/v1/folders/${folder.key}`, { name: evil }), "invalid-folder", "/name");
    await expect400(await send("POST", `/api/v1/folders/${b.sharedKey}/processes`, { name: evil }), "invalid-process", "/name");
    const name = await newProcess();
    await expect400(await send("POST", `/api/v1/folders/${b.sharedKey}/triggers`, { name: evil, slug: unique("s"), verb: "POST", processName: name }), "invalid-trigger", "/name");
    await expect400(await send("POST", "/api/v1/tokens", { name: evil, scopes: ["OR.Jobs"] }), "invalid-token", "/name");
    const key = (await b.apiJson<{ key: string }>("/api/v1/robots", { method: "POST", json: { name: unique("r") } })).key;
    const open = (body: unknown) => fetch(`${b.base}/api/robot/v1/sessions`, {
      method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body),
    });
    await expect400(await open({ robotName: evil, processes: ["a"], slots: 1 }), "invalid-session", "/robotName");
    await expect400(await open({ processes: ["a", evil], slots: 1 }), "invalid-session", "/processes/1");
  });

  it("names of other scripts and emoji are still names", async () => {
    for (const name of ["Rechnungen März", "請求書", "فواتير", "Invoices 🧾", "Ωmega ✓"]) {
      expect((await send("POST", "/api/v1/folders", { name })).status).toBe(201);
    }
  });

  it("POST /jobs ignores a source: the server sets it (Api)", async () => {
    const name = await newProcess();
    for (const source of ["Manual", "ApiTrigger", "TimeTrigger", 42]) {
      const job = await b.apiJson<Job>("/api/v1/jobs", { method: "POST", json: { folderKey: b.sharedKey, processName: name, source } });
      expect(job.source).toBe("Api");
    }
  });
});
