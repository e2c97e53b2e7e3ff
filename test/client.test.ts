/**
 * The TypeScript client (src/client) against a running Baton: the three call modes, the
 * LongPolling redirect loop, stop, fault, an expired token, abort and timeout, onState,
 * pagination, problem errors and the management API; then, with a stub fetch, what a real
 * server does not easily show (a cross-origin Location, Retry-After, 503 retries, an
 * endless redirect loop). Last, every request the client sent must be an operation of the
 * OpenAPI document.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  AbortError, BatonApiError, BatonClient, BatonClientError, JobFaultedError, JobStoppedError, TimeoutError, TooManyRedirectsError, collect,
  type FetchLike, type JobListItem, type JobState,
} from "../src/index.js";
import { startTestBaton, type TestBaton } from "./helpers/baton.js";

interface Sent { method: string; url: string; authorization: string | null; at: number }

let b: TestBaton;
let client: BatonClient;
const sent: Sent[] = [];
const recording: FetchLike = (url, init) => {
  sent.push({ method: init.method ?? "GET", url, authorization: new Headers(init.headers).get("authorization"), at: Date.now() });
  return fetch(url, init);
};
/** The requests sent from now on. */
const since = () => { const from = sent.length; return () => sent.slice(from); };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** The job of `process` whose input carries `marker`. */
const jobWithMarker = (c: BatonClient, processName: string, marker: string, state?: JobState) => until(`the ${processName} job ${marker}`, async () => {
  const { items } = await c.jobs.list({ processName, ...(state ? { state } : {}), limit: 50 });
  return items.find((j) => j.inputArguments?.marker === marker);
});

beforeAll(async () => {
  b = await startTestBaton();
  client = new BatonClient({ url: b.tenantUrl, token: b.token, fetch: recording });
});
afterAll(async () => { await b?.close(); });

describe("construction", () => {
  it("takes a tenant URL with or without /orchestrator_ and a trailing slash", () => {
    for (const url of [b.tenantUrl, `${b.tenantUrl}/`, b.base, `${b.base}/api/v1/`]) {
      expect(new BatonClient({ url }).url).toBe(b.tenantUrl);
    }
    expect(client.apiUrl).toBe(`${b.base}/api/v1`);
    expect(client.invokeUrl(b.sharedKey, "echo")).toBe(b.invokeUrl("echo"));
    expect(() => new BatonClient({ url: "localhost:8080" })).toThrow(/http\(s\) URL/);
  });
});

describe("invoke: each call mode against Echo", () => {
  it("AsyncRequestReply: 202, the status URI polled with the token, its 303 followed to the output", async () => {
    const requests = since();
    const states: JobState[] = [];
    const output = await client.invoke("echo", { n: 1, s: "x" }, { callMode: "AsyncRequestReply", onState: (s) => states.push(s) });
    expect(output).toEqual({ n: 1, s: "x" });
    const hops = requests().filter((r) => r.url.includes("/jobs/"));
    expect(hops.map((r) => r.url.replace(/.*\/jobs\/[^/]+\//, ""))).toEqual([...hops.slice(0, -1).map(() => "status"), "output"]);
    for (const hop of hops) expect(hop.authorization).toBe(`Bearer ${b.token}`);
    expect(states[0]).toBe("Pending");
    expect(states.at(-1)).toBe("Successful");
  });

  it("FireAndForget: resolves once the job is stored, with nothing", async () => {
    const marker = randomUUID();
    const requests = since();
    await expect(client.invoke("echo", { marker }, { callMode: "FireAndForget" })).resolves.toBeUndefined();
    expect(requests().filter((r) => r.url.startsWith(`${b.base}/t/`))).toHaveLength(1);
    const job = await jobWithMarker(client, "Echo", marker);
    expect(job).toMatchObject({ callMode: "FireAndForget", source: "ApiTrigger", processName: "Echo" });
  });

  it("LongPolling: one blocking call answers the output", async () => {
    const requests = since();
    expect(await client.invoke("echo", { n: 2 }, { callMode: "LongPolling" })).toEqual({ n: 2 });
    expect(requests().filter((r) => !r.url.includes("/api/v1/triggers")).map((r) => r.method)).toEqual(["POST"]);
  });

  it("looks a slug up once, then uses the cache", async () => {
    const fresh = new BatonClient({ url: b.tenantUrl, token: b.token, fetch: recording });
    const requests = since();
    await fresh.invoke("echo", { a: 1 }, { callMode: "LongPolling" });
    await fresh.invoke("echo", { a: 2 }, { callMode: "LongPolling" });
    expect(requests().filter((r) => r.url.startsWith(`${b.base}/api/v1/triggers`))).toHaveLength(1);
  });

  it("without callMode, the trigger's default applies (AsyncRequestReply for the demo)", async () => {
    const requests = since();
    expect(await client.invoke("echo", { d: true })).toEqual({ d: true });
    expect(requests().some((r) => r.url.endsWith("/status"))).toBe(true);
  });

  it("takes a full invoke URL, and finds a GET trigger's verb from 405's Allow", async () => {
    const trigger = await client.triggers.create(b.sharedKey, { name: "Echo by GET", slug: "echo-get", verb: "GET", processName: "Echo" });
    const requests = since();
    const output = await client.invoke(trigger.invokeUrl, { n: 5, s: "text", list: [1, 2] }, { callMode: "LongPolling" });
    expect(output).toEqual({ n: 5, s: "text", list: [1, 2] });
    expect(requests().map((r) => r.method)).toEqual(["POST", "GET"]);
    // by slug the verb is known: arguments go in the query string at once
    const bySlug = since();
    expect(await client.invoke("echo-get", { q: "yes" }, { callMode: "LongPolling" })).toEqual({ q: "yes" });
    const invocation = bySlug().filter((r) => r.url.includes("/t/"));
    expect(invocation.map((r) => r.method)).toEqual(["GET"]);
    expect(new URL(invocation[0]!.url).searchParams.get("$callMode")).toBe("LongPolling");
    await client.triggers.delete(trigger.id);
  });
});

describe("LongPolling's redirect loop (longPollTimeoutSeconds 1)", () => {
  let c: TestBaton;
  let slow: BatonClient;
  beforeAll(async () => {
    c = await startTestBaton();
    await c.patchSettings({ longPollTimeoutSeconds: 1, syncMaxJobDurationSeconds: 20 });
    slow = new BatonClient({ url: c.tenantUrl, token: c.token, fetch: recording });
  });
  afterAll(async () => { await c?.close(); });

  it("follows the 303s to the wait URI, the token re-sent on every hop, to the result", async () => {
    const requests = since();
    const states: JobState[] = [];
    const started = Date.now();
    const output = await slow.invoke("sleep", { seconds: 2.5 }, { callMode: "LongPolling", onState: (s) => states.push(s) });
    expect(output).toEqual({ sleptSeconds: 2.5 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2400);
    const waits = requests().filter((r) => r.url.endsWith("/wait"));
    expect(waits.length).toBeGreaterThanOrEqual(2);
    expect(new Set(waits.map((r) => r.url)).size).toBe(1);
    for (const hop of waits) expect(hop.authorization).toBe(`Bearer ${c.token}`);
    // between hops, one look at the status URI tells onState the job runs
    expect(states).toContain("Running");
    expect(states.at(-1)).toBe("Successful");
  });

  it("follows signed wait URIs too (syncRedirectsRequireAuth false)", async () => {
    await c.patchSettings({ syncRedirectsRequireAuth: false });
    try {
      const requests = since();
      expect(await slow.invoke("sleep", { seconds: 1.5 }, { callMode: "LongPolling" })).toEqual({ sleptSeconds: 1.5 });
      expect(requests().some((r) => /\/wait\?exp=\d+&sig=/.test(r.url))).toBe(true);
    } finally {
      await c.patchSettings({ syncRedirectsRequireAuth: true });
    }
  });

  it("gives up after maxRedirects with TooManyRedirectsError, naming the job", async () => {
    const err = await slow.invoke("sleep", { seconds: 4 }, { callMode: "LongPolling", maxRedirects: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(TooManyRedirectsError);
    expect(err.code).toBe("too-many-redirects");
    expect(err.redirects).toBe(2);
    expect(err.jobKey).toMatch(UUID);
    expect(err.location).toBe(`${c.base}/api/v1/jobs/${err.jobKey}/wait`);
    await slow.jobs.kill(err.jobKey);
  });

  it("gives up after timeoutMs with TimeoutError, naming the job, and releases the server's waiter", async () => {
    const before = c.baton.waiters.size;
    const started = Date.now();
    const err = await slow.invoke("sleep", { seconds: 5 }, { callMode: "LongPolling", timeoutMs: 1500 }).catch((e) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.code).toBe("timeout");
    // (the job sleeps 5 s: had the timeout not fired, the call would have returned its result)
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(err.jobKey).toMatch(UUID); // known from the first 303
    await until("the waiter to be released", () => c.baton.waiters.size === before);
    await slow.jobs.kill(err.jobKey);
  });
});

describe("a job stopped while the caller waits", () => {
  it("LongPolling: JobStoppedError once client.jobs.stop ends it", async () => {
    const marker = randomUUID();
    const call = client.invoke("sleep", { seconds: 30, marker }, { callMode: "LongPolling" }).catch((e) => e);
    const job = await jobWithMarker(client, "Sleep", marker, "Running");
    const stopping = await client.jobs.stop(job.key);
    expect(stopping.state).toBe("Stopping");
    const err = await call;
    expect(err).toBeInstanceOf(JobStoppedError);
    expect(err).toMatchObject({ code: "job-stopped", state: "Stopped", jobKey: job.key });
    expect((await client.jobs.get(job.key)).state).toBe("Stopped");
  });

  it("AsyncRequestReply: stopped from onState as soon as it runs", async () => {
    const states: JobState[] = [];
    const err = await client.invoke("sleep", { seconds: 30 }, {
      callMode: "AsyncRequestReply",
      onState: (state, _ms, { jobKey }) => {
        states.push(state);
        if (state === "Running") void client.jobs.stop(jobKey!, "Kill");
      },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(JobStoppedError);
    expect(err.jobKey).toMatch(UUID);
    expect(states.at(-1)).toBe("Stopped");
  });
});

describe("a faulted job", () => {
  it.each(["LongPolling", "AsyncRequestReply"] as const)("%s: JobFaultedError with the job's error", async (callMode) => {
    const err = await client.invoke("fail", { message: "no luck" }, { callMode }).catch((e) => e);
    expect(err).toBeInstanceOf(JobFaultedError);
    expect(err).toBeInstanceOf(BatonClientError);
    expect(err.code).toBe("job-faulted");
    expect(err.error).toMatchObject({ code: "DemoFailure", message: "no luck" });
    expect(err.jobKey).toMatch(UUID);
    expect(err.message).toContain("DemoFailure: no luck");
    // and the same through jobs.wait
    await expect(client.jobs.wait(err.jobKey)).rejects.toMatchObject({ name: "JobFaultedError", error: { code: "DemoFailure" } });
  });
});

describe("tokens", () => {
  it("an expired token is refused: BatonApiError 401 unauthorized, even in the middle of a call", async () => {
    const created = await client.tokens.create({ name: "short-lived", scopes: ["OR.Jobs"], expiresAt: new Date(Date.now() + 2000) });
    expect(created.token).toMatch(/^baton_pat_/);
    expect(created.expiresAt).not.toBeNull();
    const short = new BatonClient({ url: b.tenantUrl, token: created.token });
    // valid now: the invocation is accepted; by the time the status URI is polled, it has expired
    const err = await short.invoke(b.invokeUrl("sleep"), { seconds: 4 }, { callMode: "AsyncRequestReply" }).catch((e) => e);
    expect(err).toBeInstanceOf(BatonApiError);
    expect(err).toMatchObject({ status: 401, code: "unauthorized" });
    expect(err.jobKey).toMatch(UUID);
    expect(err.problem).toMatchObject({ status: 401, code: "unauthorized", type: "about:blank" });
    const again = await short.jobs.list().catch((e) => e);
    expect(again).toMatchObject({ name: "BatonApiError", status: 401, code: "unauthorized" });
    expect(again.requestId).toBeTruthy();
  });

  it("create, list, revoke", async () => {
    const created = await client.tokens.create({ name: "ci", scopes: ["OR.Jobs.Read"] });
    expect((await collect(client.tokens.iterate())).map((t) => t.id)).toContain(created.id);
    expect((await client.tokens.list()).items.find((t) => t.id === created.id)).not.toHaveProperty("token");
    await client.tokens.revoke(created.id);
    const ci = new BatonClient({ url: b.tenantUrl, token: created.token });
    await expect(ci.jobs.list()).rejects.toMatchObject({ status: 401 });
  });

  it("a token without OR.Execution.Read cannot look a slug up, and is told to use the invoke URL", async () => {
    const created = await client.tokens.create({ name: "invoker", scopes: ["OR.Jobs"] });
    const invoker = new BatonClient({ url: b.tenantUrl, token: created.token });
    const err = await invoker.invoke("echo", {}, { callMode: "LongPolling" }).catch((e) => e);
    expect(err).toMatchObject({ status: 403, code: "insufficient-scope" });
    expect(err.detail).toMatch(/invoke URL/);
    expect(await invoker.invoke(b.invokeUrl("echo"), { ok: 1 }, { callMode: "LongPolling" })).toEqual({ ok: 1 });
  });
});

describe("abort", () => {
  it("an AbortSignal during LongPolling rejects with AbortError and releases the server's waiter", async () => {
    const before = b.baton.waiters.size;
    const controller = new AbortController();
    const marker = randomUUID();
    const call = client.invoke("sleep", { seconds: 5, marker }, { callMode: "LongPolling", signal: controller.signal }).catch((e) => e);
    await until("the call to wait on the server", () => b.baton.waiters.size > before);
    controller.abort();
    const err = await call;
    expect(err).toBeInstanceOf(AbortError);
    expect(err.name).toBe("AbortError");
    expect(err.code).toBe("aborted");
    await until("the waiter to be released", () => b.baton.waiters.size === before, 3000);
    // the job goes on; stop it
    await client.jobs.kill((await jobWithMarker(client, "Sleep", marker)).key);
  });

  it("an already aborted signal sends nothing", async () => {
    const requests = since();
    await expect(client.invoke(b.invokeUrl("echo"), {}, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    expect(requests()).toHaveLength(0);
  });

  it("AbortSignal.timeout() during AsyncRequestReply polling is a TimeoutError that names the job", async () => {
    const err = await client.invoke("sleep", { seconds: 5 }, { callMode: "AsyncRequestReply", signal: AbortSignal.timeout(700) }).catch((e) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.jobKey).toMatch(UUID);
    await client.jobs.kill(err.jobKey);
  });

  it("aborts a management request too", async () => {
    await expect(client.jobs.list({}, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
  });
});

describe("onState", () => {
  it("reports Pending, Running and the final state, each once, with the elapsed time and the job", async () => {
    const seen: { state: JobState; elapsedMs: number; jobKey: string | null }[] = [];
    await client.invoke("sleep", { seconds: 1.5 }, {
      callMode: "AsyncRequestReply",
      onState: (state, elapsedMs, { jobKey }) => seen.push({ state, elapsedMs, jobKey }),
    });
    expect(seen.map((s) => s.state)).toEqual(["Pending", "Running", "Successful"]);
    const keys = new Set(seen.map((s) => s.jobKey));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(UUID);
    expect(seen.map((s) => s.elapsedMs)).toEqual([...seen.map((s) => s.elapsedMs)].sort((x, y) => x - y));
    expect(seen.at(-1)!.elapsedMs).toBeGreaterThanOrEqual(1400);
  });
});

describe("pagination", () => {
  it("iterates over 25 jobs with a page size of 10, following nextCursor", async () => {
    const folder = await client.folders.create(`Paged ${randomUUID().slice(0, 8)}`);
    await client.processes.create(folder.key, { name: "Nobody serves this" });
    const keys: string[] = [];
    for (let i = 0; i < 25; i++) keys.push((await client.jobs.start({ folderKey: folder.key, processName: "Nobody serves this", inputArguments: { i } })).key);

    const requests = since();
    const jobs: JobListItem[] = [];
    for await (const job of client.jobs.iterate({ folderKey: folder.key, state: "Pending", limit: 10 })) jobs.push(job);
    expect(jobs).toHaveLength(25);
    expect(new Set(jobs.map((j) => j.key))).toEqual(new Set(keys));
    expect(jobs.map((j) => j.inputArguments?.i)).toEqual([...Array(25).keys()].reverse()); // newest first
    const pages = requests().filter((r) => new URL(r.url).pathname.endsWith("/api/v1/jobs"));
    expect(pages).toHaveLength(3);
    expect(new URL(pages[0]!.url).searchParams.get("cursor")).toBeNull();
    expect(new URL(pages[1]!.url).searchParams.get("cursor")).toBeTruthy();

    // one page, and leaving the loop early fetches no more
    const first = await client.jobs.list({ folderKey: folder.key, limit: 10 });
    expect(first.items).toHaveLength(10);
    expect(first.nextCursor).toEqual(expect.any(String));
    const early = since();
    for await (const job of client.jobs.iterate({ folderKey: folder.key, limit: 10 })) if (job) break;
    expect(early()).toHaveLength(1);

    // several states at once, then stop them all (Pending jobs end Stopped at once)
    for await (const job of client.jobs.iterate({ folderKey: folder.key, state: ["Pending", "Running"], limit: 10 })) await client.jobs.stop(job.key);
    expect((await client.jobs.list({ folderKey: folder.key, state: "Stopped", limit: 100 })).items).toHaveLength(25);
  });
});

describe("time triggers", () => {
  it("create, get, list, preview, disable, enable, update, delete; 400 with violations", async () => {
    const created = await client.timeTriggers.create(b.sharedKey, { name: "Client nightly", processName: "Echo", cron: "30 2 * * *", timeZone: "Europe/Berlin" });
    expect(created).toMatchObject({ name: "Client nightly", cron: "30 2 * * *", timeZone: "Europe/Berlin", description: "At 02:30, every day (Europe/Berlin)", enabled: true, missedRunPolicy: "Skip" });
    expect(await client.timeTriggers.get(created.id)).toEqual(created);
    expect((await client.timeTriggers.list(b.sharedKey)).items.map((t) => t.id)).toContain(created.id);
    const preview = await client.timeTriggers.preview(created.id, 3);
    expect(preview.items).toHaveLength(3);
    expect(preview.items[0]!.at).toBe(created.nextRunAt);
    expect((await client.timeTriggers.previewCron("*/5 * * * *", "UTC", 2)).description).toBe("Every 5 minutes (UTC)");
    expect(await client.timeTriggers.disable(created.id)).toMatchObject({ enabled: false, nextRunAt: null });
    expect((await client.timeTriggers.enable(created.id)).nextRunAt).toBe(created.nextRunAt);
    expect(await client.timeTriggers.update(created.id, { missedRunPolicy: "RunOnce" })).toMatchObject({ missedRunPolicy: "RunOnce" });
    const err = await client.timeTriggers.create(b.sharedKey, { name: "Bad", processName: "Echo", cron: "0 0 * *", timeZone: "Nowhere" }).catch((e) => e);
    expect(err).toMatchObject({ status: 400, code: "invalid-time-trigger" });
    expect(err.violations.map((v: { path: string }) => v.path)).toEqual(["/cron", "/timeZone"]);
    expect((await client.jobs.list({ timeTriggerId: created.id })).items).toEqual([]);
    await client.timeTriggers.delete(created.id);
    await expect(client.timeTriggers.get(created.id)).rejects.toMatchObject({ status: 404, code: "time-trigger-not-found" });
  });
});

describe("problem errors carry their code", () => {
  it("validation: 400 invalid-trigger with violations", async () => {
    const err = await client.triggers.create(b.sharedKey, { name: "Bad", slug: "no/slashes", verb: "POST", processName: "Echo" }).catch((e) => e);
    expect(err).toBeInstanceOf(BatonApiError);
    expect(err).toMatchObject({ status: 400, code: "invalid-trigger", method: "POST" });
    expect(err.violations.length).toBeGreaterThan(0);
    expect(err.violations[0]).toEqual({ path: expect.any(String), message: expect.any(String) });
    expect(err.message).toMatch(/^400 invalid-trigger: /);
  });

  it("invocation input: 400 invalid-arguments, 400 unknown-control-parameter, 404 trigger-not-found", async () => {
    await expect(client.invoke("sleep", { seconds: "long" }, { callMode: "LongPolling" })).rejects.toMatchObject({ status: 400, code: "invalid-arguments" });
    await expect(client.invoke("echo", { $priority: "High" }, { callMode: "LongPolling" })).rejects.toMatchObject({ status: 400, code: "unknown-control-parameter" });
    await expect(client.invoke("no-such-slug", {})).rejects.toMatchObject({ name: "BatonApiError", status: 404, code: "trigger-not-found" });
    await expect(client.invoke(`${b.base}/t/${b.sharedKey}/no-such-slug`, {})).rejects.toMatchObject({ status: 404, code: "trigger-not-found" });
  });

  it("management: 404 job-not-found, 409 folder-protected, 409 job-final", async () => {
    await expect(client.jobs.get(randomUUID())).rejects.toMatchObject({ status: 404, code: "job-not-found" });
    await expect(client.folders.delete(b.sharedKey)).rejects.toMatchObject({ status: 409, code: "folder-protected" });
    const err = await client.invoke("fail", {}, { callMode: "LongPolling" }).catch((e) => e);
    await expect(client.jobs.stop(err.jobKey)).rejects.toMatchObject({ status: 409, code: "job-final" });
  });

  it("a stale cached slug is looked up again", async () => {
    const fresh = new BatonClient({ url: b.tenantUrl, token: b.token });
    const first = await fresh.triggers.create(b.sharedKey, { name: "Moving", slug: "moving", verb: "POST", processName: "Echo" });
    expect(await fresh.invoke("moving", { v: 1 }, { callMode: "LongPolling" })).toEqual({ v: 1 });
    await fresh.triggers.delete(first.id);
    const second = await fresh.triggers.create(b.sharedKey, { name: "Moving", slug: "moving", verb: "PUT", processName: "Echo" });
    expect(await fresh.invoke("moving", { v: 2 }, { callMode: "LongPolling" })).toEqual({ v: 2 });
    await fresh.triggers.delete(second.id);
  });
});

describe("the management API", () => {
  it("folders: create, get, find, rename, list, delete", async () => {
    const name = `Folder ${randomUUID().slice(0, 8)}`;
    const folder = await client.folders.create(name);
    expect(folder).toEqual({ key: expect.stringMatching(UUID), name, createdAt: expect.any(String) });
    expect(await client.folders.get(folder.key)).toEqual(folder);
    expect(await client.folders.find(name)).toEqual(folder);
    expect(await client.folders.find(folder.key.toUpperCase())).toEqual(folder);
    expect(await client.folders.find("no such folder")).toBeNull();
    const renamed = await client.folders.rename(folder.key, `${name} renamed`);
    expect(renamed.name).toBe(`${name} renamed`);
    expect((await client.folders.list()).items.map((f) => f.key)).toContain(folder.key);
    await client.folders.delete(folder.key);
    await expect(client.folders.get(folder.key)).rejects.toMatchObject({ code: "folder-not-found" });
  });

  it("processes and triggers: create, get, update, list, delete", async () => {
    const folder = await client.folders.create(`Catalog ${randomUUID().slice(0, 8)}`);
    const process = await client.processes.create(folder.key, { name: "Echo", description: "echo", retry: { maxAttempts: 2 }, priority: "High" });
    expect(process).toMatchObject({ folderKey: folder.key, name: "Echo", priority: "High", retry: { maxAttempts: 2, backoff: { type: "Exponential", delaySeconds: 5, maxDelaySeconds: 3600, jitter: false } } });
    expect(await client.processes.get(folder.key, "Echo")).toEqual(process);
    expect((await client.processes.update(folder.key, "Echo", { description: "changed" })).description).toBe("changed");
    expect((await client.processes.list(folder.key)).items.map((p) => p.name)).toEqual(["Echo"]);

    const slug = `catalog-${randomUUID().slice(0, 8)}`;
    const trigger = await client.triggers.create(folder.key, { name: "Catalog", slug, verb: "POST", processName: "Echo", callMode: "LongPolling" });
    expect(trigger.invokeUrl).toBe(client.invokeUrl(folder.key, slug));
    expect(await client.triggers.get(trigger.id)).toEqual(trigger);
    expect(await client.triggers.bySlug(slug)).toEqual(trigger);
    expect((await client.triggers.list({ folderKey: folder.key })).items).toEqual([trigger]);
    const disabled = await client.triggers.update(trigger.id, { enabled: false });
    expect(disabled.enabled).toBe(false);
    await expect(client.invoke(slug, {})).rejects.toMatchObject({ status: 409, code: "trigger-disabled" });
    await client.triggers.update(trigger.id, { enabled: true, defaultArguments: { from: "trigger" } });
    // the trigger's default call mode: LongPolling
    expect(await client.invoke(slug, { x: 1 })).toEqual({ from: "trigger", x: 1 });

    await expect(client.processes.delete(folder.key, "Echo")).rejects.toMatchObject({ status: 409, code: "process-in-use" });
    await client.triggers.delete(trigger.id);
    expect(await client.triggers.bySlug(slug)).toBeNull();
  });

  it("jobs: start, wait, get, logs, followLogs", async () => {
    const job = await client.jobs.start({ folderKey: b.sharedKey, processName: "Fail", inputArguments: { message: "logged" } });
    expect(job).toMatchObject({ source: "Api", callMode: "AsyncRequestReply", processName: "Fail" });
    await expect(client.jobs.wait(job.key)).rejects.toBeInstanceOf(JobFaultedError);
    expect((await client.jobs.get(job.key)).state).toBe("Faulted");
    const lines = await collect(client.jobs.followLogs(job.key, { intervalMs: 50 }));
    expect(lines.map((l) => l.message)).toContain("logged");
    expect((await client.jobs.logs(job.key)).items).toEqual(lines);
    expect(await collect(client.jobs.iterateLogs(job.key, { limit: 1 }))).toEqual(lines);

    const echo = await client.jobs.start({ folderKey: b.sharedKey, processName: "Echo", inputArguments: { back: true } });
    expect(await client.jobs.wait<{ back: boolean }>(echo.key)).toEqual({ back: true });
  });

  it("followLogs follows a running job to its end", async () => {
    const job = await client.jobs.start({ folderKey: b.sharedKey, processName: "Sleep", inputArguments: { seconds: 1 } });
    const started = Date.now();
    await collect(client.jobs.followLogs(job.key, { intervalMs: 100 }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect((await client.jobs.get(job.key)).state).toBe("Successful");
  });

  it("robots: create (the key once), list, sessions, rotate (a new key once), revoke", async () => {
    const robot = await client.robots.create(`robot-${randomUUID().slice(0, 8)}`);
    expect(robot).toEqual({
      id: expect.stringMatching(UUID), name: robot.name, createdAt: expect.any(String), rotatedAt: null, folderKeys: null, revokedAt: null,
      key: expect.stringMatching(/^baton_rk_/),
    });
    const listed = (await client.robots.list()).items.find((r) => r.id === robot.id);
    expect(listed).toEqual({ id: robot.id, name: robot.name, createdAt: robot.createdAt, rotatedAt: null, folderKeys: null, revokedAt: null });
    const sessions = await client.robots.sessions();
    expect(sessions.items.find((s) => s.processes.includes("Echo"))).toMatchObject({ robotKeyId: null, folderKeys: null });

    // the robot protocol with a robot key: opening a session is what a key is for
    const open = (key: string) => fetch(`${b.base}/api/robot/v1/sessions`, {
      method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ processes: ["Echo"], slots: 1 }),
    });
    expect((await open(robot.key)).status).toBe(201);
    const rotated = await client.robots.rotate(robot.id);
    expect(rotated).toEqual({
      id: robot.id, name: robot.name, createdAt: robot.createdAt, rotatedAt: expect.any(String), folderKeys: null, revokedAt: null,
      key: expect.stringMatching(/^baton_rk_/),
    });
    expect(rotated.key).not.toBe(robot.key);
    expect(Date.parse(rotated.rotatedAt!)).toBeGreaterThanOrEqual(Date.parse(robot.createdAt));
    expect((await open(robot.key)).status).toBe(401);
    expect((await open(rotated.key)).status).toBe(201);
    const { key: _key, ...withoutKey } = rotated;
    expect((await client.robots.list()).items.find((r) => r.id === robot.id)).toEqual(withoutKey);

    await client.robots.revoke(robot.id);
    expect((await client.robots.list()).items.find((r) => r.id === robot.id)!.revokedAt).not.toBeNull();
    await expect(client.robots.rotate(robot.id)).rejects.toMatchObject({ status: 409, code: "robot-revoked" });
    await expect(client.robots.rotate(randomUUID())).rejects.toMatchObject({ status: 404, code: "robot-not-found" });
  });

  it("robots: a robot limited to folders, and its sessions", async () => {
    const folder = await client.folders.create(`Robots ${randomUUID().slice(0, 8)}`);
    const name = `limited-${randomUUID().slice(0, 8)}`;
    const robot = await client.robots.create({ name, folderKeys: [folder.key] });
    expect(robot).toEqual({
      id: expect.stringMatching(UUID), name, createdAt: expect.any(String), rotatedAt: null, folderKeys: [folder.key], revokedAt: null,
      key: expect.stringMatching(/^baton_rk_/),
    });
    const res = await fetch(`${b.base}/api/robot/v1/sessions`, {
      method: "POST", headers: { authorization: `Bearer ${robot.key}`, "content-type": "application/json" }, body: JSON.stringify({ processes: ["Echo"], slots: 1 }),
    });
    expect(res.status).toBe(201);
    const { sessionId } = await res.json() as { sessionId: string };
    const session = (await client.robots.sessions()).items.find((s) => s.id === sessionId);
    expect(session).toEqual({
      id: sessionId, robotKeyId: robot.id, folderKeys: [folder.key], robotName: name, version: null, processes: ["Echo"], slots: 1, slotsInUse: 0,
      leaseExpiresAt: expect.any(String), lastHeartbeatAt: expect.any(String), createdAt: expect.any(String),
    });
    await client.robots.revoke(robot.id);
    expect((await client.robots.sessions()).items.find((s) => s.id === sessionId)).toBeUndefined();
    await expect(client.robots.create({ name: `${name}-x`, folderKeys: [randomUUID()] })).rejects.toMatchObject({ status: 400 });
  });

  it("users: roles, create, get, list, update (roles, password, disabled), delete", async () => {
    const roles = await client.users.roles();
    expect(roles.nextCursor).toBeNull();
    expect(roles.items.map((r) => r.name)).toEqual(["Administrator", "Automation Developer", "Viewer"]);
    expect(roles.items[2]).toEqual({ name: "Viewer", permissions: ["Folders.View", "Processes.View", "Triggers.View", "Jobs.View", "Robots.View", "Settings.View"] });

    const login = async (userName: string, password: string) => (await fetch(`${b.base}/api/v1/session`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ userName, password }),
    })).status;
    const name = `user-${randomUUID().slice(0, 8)}`;
    const created = await client.users.create({ name, password: "first-password-1", roles: [{ role: "Viewer" }] });
    expect(created).toEqual({
      id: expect.stringMatching(UUID), name, orgAdmin: false, organizationUser: false, roles: [{ role: "Viewer", folderKey: null }],
      disabled: false, disabledAt: null, createdAt: expect.any(String),
    });
    expect(JSON.stringify(created)).not.toContain("first-password-1");
    expect(await client.users.get(created.id)).toEqual(created);
    const users = await client.users.list();
    expect(users.nextCursor).toBeNull();
    expect(users.items.find((u) => u.id === created.id)).toEqual(created);
    expect(users.items.find((u) => u.name === "admin")).toMatchObject({ orgAdmin: true, organizationUser: true });
    expect((await collect(client.users.iterate())).map((u) => u.id)).toEqual(users.items.map((u) => u.id));
    expect(await login(name, "first-password-1")).toBe(200);

    const developer = await client.users.update(created.id, { roles: [{ role: "Automation Developer", folderKey: b.sharedKey }, { role: "Viewer", folderKey: null }] });
    expect(developer).toEqual({ ...created, roles: [{ role: "Automation Developer", folderKey: b.sharedKey }, { role: "Viewer", folderKey: null }] });
    expect(await client.users.get(created.id)).toEqual(developer);

    expect(await client.users.update(created.id, { password: "second-password-2" })).toEqual(developer);
    expect(await login(name, "first-password-1")).toBe(401);
    expect(await login(name, "second-password-2")).toBe(200);

    const disabled = await client.users.update(created.id, { disabled: true });
    expect(disabled).toEqual({ ...developer, disabled: true, disabledAt: expect.any(String) });
    expect(await login(name, "second-password-2")).toBe(401);
    expect(await client.users.update(created.id, { disabled: false })).toEqual(developer);

    await expect(client.users.create({ name, password: "another-password" })).rejects.toMatchObject({ status: 409, code: "user-exists" });
    await expect(client.users.create({ name: "short-pw", password: "short" })).rejects.toMatchObject({ status: 400, code: "invalid-user" });
    await expect(client.users.update(users.items.find((u) => u.name === "admin")!.id, { disabled: true }))
      .rejects.toMatchObject({ status: 409, code: "user-of-organization" });

    await client.users.delete(created.id);
    await expect(client.users.get(created.id)).rejects.toMatchObject({ status: 404, code: "user-not-found" });
    await expect(client.users.delete(created.id)).rejects.toMatchObject({ status: 404, code: "user-not-found" });
  });

  it("settings: get and patch", async () => {
    const settings = await client.settings.get();
    expect(settings.longPollTimeoutSeconds).toBe(50);
    const patched = await client.settings.patch({ jobRetentionDays: 7 });
    expect(patched).toEqual({ ...settings, jobRetentionDays: 7 });
    await expect(client.settings.patch({ longPollTimeoutSeconds: 0 })).rejects.toMatchObject({ status: 400, code: "invalid-settings" });
    await client.settings.patch({ jobRetentionDays: settings.jobRetentionDays });
  });
});

describe("with a stub server", () => {
  type Handler = (url: string, init: RequestInit) => Response | Promise<Response>;
  const stub = (handler: Handler) => {
    const calls: { url: string; method: string; authorization: string | null; at: number }[] = [];
    const fetchStub: FetchLike = async (url, init) => {
      expect(init.redirect).toBe("manual");
      calls.push({ url, method: init.method ?? "GET", authorization: new Headers(init.headers).get("authorization"), at: Date.now() });
      return handler(url, init);
    };
    return { calls, fetch: fetchStub };
  };
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
  const redirect = (location: string, status = 303) => new Response(null, { status, headers: { location } });
  const A = "https://a.example/default/DefaultTenant";
  const invokeA = `${A}/orchestrator_/t/0b8f4c4e-8f59-4a47-9d6b-0c3b0ff3f2c1/echo`;
  const jobKey = "5a0d5d3e-2f0b-4c8e-9a53-6f3b1d2a7c10";

  it("never sends the token to another origin", async () => {
    const s = stub((url) => (url.startsWith("https://a.example") ? redirect(`https://b.example/jobs/${jobKey}/wait?exp=1&sig=x`) : json(200, { ok: true })));
    const c = new BatonClient({ url: A, token: "secret", fetch: s.fetch });
    expect(await c.invoke(invokeA, {}, { callMode: "LongPolling" })).toEqual({ ok: true });
    expect(s.calls.map((x) => [new URL(x.url).host, x.authorization])).toEqual([["a.example", "Bearer secret"], ["b.example", null]]);
  });

  it("sends it to trustedOrigins", async () => {
    const s = stub((url) => (url.startsWith("https://a.example") ? redirect("https://public.example/x/wait") : json(200, {})));
    const c = new BatonClient({ url: A, token: "secret", fetch: s.fetch, trustedOrigins: ["https://public.example"] });
    await c.invoke(invokeA, {}, { callMode: "LongPolling" });
    expect(s.calls.map((x) => x.authorization)).toEqual(["Bearer secret", "Bearer secret"]);
  });

  it("honours Retry-After between polls, and retries a status poll on 503", async () => {
    let polls = 0;
    const s = stub((url) => {
      if (url === invokeA) return json(202, { jobKey, state: "Pending", statusUri: `${A}/orchestrator_/api/v1/jobs/${jobKey}/status` }, { location: `${A}/orchestrator_/api/v1/jobs/${jobKey}/status`, "retry-after": "1" });
      if (url.endsWith("/status")) {
        polls++;
        if (polls === 1) return new Response(JSON.stringify({ type: "x", title: "Unavailable", status: 503, detail: "busy", code: "store-unavailable" }), { status: 503, headers: { "retry-after": "0" } });
        if (polls === 2) return json(200, { jobKey, state: "Running", process: "Echo", createdAt: "", startedAt: "", info: "half way" }, { "retry-after": "1" });
        return redirect(`${A}/orchestrator_/api/v1/jobs/${jobKey}/output`);
      }
      return json(200, { done: true });
    });
    const states: [JobState, string | null][] = [];
    const c = new BatonClient({ url: A, token: "t", fetch: s.fetch });
    // the waits the client asks for, read from its timers rather than from how long they took
    const delays: number[] = [];
    const realSetTimeout = globalThis.setTimeout;
    const spy = vi.spyOn(globalThis, "setTimeout").mockImplementation(((fn: () => void, ms?: number) => {
      // (the client's waits between calls; its per-request and per-call timeouts are timers too)
      if (/\bCallScope\.sleep\b/.test(new Error().stack ?? "")) delays.push(ms ?? 0);
      return realSetTimeout(fn, ms);
    }) as typeof setTimeout);
    try {
      expect(await c.invoke(invokeA, {}, { callMode: "AsyncRequestReply", onState: (st, _ms, d) => states.push([st, d.info]) })).toEqual({ done: true });
    } finally {
      spy.mockRestore();
    }
    expect(s.calls.map((x) => x.url.replace(/.*\//, ""))).toEqual(["echo", "status", "status", "status", "output"]);
    // the 202's Retry-After: 1, the 503's Retry-After: 0, the 200's Retry-After: 1
    expect(delays).toEqual([1000, 0, 1000]);
    expect(states).toEqual([["Pending", null], ["Running", "half way"], ["Successful", null]]);
  });

  it("bounds an endless redirect loop", async () => {
    const s = stub(() => redirect(`${A}/orchestrator_/api/v1/jobs/${jobKey}/wait`));
    const c = new BatonClient({ url: A, token: "t", fetch: s.fetch, maxRedirects: 5 });
    const err = await c.invoke(invokeA, {}, { callMode: "LongPolling" }).catch((e) => e);
    expect(err).toBeInstanceOf(TooManyRedirectsError);
    expect(err).toMatchObject({ redirects: 6, jobKey });
    expect(s.calls).toHaveLength(6);
  });

  it("does not repeat an invocation without an idempotency key that failed on the network, and says where it could not go", async () => {
    const s = stub(() => { throw new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) }); });
    const c = new BatonClient({ url: A, token: "t", fetch: s.fetch });
    const err = await c.invoke(invokeA, {}, { callMode: "LongPolling", idempotencyKey: false }).catch((e) => e);
    expect(err).toMatchObject({ name: "NetworkError", code: "network-error" });
    expect(err.message).toContain("ECONNREFUSED");
    expect(s.calls).toHaveLength(1);
  });

  it("turns an error page that is not a problem into a BatonApiError with code http-<status>", async () => {
    const s = stub(() => new Response("<html>Bad gateway</html>", { status: 502, statusText: "Bad Gateway", headers: { "content-type": "text/html" } }));
    const c = new BatonClient({ url: A, token: "t", fetch: s.fetch });
    await expect(c.settings.get()).rejects.toMatchObject({ name: "BatonApiError", status: 502, code: "http-502", detail: "<html>Bad gateway</html>" });
  });

  it("an empty 200 to an invocation without callMode is the trigger's FireAndForget", async () => {
    const bodies: unknown[] = [];
    const s = stub((_url, init) => { bodies.push(JSON.parse(String(init.body))); return new Response(null, { status: 200 }); });
    const c = new BatonClient({ url: A, token: "t", fetch: s.fetch });
    await expect(c.invoke(invokeA, { a: 1 })).resolves.toBeUndefined();
    await expect(c.invoke(invokeA, { a: 2 }, { callMode: "FireAndForget" })).resolves.toBeUndefined();
    expect(bodies).toEqual([{ a: 1 }, { a: 2, $callMode: "FireAndForget" }]);
  });
});

describe("drift: every request the client sent is an operation of the OpenAPI document", () => {
  it("matches a documented path and method", async () => {
    const doc = await (await fetch(`${b.base}/api/v1/openapi.json`)).json() as { paths: Record<string, Record<string, unknown>> };
    const templates = Object.keys(doc.paths).map((path) => ({ path, pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, "[^/]+")}$`) }));
    const prefix = new URL(b.base).pathname;
    const undocumented = new Set<string>();
    const used = new Set<string>();
    for (const request of sent) {
      const { pathname } = new URL(request.url);
      const relative = pathname.replace(/^\/default\/DefaultTenant\/orchestrator_/, "");
      if (!pathname.startsWith(prefix)) continue;
      const match = templates.find((t) => t.pattern.test(relative) && doc.paths[t.path]![request.method.toLowerCase()]);
      if (match) used.add(`${request.method} ${match.path}`);
      else undocumented.add(`${request.method} ${relative}`);
    }
    expect([...undocumented]).toEqual([]);
    expect(used.size).toBeGreaterThan(25);
  });
});
