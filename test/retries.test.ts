import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../src/core/Clock.js";
import { backoffDelayMs } from "../src/core/Retries.js";
import { startSocketlessBaton, type TestBaton } from "./helpers/baton.js";

/**
 * Retries with backoff (SPEC §8 "Retries"): a failed attempt goes back to Pending with
 * attempt + 1, not claimed before its retryAt, while the process's policy has attempts left;
 * failures marked not retryable, MaxDurationExceeded and user stops end the job at once;
 * every attempt is kept and shown; callers waiting for the job see only the last attempt's
 * end. The robot is the test, speaking the robot protocol; time is a ManualClock.
 */

const LEASE = 15;
let b: TestBaton;
let clock: ManualClock;
let robotKey = "";
/** what the jitter draws next (Math.random's place) */
let draws: number[] = [];

async function start(): Promise<void> {
  clock = new ManualClock(Date.parse("2030-01-01T00:00:00.000Z"));
  draws = [];
  b = await startSocketlessBaton({ leaseSeconds: LEASE, heartbeatSeconds: 5 }, {
    clock, maintenanceIntervalMs: 3_600_000, random: () => draws.shift() ?? 0.5,
  });
  robotKey = (await b.apiJson("/api/v1/robots", { method: "POST", json: { name: "retry-robot" } })).key;
}

afterEach(async () => { await b?.close(); });

async function robot(path: string, body: unknown = {}, method = "POST"): Promise<{ status: number; json: any }> {
  const res = await b.fetch(`${b.base}/api/robot/v1${path}`, {
    method, headers: { authorization: `Bearer ${robotKey}`, "content-type": "application/json" }, body: method === "DELETE" ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function processWith(name: string, fields: Record<string, unknown>): Promise<any> {
  return b.apiJson(`/api/v1/folders/${b.sharedKey}/processes`, { method: "POST", json: { name, ...fields } });
}

const newJob = async (processName: string): Promise<string> =>
  (await b.apiJson("/api/v1/jobs", { method: "POST", json: { folderKey: b.sharedKey, processName } })).key;
const job = (key: string): Promise<any> => b.apiJson(`/api/v1/jobs/${key}`);
const session = async (processName: string): Promise<string> => (await robot("/sessions", { robotName: "r1", processes: [processName], slots: 1 })).json.sessionId;
/** claims at most one job, after a heartbeat (holding nothing) that keeps the session's lease as the clock moves */
async function claim(sessionId: string): Promise<string[]> {
  expect((await robot(`/sessions/${sessionId}/heartbeat`, { jobs: {} })).status).toBe(200);
  const claimed = await robot(`/sessions/${sessionId}/claim`, { max: 1, waitSeconds: 0 });
  expect(claimed.status).toBe(200);
  return claimed.json.jobs.map((j: { key: string }) => j.key);
}
const fail = (sessionId: string, key: string, error: Record<string, unknown> = { code: "Boom", message: "it broke" }) =>
  robot(`/sessions/${sessionId}/jobs/${key}/fail`, { error });
const iso = (ms: number) => new Date(ms).toISOString();

describe("a failed attempt is retried while attempts remain", () => {
  it("a Fail job with maxAttempts 3 runs 3 attempts, then ends Faulted with 3 attempts listed", async () => {
    await start();
    await processWith("Flaky", { retry: { maxAttempts: 3, backoff: { type: "Fixed", delaySeconds: 10, maxDelaySeconds: 10, jitter: false } } });
    const key = await newJob("Flaky");
    const s = await session("Flaky");
    const started: string[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(await claim(s)).toEqual([key]);
      started.push(clock.now().toISOString());
      expect((await job(key)).attempt).toBe(attempt);
      clock.advance(1000);
      expect((await fail(s, key)).status).toBe(204);
      const after = await job(key);
      if (attempt < 3) {
        expect(after).toMatchObject({
          state: "Pending", attempt, robot: null, error: null, retryAt: iso(clock.now().getTime() + 10_000),
          info: `Attempt ${attempt} failed with Boom: it broke; retrying (attempt ${attempt + 1} of 3).`,
        });
        clock.advance(10_000);
      } else {
        expect(after).toMatchObject({ state: "Faulted", attempt: 3, retryAt: null, error: { code: "Boom", message: "it broke" } });
      }
    }
    const final = await job(key);
    expect(final.attempts).toEqual([1, 2, 3].map((n) => ({
      attempt: n, robot: "r1", sessionId: n < 3 ? s : null, startedAt: started[n - 1], endedAt: iso(Date.parse(started[n - 1]!) + 1000),
      outcome: "Faulted", error: { code: "Boom", message: "it broke" },
    })));
    // a list shows retryAt, not the attempts
    const listed = (await b.apiJson("/api/v1/jobs?processName=Flaky")).items[0];
    expect(listed).toMatchObject({ key, retryAt: null });
    expect(listed.attempts).toBeUndefined();
  });

  it("Exponential doubles the wait up to maxDelaySeconds; the job is not claimable before retryAt, and is at it", async () => {
    await start();
    await processWith("Exp", { retry: { maxAttempts: 5, backoff: { type: "Exponential", delaySeconds: 10, maxDelaySeconds: 30, jitter: false } } });
    const key = await newJob("Exp");
    const s = await session("Exp");
    expect(await claim(s)).toEqual([key]);
    for (const [attempt, waitMs] of [[1, 10_000], [2, 20_000], [3, 30_000], [4, 30_000]] as const) {
      await fail(s, key);
      const retryAt = iso(clock.now().getTime() + waitMs);
      expect(await job(key)).toMatchObject({ state: "Pending", attempt, retryAt });
      clock.advance(waitMs - 1);
      expect(await claim(s)).toEqual([]);
      clock.advance(1);
      expect(await claim(s)).toEqual([key]);
      expect(await job(key)).toMatchObject({ state: "Running", attempt: attempt + 1, retryAt: null });
    }
  });

  it("Fixed keeps one wait; jitter draws it in [d/2, d] from the injected random source", async () => {
    await start();
    await processWith("Jittery", { retry: { maxAttempts: 4, backoff: { type: "Fixed", delaySeconds: 20, maxDelaySeconds: 60, jitter: true } } });
    const key = await newJob("Jittery");
    const s = await session("Jittery");
    for (const [draw, waitMs] of [[0, 10_000], [0.5, 15_000], [0.999, 19_990]] as const) {
      draws = [draw];
      expect(await claim(s)).toEqual([key]);
      await fail(s, key);
      expect((await job(key)).retryAt).toBe(iso(clock.now().getTime() + waitMs));
      clock.advance(waitMs);
    }
  });

  it("backoffDelayMs: Fixed, Exponential, the cap, equal jitter's bounds, no overflow", () => {
    const fixed = { type: "Fixed" as const, delaySeconds: 5, maxDelaySeconds: 5, jitter: false };
    const exp = { type: "Exponential" as const, delaySeconds: 5, maxDelaySeconds: 60, jitter: false };
    expect([1, 2, 3].map((n) => backoffDelayMs(fixed, n))).toEqual([5000, 5000, 5000]);
    expect([1, 2, 3, 4, 5].map((n) => backoffDelayMs(exp, n))).toEqual([5000, 10_000, 20_000, 40_000, 60_000]);
    expect(backoffDelayMs({ ...exp, maxDelaySeconds: 31_536_000 }, 100)).toBe(31_536_000_000);
    expect(backoffDelayMs({ ...exp, delaySeconds: 0 }, 3)).toBe(0);
    const jittered = { ...exp, jitter: true };
    expect(backoffDelayMs(jittered, 2, () => 0)).toBe(5000);
    expect(backoffDelayMs(jittered, 2, () => 0.999_999)).toBe(10_000);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelayMs(jittered, 3);
      expect(d).toBeGreaterThanOrEqual(10_000);
      expect(d).toBeLessThanOrEqual(20_000);
    }
  });

  it("a lost robot's attempt is kept as Faulted RobotLost, and the job is retried with the same backoff", async () => {
    await start();
    await processWith("Lost", { retry: { maxAttempts: 2, backoff: { type: "Fixed", delaySeconds: 30, maxDelaySeconds: 30, jitter: false } } });
    const key = await newJob("Lost");
    const s = await session("Lost");
    expect(await claim(s)).toEqual([key]);
    clock.advance(LEASE * 1000 + 1);
    await b.baton.maintenance.tick();
    const waiting = await job(key);
    expect(waiting).toMatchObject({ state: "Pending", attempt: 1, retryAt: iso(clock.now().getTime() + 30_000), info: "Robot r1 was lost; retrying (attempt 2 of 2)." });
    expect(waiting.attempts).toEqual([{
      attempt: 1, robot: "r1", sessionId: s, startedAt: iso(clock.now().getTime() - LEASE * 1000 - 1), endedAt: clock.now().toISOString(), outcome: "Faulted",
      error: { code: "RobotLost", message: "Robot r1 stopped heartbeating while running the job (attempt 1 of 2)." },
    }]);
  });
});

describe("failures that end the job at once", () => {
  it("retryable: false from the robot ends the job Faulted at attempt 1, the flag kept on its error", async () => {
    await start();
    await processWith("Final", { retry: { maxAttempts: 5 } });
    const key = await newJob("Final");
    const s = await session("Final");
    await claim(s);
    expect((await fail(s, key, { code: "BadInput", message: "no", retryable: false })).status).toBe(204);
    const ended = await job(key);
    expect(ended).toMatchObject({ state: "Faulted", attempt: 1, retryAt: null, error: { code: "BadInput", message: "no", retryable: false } });
    // the last attempt is read from the job, which no session holds once final
    expect(ended.attempts).toEqual([{ attempt: 1, robot: "r1", sessionId: null, startedAt: ended.startedAt, endedAt: ended.endedAt, outcome: "Faulted", error: ended.error }]);
  });

  it("retryable that is not a boolean is 400 invalid-error, and the job keeps running", async () => {
    await start();
    await processWith("Typo", {});
    const key = await newJob("Typo");
    const s = await session("Typo");
    await claim(s);
    const res = await fail(s, key, { code: "X", message: "m", retryable: "no" });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: "invalid-error", violations: [{ path: "/error/retryable", message: "must be a boolean" }] });
    expect((await job(key)).state).toBe("Running");
  });

  it("MaxDurationExceeded ends the job at once, whatever attempts remain", async () => {
    await start();
    await processWith("Slow", { maxDurationSeconds: 5, retry: { maxAttempts: 3 } });
    const key = await newJob("Slow");
    const s = await session("Slow");
    await claim(s);
    clock.advance(5000);
    await b.baton.maintenance.tick();
    expect(await job(key)).toMatchObject({ state: "Faulted", attempt: 1, retryAt: null, error: { code: "MaxDurationExceeded" } });
  });

  it("a failure reported while a user's stop is under way ends the job, not retried", async () => {
    await start();
    await processWith("Stoppable", { retry: { maxAttempts: 3, backoff: { delaySeconds: 0 } } });
    const key = await newJob("Stoppable");
    const s = await session("Stoppable");
    await claim(s);
    expect((await b.api(`/api/v1/jobs/${key}/stop`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ strategy: "SoftStop" }) })).status).toBe(202);
    await fail(s, key);
    expect(await job(key)).toMatchObject({ state: "Faulted", attempt: 1, error: { code: "Boom" } });
  });
});

describe("only the last attempt's end is final", () => {
  it("a LongPolling caller of a job that fails twice, then succeeds, gets 200 with the output", async () => {
    await start();
    await processWith("Twice", { retry: { maxAttempts: 3, backoff: { type: "Fixed", delaySeconds: 5, maxDelaySeconds: 5, jitter: false } } });
    await b.apiJson(`/api/v1/folders/${b.sharedKey}/triggers`, { method: "POST", json: { name: "twice", slug: "twice", verb: "POST", processName: "Twice", callMode: "LongPolling" } });
    const s = await session("Twice");
    const call = b.fetch(b.invokeUrl("twice"), { method: "POST", headers: { authorization: `Bearer ${b.token}`, "content-type": "application/json" }, body: "{}" });
    let key: string[] = [];
    await expect.poll(async () => (key = await claim(s)).length).toBe(1);
    // status polling of the same job meanwhile answers Pending, never the fault
    for (let attempt = 1; attempt <= 2; attempt++) {
      await fail(s, key[0]!);
      const status = await b.api(`/api/v1/jobs/${key[0]}/status`);
      expect(status.status).toBe(200);
      expect(await status.json()).toMatchObject({ jobKey: key[0], state: "Pending" });
      clock.advance(5000);
      expect(await claim(s)).toEqual(key);
    }
    expect((await robot(`/sessions/${s}/jobs/${key[0]}/complete`, { outputArguments: { ok: true } })).status).toBe(204);
    const res = await call;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect((await job(key[0]!)).attempts.map((a: any) => a.outcome)).toEqual(["Faulted", "Faulted", "Successful"]);
  });
});

describe("the retry policy of a process", () => {
  it("defaults, the former backoffSeconds, and a partial update that keeps the rest", async () => {
    await start();
    expect((await processWith("Plain", {})).retry).toEqual({ maxAttempts: 1, backoff: { type: "Exponential", delaySeconds: 5, maxDelaySeconds: 3600, jitter: false } });
    expect((await processWith("Old", { retry: { maxAttempts: 2, backoffSeconds: 7 } })).retry)
      .toEqual({ maxAttempts: 2, backoff: { type: "Exponential", delaySeconds: 7, maxDelaySeconds: 3600, jitter: false } });
    // a delay past the cap left as it was raises the cap with it
    expect((await processWith("Long", { retry: { backoff: { delaySeconds: 7200 } } })).retry.backoff).toEqual({ type: "Exponential", delaySeconds: 7200, maxDelaySeconds: 7200, jitter: false });
    const updated = await b.apiJson(`/api/v1/folders/${b.sharedKey}/processes/Old`, { method: "PATCH", json: { retry: { backoff: { jitter: true } } } });
    expect(updated.retry).toEqual({ maxAttempts: 2, backoff: { type: "Exponential", delaySeconds: 7, maxDelaySeconds: 3600, jitter: true } });
  });

  it("400 invalid-process lists every fault of the policy", async () => {
    await start();
    const res = await b.api(`/api/v1/folders/${b.sharedKey}/processes`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Bad", retry: { maxAttempts: 0, backoffSeconds: 1, backoff: { type: "Linear", delaySeconds: -1, maxDelaySeconds: 1.5, jitter: "yes", extra: 1 }, what: 1 } }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const body = await res.json();
    expect(body.code).toBe("invalid-process");
    expect(body.violations).toEqual([
      { path: "/retry/backoffSeconds", message: "is the former name of backoff.delaySeconds: give backoff or backoffSeconds, not both" },
      { path: "/retry/maxAttempts", message: "must be an integer from 1 to 100" },
      { path: "/retry/backoff/type", message: "must be one of Fixed, Exponential" },
      { path: "/retry/backoff/delaySeconds", message: "must be an integer from 0 to 31536000 (a year)" },
      { path: "/retry/backoff/maxDelaySeconds", message: "must be an integer from 0 to 31536000 (a year)" },
      { path: "/retry/backoff/jitter", message: "must be a boolean" },
      { path: "/retry/backoff/extra", message: "is not a field of a backoff (type, delaySeconds, maxDelaySeconds, jitter)" },
      { path: "/retry/what", message: "is not a field of a retry policy (maxAttempts, backoff)" },
    ]);
    const low = await b.api(`/api/v1/folders/${b.sharedKey}/processes`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "Low", retry: { backoff: { delaySeconds: 60, maxDelaySeconds: 10 } } }),
    });
    expect(low.status).toBe(400);
    expect((await low.json()).violations).toEqual([{ path: "/retry/backoff/maxDelaySeconds", message: "must be at least delaySeconds" }]);
  });
});
