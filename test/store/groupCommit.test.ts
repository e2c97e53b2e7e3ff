import Database from "better-sqlite3";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { NewAuditEntry } from "../../src/core/store.js";
import type { Job } from "../../src/core/types.js";
import { UniqueViolation } from "../../src/core/errors.js";
import { SIGNING_KEY_SECRET } from "../../src/core/ExternalApps.js";
import { sql } from "../../src/store/sql/sql.js";
import { SqliteExecutor } from "../../src/store/sqlite/SqliteExecutor.js";
import { SqliteStore } from "../../src/store/sqlite/SqliteStore.js";
import { WAL_SYNCS, WalSync, fsyncOf } from "../../src/store/sqlite/walSync.js";
import { startSocketlessBaton, type TestBaton } from "../helpers/baton.js";

/**
 * SQLite's group commit (issue 18): with synchronous=FULL every commit waits for the disk,
 * so the writes of one turn of the event loop commit together, and nothing that tells the
 * outside world of a write (an HTTP answer) leaves before that commit.
 */

const entry = (tenantId: string, action: string): NewAuditEntry => ({
  org: "default", tenantId, at: new Date().toISOString(), actor: { kind: "test", id: null, name: null }, action, target: null, details: {}, sourceIp: null, requestId: null,
});

/** makes every batch commit of the executor wait until `release()` */
function holdCommits(executor: SqliteExecutor) {
  const original = executor.commitBatch.bind(executor);
  let release!: () => void;
  const released = new Promise<void>((r) => { release = r; });
  let held = 0;
  executor.commitBatch = () => {
    held++;
    void released.then(() => { executor.commitBatch = original; original(); });
  };
  return { release, held: () => held };
}

/** makes every COMMIT on the executor's connection fail (as a failing disk would) until `restore()` */
function failCommits(executor: SqliteExecutor) {
  const exec = executor.db.exec.bind(executor.db);
  executor.db.exec = ((text: string) => {
    if (text === "COMMIT") throw Object.assign(new Error("disk I/O error"), { code: "SQLITE_IOERR_FSYNC" });
    return exec(text);
  }) as typeof executor.db.exec;
  return { restore: () => { executor.db.exec = exec; } };
}

describe("SQLite group commit", () => {
  const dir = mkdtempSync(join(tmpdir(), "baton-group-commit-"));
  const file = join(dir, "baton.db");
  let store: SqliteStore;
  let reader: Database.Database;
  let tenantId: string;
  const committedActions = (prefix: string) =>
    (reader.prepare("SELECT action FROM audit_log WHERE action LIKE ? ORDER BY seq").all(`${prefix}%`) as { action: string }[]).map((r) => r.action);
  const commits = () => reader.pragma("data_version", { simple: true }) as number;

  beforeAll(async () => {
    store = new SqliteStore(file);
    await store.migrate();
    tenantId = (await store.ensureTenant("default", "GroupCommit")).tenant.id;
    await store.durable();
    reader = new Database(file, { readonly: true });
  });
  afterAll(async () => {
    reader.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("commits the writes of one turn of the event loop together, once, right after it", async () => {
    const prefix = `turn.${randomUUID().slice(0, 8)}.`;
    const before = commits();
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.appendAudit(entry(tenantId, `${prefix}${i}`))));
    // written (the promises resolved), visible on the store's own connection, not yet on disk
    expect((await store.listAudit(tenantId, { limit: 100, cursor: null, action: `${prefix}0` })).items).toHaveLength(1);
    const durable = store.durable();
    expect(durable).not.toBeNull();
    expect(committedActions(prefix)).toEqual([]);
    await durable;
    expect(committedActions(prefix)).toHaveLength(50);
    // one commit for the fifty
    expect(commits()).toBe(before + 1);
    expect(store.durable()).toBeNull();
  });

  const newJob = (folderKey: string, key: string = randomUUID()): Job => ({
    key, tenantId, folderKey, processName: "P", triggerId: null, source: "Api", callMode: "AsyncRequestReply", state: "Pending", priority: "Normal",
    inputArguments: {}, outputArguments: null, error: null, robot: null, sessionId: null, attempt: 0, createdAt: new Date().toISOString(), startedAt: null,
    endedAt: null, info: null, maxDurationSeconds: null, deadlineAt: null, idempotencyKey: null, retryAt: null, concurrencyKey: null,
  });
  const keptJobs = (keys: string[]) =>
    (reader.prepare(`SELECT key FROM jobs WHERE key IN (${keys.map(() => "?").join(",")})`).all(...keys) as { key: string }[]).map((r) => r.key).sort();

  it("new jobs of one turn: each its own statement in the batch (no savepoint); one that breaks a constraint fails alone, the others commit together", async () => {
    const folderKey = (await store.findFolderByName(tenantId, "Shared"))!.key;
    const existing = newJob(folderKey);
    await store.createJob(existing);
    await store.durable();
    const before = commits();
    const jobs = Array.from({ length: 10 }, (_, i) => newJob(folderKey, i === 3 ? existing.key : randomUUID()));
    const outcomes = await Promise.allSettled(jobs.map((j) => store.createJob(j)));
    expect(outcomes.map((o) => o.status)).toEqual(jobs.map((_, i) => (i === 3 ? "rejected" : "fulfilled")));
    expect((outcomes[3] as PromiseRejectedResult).reason).toBeInstanceOf(UniqueViolation);
    expect((outcomes[3] as PromiseRejectedResult).reason).toMatchObject({ status: 409, constraint: "jobs.key" });
    await store.durable();
    expect(commits()).toBe(before + 1);
    const fresh = jobs.filter((_, i) => i !== 3).map((j) => j.key);
    expect(keptJobs(fresh)).toEqual([...fresh].sort());
  });

  /** makes the `n`th insert of a job fail with an I/O error; `rollBack`: as SQLite does on one, the whole transaction first */
  function failNthJobInsert(n: number, rollBack: boolean) {
    const executor = store.executor;
    const statement = executor.statement.bind(executor);
    let runs = 0;
    executor.statement = ((text: string, fixed?: boolean) => {
      const s = statement(text, fixed);
      if (!text.startsWith("INSERT INTO jobs")) return s;
      return new Proxy(s, { get: (target, prop) => (prop === "run" ? (...args: unknown[]) => {
        if (++runs === n) {
          if (rollBack) executor.db.exec("ROLLBACK");
          throw Object.assign(new Error("disk I/O error"), { code: "SQLITE_IOERR_WRITE" });
        }
        return target.run(...args);
      } : Reflect.get(target, prop, target)) });
    }) as typeof executor.statement;
    return { restore: () => { executor.statement = statement; } };
  }

  it("new jobs of one turn: an insert failing otherwise fails it and the turn's next ones; those before it are kept when SQLite undid the statement only", async () => {
    const folderKey = (await store.findFolderByName(tenantId, "Shared"))!.key;
    const jobs = Array.from({ length: 10 }, () => newJob(folderKey));
    const failing = failNthJobInsert(6, false);
    try {
      const outcomes = await Promise.allSettled(jobs.map((j) => store.createJob(j)));
      expect(outcomes.map((o) => o.status)).toEqual(jobs.map((_, i) => (i < 5 ? "fulfilled" : "rejected")));
      expect((outcomes[5] as PromiseRejectedResult).reason).toMatchObject({ code: "store-unavailable" });
    } finally {
      failing.restore();
    }
    await store.durable();
    expect(keptJobs(jobs.map((j) => j.key))).toEqual(jobs.slice(0, 5).map((j) => j.key).sort());
  });

  it("a write that makes SQLite roll the batch back dooms the batch: durable() rejects for the writes of the turn before it and after it, none is kept, and the next batch commits", async () => {
    const folderKey = (await store.findFolderByName(tenantId, "Shared"))!.key;
    const prefix = `doomed.${randomUUID().slice(0, 8)}.`;
    const jobs = Array.from({ length: 10 }, () => newJob(folderKey));
    const failing = failNthJobInsert(6, true);
    let durable: Promise<void> | null;
    try {
      const outcomes = await Promise.allSettled(jobs.map((j) => store.createJob(j)));
      // the callers of the jobs before it were told their write is done; what tells the world asks durable() in the same turn
      expect(outcomes.map((o) => o.status)).toEqual(jobs.map((_, i) => (i < 5 ? "fulfilled" : "rejected")));
      // a write after the rollback, in the same turn: a transaction of its own under the doomed batch, never autocommit
      await store.appendAudit(entry(tenantId, `${prefix}after`));
      durable = store.durable();
    } finally {
      failing.restore();
    }
    expect(durable).not.toBeNull();
    await expect(durable).rejects.toMatchObject({ status: 503, code: "store-unavailable" });
    expect(keptJobs(jobs.map((j) => j.key))).toEqual([]);
    expect(committedActions(prefix)).toEqual([]);
    // the next batch is a new one, and commits
    await store.appendAudit(entry(tenantId, `${prefix}next`));
    await store.durable();
    expect(committedActions(prefix)).toEqual([`${prefix}next`]);
  });

  it("a rollback no statement reported (a batch with no transaction under it) dooms the batch too, across the turns a writeTogether holds it: none of its writes is kept, none autocommitted", async () => {
    const prefix = `unseen.${randomUUID().slice(0, 8)}.`;
    const work = store.writeTogether(async () => {
      await store.appendAudit(entry(tenantId, `${prefix}first`));
      // a later turn: the held batch has not committed
      await new Promise((resolve) => setImmediate(resolve));
      // SQLite ends the transaction by itself (as a failing statement run outside the executor would)
      store.executor.db.exec("ROLLBACK");
      await new Promise((resolve) => setImmediate(resolve));
      // the next write finds the batch without a transaction: doomed, and a transaction of its own under it
      await store.appendAudit(entry(tenantId, `${prefix}second`));
      return "done";
    });
    const durable = store.durable();
    expect(await work).toBe("done");
    expect(durable).not.toBeNull();
    await expect(durable).rejects.toMatchObject({ status: 503, code: "store-unavailable" });
    await expect(store.durable() ?? Promise.resolve()).resolves.toBeUndefined();
    expect(committedActions(prefix)).toEqual([]);
    await store.appendAudit(entry(tenantId, `${prefix}next`));
    await store.durable();
    expect(committedActions(prefix)).toEqual([`${prefix}next`]);
  });

  it("reads alone open no batch", async () => {
    await store.listFolders(tenantId);
    expect(store.durable()).toBeNull();
  });

  it("a transaction that rolls back inside a batch undoes only its own writes", async () => {
    const prefix = `tx.${randomUUID().slice(0, 8)}.`;
    await store.appendAudit(entry(tenantId, `${prefix}kept`));
    await expect(store.transaction(async (tx) => {
      await tx.appendAudit(entry(tenantId, `${prefix}undone`));
      throw new Error("boom");
    })).rejects.toThrow("boom");
    await store.transaction(async (tx) => { await tx.appendAudit(entry(tenantId, `${prefix}committed`)); });
    await store.durable();
    expect(committedActions(prefix)).toEqual([`${prefix}kept`, `${prefix}committed`]);
  });

  it("a batch does not commit while a transaction is open, and commits when it ends", async () => {
    const prefix = `open.${randomUUID().slice(0, 8)}.`;
    let finish!: () => void;
    const finished = new Promise<void>((r) => { finish = r; });
    await store.appendAudit(entry(tenantId, `${prefix}before`));
    const tx = store.transaction(async (t) => {
      await t.appendAudit(entry(tenantId, `${prefix}inside`));
      await finished;
    });
    // several turns pass: the batch (holding the open transaction's savepoint) stays open
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    const whileOpen = committedActions(prefix);
    finish();
    await tx;
    expect(whileOpen).toEqual([]);
    await store.durable();
    expect(committedActions(prefix)).toEqual([`${prefix}before`, `${prefix}inside`]);
  });

  it("writeTogether holds the batch's commit across turns until its work ends, without making other callers wait", async () => {
    const prefix = `held.${randomUUID().slice(0, 8)}.`;
    let finish!: () => void;
    const finished = new Promise<void>((r) => { finish = r; });
    const unit = store.writeTogether(async () => {
      await store.appendAudit(entry(tenantId, `${prefix}first`));
      await finished;
      await store.appendAudit(entry(tenantId, `${prefix}second`));
    });
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    // another caller is not gated: its write and read run while the unit is open
    await store.appendAudit(entry(tenantId, `${prefix}other`));
    expect((await store.listAudit(tenantId, { limit: 10, cursor: null, action: `${prefix}other` })).items).toHaveLength(1);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    const whileOpen = committedActions(prefix);
    finish();
    await unit;
    expect(whileOpen).toEqual([]);
    await store.durable();
    expect(committedActions(prefix)).toEqual([`${prefix}first`, `${prefix}other`, `${prefix}second`]);
  });

  it("writeTogether whose work throws keeps none of the batch: durable() rejects, as a failed commit", async () => {
    const prefix = `heldfail.${randomUUID().slice(0, 8)}.`;
    await store.appendAudit(entry(tenantId, `${prefix}before`));
    await expect(store.writeTogether(async () => {
      await store.appendAudit(entry(tenantId, `${prefix}change`));
      throw new Error("the delivery could not be recorded");
    })).rejects.toThrow("the delivery could not be recorded");
    await expect(store.durable()).rejects.toThrow("the delivery could not be recorded");
    expect(committedActions(prefix)).toEqual([]);
    expect((await store.listAudit(tenantId, { limit: 10, cursor: null, action: `${prefix}change` })).items).toEqual([]);
    // the next writes commit as usual
    await store.appendAudit(entry(tenantId, `${prefix}after`));
    await store.durable();
    expect(committedActions(prefix)).toEqual([`${prefix}after`]);
  });

  it("writeTogether inside a transaction joins it", async () => {
    const prefix = `heldtx.${randomUUID().slice(0, 8)}.`;
    await expect(store.transaction(async (tx) => {
      await store.writeTogether(async () => { await tx.appendAudit(entry(tenantId, `${prefix}inner`)); });
      throw new Error("rolled back");
    })).rejects.toThrow("rolled back");
    await store.durable();
    expect(committedActions(prefix)).toEqual([]);
  });

  it("a commit that fails rejects durable() with 503 store-unavailable, and none of the batch's writes is kept", async () => {
    const prefix = `fail.${randomUUID().slice(0, 8)}.`;
    const failing = failCommits(store.executor);
    await store.appendAudit(entry(tenantId, `${prefix}a`));
    await store.appendAudit(entry(tenantId, `${prefix}b`));
    await expect(store.durable()).rejects.toMatchObject({ status: 503, code: "store-unavailable" });
    failing.restore();
    expect(committedActions(prefix)).toEqual([]);
    expect((await store.listAudit(tenantId, { limit: 10, cursor: null, action: `${prefix}a` })).items).toEqual([]);
    // the next writes commit as usual
    await store.appendAudit(entry(tenantId, `${prefix}c`));
    await store.durable();
    expect(committedActions(prefix)).toEqual([`${prefix}c`]);
  });
});

describe("an HTTP answer leaves once its writes are on disk (SQLite)", () => {
  let b: TestBaton;
  beforeAll(async () => { b = await startSocketlessBaton(); });
  afterAll(async () => { await b.close(); });
  afterEach(async () => { await b.baton.store.durable(); });

  it("waits for the commit of the job it acknowledges", async () => {
    const store = b.baton.store as SqliteStore;
    if (store.engine !== "sqlite") return;
    const hold = holdCommits(store.executor);
    let answered = false;
    const answer = b.fetch(b.invokeUrl("echo"), { method: "POST", headers: { authorization: `Bearer ${b.token}`, "content-type": "application/json" }, body: "{}" })
      .then((res) => { answered = true; return res; });
    // the job is written and its commit is due; the 202 waits for it
    while (hold.held() === 0) await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(answered).toBe(false);
    hold.release();
    const res = await answer;
    expect(res.status).toBe(202);
  });

  /**
   * Invokes `slug` with `body` while every commit fails: the answer is 503 store-unavailable,
   * problem+json, with Retry-After and no Location, and no job of `processName` was kept.
   */
  async function invokeWhileCommitsFail(slug: string, processName: string, body: unknown): Promise<void> {
    const store = b.baton.store as SqliteStore;
    const listed = async () => (await b.apiJson(`/api/v1/jobs?processName=${processName}&limit=100`)).items.length;
    const before = await listed();
    const failing = failCommits(store.executor);
    let res: Response;
    try {
      res = await b.fetch(b.invokeUrl(slug), {
        method: "POST", redirect: "manual", headers: { authorization: `Bearer ${b.token}`, "content-type": "application/json" }, body: JSON.stringify(body),
      });
    } finally {
      failing.restore();
    }
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
    expect(res.headers.get("location")).toBeNull();
    expect(res.headers.get("retry-after")).toBe("5");
    expect(await res.json()).toMatchObject({ status: 503, code: "store-unavailable" });
    // no job was kept
    expect(await listed()).toBe(before);
  }

  it("answers 503 store-unavailable, with no Location, when the commit fails", async () => {
    if (b.baton.store.engine !== "sqlite") return;
    await invokeWhileCommitsFail("echo", "Echo", {});
  });

  it("a LongPolling invocation whose job's commit fails answers 503 store-unavailable at once, instead of waiting for a job that was never kept", async () => {
    if (b.baton.store.engine !== "sqlite") return;
    await invokeWhileCommitsFail("sleep", "Sleep", { seconds: 30, $callMode: "LongPolling" });
  }, 10_000);

  /** A new robot's session of Echo, committed, and a robot protocol call with its key. */
  async function robotSession(): Promise<{ sessionId: string; rp: (path: string, body: unknown) => Promise<Response> }> {
    const robot = await b.apiJson("/api/v1/robots", { method: "POST", json: { name: `hb-${randomUUID().slice(0, 8)}` } });
    const rp = (path: string, body: unknown) => b.fetch(`${b.base}/api/robot/v1${path}`, {
      method: "POST", headers: { authorization: `Bearer ${robot.key}`, "content-type": "application/json" }, body: JSON.stringify(body),
    });
    const opened = await rp("/sessions", { robotName: robot.name, processes: ["Echo"], slots: 1 });
    expect(opened.status).toBe(201);
    const { sessionId } = await opened.json();
    await b.baton.store.durable();
    return { sessionId, rp };
  }

  it("a robot's heartbeat that waits, whose lease's commit fails, answers 503 store-unavailable, not 200 after its wait", async () => {
    const store = b.baton.store as SqliteStore;
    if (store.engine !== "sqlite") return;
    const { sessionId, rp } = await robotSession();
    const failing = failCommits(store.executor);
    let res: Response;
    try {
      // nothing to tell the robot: without the commit's outcome first, it waits its 5 s and answers 200
      res = await rp(`/sessions/${sessionId}/heartbeat`, { jobs: {}, waitSeconds: 5 });
    } finally {
      failing.restore();
    }
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
    expect(res.headers.get("retry-after")).toBe("5");
    expect(await res.json()).toMatchObject({ status: 503, code: "store-unavailable" });
  }, 10_000);

  it("a waiting heartbeat whose batch another caller's unit of work undid answers 503 store-unavailable, not that caller's error", async () => {
    const store = b.baton.store as SqliteStore;
    if (store.engine !== "sqlite") return;
    const { sessionId, rp } = await robotSession();
    const lease = () => (store.connection.prepare("SELECT lease_expires_at AS at FROM robot_sessions WHERE id = ?").get(sessionId) as { at: string }).at;
    const before = lease();
    // a unit of work holds the batch open, then fails half-way: the batch is rolled back with its error
    let fail!: () => void;
    const held = store.writeTogether(async () => {
      await new Promise<void>((r) => { fail = r; });
      throw new Error("a unit of work failed half-way");
    }).catch(() => {});
    const answer = rp(`/sessions/${sessionId}/heartbeat`, { jobs: {}, waitSeconds: 5 });
    // the heartbeat's lease is written in the held batch (the connection reads its own writes)
    while (lease() === before) await new Promise((r) => setImmediate(r));
    fail();
    await held;
    const res = await answer;
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 503, code: "store-unavailable" });
    // the lease was not kept
    expect(lease()).toBe(before);
  }, 10_000);

  it("an OAuth token whose new signing key's commit fails is not issued (503), and the next token is signed with a key that was kept", async () => {
    const store = b.baton.store as SqliteStore;
    if (store.engine !== "sqlite") return;
    const org = `${b.url}/default`;
    const created = await b.fetch(`${org}/api/v1/external-apps`, {
      method: "POST", headers: { authorization: `Bearer ${b.token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: `app-${randomUUID().slice(0, 8)}`, tenant: "DefaultTenant", scopes: ["OR.Jobs"] }),
    });
    expect(created.status).toBe(201);
    const app = await created.json();
    const token = () => b.fetch(`${org}/identity_/connect/token`, {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: app.clientId, client_secret: app.clientSecret }).toString(),
    });
    const storedKeys = () => (store.connection.prepare("SELECT count(*) AS n FROM secrets").get() as { n: number }).n;
    const keysBefore = storedKeys();
    // no token was issued by this server before: the next one makes the signing key
    expect(store.connection.prepare("SELECT name FROM secrets WHERE name = ?").get(SIGNING_KEY_SECRET)).toBeUndefined();
    await store.durable();
    const failing = failCommits(store.executor);
    let refused: Response;
    try {
      // the deployment's first token makes its signing key
      refused = await token();
    } finally {
      failing.restore();
    }
    expect(refused.status).toBe(503);
    expect(refused.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(await refused.json()).toMatchObject({ status: 503, code: "store-unavailable" });
    expect(storedKeys()).toBe(keysBefore);
    // the key was not kept, nor cached: the next token makes (and keeps) one, and the token works
    const issued = await token();
    expect(issued.status).toBe(200);
    expect(storedKeys()).toBe(keysBefore + 1);
    const { access_token: accessToken } = await issued.json();
    expect((await b.fetch(`${b.base}/api/v1/jobs?limit=1`, { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(200);
  });
});

describe("after a failed WAL sync, every answer is 503 until a restart (SQLite)", () => {
  it("an invocation, a read, /readyz and /healthz all answer 503 store-unavailable", async () => {
    const b = await startSocketlessBaton();
    try {
      const store = b.baton.store as SqliteStore;
      if (store.engine !== "sqlite") return;
      expect((await b.fetch(`${new URL(b.base).origin}/healthz`)).status).toBe(200);
      // the store's WAL sync replaced by one whose fsyncs fail (EIO)
      const executor = store.executor as unknown as { walSync: WalSync };
      await executor.walSync.close();
      executor.walSync = new WalSync([{ sync: (done) => setImmediate(() => done(Object.assign(new Error("EIO: i/o error, fsync"), { code: "EIO" }))), close: () => {} }]);
      const invoked = await b.fetch(b.invokeUrl("echo"), { method: "POST", headers: { authorization: `Bearer ${b.token}`, "content-type": "application/json" }, body: "{}" });
      expect(invoked.status).toBe(503);
      expect(invoked.headers.get("location")).toBeNull();
      expect(invoked.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
      expect(invoked.headers.get("retry-after")).toBe("5");
      expect(await invoked.json()).toMatchObject({ status: 503, code: "store-unavailable" });
      // no write since: every answer still fails, until the node is restarted
      for (const path of ["/healthz", "/readyz"]) {
        const res = await b.fetch(`${new URL(b.base).origin}${path}`);
        expect(res.status, path).toBe(503);
        expect(res.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
        expect(res.headers.get("retry-after")).toBe("5");
        expect(await res.json()).toMatchObject({ status: 503, code: "store-unavailable" });
      }
      expect((await b.api("/api/v1/jobs?limit=1")).status).toBe(503);
    } finally {
      await b.close().catch(() => {});
    }
  });
});

describe("the WAL synced off the event loop (SQLite, synchronous FULL)", () => {
  const dir = mkdtempSync(join(tmpdir(), "baton-wal-sync-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** a FileSync whose syncs return when the test says */
  function manualSync() {
    const calls: ((err: Error | null) => void)[] = [];
    return { calls, file: { sync: (done: (err: Error | null) => void) => { calls.push(done); }, close: () => {} } };
  }

  async function executorWith(name: string, file: { sync: (done: (err: Error | null) => void) => void; close: () => void }, maxSyncs?: number) {
    const db = new Database(join(dir, name));
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.exec("CREATE TABLE t (v TEXT)");
    // each slot a sync of its own in production (fsyncOf); here the same hand-driven fake
    const executor = new SqliteExecutor(db, new WalSync(Array.from({ length: maxSyncs ?? 2 }, () => file)));
    const reader = new Database(join(dir, name), { readonly: true });
    const rows = () => (reader.prepare("SELECT v FROM t ORDER BY rowid").all() as { v: string }[]).map((r) => r.v);
    /** closes the executor (after its syncs), the reader and the connection */
    const done = async () => { await executor.close(); reader.close(); db.close(); };
    return { db, executor, reader, rows, done };
  }
  const turn = () => new Promise<void>((r) => setImmediate(r));

  it("a committed batch is durable only once a sync that started after its commit returns; with all syncs running, batches meanwhile share the next", async () => {
    const { calls, file } = manualSync();
    // one sync at a time: the second and third batches commit while it runs
    const { executor, rows, done } = await executorWith("batches.db", file, 1);
    await executor.run(sql`INSERT INTO t (v) VALUES (${"a"})`);
    const first = executor.durable()!;
    let firstDone = false;
    void first.then(() => { firstDone = true; });
    await turn();
    // committed (another connection sees it), a sync asked for, not yet durable
    expect(rows()).toEqual(["a"]);
    expect(calls).toHaveLength(1);
    expect(firstDone).toBe(false);
    expect(executor.durable()).toBe(first);
    // two more batches commit while that sync runs: no second sync until it returns
    await executor.run(sql`INSERT INTO t (v) VALUES (${"b"})`);
    const second = executor.durable()!;
    await turn();
    await executor.run(sql`INSERT INTO t (v) VALUES (${"c"})`);
    const third = executor.durable()!;
    await turn();
    expect(rows()).toEqual(["a", "b", "c"]);
    expect(calls).toHaveLength(1);
    calls[0]!(null);
    await first;
    // the second and third wait for the next sync, which covers both
    expect(calls).toHaveLength(2);
    let laterDone = false;
    void Promise.all([second, third]).then(() => { laterDone = true; });
    await turn();
    expect(laterDone).toBe(false);
    calls[1]!(null);
    await Promise.all([second, third]);
    expect(calls).toHaveLength(2);
    expect(executor.durable()).toBeNull();
    await done();
  });

  it("a sync that fails rejects durable() (the answers are 503), and every later batch too, without a sync, until a restart", async () => {
    const { calls, file } = manualSync();
    const { executor, done } = await executorWith("failing.db", file);
    await executor.run(sql`INSERT INTO t (v) VALUES (${"a"})`);
    const failed = executor.durable()!;
    await turn();
    expect(executor.walSyncFailure()).toBeNull();
    calls[0]!(Object.assign(new Error("EIO: i/o error, fsync"), { code: "EIO" }));
    await expect(failed).rejects.toThrow(/write-ahead log could not be synced to disk \(EIO\).*until Baton is restarted/);
    expect(executor.walSyncFailure()?.message).toMatch(/could not be synced/);
    // the WAL may have lost frames: a later batch's own sync could not make it durable
    await executor.run(sql`INSERT INTO t (v) VALUES (${"b"})`);
    const next = executor.durable()!;
    await turn();
    await expect(next).rejects.toThrow(/could not be synced/);
    expect(calls).toHaveLength(1);
    await done();
  });

  it("a batch's sync starts at its commit while another runs (two at once); the later returning first tells both, in order", async () => {
    const { calls, file } = manualSync();
    const { executor, done } = await executorWith("overlap.db", file);
    const told: string[] = [];
    const commit = async (v: string) => {
      await executor.run(sql`INSERT INTO t (v) VALUES (${v})`);
      const durable = executor.durable()!;
      void durable.then(() => told.push(v), () => told.push(`${v} failed`));
      await turn();
      // (wrapped: an async function returning the promise would wait for it)
      return { durable };
    };
    const { durable: a } = await commit("a");
    const { durable: b } = await commit("b");
    // b's sync began without waiting for a's
    expect(calls).toHaveLength(2);
    // a third batch while both run: it waits for the next sync
    const { durable: c } = await commit("c");
    expect(calls).toHaveLength(2);
    // b's sync returns first: it covers a (committed before it began) and b
    calls[1]!(null);
    await Promise.all([a, b]);
    expect(told).toEqual(["a", "b"]);
    // c's sync begins now; a's returning late tells nobody again
    expect(calls).toHaveLength(3);
    calls[0]!(null);
    await turn();
    expect(told).toEqual(["a", "b"]);
    calls[2]!(null);
    await c;
    expect(told).toEqual(["a", "b", "c"]);
    expect(executor.durable()).toBeNull();
    await done();
  });

  /** two batches committed, each with its sync running (two slots) */
  async function twoInFlight(name: string) {
    const { calls, file } = manualSync();
    const { executor, done } = await executorWith(name, file);
    const told: string[] = [];
    const commit = async (v: string) => {
      await executor.run(sql`INSERT INTO t (v) VALUES (${v})`);
      const durable = executor.durable()!;
      void durable.then(() => told.push(`${v} durable`), () => told.push(`${v} refused`));
      await turn();
      return { durable };
    };
    const { durable: a } = await commit("a");
    const { durable: b } = await commit("b");
    expect(calls).toHaveLength(2);
    return { calls, executor, told, a, b, commit, done };
  }
  const eio = () => Object.assign(new Error("EIO: i/o error, fsync"), { code: "EIO" });

  it("the later of two syncs failing refuses both batches, in commit order (the earlier one's pages may be the ones lost), and every later one", async () => {
    const { calls, executor, told, a, b, commit, done } = await twoInFlight("overlap-fail.db");
    calls[1]!(eio());
    await expect(b).rejects.toThrow(/could not be synced/);
    await expect(a).rejects.toThrow(/could not be synced/);
    expect(told).toEqual(["a refused", "b refused"]);
    // the earlier sync returning well afterwards changes nothing
    calls[0]!(null);
    await turn();
    expect(told).toEqual(["a refused", "b refused"]);
    const { durable: c } = await commit("c");
    await expect(c).rejects.toThrow(/could not be synced/);
    expect(calls).toHaveLength(2);
    // c's batch has committed (and was refused at once): durable() is not null, it rejects,
    // so an answer that asks only now does not leave as if c were written
    expect(executor.walSyncFailure()).not.toBeNull();
    await expect(executor.durable()).rejects.toThrow(/could not be synced/);
    await done();
  });

  it("the earlier of two syncs failing refuses its batch and the later one's (still syncing)", async () => {
    const { calls, told, a, b, done } = await twoInFlight("overlap-fail-first.db");
    calls[0]!(eio());
    await expect(a).rejects.toThrow(/could not be synced/);
    await expect(b).rejects.toThrow(/could not be synced/);
    calls[1]!(null);
    await turn();
    expect(told).toEqual(["a refused", "b refused"]);
    await done();
  });

  it("an earlier sync failing after a later one returned: the later one covered both batches (its own descriptor saw no error); every write after is refused", async () => {
    const { calls, told, a, b, commit, done } = await twoInFlight("overlap-late-fail.db");
    calls[1]!(null);
    await Promise.all([a, b]);
    calls[0]!(eio());
    await turn();
    expect(told).toEqual(["a durable", "b durable"]);
    const { durable: c } = await commit("c");
    await expect(c).rejects.toThrow(/could not be synced/);
    await done();
  });

  it("close() waits for the sync in flight", async () => {
    const { calls, file } = manualSync();
    const { db, executor, reader } = await executorWith("closing.db", file);
    await executor.run(sql`INSERT INTO t (v) VALUES (${"a"})`);
    await turn();
    let closed = false;
    const closing = executor.close().then(() => { closed = true; });
    await turn();
    expect(closed).toBe(false);
    calls[0]!(null);
    await closing;
    reader.close();
    db.close();
  });

  it("fsyncOf syncs the real file, and reports a file that cannot be opened", async () => {
    const path = join(dir, "plain.txt");
    writeFileSync(path, "x");
    const sync = (f: ReturnType<typeof fsyncOf>) => new Promise<Error | null>((resolve) => f.sync(resolve));
    const file = fsyncOf(path);
    expect(await sync(file)).toBeNull();
    expect(await sync(file)).toBeNull();
    file.close();
    expect((await sync(fsyncOf(join(dir, "missing"))) as NodeJS.ErrnoException).code).toBe("ENOENT");
  });

  it("after a failed sync the store is not ready (ping rejects: /readyz answers 503), and it uses one descriptor per sync slot", async () => {
    const store = new SqliteStore(join(dir, "not-ready.db"));
    await store.migrate();
    await store.ping();
    // the store's own WalSync, one fsyncOf per slot (two descriptors of the WAL)
    const own = (store.executor as unknown as { walSync: WalSync }).walSync;
    expect((own as unknown as { slots: unknown[] }).slots).toHaveLength(WAL_SYNCS);
    await own.close();
    const failing = { sync: (done: (err: Error | null) => void) => setImmediate(() => done(eio())), close: () => {} };
    (store.executor as unknown as { walSync: WalSync }).walSync = new WalSync([failing]);
    await store.ensureTenant("default", "NotReady");
    await expect(store.durable()!).rejects.toThrow(/could not be synced/);
    await expect(store.ping()).rejects.toThrow(/could not be synced/);
    await store.close();
  });

  it.skipIf(!existsSync("/proc/self/fd"))("the store opens every sync slot's descriptor of the WAL after its migrations, before any batch (a descriptor opened after an error was reported elsewhere never sees it)", async () => {
    const file = join(dir, "descriptors.db");
    const store = new SqliteStore(file);
    const wal = () => realpathSync(`${file}-wal`);
    const walDescriptors = () => readdirSync("/proc/self/fd").filter((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`) === wal(); } catch { return false; } }).length;
    await store.migrate();
    // SQLite's own, and one per slot, before any batch
    expect(walDescriptors()).toBe(1 + WAL_SYNCS);
    await store.ensureTenant("default", "Descriptors");
    await store.durable();
    expect(walDescriptors()).toBe(1 + WAL_SYNCS);
    await store.close();
  });

  it("a WAL sync slot that cannot open its descriptor fails the node's writes, as a failed sync does", async () => {
    const cannot = { open: () => Object.assign(new Error("EMFILE: too many open files"), { code: "EMFILE" }), sync: (done: (err: Error | null) => void) => done(null), close: () => {} };
    const sync = new WalSync([cannot]);
    sync.open();
    expect(sync.failure?.message).toMatch(/could not be synced to disk \(EMFILE\)/);
    await expect(new Promise<void>((resolve, reject) => sync.after({ resolve, reject }))).rejects.toThrow(/EMFILE/);
    // and fsyncOf of a file that is not there fails its syncs, never opening it later
    const missing = fsyncOf(join(dir, "never-there"));
    expect((missing.open!() as NodeJS.ErrnoException).code).toBe("ENOENT");
    writeFileSync(join(dir, "never-there"), "x");
    expect(((await new Promise<Error | null>((r) => missing.sync(r))) as NodeJS.ErrnoException).code).toBe("ENOENT");
  });

  it("the default store's durable() waits for its WAL's sync after the commit; NORMAL's for the commit only", async () => {
    const full = new SqliteStore(join(dir, "full.db"));
    const normal = new SqliteStore(join(dir, "normal.db"), { synchronous: "NORMAL" });
    try {
      await full.migrate();
      await normal.migrate();
      await full.ensureTenant("default", "WalSync");
      await normal.ensureTenant("default", "WalSync");
      const fullDurable = full.durable();
      const normalDurable = normal.durable();
      expect(fullDurable).not.toBeNull();
      expect(normalDurable).not.toBeNull();
      await Promise.all([fullDurable, normalDurable]);
      expect(full.durable()).toBeNull();
      expect(normal.durable()).toBeNull();
    } finally {
      await full.close();
      await normal.close();
    }
  });
});
