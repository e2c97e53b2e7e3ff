import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupChildren, tempDir } from "./helpers/child.js";
import {
  call, cleanupRobots, createJob, createProcess, createRobotKey, fixture, getJob, listJobs, startRobot, until, waitForJob,
  type JobView, type Orchestrator, type RobotChild,
} from "./helpers/robot.js";
import { dropSchemaOn, newToken, nodeAlive, PrivatePostgres, schemaUrl, SHARED_DATABASE, startNode, type Node } from "./helpers/multiNode.js";

/**
 * Multi-node Baton (SPEC §7, issue 4) as operators run it: `baton serve` nodes and
 * `baton robot` robots as real processes sharing one PostgreSQL. Nodes learn of each other's
 * events only through LISTEN/NOTIFY, so every "at once" below is a cross-node notification.
 * Each describe block has its own schema (or its own private PostgreSQL) and its own
 * processes, so the blocks run concurrently.
 */

const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  await cleanupRobots();
  await cleanupChildren();
  for (const c of cleanups.reverse()) await c().catch((err: unknown) => console.error("cleanup:", err));
}, 60_000);

/** A schema of its own on the machine's PostgreSQL, dropped after the file. */
function sharedSchema(): string {
  const { url, schema } = schemaUrl(SHARED_DATABASE);
  cleanups.push(() => dropSchemaOn(SHARED_DATABASE, schema));
  return url;
}

/** The executions work.mjs recorded ("<key> <attempt>" at the start, "… done" at the end). */
function records(file: string, which: "started" | "done"): { key: string; attempt: number }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => line.split(" "))
    .filter((parts) => (parts[2] === "done") === (which === "done"))
    .map(([key, attempt]) => ({ key: key!, attempt: Number(attempt) }));
}

/** How many times each key occurs. */
function counts(keys: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

async function createTrigger(o: Orchestrator, slug: string, processName: string, callMode: string): Promise<void> {
  await call(o, "POST", `/api/v1/folders/${o.folderKey}/triggers`, { name: slug, slug, verb: "POST", processName, callMode });
}

function invoke(node: Node, slug: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<Response> {
  return fetch(node.invokeUrl(slug), {
    method: "POST", redirect: "manual", signal,
    headers: { authorization: `Bearer ${node.o.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

function authGet(node: Node, url: string): Promise<Response> {
  return fetch(url.startsWith("http") ? url : `${node.banner.base}${url}`, { redirect: "manual", headers: { authorization: `Bearer ${node.o.token}` } });
}

describe.concurrent("multi-node Baton on PostgreSQL", () => {
  describe("three nodes, two robots each connected to one node", () => {
    let A: Node, B: Node, C: Node;
    let robot1: RobotChild, robot2: RobotChild;
    const recordDir = tempDir("baton-mn-records-");

    beforeAll(async () => {
      const url = sharedSchema();
      const token = newToken();
      // all three at once on a fresh schema: migrations and bootstrap race, as in a rolling deploy.
      // Heartbeats 20 s apart: a stop that arrives sooner came through the waiting heartbeat.
      const env = { BATON_HEARTBEAT_SECONDS: "20", BATON_LEASE_SECONDS: "60" };
      [A, B, C] = await Promise.all([startNode("A", url, token, env), startNode("B", url, token, env), startNode("C", url, token, env)]);
      const o = A.o;
      await createProcess(o, "Fast");
      await createProcess(o, "Hold");
      await createProcess(o, "Slow");
      await createTrigger(o, "fast", "Fast", "LongPolling");
      await createTrigger(o, "slow", "Slow", "LongPolling");
      await createTrigger(o, "fast-async", "Fast", "AsyncRequestReply");
      const [key1, key2] = [await createRobotKey(o, "robot-1"), await createRobotKey(o, "robot-2")];
      [robot1, robot2] = await Promise.all([
        // robot 1 talks to node B only; robot 2 to node C only
        startRobot(null, {
          orchestrator: [B.banner.tenantUrl], key: key1, name: "robot-1", slots: 4,
          processes: { Fast: { module: fixture("module.mjs") }, Hold: { module: fixture("work.mjs") } },
        }, { env: { RECORD_FILE: join(recordDir, "robot-1.txt") } }),
        startRobot(null, {
          orchestrator: [C.banner.tenantUrl], key: key2, name: "robot-2", slots: 4, processes: { Slow: { module: fixture("work.mjs") } },
        }, { env: { RECORD_FILE: join(recordDir, "robot-2.txt") } }),
      ]);
      expect(robot1.stderr()).toContain(`"orchestrator":"${B.banner.tenantUrl}"`);
      expect(robot2.stderr()).toContain(`"orchestrator":"${C.banner.tenantUrl}"`);
    }, 60_000);

    it("LongPolling on node A answers 200 with the output of a job run by a robot on node B (or C), at once", async () => {
      let t0 = Date.now();
      let res = await invoke(A, "fast", { a: 2, b: 3 });
      const fastMs = Date.now() - t0;
      expect(res.status).toBe(200);
      const out = (await res.json()) as { sum: number; jobKey: string; processName: string };
      expect(out).toMatchObject({ sum: 5, processName: "Fast", language: "js" });
      // (a 200, not the 303 of the 50 s long-poll timeout: the result came while the caller waited)
      expect((await getJob(C.o, out.jobKey)).robot).toBe("robot-1");

      // a job that runs 1.5 s: the caller on A is surely waiting when the result reaches node C
      t0 = Date.now();
      res = await invoke(A, "slow", { ms: 1500 });
      const slowMs = Date.now() - t0;
      expect(res.status).toBe(200);
      const slow = (await res.json()) as { jobKey: string; attempt: number };
      expect(slow).toMatchObject({ attempt: 1, robot: null });
      expect((await getJob(B.o, slow.jobKey)).robot).toBe("robot-2");
      expect(slowMs).toBeGreaterThanOrEqual(1400);
      console.log(`LongPolling on A: Fast job on robot-1@B answered in ${fastMs} ms; 1.5 s Slow job on robot-2@C in ${slowMs} ms`);
    });

    it("the status of a job created on A is read on C: 303 to the output, and the output on C is 200", async () => {
      const res = await invoke(A, "fast-async", { a: 20, b: 22 });
      expect(res.status).toBe(202);
      const { jobKey } = (await res.json()) as { jobKey: string };
      const status = await until("the status on C to be 303", 10_000, async () => {
        const r = await authGet(C, `/api/v1/jobs/${jobKey}/status`);
        if (r.status === 200) { await r.body?.cancel(); return null; }
        return r;
      }, 25);
      expect(status.status).toBe(303);
      const location = status.headers.get("location")!;
      expect(location).toBe(`${C.banner.base}/api/v1/jobs/${jobKey}/output`);
      const output = await authGet(C, location);
      expect(output.status).toBe(200);
      expect(await output.json()).toMatchObject({ sum: 42, jobKey, processName: "Fast" });
    });

    it("a job created on node A wakes robot 1 long-polling on node B at once", async () => {
      const latencies: number[] = [];
      for (let i = 0; i < 3; i++) {
        const created = await createJob(A.o, "Fast", { a: i, b: 1 });
        const job = await waitForJob(C.o, created.key, ["Successful"], 10_000);
        expect(job.robot).toBe("robot-1");
        latencies.push(Date.parse(job.startedAt!) - Date.parse(job.createdAt));
      }
      console.log(`claim latency (created on A → claimed through B): ${latencies.join(", ")} ms`);
      // a robot's claim long-polls up to 30 s and is then sent again at once: a claim answered
      // in under half of that was woken by the notification (the bench measures how fast)
      for (const ms of latencies) expect(ms).toBeLessThan(15_000);
    });

    it("a Kill requested on node C reaches robot 1 connected to node B: the job ends Stopped at once", async () => {
      const job = await createJob(A.o, "Hold", { ms: 60_000 });
      await until("the Hold job to start on robot 1", 10_000, () => records(join(recordDir, "robot-1.txt"), "started").some((r) => r.key === job.key));
      const t0 = Date.now();
      const stopping = await call<JobView>(C.o, "POST", `/api/v1/jobs/${job.key}/stop`, { strategy: "Kill" });
      expect(stopping.state).toBe("Terminating");
      const stopped = await waitForJob(A.o, job.key, ["Stopped", "Successful", "Faulted"], 10_000);
      const stopMs = Date.now() - t0;
      expect(stopped.state).toBe("Stopped");
      // robot heartbeats are 20 s apart here: sooner than that, the stop came through the waiting heartbeat on B
      expect(stopMs).toBeLessThan(15_000);
      console.log(`Kill on C → Stopped (robot-1@B): ${stopMs} ms`);
    });
  });

  describe("kill -9 of a node mid-job", () => {
    it("its robot moves to the next node; every job runs exactly once and ends Successful", { timeout: 60_000 }, async () => {
      const url = sharedSchema();
      const token = newToken();
      const env = { BATON_HEARTBEAT_SECONDS: "2", BATON_LEASE_SECONDS: "8" };
      const [B, C] = await Promise.all([startNode("B", url, token, env), startNode("C", url, token, env)]);
      await createProcess(C.o, "Work", { retry: { maxAttempts: 3, backoffSeconds: 1 } });
      const record = join(tempDir("baton-mn-kill-"), "records.txt");
      const robot = await startRobot(null, {
        orchestrator: [B.banner.tenantUrl, C.banner.tenantUrl], key: await createRobotKey(C.o, "failover"), name: "failover", slots: 4,
        processes: { Work: { module: fixture("work.mjs") } },
      }, { env: { RECORD_FILE: record } });
      expect(robot.stderr()).toContain(`"orchestrator":"${B.banner.tenantUrl}"`);

      // three jobs run on the robot (their heartbeats go through B) and a claim for the fourth slot waits on B
      const jobs = await Promise.all(Array.from({ length: 3 }, (_, i) => createJob(C.o, "Work", { ms: 2500, n: i })));
      await until("3 jobs running on the robot", 15_000, () => records(record, "started").length === 3);
      // a caller waits on C for one of them
      const waiting = authGet(C, `/api/v1/jobs/${jobs[0]!.key}/wait`).then(async (r) => ({ status: r.status, body: await r.text() }));
      await new Promise((res) => setTimeout(res, 200));

      const killedAt = Date.now();
      await B.child.stop("SIGKILL");
      // jobs created after the kill reach the robot through node C: one at once (the free slot), the others as slots free up
      const after = await Promise.all(Array.from({ length: 4 }, (_, i) => createJob(C.o, "Work", { ms: 500, n: 3 + i })));
      jobs.push(...after);
      const firstAfter = await until("a job created after the kill to run", 10_000, async () => {
        const running = (await Promise.all(after.map((j) => getJob(C.o, j.key)))).filter((j) => j.startedAt);
        return running.length > 0 ? running[0] : null;
      }, 25);
      const failoverMs = Date.parse(firstAfter.startedAt!) - killedAt;
      // the robot moved to C on B's refused connections, not after its 8 s lease ran out on B
      expect(failoverMs).toBeLessThan(8000);

      const final = await until("all 7 jobs final", 40_000, async () => {
        const all = await Promise.all(jobs.map((j) => getJob(C.o, j.key)));
        return all.every((j) => ["Successful", "Faulted", "Stopped"].includes(j.state)) ? all : null;
      }, 100);
      const doneMs = Date.now() - killedAt;
      for (const j of final) expect(j.state, `${j.key}: ${JSON.stringify(j.error)}`).toBe("Successful");
      const started = counts(records(record, "started").map((r) => r.key));
      const done = counts(records(record, "done").map((r) => r.key));
      for (const j of jobs) {
        expect(started.get(j.key), `executions of ${j.key}`).toBe(1);
        expect(done.get(j.key), `completions of ${j.key}`).toBe(1);
      }
      expect(started.size).toBe(jobs.length);
      // the same session went on through node C: nothing was retried
      expect(final.map((j) => j.attempt)).toEqual(final.map(() => 1));
      const waited = await waiting;
      expect(waited.status, waited.body).toBe(200);
      expect(JSON.parse(waited.body)).toMatchObject({ jobKey: jobs[0]!.key, attempt: 1 });
      expect(robot.proc.exitCode).toBeNull();
      expect(nodeAlive(C)).toBe(true);
      console.log(`kill -9 of node B: the robot claimed through C ${failoverMs} ms after the kill; all 7 jobs Successful ${doneMs} ms after it, each executed once`);
    });
  });

  describe("a restart of PostgreSQL (a private instance) during a load of invocations", () => {
    let pgc: PrivatePostgres | null = null;
    const mine: { stop(signal?: NodeJS.Signals): Promise<unknown> }[] = [];

    afterAll(async () => {
      // this block's robot and nodes first (not the other blocks'), then the private cluster
      await Promise.all(mine.map((c) => c.stop("SIGKILL")));
      await pgc?.destroy();
    }, 30_000);

    it("503 + Retry-After while it is down, recovery by itself, every acknowledged job kept, LongPolling answered", { timeout: 90_000 }, async () => {
      const created = Date.now();
      pgc = await PrivatePostgres.create();
      const setupPgMs = Date.now() - created;
      const url = `${pgc.url}?schema=baton_mn`;
      const token = newToken();
      const [P1, P2] = await Promise.all([startNode("P1", url, token), startNode("P2", url, token)]);
      mine.push(P1.child, P2.child);
      const o = P1.o;
      await createProcess(o, "Load");
      await createProcess(o, "Wait");
      await createTrigger(o, "load", "Load", "AsyncRequestReply");
      await createTrigger(o, "wait", "Wait", "LongPolling");
      const record = join(tempDir("baton-mn-pg-"), "records.txt");
      // the robot talks to P1 only, the LongPolling caller to P2: its answer must cross nodes
      mine.push(await startRobot(null, {
        orchestrator: [P1.banner.tenantUrl], key: await createRobotKey(o, "pg-robot"), name: "pg-robot", slots: 8,
        processes: { Load: { module: fixture("work.mjs") }, Wait: { module: fixture("work.mjs") }, Chatty: { module: fixture("chatty.mjs") } },
      }, { env: { RECORD_FILE: record } }));

      // jobs that log all the time span the restart: their log batches are transactions (appendLogs)
      await createProcess(o, "Chatty");
      const chatty = await Promise.all(Array.from({ length: 3 }, () => createJob(o, "Chatty", { ms: 5000, everyMs: 2 })));

      // a connection dropped in the middle of a transaction (an operator's pg_terminate_backend,
      // a network cut) fails that request, and nothing else: the node stays up
      const admin = new pg.Client({ connectionString: pgc.url });
      await admin.connect();
      const terminated: number[] = [];
      try {
        await until("a Baton connection caught in a transaction", 10_000, async () => {
          const { rows } = await admin.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
               AND state IN ('active', 'idle in transaction') AND xact_start < query_start`,
          );
          for (const { pid } of rows) if ((await admin.query("SELECT pg_terminate_backend($1)", [pid])).rowCount) terminated.push(pid);
          return terminated.length >= 2;
        }, 2);
      } finally {
        await admin.end();
      }
      await new Promise((res) => setTimeout(res, 300));
      expect(nodeAlive(P1) && nodeAlive(P2), `a node died after its connection was dropped mid-transaction:\n${P1.child.stderr()}\n${P2.child.stderr()}`).toBe(true);

      // a LongPolling caller on P2 whose job (on the robot, through P1) spans the restart
      const lpStarted = Date.now();
      const longPoll = invoke(P2, "wait", { ms: 3000 }).then(async (r) => ({ status: r.status, body: await r.text(), ms: Date.now() - lpStarted }));

      // the load: FireAndForget and AsyncRequestReply calls to both nodes, bounded in count and time
      interface Outcome { kind: "ff" | "async"; marker: string; sentAt: number; status: number; jobKey?: string; problem?: any; retryAfter?: string | null; type?: string | null; error?: string }
      const outcomes: Outcome[] = [];
      const loadEnds = Date.now() + 9000;
      const maxRequests = 1200;
      let n = 0;
      const worker = async (w: number) => {
        while (Date.now() < loadEnds && n < maxRequests) {
          const i = n++;
          const kind = i % 2 === 0 ? "ff" : "async";
          const marker = `${kind}-${i}`;
          const node = (i + w) % 2 === 0 ? P1 : P2;
          const sentAt = Date.now();
          const body = kind === "ff" ? { marker, $callMode: "FireAndForget" } : { marker };
          try {
            const r = await invoke(node, "load", body, AbortSignal.timeout(15_000));
            const text = await r.text();
            const outcome: Outcome = { kind, marker, sentAt, status: r.status, retryAfter: r.headers.get("retry-after"), type: r.headers.get("content-type") };
            if (r.status === 202) outcome.jobKey = (JSON.parse(text) as { jobKey: string }).jobKey;
            else if (r.status !== 200) outcome.problem = text ? JSON.parse(text) : null;
            outcomes.push(outcome);
            if (r.status >= 500) await new Promise((res) => setTimeout(res, 100));
          } catch (err) {
            outcomes.push({ kind, marker, sentAt, status: 0, error: String(err) });
            await new Promise((res) => setTimeout(res, 100));
          }
        }
      };
      const workers = Promise.all([0, 1, 2, 3].map(worker));

      await until("the Wait job to run", 10_000, async () => (await listJobs(o, "processName=Wait&state=Running")).length === 1, 25);
      await until("some load acknowledged", 10_000, () => outcomes.filter((x) => x.status === 200 || x.status === 202).length >= 20 || null, 25);

      // stop PostgreSQL (fast: sessions are terminated), keep it down ~1.5 s, start it again
      const downAt = Date.now();
      await pgc.stop("fast");
      const stoppedAt = Date.now();
      const probe = await until("a 503 while PostgreSQL is down", 5000, async () => {
        const r = await invoke(P2, "load", { marker: "probe" });
        return r.status === 503 ? r : (await r.body?.cancel(), null);
      }, 50);
      expect(probe.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(Number(probe.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await probe.json()).toMatchObject({ status: 503, code: "store-unavailable" });
      const mgmt = await authGet(P1, "/api/v1/jobs?limit=1");
      expect(mgmt.status).toBe(503);
      expect(mgmt.headers.get("retry-after")).toBeTruthy();
      await mgmt.body?.cancel();
      await new Promise((res) => setTimeout(res, Math.max(0, 1500 - (Date.now() - stoppedAt))));
      await pgc.start();
      const upAt = Date.now();

      // Baton recovers by itself: both nodes accept invocations again
      for (const node of [P1, P2]) {
        await until(`${node.name} to accept invocations again`, 20_000, async () => {
          const r = await invoke(node, "load", { marker: `recovered-${node.name}` });
          await r.body?.cancel();
          return r.status === 202;
        }, 50);
      }
      const recoveredMs = Date.now() - upAt;
      await workers;

      const lp = await longPoll;
      expect(lp.status, lp.body).toBe(200);
      expect(JSON.parse(lp.body)).toMatchObject({ attempt: 1 });

      // every answer was an acknowledgement or a proper 503 (no 500, no hang, no dropped connection)
      const acked = outcomes.filter((x) => x.status === 200 || x.status === 202);
      const refused = outcomes.filter((x) => !(x.status === 200 || x.status === 202));
      for (const r of refused) {
        expect(r.status, JSON.stringify(r)).toBe(503);
        expect(r.type).toMatch(/^application\/problem\+json/);
        expect(Number(r.retryAfter)).toBeGreaterThan(0);
        expect(r.problem).toMatchObject({ status: 503, code: "store-unavailable" });
      }
      expect(acked.filter((x) => x.sentAt > upAt).length, "acknowledged calls after the restart").toBeGreaterThan(0);

      // every acknowledged job is there: keys for AsyncRequestReply, markers for FireAndForget
      const all = await listJobs(o, "processName=Load");
      const keys = new Set(all.map((j) => j.key));
      const markers = new Set(all.map((j) => j.inputArguments.marker as string));
      const lostAsync = acked.filter((x) => x.kind === "async" && !keys.has(x.jobKey!));
      const lostFf = acked.filter((x) => x.kind === "ff" && !markers.has(x.marker));
      expect(lostAsync, "acknowledged AsyncRequestReply jobs missing").toEqual([]);
      expect(lostFf, "acknowledged FireAndForget jobs missing").toEqual([]);
      for (const x of acked.filter((a) => a.kind === "async")) expect(markers.has(x.marker)).toBe(true);

      // and they all run, each exactly once
      const finished = await until("every Load job final", 30_000, async () => {
        const now = await listJobs(o, "processName=Load");
        return now.every((j) => ["Successful", "Faulted", "Stopped"].includes(j.state)) ? now : null;
      }, 250);
      expect(finished.filter((j) => j.state !== "Successful").map((j) => `${j.key} ${j.state} ${JSON.stringify(j.error)}`)).toEqual([]);
      for (const j of chatty) expect(await waitForJob(o, j.key, ["Successful", "Faulted", "Stopped"], 20_000)).toMatchObject({ state: "Successful" });
      const executed = counts(records(record, "started").map((r) => r.key));
      expect([...executed.entries()].filter(([, c]) => c !== 1)).toEqual([]);
      expect(nodeAlive(P1) && nodeAlive(P2)).toBe(true);

      const by = (s: number) => outcomes.filter((x) => x.status === s).length;
      console.log(
        `PostgreSQL restart: private cluster ready in ${setupPgMs} ms; ${outcomes.length} calls (${by(200)} × 200 FireAndForget, ${by(202)} × 202, ` +
        `${by(503)} × 503, ${by(0)} network errors); down ${upAt - downAt} ms (stop ${stoppedAt - downAt} ms); both nodes accepting again ` +
        `${recoveredMs} ms after the start; LongPolling across the restart answered 200 after ${lp.ms} ms; ${finished.length} Load jobs Successful`,
      );
    });
  });
});
