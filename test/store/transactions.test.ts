import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Baton } from "../../src/core/Baton.js";
import { ManualClock } from "../../src/core/Clock.js";
import { StoreUnavailable } from "../../src/core/errors.js";
import type { NewAuditEntry, Store } from "../../src/core/store.js";
import type { Job } from "../../src/core/types.js";
import { PostgresStore } from "../../src/store/postgres/PostgresStore.js";
import { SqliteStore } from "../../src/store/sqlite/SqliteStore.js";
import { dropSchema, testDatabaseUrl } from "../helpers/baton.js";

/**
 * The unit of work (issue 14), on both engines: `store.transaction` commits everything or
 * nothing, joins an open transaction, keeps other callers' statements out of it, and runs
 * `afterCommit` tasks only once committed. Then what it is for: a robot session closed while
 * the store fails half-way leaves no job Running without a live session, and due work
 * written in a transaction that rolls back never falls due.
 */

interface Engine {
  name: string;
  /** a new store on one fresh backing, opened `n` times (several nodes) */
  open(n: number): { stores: Store[]; cleanup(): Promise<void> };
}

const engines: Engine[] = [
  {
    name: "sqlite",
    open(n) {
      const dir = mkdtempSync(join(tmpdir(), "baton-tx-"));
      const stores = Array.from({ length: n }, () => new SqliteStore(join(dir, "baton.db")));
      return { stores, cleanup: async () => { for (const s of stores) await s.close(); rmSync(dir, { recursive: true, force: true }); } };
    },
  },
  {
    name: "postgres",
    open(n) {
      const { url, schema } = testDatabaseUrl();
      const stores = Array.from({ length: n }, () => new PostgresStore({ url }));
      return { stores, cleanup: async () => { for (const s of stores) await s.close(); await dropSchema(schema); } };
    },
  },
];

const T0 = Date.parse("2030-01-01T00:00:00.000Z");
const at = (ms: number) => new Date(T0 + ms).toISOString();

const auditEntry = (tenantId: string, action: string): NewAuditEntry => ({
  org: "default", tenantId, at: at(0), actor: { kind: "test", id: null, name: null }, action, target: null, details: {}, sourceIp: null, requestId: null,
});

const newJob = (tenantId: string, folderKey: string, processName: string): Job => ({
  key: randomUUID(), tenantId, folderKey, processName, triggerId: null, source: "Api", callMode: "AsyncRequestReply", state: "Pending",
  priority: "Normal", inputArguments: {}, outputArguments: null, error: null, robot: null, sessionId: null, attempt: 0, createdAt: at(0),
  startedAt: null, endedAt: null, info: null, maxDurationSeconds: null, deadlineAt: null, idempotencyKey: null, retryAt: null, concurrencyKey: null,
});

for (const engine of engines) {
  describe(`store.transaction (${engine.name})`, () => {
    let env: ReturnType<Engine["open"]>;
    let store: Store;
    let other: Store;
    let tenantId: string;

    beforeAll(async () => {
      env = engine.open(2);
      [store, other] = env.stores as [Store, Store];
      await store.migrate();
      tenantId = (await store.ensureTenant("default", `tx-${randomUUID().slice(0, 8)}`)).tenant.id;
    });
    afterAll(async () => { await env?.cleanup(); });

    it("commits every change of the work together", async () => {
      const name = `F-${randomUUID().slice(0, 8)}`;
      const key = randomUUID();
      const result = await store.transaction(async (tx) => {
        await tx.createFolder({ key, tenantId, name, createdAt: at(0) });
        await tx.appendAudit(auditEntry(tenantId, `commit.${name}`));
        return "done";
      });
      expect(result).toBe("done");
      expect(await other.getFolder(tenantId, key)).toMatchObject({ name });
      expect((await other.listAudit(tenantId, { limit: 10, cursor: null, action: `commit.${name}` })).items).toHaveLength(1);
    });

    it("a throw rolls back every change, those made through the store itself included, and is rethrown", async () => {
      const name = `F-${randomUUID().slice(0, 8)}`;
      const key = randomUUID();
      const boom = new Error("boom");
      await expect(store.transaction(async (tx) => {
        await tx.createFolder({ key, tenantId, name, createdAt: at(0) });
        // a call on the store, not on tx, from code the work awaits: it joins the transaction
        await store.appendAudit(auditEntry(tenantId, `rollback.${name}`));
        await store.createJob(newJob(tenantId, key, "P"));
        throw boom;
      })).rejects.toBe(boom);
      expect(await store.getFolder(tenantId, key)).toBeNull();
      expect((await store.listAudit(tenantId, { limit: 10, cursor: null, action: `rollback.${name}` })).items).toEqual([]);
      expect((await store.listJobs(tenantId, { folderKey: key }, 10, null)).items).toEqual([]);
    });

    it("a transaction inside a transaction joins it: the outer throw rolls back the inner work", async () => {
      const key = randomUUID();
      await expect(store.transaction(async () => {
        await store.transaction(async (inner) => { await inner.createFolder({ key, tenantId, name: `N-${key.slice(0, 8)}`, createdAt: at(0) }); });
        throw new Error("outer");
      })).rejects.toThrow("outer");
      expect(await store.getFolder(tenantId, key)).toBeNull();
    });

    it("a unique violation inside rolls back the work and is the resource's 409", async () => {
      const name = `Dup-${randomUUID().slice(0, 8)}`;
      await store.createFolder({ key: randomUUID(), tenantId, name, createdAt: at(0) });
      const marker = `dup.${name}`;
      await expect(store.transaction(async (tx) => {
        await tx.appendAudit(auditEntry(tenantId, marker));
        await tx.createFolder({ key: randomUUID(), tenantId, name, createdAt: at(0) });
      })).rejects.toMatchObject({ status: 409, code: "folder-exists" });
      expect((await store.listAudit(tenantId, { limit: 10, cursor: null, action: marker })).items).toEqual([]);
    });

    it("afterCommit tasks run once committed, never on a rollback, and at once outside a transaction", async () => {
      const ran: string[] = [];
      await store.transaction(async () => {
        store.afterCommit(() => ran.push("committed"));
        await store.appendAudit(auditEntry(tenantId, "after.commit"));
        expect(ran).toEqual([]);
      });
      expect(ran).toEqual(["committed"]);
      await expect(store.transaction(async () => {
        store.afterCommit(() => ran.push("rolled back"));
        throw new Error("no");
      })).rejects.toThrow("no");
      expect(ran).toEqual(["committed"]);
      store.afterCommit(() => ran.push("now"));
      expect(ran).toEqual(["committed", "now"]);
    });

    it.runIf(engine.name === "postgres")("writeTogether: the works of one turn share one transaction; a failing one is not kept and fails alone, the others are kept once", async () => {
      const pg = store as PostgresStore;
      const folder = (name: string) => ({ key: randomUUID(), tenantId, name: `${name}-${randomUUID().slice(0, 8)}`, createdAt: at(0) });
      const [a, b, c] = [folder("A"), folder("B"), folder("C")];
      const taken = folder("Taken");
      await store.createFolder(taken);
      const ran: string[] = [];
      const connects = vi.spyOn(pg.pool, "connect");
      try {
        // all kept: one connection, one transaction
        const ok = await Promise.all([a, c].map((f) => store.writeTogether(async () => {
          await store.createFolder(f);
          store.afterCommit(() => ran.push(f.name));
          return f.name;
        })));
        expect(ok).toEqual([a.name, c.name]);
        expect(connects).toHaveBeenCalledTimes(1);
        expect(ran).toEqual([a.name, c.name]);
        ran.length = 0;

        // one work's statement fails (the folder's name is taken), another throws: the batch's
        // transaction is rolled back, and each work runs again on its own
        const d = folder("D");
        const settled = await Promise.allSettled([
          store.writeTogether(async () => { await store.createFolder(b); store.afterCommit(() => ran.push(b.name)); return b.name; }),
          store.writeTogether(async () => { await store.createFolder({ ...folder("Dup"), name: taken.name }); store.afterCommit(() => ran.push("dup")); }),
          store.writeTogether(async () => { await store.createFolder(d); throw new Error("boom"); }),
        ]);
        expect(settled[0]).toEqual({ status: "fulfilled", value: b.name });
        expect(settled[1]).toMatchObject({ status: "rejected", reason: { status: 409, code: "folder-exists" } });
        expect(settled[2]).toMatchObject({ status: "rejected", reason: { message: "boom" } });
        expect(ran).toEqual([b.name]);
      } finally {
        connects.mockRestore();
      }
      for (const f of [a, b, c]) expect(await other.getFolder(tenantId, f.key)).toMatchObject({ name: f.name });
    });

    it.runIf(engine.name === "postgres")("a work that catches a failed statement's error and goes on is not told it committed: nothing is kept", async () => {
      const kept = { key: randomUUID(), tenantId, name: `K-${randomUUID().slice(0, 8)}`, createdAt: at(0) };
      const taken = { key: randomUUID(), tenantId, name: `T-${randomUUID().slice(0, 8)}`, createdAt: at(0) };
      await store.createFolder(taken);
      await expect(store.transaction(async (tx) => {
        await tx.createFolder(kept);
        await tx.createFolder({ ...taken, key: randomUUID() }).catch(() => {});
        return "done";
      })).rejects.toThrow("The transaction was rolled back at COMMIT");
      expect(await other.getFolder(tenantId, kept.key)).toBeNull();
    });

    it("statements of other callers are not part of an open transaction", async () => {
      const inside = randomUUID();
      const outside = randomUUID();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => { release = resolve; });
      const tx = store.transaction(async (t) => {
        await t.createFolder({ key: inside, tenantId, name: `In-${inside.slice(0, 8)}`, createdAt: at(0) });
        await gate;
        throw new Error("rolled back");
      });
      // another caller on the same store while the transaction is open (not awaited: on
      // SQLite it waits for the transaction's end, on PostgreSQL it runs on another connection)
      const write = store.createFolder({ key: outside, tenantId, name: `Out-${outside.slice(0, 8)}`, createdAt: at(0) });
      await new Promise((resolve) => setImmediate(resolve));
      release();
      await expect(tx).rejects.toThrow("rolled back");
      await write;
      expect(await store.getFolder(tenantId, inside)).toBeNull();
      expect(await store.getFolder(tenantId, outside)).not.toBeNull();
    });

    it("a resource's 409 thrown inside a transaction stays a 409, whatever its name says", async () => {
      // PostgreSQL's driver errors are recognized partly by their message: a name must not pass for one
      const name = "Connection terminated unexpectedly";
      await store.transaction(async (tx) => { await tx.createFolder({ key: randomUUID(), tenantId, name, createdAt: at(0) }); });
      await expect(store.transaction(async (tx) => { await tx.createFolder({ key: randomUUID(), tenantId, name, createdAt: at(0) }); }))
        .rejects.toMatchObject({ status: 409, code: "folder-exists" });
    });

    it("a transaction of another store inside this one's: each store's calls stay in its own transaction", async () => {
      const second = engine.open(1);
      const [x] = second.stores as [Store];
      try {
        await x.migrate();
        const xTenant = (await x.ensureTenant("default", "nested")).tenant.id;
        const key = randomUUID();
        await expect(store.transaction(async () => {
          await store.createFolder({ key, tenantId, name: `Outer-${key.slice(0, 8)}`, createdAt: at(0) });
          await x.transaction(async () => {
            await x.appendAudit(auditEntry(xTenant, "inner"));
            // the outer store's call, inside the inner store's transaction: still the outer transaction
            expect(await store.getFolder(tenantId, key)).not.toBeNull();
          });
          throw new Error("outer rolls back");
        })).rejects.toThrow("outer rolls back");
        expect(await store.getFolder(tenantId, key)).toBeNull();
        expect((await x.listAudit(xTenant, { limit: 10, cursor: null, action: "inner" })).items).toHaveLength(1);
      } finally {
        await second.cleanup();
      }
    });

    it("due work written in a transaction that rolls back never falls due; committed work is leased to one node at a time", async () => {
      const lost = `test:${randomUUID()}`;
      await expect(store.transaction(async (tx) => {
        await tx.scheduleWork({ id: lost, kind: "job.retry", tenantId, ref: "x", dueAt: at(1000), createdAt: at(0) });
        throw new Error("no");
      })).rejects.toThrow("no");
      expect(await store.getWork(lost)).toBeNull();

      const ids = Array.from({ length: 30 }, () => `test:${randomUUID()}`);
      for (const id of ids) await store.scheduleWork({ id, kind: "job.retry", tenantId, ref: id, dueAt: at(1000), createdAt: at(0) });
      // not due yet
      expect((await store.claimDueWork(["job.retry"], at(999), "a", at(60_000), 100)).filter((w) => ids.includes(w.id))).toEqual([]);
      // two nodes claim at once: each row goes to one of them
      const [a, b] = await Promise.all([store.claimDueWork(["job.retry"], at(1000), "a", at(61_000), 100), other.claimDueWork(["job.retry"], at(1000), "b", at(61_000), 100)]);
      const mine = (list: { id: string }[]) => list.map((w) => w.id).filter((id) => ids.includes(id));
      expect([...mine(a), ...mine(b)].sort()).toEqual([...ids].sort());
      // a lease that runs out lets another node take the row; the first owner can no longer complete it
      const first = a.find((w) => ids.includes(w.id)) ?? b.find((w) => ids.includes(w.id))!;
      const firstOwner = a.includes(first) ? "a" : "b";
      expect(mine(await store.claimDueWork(["job.retry"], at(30_000), "c", at(90_000), 100))).toEqual([]);
      expect(mine(await store.claimDueWork(["job.retry"], at(61_000), "c", at(121_000), 100)).sort()).toEqual([...ids].sort());
      expect(await store.completeWork(first.id, firstOwner)).toBe(false);
      expect(await store.completeWork(first.id, "c")).toBe(true);
      expect(await store.getWork(first.id)).toBeNull();
      // put back with a new due time, counting the attempt
      const second = ids.find((id) => id !== first.id)!;
      expect(await store.rescheduleWork(second, "c", at(200_000))).toBe(true);
      expect(await store.getWork(second)).toMatchObject({ dueAt: at(200_000), attempts: 1, leasedBy: null, leaseUntil: null });
    });
  });

  describe(`a robot session closed while the store fails (${engine.name})`, () => {
    it("leaves every job Running under its live session, and the next close releases them all", async () => {
      const env = engine.open(1);
      const real = env.stores[0]!;
      let failUpdates = false;
      let updates = 0;
      // the store fails on the second job's release, after the session's row was deleted
      const store = new Proxy(real, {
        get(target, prop) {
          const value = Reflect.get(target, prop) as unknown;
          if (prop === "updateJob") {
            return (...args: unknown[]) => {
              if (failUpdates && ++updates === 2) return Promise.reject(StoreUnavailable(new Error("connection lost")));
              return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            };
          }
          return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      const clock = new ManualClock(T0);
      const baton = new Baton({ store, clock, maintenanceIntervalMs: 2 ** 30, session: { heartbeatSeconds: 5, leaseSeconds: 30 } });
      try {
        await baton.init();
        const { tenant } = await store.ensureTenant("default", `close-${randomUUID().slice(0, 8)}`);
        const folder = (await store.listFolders(tenant.id))[0]!;
        await store.createProcess({
          id: randomUUID(), tenantId: tenant.id, folderKey: folder.key, name: "P", description: "", defaultInputArguments: {}, inputSchema: null, outputSchema: null,
          priority: "Normal", maxDurationSeconds: null, retry: { maxAttempts: 1, backoff: { type: "Exponential", delaySeconds: 0, maxDelaySeconds: 3600, jitter: false } }, createdAt: at(0), updatedAt: at(0),
        });
        const jobs = [newJob(tenant.id, folder.key, "P"), newJob(tenant.id, folder.key, "P"), newJob(tenant.id, folder.key, "P")];
        for (const job of jobs) await store.createJob(job);
        const session = await baton.robots.openSession(tenant.id, { robotName: "r1", processes: ["P"], slots: 3 });
        expect(await baton.robots.claimNow(session, 3)).toHaveLength(3);

        failUpdates = true;
        await expect(baton.robots.closeSession(session)).rejects.toMatchObject({ code: "store-unavailable" });
        // nothing was applied: the session lives, and holds all three jobs
        expect(await real.getSession(tenant.id, session.id)).not.toBeNull();
        for (const job of jobs) expect(await real.getJob(tenant.id, job.key)).toMatchObject({ state: "Running", sessionId: session.id });

        failUpdates = false;
        await baton.robots.closeSession(session);
        expect(await real.getSession(tenant.id, session.id)).toBeNull();
        for (const job of jobs) expect(await real.getJob(tenant.id, job.key)).toMatchObject({ state: "Pending", sessionId: null });
      } finally {
        await baton.close();
        await env.cleanup().catch(() => {});
      }
    });
  });
}

for (const engine of engines) {
  describe(`a retry's wake-up is due work (${engine.name})`, () => {
    it("survives a restart of the node that scheduled it: another node announces the job when its backoff ends", async () => {
      const env = engine.open(2);
      const [storeA, storeB] = env.stores as [Store, Store];
      const clock = new ManualClock(T0);
      const options = { clock, maintenanceIntervalMs: 2 ** 30, session: { heartbeatSeconds: 5, leaseSeconds: 30 } };
      const a = new Baton({ store: storeA, ...options });
      const b = new Baton({ store: storeB, ...options });
      try {
        await a.init();
        await b.init();
        const { tenant } = await storeA.ensureTenant("default", `retry-${randomUUID().slice(0, 8)}`);
        const folder = (await storeA.listFolders(tenant.id))[0]!;
        await storeA.createProcess({
          id: randomUUID(), tenantId: tenant.id, folderKey: folder.key, name: "R", description: "", defaultInputArguments: {}, inputSchema: null, outputSchema: null,
          priority: "Normal", maxDurationSeconds: null, retry: { maxAttempts: 3, backoff: { type: "Exponential", delaySeconds: 60, maxDelaySeconds: 3600, jitter: false } }, createdAt: at(0), updatedAt: at(0),
        });
        const job = newJob(tenant.id, folder.key, "R");
        await storeA.createJob(job);
        const session = await a.robots.openSession(tenant.id, { robotName: "r1", processes: ["R"], slots: 1 });
        expect(await a.robots.claimNow(session, 1)).toHaveLength(1);

        // the robot is lost: the job waits out its backoff, and the wake-up is a row
        await a.robots.closeSession(session, "lost");
        expect(await storeA.getJob(tenant.id, job.key)).toMatchObject({ state: "Pending", attempt: 1 });
        expect(await storeB.getWork(`job.retry:${job.key}`)).toMatchObject({ kind: "job.retry", ref: job.key, dueAt: at(60_000) });

        // node a goes away with its timer; node b is told when the backoff ends, not before
        await a.close();
        const announced: string[] = [];
        b.notifier.subscribe("jobAvailable", (e) => { if (e.tenantId === tenant.id) announced.push(e.processName); });
        clock.set(T0 + 59_999);
        await b.maintenance.tick();
        expect(announced).toEqual([]);
        clock.set(T0 + 60_000);
        await b.maintenance.tick();
        expect(announced).toEqual(["R"]);
        expect(await storeB.getWork(`job.retry:${job.key}`)).toBeNull();
      } finally {
        await b.close();
        await env.cleanup().catch(() => {});
      }
    });

    it("a reported failure's retry: the release, the attempt kept and the wake-up commit together, and the wake-up survives a restart", async () => {
      const env = engine.open(2);
      const [storeA, storeB] = env.stores as [Store, Store];
      const clock = new ManualClock(T0);
      const options = { clock, maintenanceIntervalMs: 2 ** 30, session: { heartbeatSeconds: 5, leaseSeconds: 30 } };
      const a = new Baton({ store: storeA, ...options });
      const b = new Baton({ store: storeB, ...options });
      try {
        await a.init();
        await b.init();
        const { tenant } = await storeA.ensureTenant("default", `retry-${randomUUID().slice(0, 8)}`);
        const folder = (await storeA.listFolders(tenant.id))[0]!;
        await storeA.createProcess({
          id: randomUUID(), tenantId: tenant.id, folderKey: folder.key, name: "F", description: "", defaultInputArguments: {}, inputSchema: null, outputSchema: null,
          priority: "Normal", maxDurationSeconds: null, retry: { maxAttempts: 2, backoff: { type: "Fixed", delaySeconds: 45, maxDelaySeconds: 45, jitter: false } }, createdAt: at(0), updatedAt: at(0),
        });
        const job = newJob(tenant.id, folder.key, "F");
        await storeA.createJob(job);
        const session = await a.robots.openSession(tenant.id, { robotName: "r1", processes: ["F"], slots: 1 });
        expect(await a.robots.claimNow(session, 1)).toHaveLength(1);

        await a.robots.fail(session, job.key, { code: "Boom", message: "failed" });
        expect(await storeB.getJob(tenant.id, job.key)).toMatchObject({ state: "Pending", attempt: 1, retryAt: at(45_000) });
        expect(await storeB.listAttempts(job.key)).toEqual([
          { attempt: 1, robot: "r1", sessionId: session.id, startedAt: at(0), endedAt: at(0), outcome: "Faulted", error: { code: "Boom", message: "failed" } },
        ]);
        expect(await storeB.getWork(`job.retry:${job.key}`)).toMatchObject({ kind: "job.retry", ref: job.key, dueAt: at(45_000) });

        await a.close();
        const announced: string[] = [];
        b.notifier.subscribe("jobAvailable", (e) => { if (e.tenantId === tenant.id) announced.push(e.processName); });
        clock.set(T0 + 44_999);
        await b.maintenance.tick();
        expect(announced).toEqual([]);
        clock.set(T0 + 45_000);
        await b.maintenance.tick();
        expect(announced).toEqual(["F"]);
      } finally {
        await b.close();
        await env.cleanup().catch(() => {});
      }
    });
  });
}

for (const engine of engines) {
  describe(`lost sessions and due work that fail (${engine.name})`, () => {
    it("a lost session that cannot be closed keeps its jobs, and the others are still closed", async () => {
      const env = engine.open(1);
      const real = env.stores[0]!;
      let badJob = "";
      const store = new Proxy(real, {
        get(target, prop) {
          const value = Reflect.get(target, prop) as unknown;
          if (prop === "updateJob") {
            return (...args: unknown[]) => (args[1] === badJob ? Promise.reject(new Error("a bug")) : (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
          }
          return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      const clock = new ManualClock(T0);
      const errors: unknown[] = [];
      const baton = new Baton({ store, clock, maintenanceIntervalMs: 2 ** 30, session: { heartbeatSeconds: 5, leaseSeconds: 30 }, onError: (e) => errors.push(e) });
      try {
        await baton.init();
        const { tenant } = await store.ensureTenant("default", `lost-${randomUUID().slice(0, 8)}`);
        const folder = (await store.listFolders(tenant.id))[0]!;
        const [a, b] = [newJob(tenant.id, folder.key, "P"), newJob(tenant.id, folder.key, "P")];
        await store.createJob(a);
        await store.createJob(b);
        const first = await baton.robots.openSession(tenant.id, { robotName: "r1", processes: ["P"], slots: 1 });
        expect((await baton.robots.claimNow(first, 1)).map((j) => j.key)).toEqual([a.key]);
        const second = await baton.robots.openSession(tenant.id, { robotName: "r2", processes: ["P"], slots: 1 });
        expect((await baton.robots.claimNow(second, 1)).map((j) => j.key)).toEqual([b.key]);
        badJob = a.key;

        clock.set(T0 + 31_000);
        await baton.maintenance.tick();
        // the first session's close rolled back: it keeps its job; the second's went through
        expect(await real.getJob(tenant.id, a.key)).toMatchObject({ state: "Running", sessionId: first.id });
        expect(await real.getSession(tenant.id, first.id)).not.toBeNull();
        expect(await real.getJob(tenant.id, b.key)).toMatchObject({ state: "Faulted", sessionId: null });
        expect(await real.getSession(tenant.id, second.id)).toBeNull();
        expect(errors.map((e) => (e as Error).message)).toEqual([`Closing the lost robot session ${first.id} failed; its jobs stay with it until a later tick closes it.`]);

        // fixed: the next tick closes it
        badJob = "";
        await baton.maintenance.tick();
        expect(await real.getJob(tenant.id, a.key)).toMatchObject({ state: "Faulted", sessionId: null });
      } finally {
        await baton.close();
        await env.cleanup().catch(() => {});
      }
    });

    it("due work whose handler fails is put back with a doubling wait; kinds a node cannot run are left to others", async () => {
      const env = engine.open(1);
      const store = env.stores[0]!;
      const clock = new ManualClock(T0);
      const errors: unknown[] = [];
      const baton = new Baton({ store, clock, maintenanceIntervalMs: 2 ** 30, onError: (e) => errors.push(e) });
      try {
        await baton.init();
        let fail = true;
        const ran: string[] = [];
        baton.dueWork.handle("time-trigger.slot", async (work) => { ran.push(work.ref); if (fail) throw new Error("receiver down"); });
        await store.scheduleWork({ id: "test:slot", kind: "time-trigger.slot", tenantId: null, ref: "slot-1", dueAt: at(1000), createdAt: at(0) });
        await store.scheduleWork({ id: "test:hook", kind: "webhook.delivery", tenantId: null, ref: "hook-1", dueAt: at(1000), createdAt: at(0) });

        clock.set(T0 + 1000);
        await baton.dueWork.runDue();
        expect(ran).toEqual(["slot-1"]);
        expect(await store.getWork("test:slot")).toMatchObject({ attempts: 1, dueAt: at(61_000), leasedBy: null });
        // no node here runs webhook deliveries: the row is not leased, it waits for one that does
        expect(await store.getWork("test:hook")).toMatchObject({ attempts: 0, leasedBy: null });

        clock.set(T0 + 61_000);
        await baton.dueWork.runDue();
        expect(await store.getWork("test:slot")).toMatchObject({ attempts: 2, dueAt: at(61_000 + 120_000) });
        fail = false;
        clock.set(T0 + 181_000);
        await baton.dueWork.runDue();
        expect(ran).toEqual(["slot-1", "slot-1", "slot-1"]);
        expect(await store.getWork("test:slot")).toBeNull();
        expect(errors).toHaveLength(2);
      } finally {
        await baton.close();
        await env.cleanup().catch(() => {});
      }
    });
  });
}
