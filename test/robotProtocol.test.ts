import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../src/core/Clock.js";
import { invoke, startTestBaton, type TestBaton } from "./helpers/baton.js";

/**
 * The robot protocol (SPEC §3, docs/robot-protocol.md) driven over real HTTP: robot keys,
 * sessions, claims, heartbeats, results, leases. Each describe block has its own server; the
 * servers run without the in-process demo robot, so nothing competes for the jobs made here.
 */

const JSON_TYPE = "application/json; charset=utf-8";
const PROBLEM_TYPE = "application/problem+json; charset=utf-8";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface Robot { id: string; name: string; key: string }
interface RobotJob {
  key: string; folderKey: string; processName: string; inputArguments: Record<string, unknown>; attempt: number;
  priority: string; callMode: string; createdAt: string; deadlineAt: string | null;
}
interface HeartbeatAnswer { leaseExpiresAt: string; stop: string[]; kill: string[]; lost: string[] }
interface Job {
  key: string; folderKey: string; processName: string; state: string; priority: string; attempt: number; robot: string | null;
  info: string | null; createdAt: string; startedAt: string | null; endedAt: string | null; outputArguments: Record<string, unknown> | null;
  error: { code: string; message: string; details?: unknown } | null;
}

let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}-${randomUUID().slice(0, 8)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every `intervalMs` until it returns something truthy. */
async function until<T>(probe: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 8000, intervalMs = 20): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

async function expectProblem(res: Response, status: number, code: string, detail?: RegExp): Promise<Record<string, unknown>> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toBe(PROBLEM_TYPE);
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  if (detail) expect(body.detail).toMatch(detail);
  // error="invalid_token" where a bearer token was sent (RFC 6750; test/httpContract.test.ts)
  if (status === 401) expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="baton"(, error="(invalid_token|invalid_request)")?$/);
  return body;
}

async function expectNoContent(res: Response): Promise<void> {
  const text = await res.text();
  expect(res.status, text).toBe(204);
  expect(text).toBe("");
}

/** The robot and management APIs of one Baton. */
class Client {
  constructor(readonly b: TestBaton) {}

  get robotBase(): string {
    return `${this.b.base}/api/robot/v1`;
  }

  /** a robot protocol call with `bearer` */
  rp(bearer: string | null, method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = {};
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    return this.b.fetch(`${this.robotBase}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  }

  async robot(name = unique("robot")): Promise<Robot> {
    const r = await this.b.apiJson("/api/v1/robots", { method: "POST", json: { name } });
    return { id: r.id, name, key: r.key };
  }

  async process(name: string, fields: Record<string, unknown> = {}, folderKey = this.b.sharedKey): Promise<void> {
    await this.b.apiJson(`/api/v1/folders/${folderKey}/processes`, { method: "POST", json: { name, ...fields } });
  }

  async job(processName: string, fields: Record<string, unknown> = {}, folderKey = this.b.sharedKey): Promise<Job> {
    return this.b.apiJson("/api/v1/jobs", { method: "POST", json: { folderKey, processName, ...fields } });
  }

  getJob(key: string): Promise<Job> {
    return this.b.apiJson(`/api/v1/jobs/${key}`);
  }

  stop(key: string, strategy: "SoftStop" | "Kill"): Promise<Response> {
    return this.b.api(`/api/v1/jobs/${key}/stop`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ strategy }) });
  }

  async sessions(): Promise<Record<string, unknown>[]> {
    return (await this.b.apiJson("/api/v1/robots/sessions")).items;
  }

  async open(robot: Robot, processes: string[], extra: Record<string, unknown> = {}): Promise<Session> {
    const res = await this.rp(robot.key, "POST", "/sessions", { robotName: robot.name, processes, slots: 10, ...extra });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`open session: ${res.status} ${text}`);
    const body = JSON.parse(text) as { sessionId: string; leaseExpiresAt: string };
    return new Session(this, robot, body.sessionId, body.leaseExpiresAt);
  }
}

class Session {
  constructor(readonly c: Client, readonly robot: Robot, readonly id: string, readonly openedLease: string) {}

  call(method: string, path: string, body?: unknown, bearer = this.robot.key): Promise<Response> {
    return this.c.rp(bearer, method, `/sessions/${this.id}${path}`, body);
  }

  async claim(max = 1, waitSeconds = 0): Promise<RobotJob[]> {
    const res = await this.call("POST", "/claim", { max, waitSeconds });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`claim: ${res.status} ${text}`);
    expect(res.headers.get("content-type")).toBe(JSON_TYPE);
    const { jobs } = JSON.parse(text) as { jobs: RobotJob[] };
    expect(jobs.length).toBeLessThanOrEqual(max);
    return jobs;
  }

  async heartbeat(jobs: Record<string, string | null> = {}, waitSeconds = 0): Promise<HeartbeatAnswer> {
    const res = await this.call("POST", "/heartbeat", { jobs, waitSeconds });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`heartbeat: ${res.status} ${text}`);
    return JSON.parse(text) as HeartbeatAnswer;
  }

  result(jobKey: string, kind: "complete" | "fail" | "stopped" | "logs", body: unknown = {}): Promise<Response> {
    return this.call("POST", `/jobs/${jobKey}/${kind}`, body);
  }
}

/** Resolves once the session's lease, as the management API lists it, is later than `after`: a heartbeat has reached the server. */
async function leaseMovedPast(c: Client, session: Session, after: string): Promise<void> {
  await until(async () => {
    const s = (await c.sessions()).find((x) => x.id === session.id);
    return s && Date.parse(s.leaseExpiresAt as string) > Date.parse(after);
  }, "the heartbeat to reach the server", 5000, 10);
}

function tracked<T>(p: Promise<T>): { promise: Promise<T>; settled: () => boolean; at: () => number } {
  let settledAt = 0;
  const promise = p.finally(() => { settledAt = Date.now(); });
  return { promise, settled: () => settledAt > 0, at: () => settledAt };
}

// ---------------------------------------------------------------------------------------

describe("robot keys and authentication", () => {
  let b: TestBaton;
  let c: Client;
  beforeAll(async () => { b = await startTestBaton({}, { demo: false }); c = new Client(b); });
  afterAll(async () => { await b?.close(); });

  it("creates a robot key shown once; the list never shows it; names are unique", async () => {
    const res = await b.api("/api/v1/robots", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "robot-1" }) });
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toBe(JSON_TYPE);
    const created = await res.json();
    expect(created).toEqual({ id: expect.stringMatching(UUID), name: "robot-1", createdAt: expect.stringMatching(ISO), rotatedAt: null, folderKeys: null, revokedAt: null, key: expect.stringMatching(/^baton_rk_[A-Za-z0-9_-]{43}$/) });

    const list = await b.apiJson("/api/v1/robots");
    expect(list.nextCursor).toBeNull();
    expect(list.items.find((k: { id: string }) => k.id === created.id)).toEqual({ id: created.id, name: "robot-1", createdAt: created.createdAt, rotatedAt: null, folderKeys: null, revokedAt: null });
    expect(JSON.stringify(list)).not.toContain(created.key);

    const again = await b.api("/api/v1/robots", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "robot-1" }) });
    await expectProblem(again, 409, "robot-exists", /robot-1/);
    for (const name of ["", "has space", "-dash-first", 7]) {
      const bad = await b.api("/api/v1/robots", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }) });
      await expectProblem(bad, 400, "invalid-robot");
    }
  });

  it("keeps robot keys and personal access tokens apart", async () => {
    const robot = await c.robot();
    // a robot key is not a management token
    await expectProblem(await b.api("/api/v1/jobs", { headers: { authorization: `Bearer ${robot.key}` } }), 401, "unauthorized");
    await expectProblem(await b.api("/api/v1/robots", { headers: { authorization: `Bearer ${robot.key}` } }), 401, "unauthorized");
    await expectProblem(await invoke(b, "anything", {}, { headers: { authorization: `Bearer ${robot.key}` } }), 401, "unauthorized");
    // a PAT (even the administrator's) is not a robot key
    await expectProblem(await c.rp(b.token, "POST", "/sessions", { processes: ["P"], slots: 1 }), 401, "unauthorized", /^The robot key is not valid for this tenant\.$/);
    await expectProblem(await c.rp(null, "POST", "/sessions", { processes: ["P"], slots: 1 }), 401, "unauthorized", /header is required/);
    await expectProblem(await c.rp(`${robot.key}x`, "POST", "/sessions", { processes: ["P"], slots: 1 }), 401, "unauthorized");
    // the robot key itself works
    expect((await c.rp(robot.key, "POST", "/sessions", { processes: ["P"], slots: 1 })).status).toBe(201);
  });

  it("refuses another tenant's robot key with 401", async () => {
    const res = await fetch(`${b.url}/default/api/v1/tenants`, { method: "POST", headers: { authorization: `Bearer ${b.token}`, "content-type": "application/json" }, body: JSON.stringify({ name: "RobotsElsewhere" }) });
    expect(res.status).toBe(201);
    const otherBase = `${b.url}/default/RobotsElsewhere/orchestrator_`;
    const created = await fetch(`${otherBase}/api/v1/robots`, { method: "POST", headers: { authorization: `Bearer ${b.token}`, "content-type": "application/json" }, body: JSON.stringify({ name: "elsewhere" }) });
    expect(created.status).toBe(201);
    const otherKey = (await created.json()).key as string;

    await expectProblem(await c.rp(otherKey, "POST", "/sessions", { processes: ["P"], slots: 1 }), 401, "unauthorized", /not valid for this tenant/);
    // it works in its own tenant, and a session there is invisible here
    const own = await fetch(`${otherBase}/api/robot/v1/sessions`, { method: "POST", headers: { authorization: `Bearer ${otherKey}`, "content-type": "application/json" }, body: JSON.stringify({ processes: ["P"], slots: 1 }) });
    expect(own.status).toBe(201);
    const { sessionId } = await own.json();
    const robot = await c.robot();
    await expectProblem(await c.rp(robot.key, "POST", `/sessions/${sessionId}/heartbeat`, {}), 404, "session-not-found");
    expect((await c.sessions()).map((s) => s.id)).not.toContain(sessionId);
  });

  it("answers a session opened with one key as not found to another key", async () => {
    const [a, other] = [await c.robot(), await c.robot()];
    const process = unique("KeyBound");
    await c.process(process);
    const job = await c.job(process);
    const session = await c.open(a, [process]);
    const [claimed] = await session.claim(1);
    expect(claimed!.key).toBe(job.key);

    for (const [method, path, body] of [
      ["POST", "/claim", { max: 1, waitSeconds: 0 }], ["POST", "/heartbeat", {}], ["POST", `/jobs/${job.key}/complete`, { outputArguments: {} }],
      ["POST", `/jobs/${job.key}/fail`, {}], ["POST", `/jobs/${job.key}/stopped`, {}], ["POST", `/jobs/${job.key}/logs`, { lines: [] }], ["DELETE", "", undefined],
    ] as const) {
      await expectProblem(await session.call(method, path, body, other.key), 404, "session-not-found");
    }
    expect((await c.getJob(job.key)).state).toBe("Running");
    expect(await session.heartbeat({ [job.key]: null })).toMatchObject({ stop: [], kill: [], lost: [] });
  });

  it("revoking a key ends its sessions, hands its jobs back and refuses the key", async () => {
    const robot = await c.robot();
    const process = unique("Revoked");
    await c.process(process);
    const jobs = [await c.job(process), await c.job(process)];
    const session = await c.open(robot, [process]);
    expect((await session.claim(5)).map((j) => j.key).sort()).toEqual(jobs.map((j) => j.key).sort());
    expect((await c.sessions()).map((s) => s.id)).toContain(session.id);

    const res = await b.api(`/api/v1/robots/${robot.id}`, { method: "DELETE" });
    await expectNoContent(res);

    for (const j of jobs) {
      // the jobs reached the robot, which may have started them: the attempt stays counted
      expect(await c.getJob(j.key)).toMatchObject({ state: "Pending", attempt: 1, robot: null, startedAt: null, info: `Handed back by robot ${robot.name} during attempt 1.` });
    }
    expect((await c.sessions()).map((s) => s.id)).not.toContain(session.id);
    const listed = (await b.apiJson("/api/v1/robots")).items.find((k: { id: string }) => k.id === robot.id);
    expect(listed.revokedAt).toMatch(ISO);
    await expectProblem(await session.call("POST", "/heartbeat", {}), 401, "unauthorized", /^The robot key has been revoked\.$/);
    await expectProblem(await c.rp(robot.key, "POST", "/sessions", { processes: [process], slots: 1 }), 401, "unauthorized", /revoked/);
    await expectProblem(await b.api(`/api/v1/robots/${randomUUID()}`, { method: "DELETE" }), 404, "robot-not-found");

    // another robot picks them up, on their second attempt
    const next = await c.open(await c.robot(), [process]);
    expect((await next.claim(5)).map((j) => j.attempt)).toEqual([2, 2]);
  });
});

// ---------------------------------------------------------------------------------------

describe.concurrent("sessions, claims, heartbeats and results", () => {
  let b: TestBaton;
  let c: Client;
  let robot: Robot;
  beforeAll(async () => {
    b = await startTestBaton({}, { demo: false, maintenanceIntervalMs: 50 });
    c = new Client(b);
    robot = await c.robot("worker");
  });
  afterAll(async () => { await b?.close(); });

  /** a fresh process (unique name, so concurrent tests never share jobs) and a session serving it */
  async function served(fields: Record<string, unknown> = {}, prefix = "P"): Promise<{ process: string; session: Session }> {
    const process = unique(prefix);
    await c.process(process, fields);
    return { process, session: await c.open(robot, [process]) };
  }

  it("lists each session's slots in use and last heartbeat", async () => {
    const { process, session } = await served();
    const listed = async () => (await c.sessions()).find((s) => s.id === session.id)!;
    const opened = await listed();
    expect(opened.slotsInUse).toBe(0);
    expect(opened.lastHeartbeatAt).toBe(opened.createdAt);
    await c.job(process);
    await c.job(process);
    const claimed = await session.claim(5, 0);
    expect(claimed).toHaveLength(2);
    expect((await listed()).slotsInUse).toBe(2);
    const before = Date.now();
    const beat = await session.heartbeat({ [claimed[0]!.key]: null, [claimed[1]!.key]: null });
    const after = await listed();
    expect(Date.parse(after.lastHeartbeatAt as string)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(after.lastHeartbeatAt as string)).toBe(Date.parse(beat.leaseExpiresAt) - 15_000);
    expect((await session.result(claimed[0]!.key, "complete", { outputArguments: {} })).status).toBe(204);
    expect((await listed()).slotsInUse).toBe(1);
  });

  it("validates sessions, answers 201 with the lease, and lists them", async () => {
    const bad: unknown[] = [
      undefined, {}, { slots: 1 }, { processes: "P", slots: 1 }, { processes: [""], slots: 1 }, { processes: [1], slots: 1 }, { processes: ["P"] },
      { processes: ["P"], slots: 0 }, { processes: ["P"], slots: 100_001 }, { processes: ["P"], slots: 1.5 }, { processes: ["P"], slots: "2" },
      { robotName: "", processes: ["P"], slots: 1 }, { robotName: "x".repeat(201), processes: ["P"], slots: 1 }, { processes: ["P"], slots: 1, version: 2 },
    ];
    for (const body of bad) await expectProblem(await c.rp(robot.key, "POST", "/sessions", body), 400, "invalid-session");

    const before = Date.now();
    const res = await c.rp(robot.key, "POST", "/sessions", { robotName: "host-7", version: "1.2.0", processes: ["Alpha", "Beta", "Alpha"], slots: 4 });
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toBe(JSON_TYPE);
    const body = await res.json();
    expect(body).toEqual({ sessionId: expect.stringMatching(UUID), heartbeatSeconds: 5, leaseSeconds: 15, leaseExpiresAt: expect.stringMatching(ISO), maxRequestBodyBytes: 1_048_576 });
    const lease = Date.parse(body.leaseExpiresAt);
    expect(lease).toBeGreaterThanOrEqual(before + 15_000);
    expect(lease).toBeLessThanOrEqual(Date.now() + 15_000);

    const listed = (await c.sessions()).find((s) => s.id === body.sessionId);
    expect(listed).toEqual({
      id: body.sessionId, robotKeyId: robot.id, folderKeys: null, robotName: "host-7", version: "1.2.0", processes: ["Alpha", "Beta"], slots: 4,
      slotsInUse: 0, leaseExpiresAt: body.leaseExpiresAt, lastHeartbeatAt: expect.stringMatching(ISO), createdAt: expect.stringMatching(ISO),
    });

    // the robot name defaults to the key's name
    const unnamed = await (await c.rp(robot.key, "POST", "/sessions", { processes: ["Alpha"], slots: 1 })).json();
    expect((await c.sessions()).find((s) => s.id === unnamed.sessionId)).toMatchObject({ robotName: "worker", version: null });

    await expectProblem(await c.rp(robot.key, "POST", `/sessions/${randomUUID()}/claim`, { waitSeconds: 0 }), 404, "session-not-found");
    await expectProblem(await c.rp(robot.key, "POST", "/sessions/not-a-uuid/heartbeat", {}), 404, "session-not-found");
  });

  it("claims only jobs of the served processes, in any folder, and tells the robot everything it needs", async () => {
    const process = unique("Served");
    const other = unique("NotServed");
    const folder = await b.apiJson("/api/v1/folders", { method: "POST", json: { name: unique("Folder") } });
    await c.process(process);
    await c.process(other);
    await c.process(process, {}, folder.key);
    const a = await c.job(process, { inputArguments: { name: "Ada", n: [1, 2] } });
    const o = await c.job(other);
    const f = await c.job(process, {}, folder.key);
    const session = await c.open(robot, [process]);

    const jobs = await session.claim(10);
    expect(jobs).toEqual([
      { key: a.key, folderKey: b.sharedKey, processName: process, inputArguments: { name: "Ada", n: [1, 2] }, attempt: 1, priority: "Normal", callMode: "AsyncRequestReply", createdAt: a.createdAt, deadlineAt: null },
      { key: f.key, folderKey: folder.key, processName: process, inputArguments: {}, attempt: 1, priority: "Normal", callMode: "AsyncRequestReply", createdAt: expect.stringMatching(ISO), deadlineAt: null },
    ]);
    expect(await session.claim(10)).toEqual([]);
    expect(await c.getJob(o.key)).toMatchObject({ state: "Pending", attempt: 0, robot: null });
    const running = await c.getJob(a.key);
    expect(running).toMatchObject({ state: "Running", attempt: 1, robot: "worker", info: null, startedAt: expect.stringMatching(ISO), endedAt: null });
  });

  it("gives the highest priority first, then the oldest", async () => {
    const { process, session } = await served();
    const created: Record<string, string> = {};
    for (const [label, priority] of [["low1", "Low"], ["normal1", "Normal"], ["high1", "High"], ["low2", "Low"], ["normal2", "Normal"], ["high2", "High"]] as const) {
      created[(await c.job(process, { priority })).key] = label;
    }
    const order: string[] = [];
    for (;;) {
      const jobs = await session.claim(1);
      if (jobs.length === 0) break;
      expect(jobs).toHaveLength(1);
      order.push(created[jobs[0]!.key]!);
    }
    expect(order).toEqual(["high1", "high2", "normal1", "normal2", "low1", "low2"]);
  });

  it("gives no more jobs than max", async () => {
    const { process, session } = await served();
    for (let i = 0; i < 5; i++) await c.job(process);
    expect(await session.claim(3)).toHaveLength(3);
    expect(await session.claim(3)).toHaveLength(2);
    expect(await session.claim(3)).toEqual([]);
    // max defaults to 1
    await c.job(process);
    await c.job(process);
    const res = await session.call("POST", "/claim", { waitSeconds: 0 });
    expect((await res.json()).jobs).toHaveLength(1);
  });

  it("answers a body with several faults with one 400 listing every violation, after the session's 404 and before the job's 409", async () => {
    const { process, session } = await served();
    const job = await c.job(process);
    await session.claim(1);
    const byPath = (v: { path: string; message: string }[]) => [...v].sort((a, b) => a.path.localeCompare(b.path) || a.message.localeCompare(b.message));
    const violations = async (res: Response, code: string) => {
      const problem = await expectProblem(res, 400, code);
      return byPath(problem.violations as { path: string; message: string }[]);
    };

    expect(await violations(await session.call("POST", "/claim", { max: 0, waitSeconds: "soon" }), "invalid-claim")).toEqual([
      { path: "/max", message: "must be >= 1" },
      { path: "/waitSeconds", message: "must be number or null" },
    ]);
    // the schema's faults and half the lease's (15 s here), in one answer
    expect(await violations(await session.call("POST", "/heartbeat", { jobs: { [job.key]: 5, other: ["x"] }, waitSeconds: 8 }), "invalid-heartbeat")).toEqual(byPath([
      { path: `/jobs/${job.key}`, message: "must be string or null" },
      { path: "/jobs/other", message: "must be string or null" },
      { path: "/waitSeconds", message: "must be a number from 0 to 7.5" },
    ]));
    expect(await violations(await session.result(job.key, "logs", { lines: [{ level: "warn" }, { message: 1, at: "yesterday" }, "x"] }), "invalid-logs")).toEqual(byPath([
      { path: "/lines/0/level", message: 'must be one of "info", "error"' },
      { path: "/lines/0/message", message: "is required" },
      { path: "/lines/1/message", message: "must be string" },
      { path: "/lines/1/at", message: "must be an ISO 8601 date or date-time (such as 2024-05-01T12:00:00Z) of the years 0001 to 9999" },
      { path: "/lines/2", message: "must be object" },
    ]));
    expect(await violations(await session.result(job.key, "complete", { outputArguments: [1, 2] }), "invalid-output")).toEqual([{ path: "/outputArguments", message: "must be object or null" }]);
    expect(await violations(await session.result(job.key, "fail", { error: { code: "X", message: "a\u0000b", retryable: "no" } }), "invalid-error")).toEqual([
      { path: "/error/message", message: "contains a NUL character (\\u0000), which cannot be stored" },
      { path: "/error/retryable", message: "must be a boolean" },
    ]);
    expect(await violations(await session.call("POST", "/results", { results: [{ jobKey: 1, outcome: "done" }, { outcome: "complete" }] }), "invalid-results")).toEqual([
      { path: "/results/0/jobKey", message: "must be string" },
      { path: "/results/0/outcome", message: 'must be one of "complete", "fail", "stopped"' },
      { path: "/results/1/jobKey", message: "is required" },
    ]);
    expect(await violations(await c.rp(robot.key, "POST", "/sessions", { robotName: "", processes: ["ok", "", 5], slots: 0, version: 7 }), "invalid-session")).toEqual(byPath([
      { path: "/robotName", message: "must be a string of 1 to 200 characters" },
      { path: "/processes/1", message: expect.stringMatching(/^is not a process name: /) },
      { path: "/processes/2", message: expect.stringMatching(/^is not a process name: /) },
      { path: "/slots", message: "must be an integer from 1 to 100000" },
      { path: "/version", message: "must be a string of at most 100 characters without control, bidirectional or zero-width characters" },
    ]));
    // none of it was recorded
    expect(await c.getJob(job.key)).toMatchObject({ state: "Running", info: null });
    expect((await b.apiJson(`/api/v1/jobs/${job.key}/logs`)).items).toEqual([]);

    // a body at fault for a job the session does not hold: the body first (400), then the job (409)
    await expectProblem(await session.result(randomUUID(), "complete", { outputArguments: "x" }), 400, "invalid-output");
    await expectProblem(await session.result(randomUUID(), "complete", { outputArguments: {} }), 409, "job-not-held");
    // and for a session that is gone, the session first: open a new one
    await expectProblem(await c.rp(robot.key, "POST", `/sessions/${randomUUID()}/heartbeat`, { jobs: [], waitSeconds: -1 }), 404, "session-not-found");
    await expectProblem(await c.rp(robot.key, "POST", `/sessions/${randomUUID()}/jobs/${job.key}/logs`, { lines: "x" }), 404, "session-not-found");

    // null for an optional field is its default, as it always was
    const beat = await session.call("POST", "/heartbeat", { jobs: null, waitSeconds: null });
    expect(beat.status).toBe(200);
    expect(await beat.json()).toEqual({ leaseExpiresAt: expect.stringMatching(ISO), stop: [], kill: [], lost: [] });
    await expectNoContent(await session.result(job.key, "complete", { outputArguments: null }));
    expect(await c.getJob(job.key)).toMatchObject({ state: "Successful", outputArguments: {} });
  });

  it("validates claims", async () => {
    const { session } = await served();
    for (const body of [{ max: 0 }, { max: 101 }, { max: 1.5 }, { max: "2" }, { waitSeconds: 31 }, { waitSeconds: -1 }, { waitSeconds: "1" }]) {
      await expectProblem(await session.call("POST", "/claim", body), 400, "invalid-claim");
    }
    expect(await session.claim(100, 0)).toEqual([]);
  });

  it("wakes a waiting claim as soon as a job arrives", async () => {
    const { process, session } = await served();
    const claim = tracked(session.claim(2, 10));
    // still waiting: nothing to claim yet
    await sleep(300);
    expect(claim.settled()).toBe(false);
    const invokedAt = Date.now();
    const job = await c.job(process);
    const jobs = await claim.promise;
    expect(jobs.map((j) => j.key)).toEqual([job.key]);
    // woken by the job: had its 10 s wait run out first, the claim would have answered no job
    expect(claim.at()).toBeGreaterThanOrEqual(invokedAt);
  });

  it("answers an empty claim once waitSeconds has passed", async () => {
    const { session } = await served();
    const started = Date.now();
    expect(await session.claim(5, 0.6)).toEqual([]);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(await session.claim(5, 0)).toEqual([]);
  });

  it("gives each of 300 jobs to exactly one of 4 sessions claiming concurrently", async () => {
    const process = unique("Busy");
    await c.process(process);
    // slots enough for all 300 between them: a session never holds more jobs than its slots
    const sessions = await Promise.all([1, 2, 3, 4].map(async (i) => c.open(await c.robot(unique(`busy${i}`)), [process], { slots: 100 })));
    const claimedBy = new Map<string, string[]>();
    let total = 0;
    const claimers = sessions.map(async (s) => {
      while (total < 300) {
        const jobs = await s.claim(7, 0.5);
        expect(jobs.length).toBeLessThanOrEqual(7);
        total += jobs.length;
        for (const j of jobs) claimedBy.set(j.key, [...(claimedBy.get(j.key) ?? []), s.id]);
      }
    });
    // create the jobs while the sessions claim
    const keys: string[] = [];
    for (let i = 0; i < 300; i += 30) {
      keys.push(...(await Promise.all(Array.from({ length: 30 }, () => c.job(process)))).map((j) => j.key));
    }
    await Promise.all(claimers);
    expect(total).toBe(300);
    expect([...claimedBy.keys()].sort()).toEqual([...keys].sort());
    expect([...claimedBy.values()].every((by) => by.length === 1)).toBe(true);
    for (const s of sessions) expect(await s.claim(7, 0)).toEqual([]);
    const running = await b.apiJson(`/api/v1/jobs?processName=${process}&state=Running&limit=1000`);
    expect(running.items).toHaveLength(300);
    expect(running.items.every((j: Job) => j.attempt === 1)).toBe(true);
  });

  it("extends the lease on heartbeat, records info lines, and reports jobs the session does not hold as lost", async () => {
    const { process, session } = await served();
    const job = await c.job(process);
    const other = await c.job(process);
    await session.claim(1);
    const elsewhere = await c.open(robot, [process]);
    expect((await elsewhere.claim(1))[0]!.key).toBe(other.key);

    const before = Date.now();
    const answer = await session.heartbeat({ [job.key]: "step 2 of 3" });
    expect(answer).toEqual({ leaseExpiresAt: expect.stringMatching(ISO), stop: [], kill: [], lost: [] });
    expect(Date.parse(answer.leaseExpiresAt)).toBeGreaterThan(Date.parse(session.openedLease));
    expect(Date.parse(answer.leaseExpiresAt)).toBeGreaterThanOrEqual(before + 15_000);
    expect((await c.sessions()).find((s) => s.id === session.id)!.leaseExpiresAt).toBe(answer.leaseExpiresAt);
    expect((await c.getJob(job.key)).info).toBe("step 2 of 3");
    const logs = await b.apiJson(`/api/v1/jobs/${job.key}/logs`);
    expect(logs.items).toEqual([{ seq: 1, at: expect.stringMatching(ISO), level: "info", message: "step 2 of 3" }]);

    // a null info line adds nothing
    await session.heartbeat({ [job.key]: null });
    expect((await b.apiJson(`/api/v1/jobs/${job.key}/logs`)).items).toHaveLength(1);

    const stranger = randomUUID();
    const lost = await session.heartbeat({ [job.key]: null, [other.key]: null, [stranger]: "?" });
    expect(lost).toEqual({ leaseExpiresAt: expect.any(String), stop: [], kill: [], lost: [other.key, stranger] });
    expect(await c.getJob(other.key)).toMatchObject({ state: "Running", robot: "worker" });
    expect((await b.apiJson(`/api/v1/jobs/${other.key}/logs`)).items).toEqual([]);

    for (const body of [{ jobs: [] }, { jobs: { [job.key]: 5 } }, { jobs: "x" }, { waitSeconds: 8 }, { waitSeconds: -1 }, { waitSeconds: "1" }]) {
      await expectProblem(await session.call("POST", "/heartbeat", body), 400, "invalid-heartbeat");
    }
  });

  it("asks for a soft stop through the heartbeat, and a waiting heartbeat hears of it at once", async () => {
    const { process, session } = await served();
    const first = await c.job(process);
    const second = await c.job(process);
    await session.claim(2);

    const stop = await c.stop(first.key, "SoftStop");
    expect(stop.status).toBe(202);
    expect(await stop.json()).toMatchObject({ key: first.key, state: "Stopping" });
    expect((await c.getJob(first.key)).state).toBe("Stopping");
    expect(await session.heartbeat({ [first.key]: null, [second.key]: null })).toEqual({ leaseExpiresAt: expect.any(String), stop: [first.key], kill: [], lost: [] });
    // told again until it reports
    expect((await session.heartbeat({ [first.key]: null, [second.key]: null })).stop).toEqual([first.key]);
    await expectNoContent(await session.result(first.key, "stopped"));
    expect(await c.getJob(first.key)).toMatchObject({ state: "Stopped", endedAt: expect.stringMatching(ISO) });

    // a heartbeat waiting for news answers as soon as the stop is requested
    const last = (await session.heartbeat({ [second.key]: null })).leaseExpiresAt;
    const waiting = tracked(session.heartbeat({ [second.key]: null }, 5));
    await leaseMovedPast(c, session, last);
    expect(waiting.settled()).toBe(false);
    const stoppedAt = Date.now();
    expect((await c.stop(second.key, "SoftStop")).status).toBe(202);
    // had the stop not woken it, the heartbeat would answer after its 5 s with nothing to stop
    expect(await waiting.promise).toEqual({ leaseExpiresAt: expect.any(String), stop: [second.key], kill: [], lost: [] });
    expect(waiting.at()).toBeGreaterThanOrEqual(stoppedAt);
  });

  it("asks for a kill through the heartbeat; a killed job ends Stopped whatever the robot reports", async () => {
    const { process, session } = await served();
    const job = await c.job(process);
    await session.claim(1);
    const last = (await session.heartbeat({ [job.key]: null })).leaseExpiresAt;
    const waiting = tracked(session.heartbeat({ [job.key]: null }, 5));
    await leaseMovedPast(c, session, last);
    const killedAt = Date.now();
    const kill = await c.stop(job.key, "Kill");
    expect(kill.status).toBe(202);
    expect(await kill.json()).toMatchObject({ state: "Terminating" });
    expect(await waiting.promise).toEqual({ leaseExpiresAt: expect.any(String), stop: [], kill: [job.key], lost: [] });
    expect(waiting.at()).toBeGreaterThanOrEqual(killedAt);
    expect((await c.getJob(job.key)).state).toBe("Terminating");

    await expectNoContent(await session.result(job.key, "complete", { outputArguments: { done: true } }));
    expect(await c.getJob(job.key)).toMatchObject({ state: "Stopped", outputArguments: null, error: null });
  });

  it("records a completion, and refuses any later result for that job with 409 job-not-held", async () => {
    const { process, session } = await served();
    const job = await c.job(process);
    await session.claim(1);
    await expectNoContent(await session.result(job.key, "complete", { outputArguments: { total: 42, items: ["a"] } }));
    const done = await c.getJob(job.key);
    expect(done).toMatchObject({ state: "Successful", outputArguments: { total: 42, items: ["a"] }, error: null, attempt: 1, endedAt: expect.stringMatching(ISO) });

    for (const [kind, body] of [["complete", { outputArguments: { total: 0 } }], ["fail", { error: { code: "X", message: "late" } }], ["stopped", {}], ["logs", { lines: [{ message: "late" }] }]] as const) {
      await expectProblem(await session.result(job.key, kind, body), 409, "job-not-held", new RegExp(job.key));
    }
    expect(await c.getJob(job.key)).toEqual(done);
    expect((await b.apiJson(`/api/v1/jobs/${job.key}/logs`)).items).toEqual([]);
    // and an unknown job is not held either
    await expectProblem(await session.result(randomUUID(), "complete", {}), 409, "job-not-held");
  });

  it("completes with {} when outputArguments is absent, and refuses non-object output", async () => {
    const { process, session } = await served();
    const job = await c.job(process);
    const other = await c.job(process);
    await session.claim(2);
    for (const outputArguments of [[1], "x", 3, true]) {
      await expectProblem(await session.result(job.key, "complete", { outputArguments }), 400, "invalid-output");
    }
    expect((await c.getJob(job.key)).state).toBe("Running");
    await expectNoContent(await session.result(job.key, "complete"));
    expect(await c.getJob(job.key)).toMatchObject({ state: "Successful", outputArguments: {} });
    await expectNoContent(await session.result(other.key, "complete", { outputArguments: {} }));
  });

  it("records a failure with its error, and a stop", async () => {
    const { process, session } = await served();
    const [failed, bare, stopped] = [await c.job(process), await c.job(process), await c.job(process)];
    await session.claim(3);
    await expectNoContent(await session.result(failed.key, "fail", { error: { code: "ProcessExitCode", message: "exit 3", details: { stderrTail: "boom" } } }));
    expect(await c.getJob(failed.key)).toMatchObject({ state: "Faulted", outputArguments: null, error: { code: "ProcessExitCode", message: "exit 3", details: { stderrTail: "boom" } } });
    await expectNoContent(await session.result(bare.key, "fail"));
    expect((await c.getJob(bare.key)).error).toEqual({ code: "ProcessFailed", message: "The process failed." });
    await expectNoContent(await session.result(stopped.key, "stopped"));
    expect(await c.getJob(stopped.key)).toMatchObject({ state: "Stopped", error: null, outputArguments: null });
  });

  it("refuses a result for a job another session holds, and changes nothing", async () => {
    const { process, session } = await served();
    const job = await c.job(process);
    await session.claim(1);
    const intruder = await c.open(robot, [process]);
    const before = await c.getJob(job.key);
    for (const kind of ["complete", "fail", "stopped", "logs"] as const) {
      await expectProblem(await intruder.result(job.key, kind, kind === "logs" ? { lines: [{ message: "x" }] } : {}), 409, "job-not-held");
    }
    expect(await c.getJob(job.key)).toEqual(before);
    await expectNoContent(await session.result(job.key, "complete", { outputArguments: { by: "holder" } }));
    expect((await c.getJob(job.key)).outputArguments).toEqual({ by: "holder" });
  });

  it("stores log lines in order; the last one becomes the job's info", async () => {
    const { process, session } = await served();
    const job = await c.job(process);
    await session.claim(1);
    const at = "2026-01-02T03:04:05.678Z";
    await expectNoContent(await session.result(job.key, "logs", { lines: [{ message: "starting" }, { message: "disk almost full", level: "error", at }] }));
    await expectNoContent(await session.result(job.key, "logs", { lines: [{ message: "halfway", level: "info" }] }));
    expect((await c.getJob(job.key)).info).toBe("halfway");
    const logs = await b.apiJson(`/api/v1/jobs/${job.key}/logs`);
    expect(logs).toEqual({
      items: [
        { seq: 1, at: expect.stringMatching(ISO), level: "info", message: "starting" },
        { seq: 2, at, level: "error", message: "disk almost full" },
        { seq: 3, at: expect.stringMatching(ISO), level: "info", message: "halfway" },
      ],
      nextCursor: null,
    });
    for (const body of [{}, { lines: "x" }, { lines: [{}] }, { lines: [{ message: "x", level: "warn" }] }, { lines: [{ message: "x", at: "yesterday" }] }]) {
      await expectProblem(await session.result(job.key, "logs", body), 400, "invalid-logs");
    }
    await expectNoContent(await session.result(job.key, "complete", { outputArguments: {} }));
  });

  it("faults a completion whose output does not match the process's output schema", async () => {
    const { process, session } = await served({ outputSchema: { type: "object", required: ["total"], properties: { total: { type: "number" } } } });
    const bad = await c.job(process);
    const good = await c.job(process);
    await session.claim(2);
    await expectNoContent(await session.result(bad.key, "complete", { outputArguments: { total: "many" } }));
    const faulted = await c.getJob(bad.key);
    expect(faulted).toMatchObject({
      state: "Faulted", outputArguments: null,
      error: { code: "OutputSchemaViolation", message: "The output arguments do not match the process's output schema.", details: { violations: expect.any(Array) } },
    });
    expect((faulted.error!.details as { violations: unknown[] }).violations.length).toBeGreaterThan(0);
    await expectNoContent(await session.result(good.key, "complete", { outputArguments: { total: 3 } }));
    expect(await c.getJob(good.key)).toMatchObject({ state: "Successful", outputArguments: { total: 3 } });
  });

  it("reports several results in one request, each answered with its own status", async () => {
    const { process, session } = await served();
    const [ok, failed, stopped] = [await c.job(process), await c.job(process), await c.job(process)];
    const other = await c.job(process);
    await session.claim(3);
    const res = await session.call("POST", "/results", {
      results: [
        { jobKey: ok.key, outcome: "complete", outputArguments: { n: 1 } },
        { jobKey: failed.key, outcome: "fail", error: { code: "Boom", message: "it broke" } },
        { jobKey: stopped.key, outcome: "stopped" },
        { jobKey: other.key, outcome: "complete", outputArguments: {} },
        { jobKey: ok.key, outcome: "complete", outputArguments: { n: 2 } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(JSON_TYPE);
    const refused = { status: 409, code: "job-not-held", detail: expect.stringContaining("no longer this session's") };
    expect(await res.json()).toEqual({
      results: [
        { jobKey: ok.key, status: 204 },
        { jobKey: failed.key, status: 204 },
        { jobKey: stopped.key, status: 204 },
        { jobKey: other.key, ...refused },
        { jobKey: ok.key, ...refused },
      ],
    });
    expect(await c.getJob(ok.key)).toMatchObject({ state: "Successful", outputArguments: { n: 1 } });
    expect(await c.getJob(failed.key)).toMatchObject({ state: "Faulted", error: { code: "Boom", message: "it broke" } });
    expect(await c.getJob(stopped.key)).toMatchObject({ state: "Stopped" });
    expect(await c.getJob(other.key)).toMatchObject({ state: "Pending" });
    for (const bad of [{}, { results: [] }, { results: [{ jobKey: ok.key, outcome: "done" }] }, { results: Array(101).fill({ jobKey: ok.key, outcome: "stopped" }) }]) {
      await expectProblem(await session.call("POST", "/results", bad), 400, "invalid-results");
    }
  });

  it("kills a job past its process's maxDurationSeconds: Faulted MaxDurationExceeded, and lost to the session", async () => {
    const { process, session } = await served({ maxDurationSeconds: 1 });
    const job = await c.job(process);
    const [claimed] = await session.claim(1);
    const startedAt = (await c.getJob(job.key)).startedAt!;
    expect(Date.parse(claimed!.deadlineAt!) - Date.parse(startedAt)).toBe(1000);

    // a heartbeat waiting for news hears of the kill when the deadline passes
    const waiting = tracked(session.heartbeat({ [job.key]: null }, 5));
    const answer = await waiting.promise;
    expect(answer).toEqual({ leaseExpiresAt: expect.any(String), stop: [], kill: [], lost: [job.key] });
    expect(waiting.at()).toBeGreaterThanOrEqual(Date.parse(claimed!.deadlineAt!));
    const faulted = await c.getJob(job.key);
    expect(faulted).toMatchObject({
      state: "Faulted", endedAt: expect.stringMatching(ISO),
      error: { code: "MaxDurationExceeded", message: "The job ran past the process's maxDurationSeconds and was killed." },
    });
    expect(Date.parse(faulted.endedAt!)).toBeGreaterThanOrEqual(Date.parse(claimed!.deadlineAt!));
    expect(await session.heartbeat({ [job.key]: null })).toMatchObject({ stop: [], kill: [], lost: [job.key] });
    await expectProblem(await session.result(job.key, "complete", { outputArguments: {} }), 409, "job-not-held");
    expect(await c.getJob(job.key)).toEqual(faulted);
  });

  it("says a job waits for a robot while none serves its process, and clears that once claimed", async () => {
    const process = unique("Lonely");
    await c.process(process);
    const job = await c.job(process);
    expect(job).toMatchObject({ state: "Pending", info: `No robot serving ${process} is connected; the job waits in Pending until one is.` });
    expect((await c.getJob(job.key)).info).toBe(`No robot serving ${process} is connected; the job waits in Pending until one is.`);
    const session = await c.open(robot, [process]);
    // once a session serves it, new jobs carry no such info
    expect((await c.job(process)).info).toBeNull();
    expect((await session.claim(1))[0]!.key).toBe(job.key);
    expect(await c.getJob(job.key)).toMatchObject({ state: "Running", info: null });
  });

  it("closing a session hands its jobs back, their attempt counted; a stopping job ends Stopped", async () => {
    const { process, session } = await served();
    const [a, bb, stopping] = [await c.job(process), await c.job(process), await c.job(process)];
    expect((await session.claim(3)).map((j) => j.attempt)).toEqual([1, 1, 1]);
    expect((await c.stop(stopping.key, "SoftStop")).status).toBe(202);

    await expectNoContent(await session.call("DELETE", ""));
    for (const j of [a, bb]) {
      expect(await c.getJob(j.key)).toMatchObject({ state: "Pending", attempt: 1, robot: null, startedAt: null, info: "Handed back by robot worker during attempt 1." });
    }
    expect(await c.getJob(stopping.key)).toMatchObject({ state: "Stopped", info: "The robot session ended while the job was stopping." });
    expect((await c.sessions()).map((s) => s.id)).not.toContain(session.id);
    await expectProblem(await session.call("POST", "/heartbeat", {}), 404, "session-not-found");
    await expectProblem(await session.call("DELETE", ""), 404, "session-not-found");
    await expectProblem(await session.result(a.key, "complete", {}), 404, "session-not-found");

    const next = await c.open(robot, [process]);
    const again = await next.claim(5);
    expect(again.map((j) => [j.key, j.attempt])).toEqual([[a.key, 2], [bb.key, 2]]);
  });

  it("serves a LongPolling invocation: the job carries its deadline and the caller gets the output", async () => {
    const { process, session } = await served();
    const slug = unique("lp").toLowerCase();
    await b.apiJson(`/api/v1/folders/${b.sharedKey}/triggers`, { method: "POST", json: { name: slug, slug, verb: "POST", processName: process, callMode: "LongPolling" } });
    const call = invoke(b, slug, { who: "Ada" });
    const [job] = await session.claim(1, 10);
    expect(job).toMatchObject({ processName: process, callMode: "LongPolling", inputArguments: { who: "Ada" }, attempt: 1 });
    expect(Date.parse(job!.deadlineAt!) - Date.parse(job!.createdAt)).toBe(900_000);
    await expectNoContent(await session.result(job!.key, "complete", { outputArguments: { greeting: "Hello Ada" } }));
    const res = await call;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ greeting: "Hello Ada" });
  });
});

// ---------------------------------------------------------------------------------------

/**
 * Leases are timed by the server's clock: a ManualClock moved by the tests, with the
 * maintenance loop ticked by hand after each move. Nothing here waits for real time, so a
 * busy machine cannot make a heartbeat late. (test/robotRuntime.test.ts keeps real-time
 * runs of a robot that dies.)
 */
describe("leases (heartbeat 1 s, lease 2 s), on a clock the tests move", () => {
  let b: TestBaton;
  let c: Client;
  const clock = new ManualClock();
  beforeAll(async () => {
    b = await startTestBaton({ heartbeatSeconds: 1, leaseSeconds: 2 }, { demo: false, clock, maintenanceIntervalMs: 3_600_000 });
    c = new Client(b);
  });
  afterAll(async () => { await b?.close(); });

  /** moves the clock and lets the maintenance loop see the new time */
  const advance = async (ms: number) => { clock.advance(ms); await b.baton.maintenance.tick(); };
  /** a lease and a millisecond later, the job has left Running */
  const leftRunning = async (key: string) => {
    await advance(2001);
    const j = await c.getJob(key);
    expect(j.state).not.toBe("Running");
    return j;
  };

  it("a heartbeat woken by missed cross-node events with nothing to tell waits on, and a kill requested afterwards reaches it at once", async () => {
    const process = unique("Woken");
    await c.process(process);
    const session = await c.open(await c.robot(), [process]);
    const job = await c.job(process);
    await session.claim(1);
    // the missed-events listeners the heartbeat registers (a PostgreSQL node's, after its listener came back or another node said it kept events)
    const missed: (() => void)[] = [];
    const notifier = b.baton.notifier;
    const register = notifier.onMissedEvents.bind(notifier);
    const onMissed = vi.spyOn(notifier, "onMissedEvents").mockImplementation((listener) => { missed.push(listener); return register(listener); });
    const looks: Promise<unknown>[] = [];
    const read = b.baton.store.jobsOfSession.bind(b.baton.store);
    const jobsOfSession = vi.spyOn(b.baton.store, "jobsOfSession").mockImplementation((id) => { const p = read(id); looks.push(p); return p; });
    try {
      const robotSession = await b.baton.robots.sessionOrThrow(b.tenant.id, session.id);
      // the clock does not move: the wait ends only when woken
      const waiting = tracked(b.baton.robots.heartbeat(robotSession, { [job.key]: undefined }, 1000));
      await until(async () => (missed.length > 0 && looks.length === 1) || null, "the heartbeat to wait");
      await Promise.all(looks);
      for (const listener of missed) listener();
      await until(async () => looks.length === 2 || null, "the heartbeat to look again");
      await Promise.all(looks);
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      // nothing to tell: it waits on (answered now, the robot would have no heartbeat waiting until its next period)
      expect(waiting.settled()).toBe(false);
      expect((await c.stop(job.key, "Kill")).status).toBe(202);
      expect(await waiting.promise).toEqual({ leaseExpiresAt: expect.any(String), stop: [], kill: [job.key], lost: [] });
    } finally {
      onMissed.mockRestore();
      jobsOfSession.mockRestore();
    }
  });

  it("keeps the jobs of a session that heartbeats", async () => {
    const process = unique("Alive");
    await c.process(process);
    const session = await c.open(await c.robot(), [process]);
    expect((await (await c.rp(session.robot.key, "POST", "/sessions", { processes: [process], slots: 1 })).json())).toMatchObject({ heartbeatSeconds: 1, leaseSeconds: 2 });
    const job = await c.job(process);
    await session.claim(1);
    // three leases' worth of heartbeats, one a second
    for (let i = 0; i < 6; i++) {
      await advance(1000);
      expect(await session.heartbeat({ [job.key]: null })).toMatchObject({ lost: [] });
    }
    expect((await c.getJob(job.key)).state).toBe("Running");
    // a heartbeat may wait at most half the lease
    await expectProblem(await session.call("POST", "/heartbeat", { waitSeconds: 1.5 }), 400, "invalid-heartbeat", /from 0 to 1\./);
    await expectNoContent(await session.result(job.key, "complete", { outputArguments: {} }));
  });

  it("takes back a job the robot never listed, a lease after its claim (its claim answer was lost), as a lost attempt", async () => {
    const process = unique("Unlisted");
    await c.process(process, { retry: { maxAttempts: 2, backoffSeconds: 0 } });
    const session = await c.open(await c.robot(), [process]);
    const [listed, unlisted] = [await c.job(process), await c.job(process)];
    await session.claim(2);
    // heartbeats that list only one of the two: within the first lease, both stay
    expect(await session.heartbeat({ [listed.key]: null })).toMatchObject({ lost: [] });
    await advance(1000);
    expect(await session.heartbeat({ [listed.key]: null })).toMatchObject({ lost: [] });
    await advance(1000);
    expect(await session.heartbeat({ [listed.key]: null })).toMatchObject({ lost: [] });
    expect((await c.getJob(unlisted.key)).state).toBe("Running");
    // a lease after the claim, the next heartbeat hands the unlisted job back
    await advance(1);
    expect(await session.heartbeat({ [listed.key]: null })).toMatchObject({ lost: [] });
    const handedBack = await c.getJob(unlisted.key);
    // the robot may have run it (and dropped its result): the attempt stays counted, and the retry policy applies
    expect(handedBack).toMatchObject({ state: "Pending", attempt: 1, robot: null, info: `Robot ${session.robot.name} no longer listed it in its heartbeats; retrying (attempt 2 of 2).` });
    expect((await c.getJob(listed.key)).state).toBe("Running");
    await expectNoContent(await session.result(listed.key, "complete", { outputArguments: {} }));
  });

  it("retries the job of a lost session on another session, as attempt 2", async () => {
    const process = unique("Retried");
    await c.process(process, { retry: { maxAttempts: 2, backoffSeconds: 0 } });
    const dead = await c.open(await c.robot(), [process]);
    const job = await c.job(process);
    expect((await dead.claim(1))[0]!.attempt).toBe(1);

    // one millisecond short of the lease, nothing happens
    await advance(1999);
    expect((await c.getJob(job.key)).state).toBe("Running");
    await advance(1);
    const pending = await c.getJob(job.key);
    expect(pending).toMatchObject({ state: "Pending", attempt: 1, robot: null, startedAt: null, info: `Robot ${dead.robot.name} was lost; retrying (attempt 2 of 2).` });
    expect((await c.sessions()).map((s) => s.id)).not.toContain(dead.id);

    const alive = await c.open(await c.robot(), [process]);
    const [again] = await alive.claim(1);
    expect(again).toMatchObject({ key: job.key, attempt: 2 });
    expect(await c.getJob(job.key)).toMatchObject({ state: "Running", attempt: 2, robot: alive.robot.name, info: null });

    // the dead session is gone: every call on it is 404, and its late result changes nothing
    const before = await c.getJob(job.key);
    for (const [method, path, body] of [
      ["POST", `/jobs/${job.key}/complete`, { outputArguments: { late: true } }], ["POST", `/jobs/${job.key}/fail`, {}], ["POST", `/jobs/${job.key}/stopped`, {}],
      ["POST", `/jobs/${job.key}/logs`, { lines: [{ message: "late" }] }], ["POST", "/heartbeat", { jobs: { [job.key]: null } }], ["POST", "/claim", { waitSeconds: 0 }], ["DELETE", "", undefined],
    ] as const) {
      await expectProblem(await dead.call(method, path, body), 404, "session-not-found", /^This robot session has ended or expired; open a new one\.$/);
    }
    expect(await c.getJob(job.key)).toEqual(before);
    await expectNoContent(await alive.result(job.key, "complete", { outputArguments: { by: "alive" } }));
    expect(await c.getJob(job.key)).toMatchObject({ state: "Successful", attempt: 2, outputArguments: { by: "alive" } });
  });

  it("faults the job of a lost session with RobotLost when no attempt is left", async () => {
    const process = unique("Single");
    await c.process(process, { retry: { maxAttempts: 1, backoffSeconds: 0 } });
    const dead = await c.open(await c.robot(), [process]);
    const job = await c.job(process);
    await dead.claim(1);
    const faulted = await leftRunning(job.key);
    expect(faulted).toMatchObject({
      state: "Faulted", attempt: 1, endedAt: expect.stringMatching(ISO), outputArguments: null,
      error: { code: "RobotLost", message: `Robot ${dead.robot.name} stopped heartbeating while running the job (attempt 1 of 1).` },
    });
    const other = await c.open(await c.robot(), [process]);
    expect(await other.claim(1)).toEqual([]);
    await expectProblem(await dead.result(job.key, "complete", { outputArguments: {} }), 404, "session-not-found");
    await expectProblem(await other.result(job.key, "complete", { outputArguments: {} }), 409, "job-not-held");
    expect(await c.getJob(job.key)).toEqual(faulted);
  });

  it("waits the retry backoff before a lost job can be claimed again", async () => {
    const process = unique("Backoff");
    await c.process(process, { retry: { maxAttempts: 3, backoffSeconds: 1 } });
    const dead = await c.open(await c.robot(), [process]);
    const job = await c.job(process);
    await dead.claim(1);
    const pending = await leftRunning(job.key);
    expect(pending).toMatchObject({ state: "Pending", attempt: 1, info: `Robot ${dead.robot.name} was lost; retrying (attempt 2 of 3).` });
    const alive = await c.open(await c.robot(), [process]);
    expect(await alive.claim(1, 0)).toEqual([]);
    // a claim waiting (on the clock) is woken when the 1 s backoff ends, not when its own 30 s do
    const waiting = tracked(alive.claim(1, 30));
    await until(async () => clock.pending >= 2, "the claim to wait on the clock");
    await advance(999);
    expect(waiting.settled()).toBe(false);
    await advance(1);
    const [again] = await waiting.promise;
    expect(again).toMatchObject({ key: job.key, attempt: 2 });
  });
});
