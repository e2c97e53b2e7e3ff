import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { LocalNotifier } from "../src/core/notifier.js";
import { PgNotifier } from "../src/store/postgres/PgNotifier.js";
import { startSocketlessBaton, type TestBaton } from "./helpers/baton.js";

/**
 * A node keeps the robot sessions it read (Robots.sessionOrThrow), so that a robot's claims,
 * results and logs cost no read of their session each. Two nodes on one store: on SQLite
 * (two stores on one file, each with its own in-process notifier) no event ever crosses from
 * one to the other, so a session ended on A must still be told as ended by B through B's own
 * checks; on PostgreSQL the `sessionEnded` event may also arrive, and the answers are the same.
 */

const PROBLEM_TYPE = "application/problem+json; charset=utf-8";
let a: TestBaton;
let b: TestBaton;

beforeAll(async () => {
  a = await startSocketlessBaton();
  b = await startSocketlessBaton({ dataDir: a.dataDir, bootstrapToken: a.token, ...(a.databaseUrl ? { databaseUrl: a.databaseUrl } : {}) });
});

afterAll(async () => {
  await b?.close();
  await a?.close();
});

const robotUrl = (node: TestBaton, path: string) => `${node.base}/api/robot/v1${path}`;

function rp(node: TestBaton, key: string, method: string, path: string, body?: unknown): Promise<Response> {
  return node.fetch(robotUrl(node, path), {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function expectProblem(res: Response, status: number, code: string): Promise<void> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toBe(PROBLEM_TYPE);
  expect(JSON.parse(text)).toMatchObject({ status, code });
}

async function setUp(): Promise<{ key: string; process: string; sessionId: string }> {
  const process = `Cached-${randomUUID().slice(0, 8)}`;
  await a.apiJson(`/api/v1/folders/${a.sharedKey}/processes`, { method: "POST", json: { name: process } });
  const robot = await a.apiJson("/api/v1/robots", { method: "POST", json: { name: `robot-${randomUUID().slice(0, 8)}` } });
  const opened = await rp(a, robot.key, "POST", "/sessions", { processes: [process], slots: 10 });
  expect(opened.status).toBe(201);
  const { sessionId } = (await opened.json()) as { sessionId: string };
  return { key: robot.key, process, sessionId };
}

const newJob = (process: string) => a.apiJson("/api/v1/jobs", { method: "POST", json: { folderKey: a.sharedKey, processName: process } }) as Promise<{ key: string }>;

describe("robot sessions cached by the node", () => {
  it("a robot's claims, results, logs and heartbeats read its session once", async () => {
    const { key, process, sessionId } = await setUp();
    const reads = vi.spyOn(b.baton.store, "getSession");
    try {
      for (let i = 0; i < 3; i++) {
        const job = await newJob(process);
        const claimed = await rp(b, key, "POST", `/sessions/${sessionId}/claim`, { max: 1, waitSeconds: 0 });
        expect(claimed.status).toBe(200);
        expect(((await claimed.json()) as { jobs: { key: string }[] }).jobs.map((j) => j.key)).toEqual([job.key]);
        expect((await rp(b, key, "POST", `/sessions/${sessionId}/jobs/${job.key}/logs`, { lines: [{ message: `line ${i}` }] })).status).toBe(204);
        expect((await rp(b, key, "POST", `/sessions/${sessionId}/heartbeat`, { jobs: { [job.key]: null } })).status).toBe(200);
        expect((await rp(b, key, "POST", `/sessions/${sessionId}/jobs/${job.key}/complete`, { outputArguments: { i } })).status).toBe(204);
        expect(await a.apiJson(`/api/v1/jobs/${job.key}`)).toMatchObject({ state: "Successful", outputArguments: { i } });
      }
      // 12 requests naming the session: one read (an empty claim would read it again: see below)
      expect(reads).toHaveBeenCalledTimes(1);
    } finally {
      reads.mockRestore();
    }
  });

  it("a session ended on another node is 404 session-not-found at once on this one, its late result not recorded", async () => {
    const { key, process, sessionId } = await setUp();
    const job = await newJob(process);
    // B reads (and keeps) the session, and hands it the job
    const claimed = await rp(b, key, "POST", `/sessions/${sessionId}/claim`, { max: 1, waitSeconds: 0 });
    expect(((await claimed.json()) as { jobs: { key: string }[] }).jobs.map((j) => j.key)).toEqual([job.key]);
    // A ends it: the job goes back to Pending
    expect((await rp(a, key, "DELETE", `/sessions/${sessionId}`)).status).toBe(204);
    const released = await a.apiJson(`/api/v1/jobs/${job.key}`);
    expect(released).toMatchObject({ state: "Pending", attempt: 1 });

    for (const [method, path, body] of [
      ["POST", `/jobs/${job.key}/complete`, { outputArguments: { late: true } }],
      ["POST", `/jobs/${job.key}/fail`, {}],
      ["POST", `/jobs/${job.key}/logs`, { lines: [{ message: "late" }] }],
      ["POST", "/claim", { waitSeconds: 0 }],
      ["POST", "/heartbeat", { jobs: { [job.key]: null } }],
      ["DELETE", "", undefined],
    ] as const) {
      await expectProblem(await rp(b, key, method, `/sessions/${sessionId}${path}`, body), 404, "session-not-found");
    }
    expect(await a.apiJson(`/api/v1/jobs/${job.key}`)).toEqual(released);
  });

  it("a claim on a cached session ended meanwhile answers 404, not an empty list", async () => {
    const { key, sessionId } = await setUp();
    // cached by B, with nothing to claim
    expect((await rp(b, key, "POST", `/sessions/${sessionId}/heartbeat`, {})).status).toBe(200);
    expect((await rp(a, key, "DELETE", `/sessions/${sessionId}`)).status).toBe(204);
    await expectProblem(await rp(b, key, "POST", `/sessions/${sessionId}/claim`, { max: 5, waitSeconds: 0 }), 404, "session-not-found");
  });
});

describe("the processes served, read for every invocation", () => {
  it("invocations arriving together while the cached list is stale share one read", async () => {
    const process = `Served-${randomUUID().slice(0, 8)}`;
    await a.apiJson(`/api/v1/folders/${a.sharedKey}/processes`, { method: "POST", json: { name: process } });
    const tenantId = a.tenant.id;
    a.baton.jobs.forgetServedProcesses(tenantId);
    const reads = vi.spyOn(a.baton.store, "servedProcesses");
    try {
      const created = await Promise.all(Array.from({ length: 20 }, () =>
        a.apiJson("/api/v1/jobs", { method: "POST", json: { folderKey: a.sharedKey, processName: process } }) as Promise<{ state: string }>));
      expect(created.map((j) => j.state)).toEqual(Array(20).fill("Pending"));
      expect(reads).toHaveBeenCalledTimes(1);
    } finally {
      reads.mockRestore();
    }
  });
});

describe("jobs handed out by the node", () => {
  it("a robot's complete of a job this node handed it reads no job; through another node it reads it, with the same answer", async () => {
    const { key, process, sessionId } = await setUp();
    const [here, there] = [await newJob(process), await newJob(process)];
    const claimed = await rp(b, key, "POST", `/sessions/${sessionId}/claim`, { max: 2, waitSeconds: 0 });
    expect(((await claimed.json()) as { jobs: { key: string }[] }).jobs.map((j) => j.key).sort()).toEqual([here.key, there.key].sort());
    const readsB = vi.spyOn(b.baton.store, "getJob");
    const readsA = vi.spyOn(a.baton.store, "getJob");
    try {
      expect((await rp(b, key, "POST", `/sessions/${sessionId}/jobs/${here.key}/complete`, { outputArguments: { at: "b" } })).status).toBe(204);
      expect(readsB).not.toHaveBeenCalled();
      expect((await rp(a, key, "POST", `/sessions/${sessionId}/jobs/${there.key}/complete`, { outputArguments: { at: "a" } })).status).toBe(204);
      expect(readsA).toHaveBeenCalledTimes(1);
    } finally {
      readsB.mockRestore();
      readsA.mockRestore();
    }
    expect(await a.apiJson(`/api/v1/jobs/${here.key}`)).toMatchObject({ state: "Successful", outputArguments: { at: "b" } });
    expect(await a.apiJson(`/api/v1/jobs/${there.key}`)).toMatchObject({ state: "Successful", outputArguments: { at: "a" } });
    // a second complete of the same job: no longer held
    await expectProblem(await rp(b, key, "POST", `/sessions/${sessionId}/jobs/${here.key}/complete`, { outputArguments: {} }), 409, "job-not-held");
  });

  it("a job handed out here and killed meanwhile ends Stopped on its complete; one no longer held is 409 before its output is judged", async () => {
    const { key, process, sessionId } = await setUp();
    const [killed, stopped] = [await newJob(process), await newJob(process)];
    await rp(b, key, "POST", `/sessions/${sessionId}/claim`, { max: 2, waitSeconds: 0 });
    const kill = await a.api(`/api/v1/jobs/${killed.key}/stop`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ strategy: "Kill" }) });
    expect(kill.status).toBe(202);
    expect((await rp(b, key, "POST", `/sessions/${sessionId}/jobs/${killed.key}/complete`, { outputArguments: { late: true } })).status).toBe(204);
    expect(await a.apiJson(`/api/v1/jobs/${killed.key}`)).toMatchObject({ state: "Stopped", outputArguments: null });
    // a job its robot reported stopped through the other node (this node still remembers
    // handing it out), then completed here with an output that cannot be stored: 409, not 400
    expect((await rp(a, key, "POST", `/sessions/${sessionId}/jobs/${stopped.key}/stopped`, {})).status).toBe(204);
    await expectProblem(await rp(b, key, "POST", `/sessions/${sessionId}/jobs/${stopped.key}/complete`, { outputArguments: { bad: "a\u0000b" } }), 409, "job-not-held");
  });
});

describe("the node's copy of a session is dropped", () => {
  const gone = async (p: Promise<unknown>) => {
    const err = await p.then(() => null, (e: unknown) => e);
    expect(err).toMatchObject({ status: 404, code: "session-not-found" });
  };

  it("when another node says the session ended (sessionEnded), and not cached from a read that began before", async () => {
    const { key, sessionId } = await setUp();
    const tenantId = b.tenant.id;
    expect((await rp(b, key, "POST", `/sessions/${sessionId}/heartbeat`, {})).status).toBe(200);
    // the row goes without any event (as if ended on a node whose event is still on its way)
    await b.baton.store.deleteSession(sessionId);
    expect((await b.baton.robots.sessionOrThrow(tenantId, sessionId)).id).toBe(sessionId);
    b.baton.notifier.publish("sessionEnded", { tenantId, sessionId });
    await gone(b.baton.robots.sessionOrThrow(tenantId, sessionId));

    // a read in flight when a session ends is not kept: the next request reads again
    const other = await setUp();
    const getSession = b.baton.store.getSession.bind(b.baton.store);
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const reads = vi.spyOn(b.baton.store, "getSession").mockImplementation(async (t, id) => { const s = await getSession(t, id); await held; return s; });
    try {
      const first = b.baton.robots.sessionOrThrow(tenantId, other.sessionId);
      await new Promise((r) => setImmediate(r));
      b.baton.notifier.publish("sessionEnded", { tenantId, sessionId: randomUUID() });
      release();
      expect((await first).id).toBe(other.sessionId);
      await b.baton.robots.sessionOrThrow(tenantId, other.sessionId);
      expect(reads).toHaveBeenCalledTimes(2);
    } finally {
      reads.mockRestore();
    }
  });

  it("after missed cross-node events (a listener reconnected)", async () => {
    // a third node, whose notifier's missed-events listeners this test calls
    const missed: (() => void)[] = [];
    const capture = (original: (listener: () => void) => () => void) => function (this: unknown, listener: () => void) { missed.push(listener); return original.call(this, listener); };
    const [localOriginal, pgOriginal] = [LocalNotifier.prototype.onMissedEvents, PgNotifier.prototype.onMissedEvents];
    const local = vi.spyOn(LocalNotifier.prototype, "onMissedEvents").mockImplementation(capture(localOriginal));
    const pg = vi.spyOn(PgNotifier.prototype, "onMissedEvents").mockImplementation(capture(pgOriginal));
    let c: TestBaton | undefined;
    try {
      c = await startSocketlessBaton({ dataDir: a.dataDir, bootstrapToken: a.token, ...(a.databaseUrl ? { databaseUrl: a.databaseUrl } : {}) });
      local.mockRestore();
      pg.mockRestore();
      const { sessionId } = await setUp();
      const tenantId = c.tenant.id;
      expect((await c.baton.robots.sessionOrThrow(tenantId, sessionId)).id).toBe(sessionId);
      await c.baton.store.deleteSession(sessionId);
      expect((await c.baton.robots.sessionOrThrow(tenantId, sessionId)).id).toBe(sessionId);
      expect(missed.length).toBeGreaterThan(0);
      for (const listener of missed) listener();
      await gone(c.baton.robots.sessionOrThrow(tenantId, sessionId));
    } finally {
      local.mockRestore();
      pg.mockRestore();
      await c?.close();
    }
  });

  it("a complete with an output that cannot be stored, for a job handed out here but released meanwhile: 404 for the ended session, not 400", async () => {
    const { key, process, sessionId } = await setUp();
    const job = await newJob(process);
    await rp(b, key, "POST", `/sessions/${sessionId}/claim`, { max: 1, waitSeconds: 0 });
    expect((await rp(a, key, "DELETE", `/sessions/${sessionId}`)).status).toBe(204);
    await expectProblem(await rp(b, key, "POST", `/sessions/${sessionId}/jobs/${job.key}/complete`, { outputArguments: { bad: "a\u0000b" } }), 404, "session-not-found");
    expect(await a.apiJson(`/api/v1/jobs/${job.key}`)).toMatchObject({ state: "Pending" });
  });

  it("a body the route refuses (400), on a session ended elsewhere: 404 first, as when the session is read every time", async () => {
    const { key, process, sessionId } = await setUp();
    const job = await newJob(process);
    await rp(b, key, "POST", `/sessions/${sessionId}/claim`, { max: 1, waitSeconds: 0 });
    expect((await rp(a, key, "DELETE", `/sessions/${sessionId}`)).status).toBe(204);
    for (const [path, body] of [
      ["/claim", { max: -1 }], ["/heartbeat", { waitSeconds: 99_999 }], ["/results", { results: "x" }], [`/jobs/${job.key}/logs`, { lines: 5 }],
    ] as const) {
      await expectProblem(await rp(b, key, "POST", `/sessions/${sessionId}${path}`, body), 404, "session-not-found");
    }
    // a batch of results whose items are refused because the session ended: the request is 404
    await expectProblem(await rp(b, key, "POST", `/sessions/${sessionId}/results`, { results: [{ jobKey: job.key, outcome: "complete", outputArguments: {} }] }), 404, "session-not-found");
    // on a live session the same body is the route's 400
    const live = await setUp();
    await expectProblem(await rp(a, live.key, "POST", `/sessions/${live.sessionId}/claim`, { max: -1 }), 400, "invalid-claim");
  });
});
