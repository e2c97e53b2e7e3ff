import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UniqueViolation } from "../../src/core/errors.js";
import { statesBefore } from "../../src/core/jobState.js";
import { LIST_FIELD_MAX_BYTES, type Job, type JobState, type RobotSession } from "../../src/core/types.js";
import { sql } from "../../src/store/sql/sql.js";
import { SqliteStore } from "../../src/store/sqlite/SqliteStore.js";
import { PostgresStore } from "../../src/store/postgres/PostgresStore.js";
import { dropSchema, testDatabaseUrl } from "../helpers/baton.js";

/**
 * The jobs aggregate (src/store/sql/JobsSql.ts) and the engines' own paths (the claim, the
 * group commit of createJob, PostgreSQL's purge and log inserts), on each engine directly.
 * Under the suite's projects each engine runs in its own (BATON_TEST_STORE); run alone, both.
 */

type EngineStore = SqliteStore | PostgresStore;

interface Engine {
  name: "sqlite" | "postgres";
  open(): { store: () => EngineStore; cleanup: () => Promise<void> };
}

const engines: Engine[] = [
  {
    name: "sqlite",
    open() {
      const dir = mkdtempSync(join(tmpdir(), "baton-jobs-"));
      const stores: EngineStore[] = [];
      return {
        store: () => { const s = new SqliteStore(join(dir, "baton.db")); stores.push(s); return s; },
        async cleanup() { for (const s of stores) await s.close(); rmSync(dir, { recursive: true, force: true }); },
      };
    },
  },
  {
    name: "postgres",
    open() {
      const { url, schema } = testDatabaseUrl();
      const stores: EngineStore[] = [];
      return {
        store: () => { const s = new PostgresStore({ url }); stores.push(s); return s; },
        async cleanup() { for (const s of stores) await s.close(); await dropSchema(schema); },
      };
    },
  },
];
const only = process.env.BATON_TEST_STORE;

const T0 = Date.parse("2030-01-01T00:00:00.000Z");
const at = (ms: number): string => new Date(ms).toISOString();
const sec = (s: number): number => s * 1000;

describe.each(engines.filter((e) => !only || e.name === only))("JobsSql ($name)", (engine) => {
  let backing: ReturnType<Engine["open"]>;
  let store: EngineStore;

  beforeAll(async () => {
    backing = engine.open();
    store = backing.store();
    await store.migrate();
  });

  afterAll(async () => {
    await backing?.cleanup();
  });

  /** a tenant and its folder, written with plain SQL (the identity and catalog aggregates are not needed here) */
  async function newTenant(): Promise<{ tenantId: string; folderKey: string }> {
    const tenantId = randomUUID();
    const folderKey = randomUUID();
    await store.executor.run(sql`INSERT INTO tenants (id, org, name, created_at) VALUES (${tenantId}, ${`org-${tenantId}`}, 'default', ${at(T0)})`);
    await store.executor.run(sql`INSERT INTO folders (key, tenant_id, name, created_at) VALUES (${folderKey}, ${tenantId}, 'Shared', ${at(T0)})`);
    return { tenantId, folderKey };
  }

  function newJob(tenantId: string, folderKey: string, over: Partial<Job> = {}): Job {
    return {
      key: randomUUID(), tenantId, folderKey, processName: "P", triggerId: null, source: "Api", callMode: "AsyncRequestReply",
      state: "Pending", priority: "Normal", inputArguments: {}, outputArguments: null, error: null, robot: null, sessionId: null,
      attempt: 0, createdAt: at(T0), startedAt: null, endedAt: null, info: null, maxDurationSeconds: null, deadlineAt: null, idempotencyKey: null, retryAt: null, concurrencyKey: null, ...over,
    };
  }

  function newSession(tenantId: string, over: Partial<RobotSession> = {}): RobotSession {
    return {
      id: randomUUID(), tenantId, robotKeyId: null, folderKeys: null, robotName: "robot", version: "1", processes: ["P"], slots: 100,
      leaseExpiresAt: at(T0 + sec(3600)), createdAt: at(T0), ...over,
    };
  }

  describe("createJob", () => {
    it("round-trips through getJob; a duplicate key is a UniqueViolation; another tenant sees nothing", async () => {
      const { tenantId, folderKey } = await newTenant();
      const other = await newTenant();
      const job = newJob(tenantId, folderKey, { inputArguments: { a: [1, "two", null], ü: { deep: true } }, priority: "High", callMode: "LongPolling", maxDurationSeconds: 60, deadlineAt: at(T0 + 5) });
      await store.createJob(job);
      expect(await store.getJob(tenantId, job.key)).toEqual(job);
      expect(await store.getJob(other.tenantId, job.key)).toBeNull();
      await expect(store.createJob({ ...job })).rejects.toBeInstanceOf(UniqueViolation);
    });

    it("jobs created in one turn are committed together; a bad one in the batch fails alone", async () => {
      const { tenantId, folderKey } = await newTenant();
      const existing = newJob(tenantId, folderKey);
      await store.createJob(existing);
      const good = Array.from({ length: 20 }, () => newJob(tenantId, folderKey));
      const results = await Promise.allSettled([...good.slice(0, 10), { ...existing }, ...good.slice(10)].map((j) => store.createJob(j)));
      expect(results.map((r) => r.status)).toEqual([...Array(10).fill("fulfilled"), "rejected", ...Array(10).fill("fulfilled")]);
      expect((results[10] as PromiseRejectedResult).reason).toBeInstanceOf(UniqueViolation);
      expect(await store.countJobs(tenantId)).toBe(21);
    });

    it("inside a transaction: part of it (seen inside, gone after a rollback, kept after a commit)", async () => {
      const { tenantId, folderKey } = await newTenant();
      const rolledBack = newJob(tenantId, folderKey);
      await expect(store.transaction(async (tx) => {
        await tx.createJob(rolledBack);
        expect(await tx.getJob(tenantId, rolledBack.key)).toEqual(rolledBack);
        throw new Error("undo");
      })).rejects.toThrow("undo");
      expect(await store.getJob(tenantId, rolledBack.key)).toBeNull();

      // the store itself (not `tx`) joins the transaction too; a job created outside it
      // meanwhile is not part of it (on SQLite its batch waits for the transaction to end)
      const committed = newJob(tenantId, folderKey);
      const outside = newJob(tenantId, folderKey);
      let release!: () => void;
      // registered here, outside the transaction: its callback runs outside it
      const createdOutside = new Promise<void>((resolve) => { release = resolve; }).then(() => store.createJob(outside));
      await store.transaction(async () => {
        await store.createJob(committed);
        release();
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(await store.getJob(tenantId, committed.key)).toEqual(committed);
      });
      await createdOutside;
      expect(await store.getJob(tenantId, committed.key)).toEqual(committed);
      expect(await store.getJob(tenantId, outside.key)).toEqual(outside);
    });

    it("close() commits the jobs still waiting for their batch", async () => {
      const { tenantId, folderKey } = await newTenant();
      const second = backing.store();
      const jobs = Array.from({ length: 5 }, () => newJob(tenantId, folderKey));
      const created = jobs.map((j) => second.createJob(j));
      await second.close();
      await Promise.all(created);
      expect(await store.countJobs(tenantId)).toBe(5);
    });
  });

  describe("listJobs", () => {
    it("filters, pages newest first, and leaves out (and flags) the fields longer than LIST_FIELD_MAX_BYTES", async () => {
      const { tenantId, folderKey } = await newTenant();
      const second = randomUUID();
      await store.executor.run(sql`INSERT INTO folders (key, tenant_id, name, created_at) VALUES (${second}, ${tenantId}, 'Second', ${at(T0)})`);
      // {"s":"…"} is the string's length plus 8 bytes of JSON
      const fits = newJob(tenantId, folderKey, { processName: "A", createdAt: at(T0 + 1), inputArguments: { s: "a".repeat(LIST_FIELD_MAX_BYTES - 8) } });
      const long = newJob(tenantId, second, { processName: "B", createdAt: at(T0 + 2), inputArguments: { s: "a".repeat(LIST_FIELD_MAX_BYTES - 7) } });
      const done = newJob(tenantId, folderKey, { processName: "A", createdAt: at(T0 + 3) });
      for (const j of [fits, long, done]) await store.createJob(j);
      const big = { s: "é".repeat(LIST_FIELD_MAX_BYTES) };
      await store.updateJob(tenantId, done.key, ["Pending"], null, { state: "Faulted", outputArguments: big, error: { code: "E", message: "m" }, endedAt: at(T0 + 4) });

      const { items, next } = await store.listJobs(tenantId, {}, 10, null);
      expect(next).toBeNull();
      expect(items.map((i) => i.key)).toEqual([done.key, long.key, fits.key]);
      const [d, l, f] = items;
      expect(f).toEqual({ ...fits });
      expect(l).not.toHaveProperty("inputArguments");
      expect(l).toMatchObject({ inputArgumentsTruncated: true, outputArguments: null, error: null });
      expect(d).not.toHaveProperty("outputArguments");
      expect(d).toMatchObject({ outputArgumentsTruncated: true, inputArguments: {}, error: { code: "E", message: "m" }, state: "Faulted" });
      expect(d).not.toHaveProperty("errorTruncated");

      const keys = async (filter: Parameters<EngineStore["listJobs"]>[1]) => (await store.listJobs(tenantId, filter, 10, null)).items.map((i) => i.key);
      expect(await keys({ processName: "A" })).toEqual([done.key, fits.key]);
      expect(await keys({ state: ["Faulted"] })).toEqual([done.key]);
      expect(await keys({ state: ["Pending", "Running"] })).toEqual([long.key, fits.key]);
      expect(await keys({ folderKey: second })).toEqual([long.key]);
      expect(await keys({ folderKeys: [second, randomUUID()] })).toEqual([long.key]);
      expect(await keys({ folderKeys: [] })).toEqual([]);
      expect(await keys({ createdAfter: at(T0 + 2), createdBefore: at(T0 + 3) })).toEqual([long.key]);

      const first = await store.listJobs(tenantId, {}, 2, null);
      expect(first.items.map((i) => i.key)).toEqual([done.key, long.key]);
      expect(first.next).toEqual({ seq: expect.any(Number) });
      expect((await store.listJobs(tenantId, {}, 2, first.next)).items.map((i) => i.key)).toEqual([fits.key]);
    });
  });

  describe("claimJobs", () => {
    it("by priority then age, only Pending jobs of served processes and folders, never past the session's slots", async () => {
      const { tenantId, folderKey } = await newTenant();
      const mk = (processName: string, priority: Job["priority"], s: number, over: Partial<Job> = {}) =>
        newJob(tenantId, folderKey, { processName, priority, createdAt: at(T0 + sec(s)), info: "waiting", ...over });
      const low = mk("A", "Low", 1);
      const normal = mk("B", "Normal", 2);
      const high1 = mk("A", "High", 3, { maxDurationSeconds: 30 });
      const high2 = mk("B", "High", 4, { callMode: "LongPolling" });
      const unserved = mk("C", "High", 0);
      for (const j of [low, normal, high1, high2, unserved]) await store.createJob(j);
      const session = newSession(tenantId, { processes: ["A", "B"], slots: 3 });
      await store.createSession(session);
      const now = at(T0 + sec(10));
      const claimed = await store.claimJobs(session, 10, now, 60);
      expect(claimed.map((j) => j.key)).toEqual([high1.key, high2.key, normal.key]);
      expect(claimed[0]).toEqual({ ...high1, state: "Running", sessionId: session.id, robot: "robot", startedAt: now, attempt: 1, info: null, deadlineAt: at(T0 + sec(40)) });
      expect(claimed[1]!.deadlineAt).toBe(at(T0 + sec(64)));
      for (const j of claimed) expect(await store.getJob(tenantId, j.key)).toEqual(j);
      // the slots are full
      expect(await store.claimJobs(session, 10, now, 60)).toEqual([]);
      await store.updateJob(tenantId, normal.key, ["Running"], session.id, { state: "Successful", endedAt: now, sessionId: null });
      expect((await store.claimJobs(session, 10, now, 60)).map((j) => j.key)).toEqual([low.key]);

      // a session of one process, limited to a folder
      const other = randomUUID();
      await store.executor.run(sql`INSERT INTO folders (key, tenant_id, name, created_at) VALUES (${other}, ${tenantId}, 'Other', ${at(T0)})`);
      const inOther = newJob(tenantId, other, { processName: "C" });
      await store.createJob(inOther);
      const limited = newSession(tenantId, { processes: ["C"], folderKeys: [other] });
      await store.createSession(limited);
      expect((await store.claimJobs(limited, 10, now, 60)).map((j) => j.key)).toEqual([inOther.key]);
      const nowhere = newSession(tenantId, { processes: ["C"], folderKeys: [] });
      await store.createSession(nowhere);
      expect(await store.claimJobs(nowhere, 10, now, 60)).toEqual([]);
      // an expired session gets nothing
      const expired = newSession(tenantId, { processes: ["C"], leaseExpiresAt: now });
      await store.createSession(expired);
      expect(await store.claimJobs(expired, 10, now, 60)).toEqual([]);
      expect((await store.claimJobs(newSession(tenantId, { processes: ["C"] }), 10, now, 60))).toEqual([]);
    });

    it("concurrent claims of many sessions give each job to one session only, and one session's concurrent claims respect its slots", async () => {
      const { tenantId, folderKey } = await newTenant();
      const jobs = Array.from({ length: 200 }, (_, i) => newJob(tenantId, folderKey, { processName: "Bulk", createdAt: at(T0 + i) }));
      await Promise.all(jobs.map((j) => store.createJob(j)));
      const sessions = Array.from({ length: 6 }, () => newSession(tenantId, { processes: ["Bulk"], slots: 1000 }));
      for (const s of sessions) await store.createSession(s);
      const now = at(T0 + sec(100));
      const got = await Promise.all(sessions.map(async (s) => {
        const mine: Job[] = [];
        for (;;) {
          const batch = await store.claimJobs(s, 7, now, 60);
          if (batch.length === 0) return mine;
          mine.push(...batch);
        }
      }));
      const keys = got.flat().map((j) => j.key);
      expect(keys).toHaveLength(200);
      expect(new Set(keys).size).toBe(200);

      const more = Array.from({ length: 10 }, () => newJob(tenantId, folderKey, { processName: "Slots" }));
      for (const j of more) await store.createJob(j);
      const small = newSession(tenantId, { processes: ["Slots"], slots: 4 });
      await store.createSession(small);
      const claimed = (await Promise.all(Array.from({ length: 6 }, () => store.claimJobs(small, 3, now, 60)))).flat();
      expect(claimed).toHaveLength(4);
    });

    it("inside a transaction: rolled back with it", async () => {
      const { tenantId, folderKey } = await newTenant();
      const job = newJob(tenantId, folderKey, { processName: "Tx" });
      await store.createJob(job);
      const session = newSession(tenantId, { processes: ["Tx"] });
      await store.createSession(session);
      await expect(store.transaction(async () => {
        expect((await store.claimJobs(session, 1, at(T0 + sec(1)), 60)).map((j) => j.key)).toEqual([job.key]);
        throw new Error("undo");
      })).rejects.toThrow("undo");
      expect((await store.getJob(tenantId, job.key))!.state).toBe("Pending");
      expect((await store.claimJobs(session, 1, at(T0 + sec(1)), 60)).map((j) => j.key)).toEqual([job.key]);
    });
  });

  describe("updateJob", () => {
    it("applies only from the given states, tenant and session; keeps what the patch leaves out; a final state clears the deadline", async () => {
      const { tenantId, folderKey } = await newTenant();
      const other = await newTenant();
      const session = newSession(tenantId, { processes: ["U"] });
      await store.createSession(session);
      await store.createJob(newJob(tenantId, folderKey, { processName: "U", maxDurationSeconds: 10 }));
      const [job] = await store.claimJobs(session, 1, at(T0), 60);
      expect(job!.deadlineAt).toBe(at(T0 + sec(10)));
      const finish = { state: "Successful" as const, outputArguments: { ok: true }, endedAt: at(T0 + sec(5)), sessionId: null };
      expect(await store.updateJob(tenantId, job!.key, ["Pending"], null, finish)).toBeNull();
      expect(await store.updateJob(tenantId, job!.key, [], null, finish)).toBeNull();
      expect(await store.updateJob(tenantId, job!.key, ["Running"], randomUUID(), finish)).toBeNull();
      expect(await store.updateJob(other.tenantId, job!.key, ["Running"], null, finish)).toBeNull();
      expect(await store.getJob(tenantId, job!.key)).toEqual(job);

      const stopping = await store.updateJob(null, job!.key, ["Running"], session.id, { state: "Stopping", info: "asked" });
      expect(stopping).toEqual({ ...job, state: "Stopping", info: "asked" });
      // every state in `from` (duplicates included) counts
      const all: JobState[] = ["Pending", "Running", "Stopping", "Terminating", "Successful", "Faulted", "Stopped", "Running"];
      const done = await store.updateJob(tenantId, job!.key, all, session.id, { ...finish, deadlineAt: at(T0 + sec(99)) });
      expect(done).toEqual({ ...stopping, ...finish, deadlineAt: null });
      expect(await store.updateJob(tenantId, job!.key, statesBefore("Faulted"), null, { state: "Faulted" })).toBeNull();
      // a release back to Pending sets the fields it is given, null included
      const again = newJob(tenantId, folderKey, { processName: "U" });
      await store.createJob(again);
      const [held] = await store.claimJobs(session, 1, at(T0), 60);
      const released = await store.updateJob(tenantId, held!.key, statesBefore("Pending"), session.id, {
        state: "Pending", sessionId: null, robot: null, startedAt: null, notBefore: at(T0 + sec(30)), deadlineAt: null, attempt: 5, error: null,
      });
      expect(released).toEqual({ ...held, state: "Pending", sessionId: null, robot: null, startedAt: null, deadlineAt: null, attempt: 5, retryAt: at(T0 + sec(30)) });
      expect(await store.claimJobs(session, 1, at(T0 + sec(29)), 60)).toEqual([]);
      expect((await store.claimJobs(session, 1, at(T0 + sec(30)), 60))[0]!.attempt).toBe(6);
    });

    it("of concurrent finishes exactly one wins", async () => {
      const { tenantId, folderKey } = await newTenant();
      const job = newJob(tenantId, folderKey);
      await store.createJob(job);
      const results = await Promise.all((["Successful", "Faulted", "Stopped", "Successful"] as const).map((state, i) =>
        store.updateJob(tenantId, job.key, statesBefore(state), null, { state, endedAt: at(T0 + i) })));
      expect(results.filter((r) => r !== null)).toHaveLength(1);
    });
  });

  it("maintenance queries: jobsPastDeadline, jobsOfSession, countJobsByState, purgeFinalJobs (in batches on PostgreSQL, with the logs)", async () => {
    const { tenantId, folderKey } = await newTenant();
    const old = Date.parse("1991-01-01T00:00:00.000Z");
    const late = newJob(tenantId, folderKey, { processName: "M", createdAt: at(old), deadlineAt: at(old + 5) });
    await store.createJob(late);
    expect((await store.jobsPastDeadline(at(old + 5), 10)).map((j) => j.key)).toEqual([late.key]);
    expect(await store.jobsPastDeadline(at(old + 4), 10)).toEqual([]);

    const session = newSession(tenantId, { processes: ["M"] });
    await store.createSession(session);
    const [held] = await store.claimJobs(session, 1, at(T0), 60);
    expect((await store.jobsOfSession(session.id)).map((j) => j.key)).toEqual([held!.key]);

    const many = Array.from({ length: 1005 }, () => newJob(tenantId, folderKey, { processName: "Purge" }));
    await Promise.all(many.map((j) => store.createJob(j)));
    await store.executor.run(sql`UPDATE jobs SET state = 'Successful', ended_at = ${at(T0)} WHERE tenant_id = ${tenantId} AND process_name = 'Purge'`);
    await store.appendLogs(many[0]!.key, [{ at: at(T0), level: "info", message: "gone" }]);
    const counts = await store.countJobsByState();
    expect(counts.filter((c) => c.tenantId === tenantId).sort((a, b) => a.processName.localeCompare(b.processName))).toEqual([
      { tenantId, processName: "M", state: "Running", count: 1 },
      { tenantId, processName: "Purge", state: "Successful", count: 1005 },
    ]);
    expect(await store.purgeFinalJobs(tenantId, at(T0))).toBe(0);
    expect(await store.purgeFinalJobs(tenantId, at(T0 + 1))).toBe(1005);
    expect(await store.listLogs(many[0]!.key, 0, 10)).toEqual([]);
    expect(await store.countJobs(tenantId)).toBe(1);
  });

  describe("logs", () => {
    it("consecutive seq numbers, info set to the last line, paging; concurrent appends take turns", async () => {
      const { tenantId, folderKey } = await newTenant();
      const job = newJob(tenantId, folderKey);
      await store.createJob(job);
      const line = (i: number, level: "info" | "error" = "info") => ({ at: at(T0 + i), level, message: `line ${i} ✓ "q" \\ \n` });
      await store.appendLogs(job.key, []);
      await store.appendLogs(job.key, [line(1), line(2, "error")]);
      await store.appendLogs(job.key, [line(3)]);
      expect(await store.listLogs(job.key, 0, 10)).toEqual([{ seq: 1, ...line(1) }, { seq: 2, ...line(2, "error") }, { seq: 3, ...line(3) }]);
      expect(await store.listLogs(job.key, 1, 1)).toEqual([{ seq: 2, ...line(2, "error") }]);
      expect((await store.getJob(tenantId, job.key))!.info).toBe(line(3).message);
      await Promise.all([1, 2, 3, 4].map((b) => store.appendLogs(job.key, Array.from({ length: 10 }, (_, i) => line(100 * b + i)))));
      const lines = await store.listLogs(job.key, 3, 100);
      expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 4));
      // each append's lines in one run
      const batchOf = (message: string) => Math.floor(Number(message.split(" ")[1]) / 100);
      for (let b = 0; b < 4; b++) expect(new Set(lines.slice(b * 10, b * 10 + 10).map((l) => batchOf(l.message))).size).toBe(1);
      expect((await store.getJob(tenantId, job.key))!.info).toBe(lines[39]!.message);
    });

    it("inside a transaction: rolled back with it", async () => {
      const { tenantId, folderKey } = await newTenant();
      const job = newJob(tenantId, folderKey, { info: "before" });
      await store.createJob(job);
      await expect(store.transaction(async () => {
        await store.appendLogs(job.key, [{ at: at(T0), level: "info", message: "x" }]);
        expect(await store.listLogs(job.key, 0, 10)).toHaveLength(1);
        throw new Error("undo");
      })).rejects.toThrow("undo");
      expect(await store.listLogs(job.key, 0, 10)).toEqual([]);
      expect((await store.getJob(tenantId, job.key))!.info).toBe("before");
    });
  });

  it("sessions: create, get, extend, list with slots in use, count, expire, delete", async () => {
    const { tenantId, folderKey } = await newTenant();
    const s1 = newSession(tenantId, { processes: ["S"], slots: 2, createdAt: at(T0 + 2), folderKeys: [folderKey], robotKeyId: randomUUID(), version: null });
    const s2 = newSession(tenantId, { processes: [], slots: 3, createdAt: at(T0 + 1) });
    for (const s of [s1, s2]) await store.createSession(s);
    expect(await store.getSession(tenantId, s1.id)).toEqual(s1);
    expect(await store.getSession(randomUUID(), s1.id)).toBeNull();
    await store.createJob(newJob(tenantId, folderKey, { processName: "S" }));
    expect(await store.claimJobs(s1, 5, at(T0), 60)).toHaveLength(1);
    expect(await store.listSessions(tenantId)).toEqual([{ ...s2, slotsInUse: 0 }, { ...s1, slotsInUse: 1 }]);
    const lease = at(T0 + sec(7200));
    expect(await store.extendSession(s1.id, lease)).toBe(true);
    expect(await store.extendSession(randomUUID(), lease)).toBe(false);
    expect((await store.getSession(tenantId, s1.id))!.leaseExpiresAt).toBe(lease);
    const counted = await store.countRobotSessions(at(T0 + sec(3600)));
    expect(counted.sessions).toBeGreaterThanOrEqual(1);
    expect((await store.expiredSessions(at(T0 + sec(3600)))).map((s) => s.id)).toContain(s2.id);
    expect((await store.expiredSessions(at(T0 + sec(3600)))).map((s) => s.id)).not.toContain(s1.id);
    await store.deleteSession(s2.id);
    expect(await store.getSession(tenantId, s2.id)).toBeNull();
    expect((await store.listSessions(tenantId)).map((s) => s.id)).toEqual([s1.id]);
  });
});
