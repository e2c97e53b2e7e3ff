import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { invoke, startTestBaton, type TestBaton } from "./helpers/baton.js";

let b: TestBaton;
beforeAll(async () => { b = await startTestBaton(); });
afterAll(async () => { await b.close(); });

const post = (path: string, body: unknown) => b.api(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const patch = (path: string, body: unknown) => b.api(path, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const del = (path: string) => b.api(path, { method: "DELETE" });

async function problem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
  const body = await res.json();
  expect(body).toMatchObject({ status, code });
  expect(typeof body.title).toBe("string");
  expect(typeof body.detail).toBe("string");
  return body;
}

describe("folders", () => {
  it("lists the Shared folder and creates, renames and deletes others", async () => {
    const list = await b.apiJson("/api/v1/folders");
    expect(list.items).toEqual([{ key: b.sharedKey, name: "Shared", createdAt: expect.any(String) }]);
    expect(list.nextCursor).toBeNull();

    const created = await post("/api/v1/folders", { name: "Finance" });
    expect(created.status).toBe(201);
    const folder = await created.json();
    expect(folder).toEqual({ key: expect.stringMatching(/^[0-9a-f-]{36}$/), name: "Finance", createdAt: expect.any(String) });
    await problem(await post("/api/v1/folders", { name: "Finance" }), 409, "folder-exists");
    await problem(await post("/api/v1/folders", { name: "a/b" }), 400, "invalid-folder");

    const renamed = await patch(`/api/v1/folders/${folder.key}`, { name: "Accounting" });
    expect(renamed.status).toBe(200);
    expect((await renamed.json()).name).toBe("Accounting");
    expect((await b.apiJson(`/api/v1/folders/${folder.key}`)).name).toBe("Accounting");

    await problem(await del(`/api/v1/folders/${b.sharedKey}`), 409, "folder-protected");
    expect((await del(`/api/v1/folders/${folder.key}`)).status).toBe(204);
    await problem(await b.api(`/api/v1/folders/${folder.key}`), 404, "folder-not-found");
    await problem(await b.api(`/api/v1/folders/not-a-uuid`), 404, "folder-not-found");
  });

  it("refuses to delete a folder that still holds a process", async () => {
    const folder = await b.apiJson("/api/v1/folders", { method: "POST", json: { name: "Busy" } });
    expect((await post(`/api/v1/folders/${folder.key}/processes`, { name: "P" })).status).toBe(201);
    await problem(await del(`/api/v1/folders/${folder.key}`), 409, "folder-not-empty");
  });
});

describe("processes", () => {
  it("creates with every field, reads, lists, updates and deletes", async () => {
    const body = {
      name: "Invoice", description: "Books an invoice", defaultInputArguments: { currency: "EUR" },
      inputSchema: { type: "object", required: ["amount"], properties: { amount: { type: "number" } } },
      outputSchema: { type: "object" }, priority: "High", maxDurationSeconds: 60,
      retry: { maxAttempts: 3, backoff: { type: "Fixed", delaySeconds: 2, maxDelaySeconds: 2, jitter: true } },
      maxConcurrentJobs: 4, concurrencyKey: "/customer/id", maxConcurrentJobsPerKey: 2,
    };
    const res = await post(`/api/v1/folders/${b.sharedKey}/processes`, body);
    expect(res.status).toBe(201);
    const created = await res.json();
    expect(created).toEqual({ ...body, id: expect.any(String), folderKey: b.sharedKey, createdAt: expect.any(String), updatedAt: expect.any(String) });
    expect(await b.apiJson(`/api/v1/folders/${b.sharedKey}/processes/Invoice`)).toEqual(created);
    const names = (await b.apiJson(`/api/v1/folders/${b.sharedKey}/processes`)).items.map((p: { name: string }) => p.name);
    expect(names).toEqual(expect.arrayContaining(["Echo", "Sleep", "Fail", "Invoice"]));

    const updated = await patch(`/api/v1/folders/${b.sharedKey}/processes/Invoice`, { priority: "Low", description: "x" });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({ priority: "Low", description: "x", defaultInputArguments: { currency: "EUR" } });

    await problem(await post(`/api/v1/folders/${b.sharedKey}/processes`, { name: "Invoice" }), 409, "process-exists");
    expect((await del(`/api/v1/folders/${b.sharedKey}/processes/Invoice`)).status).toBe(204);
    await problem(await b.api(`/api/v1/folders/${b.sharedKey}/processes/Invoice`), 404, "process-not-found");
  });

  it("lists every invalid field at once", async () => {
    const body = await problem(
      await post(`/api/v1/folders/${b.sharedKey}/processes`, { name: "Bad", priority: "Urgent", maxDurationSeconds: -1, inputSchema: { type: 12 }, color: "red" }),
      400, "invalid-process",
    );
    expect(body.violations.map((v: { path: string }) => v.path).sort()).toEqual(["/color", "/inputSchema", "/maxDurationSeconds", "/priority"]);
  });

  it("lists a bad name with the other faults: the issue's three-fault body answers one 400 with three violations", async () => {
    const body = await problem(await post(`/api/v1/folders/${b.sharedKey}/processes`, { name: 5, priority: "Urgent", maxDurationSeconds: -1 }), 400, "invalid-process");
    expect(body.violations).toEqual([
      { path: "/name", message: "must be 1-128 characters without '/', '\\' or control characters" },
      { path: "/priority", message: "must be one of Low, Normal, High" },
      { path: "/maxDurationSeconds", message: "must be an integer from 1 to 31536000 (a year) or null" },
    ]);
  });

  it("refuses to delete a process that a trigger starts", async () => {
    await problem(await del(`/api/v1/folders/${b.sharedKey}/processes/Echo`), 409, "process-in-use");
  });
});

describe("triggers", () => {
  it("lists the missing fields with the wrong ones in one 400", async () => {
    const body = await problem(await post(`/api/v1/folders/${b.sharedKey}/triggers`, { verb: "FETCH", callMode: "Sometimes" }), 400, "invalid-trigger");
    expect(body.violations.map((v: { path: string; message: string }) => `${v.path} ${v.message}`)).toEqual([
      "/name is required", "/slug is required", "/processName is required",
      "/verb must be one of GET, POST, PUT, DELETE", "/callMode must be one of AsyncRequestReply, FireAndForget, LongPolling",
    ]);
  });

  it("creates with an absolute invokeUrl, reads, lists, updates and deletes", async () => {
    const res = await post(`/api/v1/folders/${b.sharedKey}/triggers`, {
      name: "Echo by GET", slug: "echo-get", verb: "GET", processName: "Echo", callMode: "LongPolling", defaultArguments: { from: "trigger" }, priority: "High",
    });
    expect(res.status).toBe(201);
    const t = await res.json();
    expect(t).toEqual({
      id: expect.any(String), folderKey: b.sharedKey, name: "Echo by GET", slug: "echo-get", verb: "GET", processName: "Echo", callMode: "LongPolling",
      defaultArguments: { from: "trigger" }, priority: "High", enabled: true, createdAt: expect.any(String), updatedAt: expect.any(String),
      invokeUrl: b.invokeUrl("echo-get"),
    });
    expect(await b.apiJson(`/api/v1/triggers/${t.id}`)).toEqual(t);
    const all = (await b.apiJson(`/api/v1/triggers`)).items.map((x: { slug: string }) => x.slug);
    expect(all).toEqual(expect.arrayContaining(["echo", "sleep", "fail", "echo-get"]));

    const called = await fetch(`${t.invokeUrl}?x=1`, { headers: { authorization: `Bearer ${b.token}` } });
    expect(called.status).toBe(200);
    expect(await called.json()).toEqual({ from: "trigger", x: 1 });

    const disabled = await patch(`/api/v1/triggers/${t.id}`, { enabled: false });
    expect((await disabled.json()).enabled).toBe(false);
    await problem(await fetch(t.invokeUrl, { headers: { authorization: `Bearer ${b.token}` } }), 409, "trigger-disabled");

    expect((await del(`/api/v1/triggers/${t.id}`)).status).toBe(204);
    await problem(await b.api(`/api/v1/triggers/${t.id}`), 404, "trigger-not-found");
  });

  it("validates fields, the process and the slug's uniqueness", async () => {
    const body = await problem(await post(`/api/v1/folders/${b.sharedKey}/triggers`, { name: "x", slug: "a/b", verb: "PATCH", processName: "Echo", callMode: "Sync" }), 400, "invalid-trigger");
    expect(body.violations.map((v: { path: string }) => v.path).sort()).toEqual(["/callMode", "/slug", "/verb"]);
    await problem(await post(`/api/v1/folders/${b.sharedKey}/triggers`, { name: "x" }), 400, "invalid-trigger");
    await problem(await post(`/api/v1/folders/${b.sharedKey}/triggers`, { name: "x", slug: "x", verb: "POST", processName: "Nope" }), 404, "process-not-found");
    await problem(await post(`/api/v1/folders/${b.sharedKey}/triggers`, { name: "x", slug: "echo", verb: "POST", processName: "Echo" }), 409, "slug-taken");
    await problem(await post(`/api/v1/folders/${b.sharedKey}/triggers`, { name: "x", slug: "y", verb: "POST", processName: "Echo", defaultArguments: { $callMode: "x" } }), 400, "invalid-trigger");
  });
});

describe("jobs", () => {
  let folderKey: string;
  let triggerId: string;

  beforeAll(async () => {
    const folder = await b.apiJson("/api/v1/folders", { method: "POST", json: { name: "Paging" } });
    folderKey = folder.key;
    // No robot serves "Idle": its jobs stay Pending.
    await b.apiJson(`/api/v1/folders/${folderKey}/processes`, { method: "POST", json: { name: "Idle" } });
    triggerId = (await b.apiJson(`/api/v1/folders/${folderKey}/triggers`, { method: "POST", json: { name: "idle", slug: "idle", verb: "POST", processName: "Idle", callMode: "FireAndForget" } })).id;
    for (let i = 0; i < 25; i++) {
      const res = await fetch(`${b.base}/t/${folderKey}/idle`, { method: "POST", headers: { authorization: `Bearer ${b.token}`, "content-type": "application/json" }, body: JSON.stringify({ i }) });
      expect(res.status).toBe(200);
    }
  });

  it("pages through a filtered list with an opaque cursor, newest first, each job once", async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { items: { inputArguments: { i: number }; state: string; folderKey: string }[]; nextCursor: string | null } =
        await b.apiJson(`/api/v1/jobs?folderKey=${folderKey}&limit=10${cursor ? `&cursor=${cursor}` : ""}`);
      pages++;
      for (const j of page.items) {
        expect(j.state).toBe("Pending");
        expect(j.folderKey).toBe(folderKey);
        seen.push(j.inputArguments.i);
      }
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...Array(25).keys()].reverse());
  });

  it("filters by state, process, trigger and creation time", async () => {
    expect((await b.apiJson(`/api/v1/jobs?processName=Idle&limit=100`)).items).toHaveLength(25);
    expect((await b.apiJson(`/api/v1/jobs?triggerId=${triggerId}&state=Pending&limit=100`)).items).toHaveLength(25);
    expect((await b.apiJson(`/api/v1/jobs?processName=Idle&state=Successful`)).items).toHaveLength(0);
    expect((await b.apiJson(`/api/v1/jobs?processName=Idle&createdAfter=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).items).toHaveLength(0);
    await problem(await b.api(`/api/v1/jobs?state=Done`), 400, "invalid-filter");
    await problem(await b.api(`/api/v1/jobs?limit=0`), 400, "invalid-filter");
    await problem(await b.api(`/api/v1/jobs?createdAfter=yesterday`), 400, "invalid-filter");
    await problem(await b.api(`/api/v1/jobs?cursor=garbage`), 400, "invalid-cursor");
  });

  it("pages a time window by creation time: its cursor carries the last job's createdAt; a forged one is 400 invalid-cursor", async () => {
    const window = `processName=Idle&createdAfter=${encodeURIComponent(new Date(0).toISOString())}&createdBefore=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`;
    const all = (await b.apiJson(`/api/v1/jobs?${window}&limit=100`)).items as { key: string; createdAt: string }[];
    expect(all).toHaveLength(25);
    const keys: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { key: string; createdAt: string }[]; nextCursor: string | null } =
        await b.apiJson(`/api/v1/jobs?${window}&limit=10${cursor ? `&cursor=${cursor}` : ""}`);
      keys.push(...page.items.map((j) => j.key));
      if (page.nextCursor) {
        const last = page.items[page.items.length - 1]!;
        expect(JSON.parse(Buffer.from(page.nextCursor, "base64url").toString("utf8"))).toEqual({ s: expect.any(Number), c: last.createdAt });
      }
      cursor = page.nextCursor;
    } while (cursor);
    expect(keys).toEqual(all.map((j) => j.key));
    // newest first by creation time
    expect(all.map((j) => j.createdAt)).toEqual([...all.map((j) => j.createdAt)].sort().reverse());
    for (const forged of [{ s: 5, c: "yesterday" }, { s: 5, c: 17 }, { s: -1, c: new Date().toISOString() }]) {
      await problem(await b.api(`/api/v1/jobs?${window}&cursor=${Buffer.from(JSON.stringify(forged)).toString("base64url")}`), 400, "invalid-cursor");
    }
  });

  it("names every filter at fault in one 400 invalid-filter", async () => {
    const body = await problem(await b.api(`/api/v1/jobs?state=Done,Pending,Paused&limit=0&createdAfter=yesterday&createdBefore=2024-02-31&processName=Idle`), 400, "invalid-filter");
    const instant = "must be an ISO 8601 date or date-time (such as 2024-05-01T12:00:00Z) of the years 0001 to 9999";
    expect(body.violations).toEqual([
      { path: "/state", message: "unknown state Done, Paused; states are Pending, Running, Stopping, Terminating, Successful, Faulted, Stopped" },
      { path: "/createdAfter", message: instant },
      { path: "/createdBefore", message: instant },
      { path: "/limit", message: "must be an integer from 1 to 1000" },
    ]);
    expect(body.detail).toBe(`state unknown state Done, Paused; states are Pending, Running, Stopping, Terminating, Successful, Faulted, Stopped; createdAfter ${instant}; ` +
      `createdBefore ${instant}; limit must be an integer from 1 to 1000.`);
    // one fault: the sentence it always was
    expect((await problem(await b.api(`/api/v1/jobs?limit=1001`), 400, "invalid-filter")).detail).toBe("limit must be an integer from 1 to 1000.");
    // a limit that is not digits is the query schema's: the same code
    expect((await problem(await b.api(`/api/v1/jobs?limit=ten`), 400, "invalid-filter")).violations).toEqual([{ path: "/limit", message: expect.stringContaining("must match pattern") }]);
    // the filters are checked before the cursor
    await problem(await b.api(`/api/v1/jobs?state=Done&cursor=garbage`), 400, "invalid-filter");
  });

  it("shows a job's detail", async () => {
    const res = await invoke(b, "echo", { hello: "detail", $callMode: "LongPolling" });
    expect(res.status).toBe(200);
    const [job] = (await b.apiJson(`/api/v1/jobs?processName=Echo&limit=1`)).items;
    const detail = await b.apiJson(`/api/v1/jobs/${job.key}`);
    expect(detail).toEqual({
      key: job.key, folderKey: b.sharedKey, processName: "Echo", triggerId: expect.any(String), source: "ApiTrigger", callMode: "LongPolling",
      state: "Successful", priority: "Normal", inputArguments: { hello: "detail" }, outputArguments: { hello: "detail" }, error: null,
      robot: "in-process-robot", attempt: 1, createdAt: expect.any(String), startedAt: expect.any(String), endedAt: expect.any(String), info: null, idempotencyKey: null,
      retryAt: null, pendingReason: null,
      // the one attempt, read from the job: no session holds a final job
      attempts: [{ attempt: 1, robot: "in-process-robot", sessionId: null, startedAt: detail.startedAt, endedAt: detail.endedAt, outcome: "Successful", error: null }],
    });
    await problem(await b.api(`/api/v1/jobs/00000000-0000-4000-8000-000000000000`), 404, "job-not-found");
  });

  it("stops a Pending job at once, and refuses to stop a final one", async () => {
    const [job] = (await b.apiJson(`/api/v1/jobs?processName=Idle&limit=1`)).items;
    const res = await post(`/api/v1/jobs/${job.key}/stop`, { strategy: "SoftStop" });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ key: job.key, state: "Stopped", endedAt: expect.any(String) });
    await problem(await post(`/api/v1/jobs/${job.key}/stop`, { strategy: "Kill" }), 409, "job-final");
    const later = await problem(await post(`/api/v1/jobs/${job.key}/stop`, { strategy: "Later" }), 400, "invalid-strategy");
    expect(later.violations).toEqual([{ path: "/strategy", message: 'must be one of "SoftStop", "Kill"' }]);
    expect((await problem(await post(`/api/v1/jobs/${job.key}/stop`, {}), 400, "invalid-strategy")).violations).toEqual([{ path: "/strategy", message: "is required" }]);
    // the strategy is checked before the job is looked for, as before
    await problem(await post("/api/v1/jobs/00000000-0000-4000-8000-000000000000/stop", { strategy: "Later" }), 400, "invalid-strategy");
    await problem(await post("/api/v1/jobs/00000000-0000-4000-8000-000000000000/stop", { strategy: "Kill" }), 404, "job-not-found");
  });

  for (const strategy of ["SoftStop", "Kill"] as const) {
    it(`stops a Running Sleep job with ${strategy}`, async () => {
      const started = await (await invoke(b, "sleep", { seconds: 30 })).json();
      await until(async () => (await b.apiJson(`/api/v1/jobs/${started.jobKey}`)).state === "Running");
      const res = await post(`/api/v1/jobs/${started.jobKey}/stop`, { strategy });
      expect(res.status).toBe(202);
      expect((await res.json()).state).toBe(strategy === "Kill" ? "Terminating" : "Stopping");
      const final = await b.baton.jobs.waitForFinal(await b.baton.jobs.getByKey(b.tenant.id, started.jobKey), 5000);
      expect(final?.state).toBe("Stopped");
      const output = await b.api(`/api/v1/jobs/${started.jobKey}/output`);
      await problem(output, 409, "job-stopped");
    });
  }

  it("starts a job of a process directly, and keeps its logs", async () => {
    const res = await post("/api/v1/jobs", { folderKey: b.sharedKey, processName: "Fail", inputArguments: { message: "logged" } });
    expect(res.status).toBe(201);
    const job = await res.json();
    expect(job).toMatchObject({ source: "Api", state: "Pending", processName: "Fail", callMode: "AsyncRequestReply" });
    const final = await b.baton.jobs.waitForFinal(await b.baton.jobs.getByKey(b.tenant.id, job.key), 5000);
    expect(final?.state).toBe("Faulted");
    const logs = await b.apiJson(`/api/v1/jobs/${job.key}/logs`);
    expect(logs.items).toEqual([{ seq: 1, at: expect.any(String), level: "error", message: "logged" }]);
    expect((await b.apiJson(`/api/v1/jobs/${job.key}`)).info).toBe("logged");
    await problem(await post("/api/v1/jobs", { folderKey: b.sharedKey, processName: "Nope" }), 404, "process-not-found");
    await problem(await post("/api/v1/jobs", { processName: "Echo" }), 400, "invalid-body");
    // every fault of the body in one 400; unknown fields (a source) are ignored
    const bad = await problem(await post("/api/v1/jobs", { folderKey: 5, inputArguments: [1], priority: "Urgent", source: "Manual" }), 400, "invalid-body");
    expect(bad.violations).toEqual([
      { path: "/processName", message: "is required" },
      { path: "/folderKey", message: "must be string" },
      { path: "/inputArguments", message: "must be object" },
      { path: "/priority", message: 'must be one of "Low", "Normal", "High"' },
    ]);
  });

  it("answers exactly the fields its renderers make: none dropped by the serializer, none of the store's own", async () => {
    const { renderJob, renderJobDetail, renderJobListItem } = await import("../src/core/jobView.js");
    const res = await post("/api/v1/jobs", { folderKey, processName: "Idle", inputArguments: { n: 1 } });
    expect(res.status).toBe(201);
    const started = await res.json();
    const stored = await b.baton.jobs.describe(await b.baton.access.authenticate(b.tenant, `Bearer ${b.token}`), started.key);
    const keys = (o: object) => Object.keys(o).sort();
    expect(keys(started)).toEqual(keys(renderJob(stored)));
    const detail = await b.apiJson(`/api/v1/jobs/${started.key}`);
    expect(detail).toEqual(JSON.parse(JSON.stringify(await renderJobDetail(b.baton.store, stored))));
    const [item] = (await b.apiJson(`/api/v1/jobs?processName=Idle&limit=1`)).items;
    expect(item.key).toBe(started.key);
    expect(keys(item)).toEqual(keys(renderJobListItem({ ...stored, inputArguments: { n: 1 } })));
    // what the store keeps of a job for itself
    expect(stored).toMatchObject({ tenantId: b.tenant.id, sessionId: null, maxDurationSeconds: null });
    for (const own of ["tenantId", "sessionId", "deadlineAt", "maxDurationSeconds", "concurrencyKey"]) {
      for (const answer of [started, detail, item]) expect(answer, own).not.toHaveProperty(own);
    }
  });
});

describe("settings", () => {
  it("reads the defaults and patches them with validation", async () => {
    const c = await startTestBaton({}, { demo: false });
    try {
      expect(await c.apiJson("/api/v1/settings")).toEqual({
        syncRedirectsRequireAuth: true, longPollTimeoutSeconds: 50, syncMaxJobDurationSeconds: 900, corsAllowedOrigins: [], maxRequestBodyBytes: 1048576, jobRetentionDays: 30,
        idempotencyKeyRetentionHours: 24, rateLimitPerTokenPerMinute: 0, rateLimitPerTriggerPerMinute: 0, redirectStatusCode: 303,
      });
      const res = await c.api("/api/v1/settings", { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ jobRetentionDays: 7 }) });
      expect(res.status).toBe(200);
      expect((await res.json()).jobRetentionDays).toBe(7);
      const bad = await c.api("/api/v1/settings", { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ longPollTimeoutSeconds: 0, nope: 1, syncRedirectsRequireAuth: "no" }) });
      const body = await problem(bad, 400, "invalid-settings");
      expect(body.violations).toHaveLength(3);
      expect((await c.apiJson("/api/v1/settings")).longPollTimeoutSeconds).toBe(50);
    } finally {
      await c.close();
    }
  });
});

describe("unknown routes and bodies", () => {
  it("answers problem+json 404 for an unknown route and 400 for invalid JSON", async () => {
    await problem(await b.api("/api/v1/nothing"), 404, "route-not-found");
    await problem(await b.api("/api/v1/folders", { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" }), 400, "invalid-json");
    await problem(await fetch(`${b.url}/default/NoSuchTenant/orchestrator_/api/v1/folders`), 404, "tenant-not-found");
  });
});

async function until(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}
