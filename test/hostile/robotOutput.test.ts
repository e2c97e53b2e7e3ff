import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpConnection } from "../../src/robot/HttpConnection.js";
import { RobotRuntime, type ProcessHandler } from "../../src/robot/RobotRuntime.js";
import { startTestBaton, type TestBaton } from "../helpers/baton.js";

/**
 * Issue 12, finding 2 (and parts of 11): a robot's results and logs larger than the
 * orchestrator's body limit. The shipped robot (RobotRuntime over HttpConnection, the code
 * `baton robot` runs) talks real HTTP to a real server; the handlers count their executions.
 * Before: 30 results of 60 KB went in one 1.8 MB request, were answered 413 and dropped, and
 * the jobs went back to Pending without spending an attempt, for ever.
 */

interface Job {
  key: string; state: string; attempt: number; robot: string | null; info: string | null;
  outputArguments: Record<string, unknown> | null; error: { code: string; message: string; details?: Record<string, unknown> } | null;
}
interface LogLine { level: string; message: string }

let counter = 0;
const unique = (prefix: string) => `${prefix}${++counter}${randomUUID().slice(0, 6)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FINAL = ["Successful", "Faulted", "Stopped"];

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** The management API and the raw robot protocol of one server. */
function client(b: TestBaton) {
  const rp = (key: string, method: string, path: string, body?: unknown) => fetch(`${b.base}/api/robot/v1${path}`, {
    method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    rp,
    robotKey: async (name = unique("robot")): Promise<string> => (await b.apiJson("/api/v1/robots", { method: "POST", json: { name } })).key,
    process: (name: string, fields: Record<string, unknown> = {}) => b.apiJson(`/api/v1/folders/${b.sharedKey}/processes`, { method: "POST", json: { name, ...fields } }),
    job: (processName: string, inputArguments: Record<string, unknown> = {}): Promise<Job> =>
      b.apiJson("/api/v1/jobs", { method: "POST", json: { folderKey: b.sharedKey, processName, inputArguments } }),
    getJob: (key: string): Promise<Job> => b.apiJson(`/api/v1/jobs/${key}`),
    logs: async (key: string): Promise<LogLine[]> => (await b.apiJson(`/api/v1/jobs/${key}/logs?limit=1000`)).items,
    final: (keys: string[], timeoutMs = 20_000) => until(`${keys.length} job(s) final`, async () => {
      const all = await Promise.all(keys.map((k) => b.apiJson(`/api/v1/jobs/${k}`) as Promise<Job>));
      return all.every((j) => FINAL.includes(j.state)) && all;
    }, timeoutMs),
  };
}

/** A robot as `baton robot` runs one (RobotRuntime over HttpConnection), in this process. */
async function startRobot(b: TestBaton, key: string, processes: Record<string, ProcessHandler>, slots: number) {
  const errors: string[] = [];
  const connection = new HttpConnection({ orchestrators: [b.tenantUrl], robotKey: key, onError: (err) => errors.push(String(err)) });
  const runtime = new RobotRuntime(connection, { name: unique("rt"), slots, processes, claimWaitMs: 5000, onError: (err) => errors.push(String(err)) });
  await runtime.start();
  return { runtime, errors, stop: () => runtime.stop(0) };
}

/** Counts executions per job key. */
function counted(run: (input: Record<string, unknown>, key: string) => Promise<Record<string, unknown>> | Record<string, unknown>) {
  const executions = new Map<string, number>();
  const handler: ProcessHandler = (input, ctx) => {
    executions.set(ctx.job.key, (executions.get(ctx.job.key) ?? 0) + 1);
    return run(input, ctx.job.key);
  };
  return { executions, handler };
}

describe("results and logs larger than the body limit, through the shipped robot (default 1 MiB)", () => {
  let b: TestBaton;
  let c: ReturnType<typeof client>;
  const robots: { stop: () => Promise<void> }[] = [];
  beforeAll(async () => {
    b = await startTestBaton({}, { demo: false });
    c = client(b);
  });
  afterAll(async () => {
    await Promise.all(robots.map((r) => r.stop()));
    await b?.close();
  });

  it("30 jobs with 60 KB outputs, finishing in the same moment, each run exactly once: attempt 1, Successful", async () => {
    const process = unique("Big");
    await c.process(process);
    // every job waits for all 30 to have started, so that their results are reported together
    let started = 0;
    let release!: () => void;
    const allStarted = new Promise<void>((r) => { release = r; });
    const { executions, handler } = counted(async (input, key) => {
      if (++started === 30) release();
      await allStarted;
      return { key, n: input.n as number, blob: "x".repeat(60_000) };
    });
    const robot = await startRobot(b, await c.robotKey(), { [process]: handler }, 30);
    robots.push(robot);
    const jobs = await Promise.all(Array.from({ length: 30 }, (_, n) => c.job(process, { n })));
    const final = await c.final(jobs.map((j) => j.key));
    for (const [i, j] of final.entries()) {
      expect(j, j.key).toMatchObject({ state: "Successful", attempt: 1, error: null });
      expect(j.outputArguments).toEqual({ key: j.key, n: i, blob: "x".repeat(60_000) });
    }
    expect([...executions.values()]).toEqual(jobs.map(() => 1));
    expect(executions.size).toBe(30);
    expect(robot.errors).toEqual([]);
  });

  it("a 1.5 MB output ends Faulted OutputTooLarge after exactly one execution", async () => {
    const process = unique("Huge");
    await c.process(process, { retry: { maxAttempts: 3, backoffSeconds: 0 } });
    const { executions, handler } = counted(() => ({ blob: "y".repeat(1_500_000) }));
    const small = counted(() => ({ ok: true }));
    const other = unique("Small");
    await c.process(other);
    robots.push(await startRobot(b, await c.robotKey(), { [process]: handler, [other]: small.handler }, 4));
    const [huge, fine] = [await c.job(process), await c.job(other)];
    const [faulted, ok] = await c.final([huge.key, fine.key]);
    expect(faulted).toMatchObject({ state: "Faulted", attempt: 1, outputArguments: null });
    expect(faulted!.error).toEqual({
      code: "OutputTooLarge",
      message: "The job's output arguments take 1500011 bytes as JSON; the orchestrator accepts at most 1048576 bytes in a request (the tenant's maxRequestBodyBytes).",
      details: { sizeBytes: 1500011, limitBytes: 1048576 },
      retryable: false,
    });
    expect(executions.get(huge.key)).toBe(1);
    // the other job of the same robot is not held up
    expect(ok).toMatchObject({ state: "Successful", attempt: 1, outputArguments: { ok: true } });
    // nothing runs it again: a while later it has still run once
    await sleep(500);
    expect(executions.get(huge.key)).toBe(1);
    expect((await c.getJob(huge.key)).state).toBe("Faulted");
  });

  it("an oversized log line is cut with a marker, and 1.8 MB of logs go in several requests: every line arrives", async () => {
    const process = unique("Chatty");
    await c.process(process);
    const { executions, handler } = counted(() => ({}));
    const chatty: ProcessHandler = (input, ctx) => {
      ctx.log("z".repeat(50_000));
      for (let i = 0; i < 200; i++) ctx.log(`${String(i).padStart(3, "0")} ${"l".repeat(9000)}`);
      return handler(input, ctx);
    };
    robots.push(await startRobot(b, await c.robotKey(), { [process]: chatty }, 1));
    const job = await c.job(process);
    const [done] = await c.final([job.key]);
    expect(done).toMatchObject({ state: "Successful", attempt: 1 });
    expect(executions.get(job.key)).toBe(1);
    const lines = await until("all 201 log lines", async () => { const l = await c.logs(job.key); return l.length >= 201 && l; });
    expect(lines).toHaveLength(201);
    expect(lines[0]!.message).toHaveLength(10_000);
    expect(lines[0]!.message.endsWith(" … [truncated: 50000 characters]")).toBe(true);
    expect(lines[0]!.message.startsWith("z".repeat(9000))).toBe(true);
    expect(lines.slice(1).map((l) => l.message.slice(0, 3))).toEqual(Array.from({ length: 200 }, (_, i) => String(i).padStart(3, "0")));
  });

  it("the session tells the robot its body limit, which follows the tenant's maxRequestBodyBytes (at least 64 KiB)", async () => {
    const c2 = c;
    const key = await c2.robotKey();
    const open = async () => {
      const res = await c2.rp(key, "POST", "/sessions", { processes: ["Nothing"], slots: 1 });
      expect(res.status).toBe(201);
      return (await res.json()) as Record<string, unknown>;
    };
    expect(await open()).toMatchObject({ heartbeatSeconds: 5, leaseSeconds: 15, maxRequestBodyBytes: 1_048_576 });
    try {
      await b.patchSettings({ maxRequestBodyBytes: 4 * 1024 * 1024 });
      expect(await open()).toMatchObject({ maxRequestBodyBytes: 4_194_304 });
      // a 1.5 MB output now fits
      const process = unique("Fits");
      await c.process(process);
      const { executions, handler } = counted(() => ({ blob: "y".repeat(1_500_000) }));
      const robot = await startRobot(b, await c.robotKey(), { [process]: handler }, 1);
      robots.push(robot);
      const job = await c.job(process);
      const [done] = await c.final([job.key]);
      expect(done).toMatchObject({ state: "Successful", attempt: 1 });
      expect((done!.outputArguments!.blob as string).length).toBe(1_500_000);
      expect(executions.get(job.key)).toBe(1);
      await robot.stop();

      // a tiny invocation limit does not starve robots: their limit is at least 64 KiB
      await b.patchSettings({ maxRequestBodyBytes: 1000 });
      const session = await open();
      expect(session).toMatchObject({ maxRequestBodyBytes: 65_536 });
      const beat = await c2.rp(key, "POST", `/sessions/${session.sessionId as string}/heartbeat`, { jobs: {}, pad: "p".repeat(60_000) });
      expect(beat.status).toBe(200);
      await beat.body?.cancel();
      const over = await c2.rp(key, "POST", `/sessions/${session.sessionId as string}/heartbeat`, { jobs: {}, pad: "p".repeat(70_000) });
      expect(over.status).toBe(413);
      expect(over.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
      expect(await over.json()).toMatchObject({ status: 413, code: "payload-too-large", limit: 65_536 });
    } finally {
      await b.patchSettings({ maxRequestBodyBytes: 1024 * 1024 });
    }
  });

  it("a limit lowered after the session opened: the robot learns it from the 413, splits again, and runs each job once", async () => {
    const process = unique("Lowered");
    await c.process(process);
    let started = 0;
    let release!: () => void;
    const allStarted = new Promise<void>((r) => { release = r; });
    const { executions, handler } = counted(async (input, key) => {
      if (++started === 10) release();
      await allStarted;
      return input.big ? { blob: "b".repeat(200_000) } : { key, blob: "x".repeat(60_000) };
    });
    const robot = await startRobot(b, await c.robotKey(), { [process]: handler }, 10);
    robots.push(robot);
    try {
      // the robot was told 1 MiB; the tenant now allows 128 KiB
      await b.patchSettings({ maxRequestBodyBytes: 128 * 1024 });
      const jobs = await Promise.all(Array.from({ length: 10 }, (_, n) => c.job(process, { n, big: n === 9 })));
      const final = await c.final(jobs.map((j) => j.key));
      for (const j of final.slice(0, 9)) expect(j, j.key).toMatchObject({ state: "Successful", attempt: 1, outputArguments: { key: j.key } });
      expect(final[9]).toMatchObject({ state: "Faulted", attempt: 1, error: { code: "OutputTooLarge", details: { sizeBytes: 200_011, limitBytes: 131_072 } } });
      expect([...executions.values()]).toEqual(jobs.map(() => 1));
    } finally {
      await b.patchSettings({ maxRequestBodyBytes: 1024 * 1024 });
    }
  });
});

describe("slots and heartbeat info (raw protocol)", () => {
  let b: TestBaton;
  let c: ReturnType<typeof client>;
  beforeAll(async () => {
    b = await startTestBaton({}, { demo: false });
    c = client(b);
  });
  afterAll(async () => { await b?.close(); });

  const open = async (key: string, processes: string[], slots: number): Promise<string> => {
    const res = await c.rp(key, "POST", "/sessions", { processes, slots });
    expect(res.status).toBe(201);
    return ((await res.json()) as { sessionId: string }).sessionId;
  };
  const claim = async (key: string, session: string, max: number): Promise<{ key: string; attempt: number }[]> => {
    const res = await c.rp(key, "POST", `/sessions/${session}/claim`, { max, waitSeconds: 0 });
    expect(res.status).toBe(200);
    return ((await res.json()) as { jobs: { key: string; attempt: number }[] }).jobs;
  };

  it("a session opened with slots: 1 never holds more than one job, however it claims", async () => {
    const process = unique("One");
    await c.process(process);
    const jobs = await Promise.all(Array.from({ length: 5 }, () => c.job(process)));
    const key = await c.robotKey();
    const session = await open(key, [process], 1);
    const first = await claim(key, session, 100);
    expect(first).toHaveLength(1);
    for (let i = 0; i < 3; i++) expect(await claim(key, session, 100)).toEqual([]);
    // claims sent all at once get nothing more
    expect((await Promise.all(Array.from({ length: 10 }, () => claim(key, session, 5)))).flat()).toEqual([]);
    const res = await c.rp(key, "POST", `/sessions/${session}/results`, { results: [{ jobKey: first[0]!.key, outcome: "complete", outputArguments: {} }] });
    expect(await res.json()).toEqual({ results: [{ jobKey: first[0]!.key, status: 204 }] });
    // the slot is free again: one more, and only one
    expect(await claim(key, session, 100)).toHaveLength(1);
    expect(await claim(key, session, 100)).toEqual([]);
    const states = await Promise.all(jobs.map(async (j) => (await c.getJob(j.key)).state));
    expect(states.sort()).toEqual(["Pending", "Pending", "Pending", "Running", "Successful"]);
  });

  it("concurrent claims of one session take at most its slots between them", async () => {
    const process = unique("Race");
    await c.process(process);
    await Promise.all(Array.from({ length: 20 }, () => c.job(process)));
    const key = await c.robotKey();
    const session = await open(key, [process], 3);
    const got = (await Promise.all(Array.from({ length: 12 }, () => claim(key, session, 5)))).flat();
    expect(got).toHaveLength(3);
    const listed = (await b.apiJson("/api/v1/robots/sessions")).items.find((s: { id: string }) => s.id === session);
    expect(listed).toMatchObject({ slots: 3, slotsInUse: 3 });
  });

  it("a heartbeat's info line is cut to 10000 characters, with a marker", async () => {
    const process = unique("Info");
    await c.process(process);
    const job = await c.job(process);
    const key = await c.robotKey();
    const session = await open(key, [process], 1);
    expect((await claim(key, session, 1)).map((j) => j.key)).toEqual([job.key]);
    const res = await c.rp(key, "POST", `/sessions/${session}/heartbeat`, { jobs: { [job.key]: "i".repeat(200_000) } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ stop: [], kill: [], lost: [] });
    const [line] = await c.logs(job.key);
    expect(line!.message).toHaveLength(10_000);
    expect(line!.message).toBe(`${"i".repeat(10_000 - " … [truncated: 200000 characters]".length)} … [truncated: 200000 characters]`);
  });
});

describe("no job runs again without an attempt counted (heartbeat 1 s, lease 2 s)", () => {
  let b: TestBaton;
  let c: ReturnType<typeof client>;
  beforeAll(async () => {
    b = await startTestBaton({ heartbeatSeconds: 1, leaseSeconds: 2 }, { demo: false, maintenanceIntervalMs: 50 });
    c = client(b);
  });
  afterAll(async () => { await b?.close(); });

  const open = async (key: string, processes: string[]): Promise<string> => {
    const res = await c.rp(key, "POST", "/sessions", { processes, slots: 10 });
    expect(res.status).toBe(201);
    return ((await res.json()) as { sessionId: string }).sessionId;
  };
  const claim = async (key: string, session: string, max: number): Promise<{ key: string; attempt: number }[]> => {
    const res = await c.rp(key, "POST", `/sessions/${session}/claim`, { max, waitSeconds: 0 });
    expect(res.status).toBe(200);
    return ((await res.json()) as { jobs: { key: string; attempt: number }[] }).jobs;
  };

  it("a job handed back by a closed session keeps its attempt: its next run is attempt 2", async () => {
    const process = unique("Closed");
    await c.process(process);
    const job = await c.job(process);
    const key = await c.robotKey("closer");
    const session = await open(key, [process]);
    expect(await claim(key, session, 1)).toMatchObject([{ key: job.key, attempt: 1 }]);
    expect((await c.rp(key, "DELETE", `/sessions/${session}`)).status).toBe(204);
    expect(await c.getJob(job.key)).toMatchObject({ state: "Pending", attempt: 1, robot: null, info: "Handed back by robot closer during attempt 1." });
    const next = await open(key, [process]);
    expect(await claim(key, next, 1)).toMatchObject([{ key: job.key, attempt: 2 }]);
    expect(await c.getJob(job.key)).toMatchObject({ state: "Running", attempt: 2 });
  });

  it("a job the robot stops listing is lost: retried as attempt 2 while attempts remain, then Faulted RobotLost", async () => {
    const process = unique("Unlisted");
    await c.process(process, { retry: { maxAttempts: 2, backoffSeconds: 0 } });
    const job = await c.job(process);
    const key = await c.robotKey("forgetful");
    const session = await open(key, [process]);
    const beat = async () => { const r = await c.rp(key, "POST", `/sessions/${session}/heartbeat`, { jobs: {} }); expect(r.status).toBe(200); await r.body?.cancel(); };
    expect(await claim(key, session, 1)).toMatchObject([{ key: job.key, attempt: 1 }]);
    // the robot heartbeats but never lists the job (it dropped it: say, a result it could not deliver)
    const back = await until("the job back to Pending", async () => {
      await beat();
      const j = await c.getJob(job.key);
      return j.state === "Pending" && j;
    }, 8000, 100);
    expect(back).toMatchObject({ attempt: 1, info: "Robot forgetful no longer listed it in its heartbeats; retrying (attempt 2 of 2)." });
    expect(await claim(key, session, 1)).toMatchObject([{ key: job.key, attempt: 2 }]);
    const faulted = await until("the job Faulted", async () => {
      await beat();
      const j = await c.getJob(job.key);
      return j.state === "Faulted" && j;
    }, 8000, 100);
    expect(faulted).toMatchObject({
      attempt: 2, error: { code: "RobotLost", message: "Robot forgetful no longer listed the job in its heartbeats (attempt 2 of 2)." },
    });
  });
});
