import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../src/core/Clock.js";
import { startSocketlessBaton, type TestBaton } from "./helpers/baton.js";

/**
 * Time is a dependency: leases, lease expiry, retry backoff, token expiry and long-poll
 * timeouts, tested by moving a ManualClock instead of waiting (graphile-worker's
 * cron-timing tests are the model). No socket, no demo robot: the robot here is the test,
 * speaking the robot protocol through app.inject(). The maintenance loop runs on its own
 * timer; each test calls `maintenance.tick()` itself after moving the clock, so nothing
 * depends on when that timer fires.
 */

const LEASE = 15;
let b: TestBaton;
let clock: ManualClock;

async function start(): Promise<void> {
  clock = new ManualClock();
  // the maintenance loop's own timer never runs during a test: each test ticks it
  b = await startSocketlessBaton({ leaseSeconds: LEASE, heartbeatSeconds: 5 }, { clock, maintenanceIntervalMs: 3_600_000 });
  robotKey = (await b.apiJson("/api/v1/robots", { method: "POST", json: { name: "clock-robot" } })).key;
}

afterEach(async () => { await b?.close(); });

let robotKey = "";
async function robot(path: string, body: unknown = {}, method = "POST"): Promise<{ status: number; json: any }> {
  const res = await b.fetch(`${b.base}/api/robot/v1${path}`, {
    method, headers: { authorization: `Bearer ${robotKey}`, "content-type": "application/json" }, body: method === "DELETE" ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function processWith(name: string, fields: Record<string, unknown> = {}): Promise<void> {
  await b.apiJson(`/api/v1/folders/${b.sharedKey}/processes`, { method: "POST", json: { name, ...fields } });
}

async function newJob(processName: string): Promise<string> {
  return (await b.apiJson("/api/v1/jobs", { method: "POST", json: { folderKey: b.sharedKey, processName } })).key;
}

async function job(key: string): Promise<any> {
  return b.apiJson(`/api/v1/jobs/${key}`);
}

async function claimOne(sessionId: string): Promise<string[]> {
  const claimed = await robot(`/sessions/${sessionId}/claim`, { max: 1, waitSeconds: 0 });
  expect(claimed.status).toBe(200);
  return claimed.json.jobs.map((j: { key: string }) => j.key);
}

describe("leases, moved by the clock", () => {
  it("a heartbeat keeps the lease; without one, the lease runs out and the job fails with RobotLost", async () => {
    await start();
    await processWith("Leased");
    const key = await newJob("Leased");
    const { json: session } = await robot("/sessions", { processes: ["Leased"], slots: 1 });
    expect(await claimOne(session.sessionId)).toEqual([key]);

    // just short of the lease, a heartbeat renews it for another full lease
    clock.advance((LEASE - 1) * 1000);
    await b.baton.maintenance.tick();
    const beat = await robot(`/sessions/${session.sessionId}/heartbeat`, { jobs: { [key]: null } });
    expect(beat.status).toBe(200);
    expect(beat.json.leaseExpiresAt).toBe(new Date(clock.now().getTime() + LEASE * 1000).toISOString());
    clock.advance((LEASE - 1) * 1000);
    await b.baton.maintenance.tick();
    expect((await job(key)).state).toBe("Running");

    // then silence: one second past the renewed lease, the session is lost with its job
    clock.advance(1001);
    await b.baton.maintenance.tick();
    const lost = await job(key);
    expect(lost.state).toBe("Faulted");
    expect(lost.error.code).toBe("RobotLost");
    expect((await robot(`/sessions/${session.sessionId}/heartbeat`, { jobs: {} })).status).toBe(404);
  });

  it("a lost job is retried after its backoff, and not one second before", async () => {
    await start();
    await processWith("Retried", { retry: { maxAttempts: 2, backoffSeconds: 60 } });
    const key = await newJob("Retried");
    const first = (await robot("/sessions", { processes: ["Retried"], slots: 1 })).json.sessionId;
    expect(await claimOne(first)).toEqual([key]);

    clock.advance(LEASE * 1000 + 1);
    await b.baton.maintenance.tick();
    const waiting = await job(key);
    expect(waiting.state).toBe("Pending");
    expect(waiting.attempt).toBe(1);

    clock.advance(59_000);
    const second = (await robot("/sessions", { processes: ["Retried"], slots: 1 })).json.sessionId;
    expect(await claimOne(second)).toEqual([]);
    clock.advance(1_000);
    expect(await claimOne(second)).toEqual([key]);
    expect((await job(key)).attempt).toBe(2);
  });

  it("a claim's long-poll ends empty when its wait has passed on the clock", async () => {
    await start();
    await processWith("Idle");
    const sessionId = (await robot("/sessions", { processes: ["Idle"], slots: 1 })).json.sessionId;
    const claim = robot(`/sessions/${sessionId}/claim`, { max: 1, waitSeconds: 30 });
    // the claim is waiting on a timer of the clock
    await expect.poll(() => clock.pending).toBeGreaterThan(0);
    clock.advance(30_000);
    const answer = await claim;
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ jobs: [] });
  });
});

describe("token expiry, moved by the clock", () => {
  it("a PAT works until its expiresAt, and answers 401 from then on", async () => {
    await start();
    const expiresAt = new Date(clock.now().getTime() + 3600_000).toISOString();
    const { token } = await b.apiJson("/api/v1/tokens", { method: "POST", json: { name: "hour", scopes: ["OR.Folders.Read"], expiresAt } });
    const read = () => b.api("/api/v1/folders", { headers: { authorization: `Bearer ${token}` } });
    expect((await read()).status).toBe(200);
    clock.advance(3600_000 - 1);
    expect((await read()).status).toBe(200);
    clock.advance(1);
    const refused = await read();
    expect(refused.status).toBe(401);
    expect(refused.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(await refused.json()).toMatchObject({ status: 401, code: "unauthorized", detail: "The token has expired." });
  });
});

describe("long-poll timeouts, moved by the clock", () => {
  it("a LongPolling call answers 303 to its wait URI once longPollTimeoutSeconds have passed, and the wait URI loops the same way", async () => {
    await start();
    await b.patchSettings({ longPollTimeoutSeconds: 20, syncMaxJobDurationSeconds: 400 });
    await processWith("Slow");
    await b.apiJson(`/api/v1/folders/${b.sharedKey}/triggers`, { method: "POST", json: { name: "Slow", slug: "slow", verb: "POST", processName: "Slow", callMode: "LongPolling" } });
    const call = b.fetch(b.invokeUrl("slow"), { method: "POST", headers: { authorization: `Bearer ${b.token}`, "content-type": "application/json" }, body: "{}" });
    await expect.poll(() => b.baton.waiters.size).toBe(1);
    clock.advance(19_999);
    expect(b.baton.waiters.size).toBe(1);
    clock.advance(1);
    const res = await call;
    expect(res.status).toBe(303);
    expect(res.headers.get("retry-after")).toBe("0");
    const location = res.headers.get("location")!;
    expect(location).toMatch(new RegExp(`^${b.base}/api/v1/jobs/[0-9a-f-]{36}/wait$`));

    // the wait URI blocks the same 20 s, then sends the caller round again
    const wait = b.fetch(location, { headers: { authorization: `Bearer ${b.token}` } });
    await expect.poll(() => b.baton.waiters.size).toBe(1);
    clock.advance(20_000);
    const again = await wait;
    expect(again.status).toBe(303);
    expect(again.headers.get("location")).toBe(location);

    // and answers the result at once when the job ends while it waits
    const jobKey = location.split("/").at(-2)!;
    const sessionId = (await robot("/sessions", { processes: ["Slow"], slots: 1 })).json.sessionId;
    expect(await claimOne(sessionId)).toEqual([jobKey]);
    const last = b.fetch(location, { headers: { authorization: `Bearer ${b.token}` } });
    await expect.poll(() => b.baton.waiters.size).toBe(1);
    expect((await robot(`/sessions/${sessionId}/jobs/${jobKey}/complete`, { outputArguments: { done: true } })).status).toBe(204);
    const result = await last;
    expect(result.status).toBe(200);
    expect(await result.json()).toEqual({ done: true });
  });

  it("a signed wait URI works until it expires on the clock, then answers 401", async () => {
    await start();
    await b.patchSettings({ longPollTimeoutSeconds: 1, syncRedirectsRequireAuth: false, syncMaxJobDurationSeconds: 20 });
    await processWith("Unserved");
    await b.apiJson(`/api/v1/folders/${b.sharedKey}/triggers`, { method: "POST", json: { name: "U", slug: "unserved", verb: "POST", processName: "Unserved", callMode: "LongPolling" } });
    const call = b.fetch(b.invokeUrl("unserved"), { method: "POST", headers: { authorization: `Bearer ${b.token}`, "content-type": "application/json" }, body: "{}" });
    await expect.poll(() => b.baton.waiters.size).toBe(1);
    clock.advance(1000);
    const res = await call;
    expect(res.status).toBe(303);
    const signed = new URL(res.headers.get("location")!);
    const exp = Number(signed.searchParams.get("exp"));
    expect(signed.searchParams.get("sig")).toMatch(/^[A-Za-z0-9_-]+$/);
    // before it expires, the signed URI needs no token
    const before = b.fetch(signed.href);
    await expect.poll(() => b.baton.waiters.size).toBe(1);
    clock.advance(1000);
    expect((await before).status).toBe(303);
    // after exp, it is refused: the caller needs a token again
    clock.set(exp * 1000 + 1000);
    const after = await b.fetch(signed.href);
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ code: "unauthorized", detail: "The wait URI has expired; ask for the job's status with a token." });
  });
});
