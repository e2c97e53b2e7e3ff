import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { NewAuditEntry } from "../src/core/Audit.js";
import type { JobCursor } from "../src/core/listQuery.js";
import type { Store } from "../src/core/store.js";
import { statesBefore } from "../src/core/jobState.js";
import { unstorable } from "../src/core/arguments.js";
import { DEFAULT_SETTINGS, type Folder, type Job, type JobListItem, type JobState, type Process, type RobotSession, type Tenant, type Trigger } from "../src/core/types.js";
import { SqliteStore } from "../src/store/sqlite/SqliteStore.js";
import { PostgresStore } from "../src/store/postgres/PostgresStore.js";
import { PostgresExecutor } from "../src/store/postgres/PostgresExecutor.js";
import { dropSchema, testDatabaseUrl } from "./helpers/baton.js";
import { loadMigrations } from "../src/store/migrationFiles.js";
import { migrateSqlite } from "../src/store/sqlite/migrate.js";
import { migratePostgres } from "../src/store/postgres/migrate.js";

/**
 * The Store port's contract, run verbatim against both engines: embedded SQLite (a temp
 * file) and PostgreSQL (a fresh schema on 127.0.0.1:5432, dropped afterwards). The file covers
 * both stores itself, so vitest.config.ts runs it once. An unreachable PostgreSQL fails the
 * run: nothing here catches the connection error.
 *
 * Store-wide queries (jobsPastDeadline, expiredSessions) are tested in an era of their own
 * (1990) so the jobs and sessions of other tests, all in 2030, never show up in them.
 */

interface Backing {
  /** a new Store on this backing (same file / same schema) */
  open(): Store;
  cleanup(): Promise<void>;
}

interface Factory {
  name: string;
  /** a fresh, empty, unmigrated backing */
  fresh(): Backing;
}

const factories: Factory[] = [
  {
    name: "sqlite",
    fresh() {
      const dir = mkdtempSync(join(tmpdir(), "baton-contract-"));
      const stores: Store[] = [];
      return {
        open() {
          const s = new SqliteStore(join(dir, "baton.db"));
          stores.push(s);
          return s;
        },
        async cleanup() {
          for (const s of stores) await s.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: "postgres",
    fresh() {
      const { url, schema } = testDatabaseUrl();
      const stores: Store[] = [];
      return {
        open() {
          const s = new PostgresStore({ url });
          stores.push(s);
          return s;
        },
        async cleanup() {
          for (const s of stores) await s.close();
          await dropSchema(schema);
        },
      };
    },
  },
];

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const T0 = Date.parse("2030-01-01T00:00:00.000Z");
const OLD = Date.parse("1990-01-01T00:00:00.000Z");
const at = (ms: number): string => new Date(ms).toISOString();
const sec = (s: number): number => s * 1000;
const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const sortedKeys = (jobs: Job[]) => jobs.map((j) => j.key).sort();

/** JSON with object keys sorted: equal for equal JSON values, whatever the key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v);
}

/** Arguments that exercise the JSON mapping: unicode, nesting, numbers, booleans, null, {} and []. */
function richArguments(): Record<string, unknown> {
  const args: Record<string, unknown> = {
    text: "Grüße, 世界! 🚀 café — ñ \u202ertl\u202c e\u0301 \"quoted\" back\\slash\nnew line\ttab",
    emoji: "👩‍👩‍👧‍👦",
    "ключ with spaces": "значение",
    int: 42,
    negative: -17,
    float: 3.14159,
    tiny: 1e-7,
    big: 9007199254740991,
    zero: 0,
    yes: true,
    no: false,
    nothing: null,
    emptyObject: {},
    emptyArray: [],
    emptyString: "",
    list: [1, "two", { three: [3, null, false] }, [], [[]]],
    nested: { a: { b: { c: { d: { e: "deep", f: [1.5, -2.25] } } } } },
  };
  // an own `__proto__` key (as the HTTP layer builds it) must survive storage
  Object.defineProperty(args, "__proto__", { value: { polluted: false }, enumerable: true, writable: true, configurable: true });
  return args;
}

describe.each(factories)("Store contract ($name)", (factory) => {
  let backing: Backing;
  let store: Store;

  beforeAll(async () => {
    backing = factory.fresh();
    store = backing.open();
    await store.migrate();
  });

  afterAll(async () => {
    await backing?.cleanup();
  });

  let orgCounter = 0;
  /** a tenant of its own (in an organization of its own) and its Shared folder */
  async function newTenant(): Promise<{ tenant: Tenant; shared: Folder }> {
    const { tenant } = await store.ensureTenant(`org-${++orgCounter}-${randomUUID().slice(0, 8)}`, "default");
    const shared = (await store.findFolderByName(tenant.id, "Shared"))!;
    return { tenant, shared };
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
      id: randomUUID(), tenantId, robotKeyId: null, folderKeys: null, robotName: "robot-1", version: "1.2.3", processes: ["P"], slots: 1000,
      leaseExpiresAt: at(T0 + sec(3600 * 24 * 365)), createdAt: at(T0), ...over,
    };
  }

  function newProcess(tenantId: string, folderKey: string, over: Partial<Process> = {}): Process {
    return {
      id: randomUUID(), tenantId, folderKey, name: "P", description: "", defaultInputArguments: {}, inputSchema: null, outputSchema: null,
      priority: "Normal", maxDurationSeconds: null, retry: { maxAttempts: 1, backoff: { type: "Exponential", delaySeconds: 5, maxDelaySeconds: 3600, jitter: false } },
      maxConcurrentJobs: null, concurrencyKey: null, maxConcurrentJobsPerKey: null, createdAt: at(T0), updatedAt: at(T0), ...over,
    };
  }

  function newTrigger(tenantId: string, folderKey: string, over: Partial<Trigger> = {}): Trigger {
    return {
      id: randomUUID(), tenantId, folderKey, name: "T", slug: `slug-${randomUUID().slice(0, 8)}`, verb: "POST", processName: "P",
      callMode: "AsyncRequestReply", defaultArguments: {}, priority: "Inherit", enabled: true, createdAt: at(T0), updatedAt: at(T0), ...over,
    };
  }

  /** a Pending job claimed by `session` (created live for the claim) */
  async function runningJob(tenantId: string, folderKey: string, session: RobotSession, over: Partial<Job> = {}): Promise<Job> {
    const job = newJob(tenantId, folderKey, { processName: session.processes[0]!, ...over });
    await store.createJob(job);
    const claimed = await store.claimJobs(session, 1, at(T0 + sec(1)), 60);
    expect(claimed.map((j) => j.key)).toEqual([job.key]);
    return claimed[0]!;
  }

  it("createJobOnce: 20 racers with one key over two store instances create one job with its key; an expired key is taken over", async () => {
    const { tenant, shared } = await newTenant();
    const other = backing.open();
    await other.migrate();
    const keyRow = (jobKey: string, createdAt = at(T0), expiresAt = at(T0 + sec(3600))) =>
      ({ tenantId: tenant.id, scope: "trigger:t1", key: "k-race", fingerprint: "f1", jobKey, createdAt, expiresAt });
    const jobs = Array.from({ length: 20 }, () => newJob(tenant.id, shared.key, { idempotencyKey: "k-race" }));
    const outcomes = await Promise.all(jobs.map((job, i) => (i % 2 === 0 ? store : other).createJobOnce(job, keyRow(job.key))));
    const created = outcomes.flatMap((o, i) => (o.created ? [jobs[i]!.key] : []));
    expect(created).toHaveLength(1);
    for (const o of outcomes) if (!o.created) expect(o.existing).toEqual({ fingerprint: "f1", jobKey: created[0] });
    await store.durable();
    await other.durable();
    const listed = await store.listJobs(tenant.id, {}, 100, null);
    expect(listed.items.map((j) => j.key)).toEqual(created);
    expect(listed.items[0]!.idempotencyKey).toBe("k-race");
    // past its expiry, the key is the next call's, and that call's job is created
    const later = newJob(tenant.id, shared.key, { idempotencyKey: "k-race" });
    expect(await store.createJobOnce(later, { ...keyRow(later.key, at(T0 + sec(7200)), at(T0 + sec(10800))), fingerprint: "f2" })).toEqual({ created: true });
    expect(await store.getJob(tenant.id, later.key)).toMatchObject({ key: later.key, idempotencyKey: "k-race" });
  });

  it("createJobOnce in one turn: distinct keys all created, a key repeated in the turn and a key recorded before are found", async () => {
    const { tenant, shared } = await newTenant();
    const keyRow = (key: string, jobKey: string, fingerprint = "f") =>
      ({ tenantId: tenant.id, scope: "trigger:batch", key, fingerprint, jobKey, createdAt: at(T0), expiresAt: at(T0 + sec(3600)) });
    const before = newJob(tenant.id, shared.key, { idempotencyKey: "k-before" });
    expect(await store.createJobOnce(before, keyRow("k-before", before.key, "old"))).toEqual({ created: true });
    const calls = [
      ...Array.from({ length: 30 }, (_, i) => ({ key: `k-${i}`, job: newJob(tenant.id, shared.key, { idempotencyKey: `k-${i}` }) })),
      { key: "k-3", job: newJob(tenant.id, shared.key, { idempotencyKey: "k-3" }) },
      { key: "k-before", job: newJob(tenant.id, shared.key, { idempotencyKey: "k-before" }) },
    ];
    const outcomes = await Promise.all(calls.map((c) => store.createJobOnce(c.job, keyRow(c.key, c.job.key))));
    for (let i = 0; i < 30; i++) expect(outcomes[i], `k-${i}`).toEqual({ created: true });
    expect(outcomes[30]).toEqual({ created: false, existing: { fingerprint: "f", jobKey: calls[3]!.job.key } });
    expect(outcomes[31]).toEqual({ created: false, existing: { fingerprint: "old", jobKey: before.key } });
    await store.durable();
    const listed = await store.listJobs(tenant.id, {}, 100, null);
    expect(listed.items.map((j) => j.key).sort()).toEqual([before.key, ...calls.slice(0, 30).map((c) => c.job.key)].sort());
  });

  it("webhook deliveries: deliveriesToMake loads a batch with its subscription's secrets; recordDeliveryAttempt appends, in order", async () => {
    const { tenant } = await newTenant();
    const webhook = {
      id: `wh_${randomUUID().slice(0, 8)}`, tenantId: tenant.id, url: "https://receiver.example/hook", events: ["job.completed"], folderKeys: null, enabled: true,
      description: null, createdAt: at(T0), updatedAt: at(T0), secret: "whsec_new", previousSecret: "whsec_old", previousSecretUntil: at(T0 + sec(60)),
    };
    await store.createWebhook(webhook);
    const ids = [randomUUID(), randomUUID()];
    for (const id of ids) {
      await store.createDelivery({ id, tenantId: tenant.id, webhookId: webhook.id, type: "job.completed", jobKey: null, payload: `{"id":"${id}"}`, state: "Pending", createdAt: at(T0), nextAttemptAt: at(T0), retryUntil: at(T0 + sec(86400)) });
    }
    const made = await store.deliveriesToMake([...ids, "no-such-delivery"]);
    expect(made.map((m) => m.delivery.id).sort()).toEqual([...ids].sort());
    expect(made[0]!.webhook).toEqual({ id: webhook.id, url: webhook.url, secret: "whsec_new", previousSecret: "whsec_old", previousSecretUntil: at(T0 + sec(60)) });
    expect(await store.deliveriesToMake([])).toEqual([]);

    const failed = { at: at(T0 + sec(1)), statusCode: 500, durationMs: 12, error: "The receiver answered 500." };
    const ok = { at: at(T0 + sec(10)), statusCode: 200, durationMs: 3, error: null };
    await store.recordDeliveryAttempt(ids[0]!, failed, "Pending", at(T0 + sec(10)));
    expect(await store.getDelivery(tenant.id, ids[0]!)).toMatchObject({ state: "Pending", nextAttemptAt: at(T0 + sec(10)), deliveredAt: null, attempts: [failed] });
    await store.recordDeliveryAttempt(ids[0]!, ok, "Delivered", null);
    expect(await store.getDelivery(tenant.id, ids[0]!)).toMatchObject({ state: "Delivered", nextAttemptAt: null, deliveredAt: ok.at, attempts: [failed, ok] });
    // the other delivery is untouched
    expect((await store.getDelivery(tenant.id, ids[1]!))!.attempts).toEqual([]);
    // deleted with its subscription: nothing to make
    await store.deleteWebhook(tenant.id, webhook.id);
    expect(await store.deliveriesToMake(ids)).toEqual([]);
  });

  it("writeTogether: works of one turn, each changing a job and recording a delivery and its due row, are all kept and answered each with its own; a job or due row written again by a later work gets the later (on PostgreSQL, a turn's writes of each kind in one statement)", async () => {
    const { tenant, shared } = await newTenant();
    const webhook = {
      id: `wh_${randomUUID().slice(0, 8)}`, tenantId: tenant.id, url: "https://receiver.example/hook", events: ["job.completed"], folderKeys: null, enabled: true,
      description: null, createdAt: at(T0), updatedAt: at(T0), secret: "whsec_x", previousSecret: null, previousSecretUntil: null,
    };
    await store.createWebhook(webhook);
    const jobs = Array.from({ length: 5 }, (_, i) => newJob(tenant.id, shared.key, { inputArguments: { i } }));
    for (const j of jobs) await store.createJob(j);
    const prepared = store.engine === "postgres" ? vi.spyOn(PostgresExecutor.prototype, "prepared") : null;
    const ids = [...jobs, jobs[0]!].map(() => `msg_${randomUUID()}`);
    let answers: (Job | null)[];
    try {
      // the last work changes job 0 again (after the first change: it waits for it), and moves the first work's due row
      const works = [...jobs, jobs[0]!].map((j, i) => store.writeTogether(async () => {
        const changed = await store.updateJob(tenant.id, j.key, i < 5 ? ["Pending"] : ["Stopped"], null, i < 5 ? { state: "Stopped", endedAt: at(T0 + sec(i)) } : { state: "Stopped", info: "again" });
        await store.createDelivery({ id: ids[i]!, tenantId: tenant.id, webhookId: webhook.id, type: "job.stopped", jobKey: j.key, payload: `{"i":${i}}`, state: "Pending", createdAt: at(T0), nextAttemptAt: at(T0 + sec(i)), retryUntil: at(T0 + sec(86400)) });
        const due = i < 5 ? ids[i]! : ids[0]!;
        await store.scheduleWork({ id: `webhook.delivery:${due}`, kind: "webhook.delivery", tenantId: tenant.id, ref: due, dueAt: at(T0 + sec(i)), createdAt: at(T0) });
        return changed;
      }));
      answers = await Promise.all(works);
      if (prepared) {
        const names = prepared.mock.calls.map(([q]) => q.name);
        // the five first changes in one statement, the repeated job's in the next
        expect(names.filter((n) => n === "baton_update_jobs")).toHaveLength(2);
        expect(names.filter((n) => n === "baton_insert_deliveries").length).toBeLessThanOrEqual(2);
        expect(names.filter((n) => n === "baton_insert_due_work").length).toBeLessThanOrEqual(2);
        expect(names).toHaveLength(names.filter((n) => n?.startsWith("baton_")).length);
      }
    } finally {
      prepared?.mockRestore();
    }
    expect(answers.slice(0, 5).map((j) => [j!.key, j!.state, j!.endedAt])).toEqual(jobs.map((j, i) => [j.key, "Stopped", at(T0 + sec(i))]));
    expect(answers[5]).toMatchObject({ key: jobs[0]!.key, state: "Stopped", info: "again", endedAt: at(T0) });
    for (const [i, id] of ids.entries()) {
      expect(await store.getDelivery(tenant.id, id)).toMatchObject({ id, jobKey: jobs[i % 5]!.key, type: "job.stopped", payload: `{"i":${i}}`, state: "Pending", nextAttemptAt: at(T0 + sec(i)), attempts: [] });
      if (i < 5) expect(await store.getWork(`webhook.delivery:${id}`)).toMatchObject({ ref: id, dueAt: at(T0 + sec(i === 0 ? 5 : i)), leasedBy: null });
    }
  });

  it("endDeliveryAttempt: ends made in one turn each record their attempt and end their due row only while its owner leases it (on PostgreSQL, one statement)", async () => {
    const { tenant } = await newTenant();
    const webhook = {
      id: `wh_${randomUUID().slice(0, 8)}`, tenantId: tenant.id, url: "https://receiver.example/hook", events: ["job.completed"], folderKeys: null, enabled: true,
      description: null, createdAt: at(T0), updatedAt: at(T0), secret: "whsec_x", previousSecret: null, previousSecretUntil: null,
    };
    await store.createWebhook(webhook);
    const owner = `node-${randomUUID().slice(0, 8)}`;
    const ids = Array.from({ length: 4 }, () => `msg_${randomUUID()}`);
    for (const [i, id] of ids.entries()) {
      await store.createDelivery({ id, tenantId: tenant.id, webhookId: webhook.id, type: "job.completed", jobKey: null, payload: "{}", state: "Pending", createdAt: at(T0), nextAttemptAt: at(T0), retryUntil: at(T0 + sec(86400)) });
      // the last one's lease is another node's now
      await store.scheduleWork({ id: `webhook.delivery:${id}`, kind: "webhook.delivery", tenantId: tenant.id, ref: id, dueAt: at(T0), createdAt: at(T0), leasedBy: i === 3 ? "other-node" : owner, leaseUntil: at(T0 + sec(60)) });
    }
    const ok = { at: at(T0 + sec(1)), statusCode: 204, durationMs: 3, error: null };
    const failed = { at: at(T0 + sec(1)), statusCode: 500, durationMs: 9, error: "The receiver answered 500." };
    const work = (id: string) => ({ id: `webhook.delivery:${id}`, owner });
    const prepared = store.engine === "postgres" ? vi.spyOn(PostgresExecutor.prototype, "prepared") : null;
    let ended: boolean[];
    try {
      ended = await Promise.all([
        store.endDeliveryAttempt(ids[0]!, ok, "Delivered", null, work(ids[0]!)),
        store.endDeliveryAttempt(ids[1]!, failed, "Pending", at(T0 + sec(30)), work(ids[1]!)),
        store.endDeliveryAttempt(ids[2]!, failed, "Failed", null, work(ids[2]!)),
        store.endDeliveryAttempt(ids[3]!, ok, "Delivered", null, work(ids[3]!)),
      ]);
      if (prepared) expect(prepared).toHaveBeenCalledTimes(1);
    } finally {
      prepared?.mockRestore();
    }
    expect(ended).toEqual([true, true, true, false]);
    expect(await store.getDelivery(tenant.id, ids[0]!)).toMatchObject({ state: "Delivered", deliveredAt: ok.at, nextAttemptAt: null, attempts: [ok] });
    expect(await store.getDelivery(tenant.id, ids[1]!)).toMatchObject({ state: "Pending", deliveredAt: null, nextAttemptAt: at(T0 + sec(30)), attempts: [failed] });
    expect(await store.getDelivery(tenant.id, ids[2]!)).toMatchObject({ state: "Failed", deliveredAt: null, nextAttemptAt: null, attempts: [failed] });
    expect(await store.getDelivery(tenant.id, ids[3]!)).toMatchObject({ state: "Delivered", attempts: [ok] });
    expect(await store.getWork(`webhook.delivery:${ids[0]}`)).toBeNull();
    expect(await store.getWork(`webhook.delivery:${ids[1]}`)).toMatchObject({ dueAt: at(T0 + sec(30)), leasedBy: null, leaseUntil: null, attempts: 1 });
    expect(await store.getWork(`webhook.delivery:${ids[2]}`)).toBeNull();
    // another node's lease: its row is left to it
    expect(await store.getWork(`webhook.delivery:${ids[3]}`)).toMatchObject({ leasedBy: "other-node", attempts: 0 });
  });

  // ---- migrations and secrets

  describe("migrate", () => {
    it("is idempotent: migrating again keeps the data", async () => {
      const { tenant } = await newTenant();
      await store.createJob(newJob(tenant.id, (await store.listFolders(tenant.id))[0]!.key));
      await store.migrate();
      await store.migrate();
      expect(await store.countJobs(tenant.id)).toBe(1);
      const again = backing.open();
      await again.migrate();
      expect(await again.countJobs(tenant.id)).toBe(1);
      expect(await again.findTenant(tenant.org, tenant.name)).toEqual(tenant);
    });

    it("upgrades a database from before users of tenants: users become the organization's and keep their tokens", async () => {
      const all = loadMigrations(factory.name === "sqlite" ? "sqlite" : "postgres");
      // the release before the migration that gave users a tenant, then today's
      const before = all.slice(0, all.findIndex((m) => m.name.startsWith("users-of-tenants")));
      const fresh = factory.fresh();
      try {
        const old = fresh.open();
        if (old instanceof SqliteStore) await old.executor.exclusive((db) => migrateSqlite(db, before));
        else if (old instanceof PostgresStore) await migratePostgres(old.connectionString, old.schema, before);
        const { tenant } = await old.ensureTenant("upgrade", "t");
        // the user as that version wrote it (today's ensureUser needs the new columns)
        const user = { id: randomUUID() };
        const insertUser = "INSERT INTO users (id, org, name, password_hash, org_admin, created_at) VALUES";
        if (old instanceof SqliteStore) old.connection.prepare(`${insertUser} (?, 'upgrade', 'admin', 'scrypt$x', 1, ?)`).run(user.id, at(T0));
        else if (old instanceof PostgresStore) await old.pool.query(`${insertUser} ($1, 'upgrade', 'admin', 'scrypt$x', true, now())`, [user.id]);
        await old.createToken({ id: randomUUID(), tenantId: tenant.id, userId: user.id, name: "tok", scopes: ["OR.Jobs"], hash: "upgrade-hash", orgWide: true, createdAt: at(T0), expiresAt: null });
        const upgraded = fresh.open();
        await upgraded.migrate();
        const record = await upgraded.findTokenByHash("upgrade-hash");
        expect(record?.orgAdmin).toBe(true);
        expect(record?.user).toEqual({ id: user.id, org: "upgrade", tenantId: null, name: "admin", orgAdmin: true, roles: [], createdAt: expect.any(String), disabledAt: null });
        expect((await upgraded.listUsers(tenant.id, "upgrade")).map((u) => u.name)).toEqual(["admin"]);
        expect(await upgraded.ensureUser({ id: randomUUID(), org: "upgrade", name: "admin", passwordHash: null, orgAdmin: true })).toEqual({ id: user.id, created: false });
      } finally {
        await fresh.cleanup();
      }
    });

    it("two stores migrating a fresh database at once both succeed, then migrate twice more", async () => {
      const fresh = factory.fresh();
      try {
        const a = fresh.open();
        const b = fresh.open();
        await Promise.all([a.migrate(), b.migrate()]);
        await Promise.all([a.migrate(), b.migrate()]);
        const { tenant, created } = await a.ensureTenant("fresh", "t");
        expect(created).toBe(true);
        expect(await b.findTenant("fresh", "t")).toEqual(tenant);
        await a.ping();
        await b.ping();
      } finally {
        await fresh.cleanup();
      }
    });
  });

  it("getOrCreateSecret creates once and then always returns the first value", async () => {
    const name = `secret-${randomUUID()}`;
    let calls = 0;
    expect(await store.getOrCreateSecret(name, () => `first-${++calls}`)).toBe("first-1");
    expect(await store.getOrCreateSecret(name, () => "second")).toBe("first-1");
    expect(await store.getOrCreateSecret(name, () => "third")).toBe("first-1");
    expect(await store.getOrCreateSecret(`${name}-other`, () => "other")).toBe("other");
    const all = await Promise.all(Array.from({ length: 6 }, (_, i) => store.getOrCreateSecret(`${name}-race`, () => `v${i}`)));
    expect(new Set(all).size).toBe(1);
    expect(await store.getOrCreateSecret(`${name}-race`, () => "late")).toBe(all[0]);
  });

  // ---- tenants, settings, users

  describe("tenants", () => {
    it("ensureTenant creates a tenant with its Shared folder once, then finds it", async () => {
      const org = `org-t-${randomUUID().slice(0, 8)}`;
      const first = await store.ensureTenant(org, "alpha");
      expect(first.created).toBe(true);
      expect(first.tenant).toEqual({ id: expect.any(String), org, name: "alpha" });
      const second = await store.ensureTenant(org, "alpha");
      expect(second).toEqual({ tenant: first.tenant, created: false });
      const folders = await store.listFolders(first.tenant.id);
      expect(folders).toEqual([{ key: expect.any(String), tenantId: first.tenant.id, name: "Shared", createdAt: expect.stringMatching(ISO) }]);
      expect(await store.findTenant(org, "alpha")).toEqual(first.tenant);
      expect(await store.findTenant(org, "missing")).toBeNull();
      expect(await store.findTenant(`${org}-x`, "alpha")).toBeNull();

      const beta = (await store.ensureTenant(org, "beta")).tenant;
      await store.ensureTenant(`${org}-other`, "gamma");
      expect(await store.listTenants(org)).toEqual([first.tenant, beta]);
      expect(await store.listTenants(`${org}-none`)).toEqual([]);
    });

    it("concurrent ensureTenant calls yield one tenant with one Shared folder", async () => {
      const org = `org-race-${randomUUID().slice(0, 8)}`;
      const results = await Promise.all(Array.from({ length: 8 }, () => store.ensureTenant(org, "same")));
      expect(new Set(results.map((r) => r.tenant.id)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      for (const r of results) expect(r.tenant).toEqual({ id: results[0]!.tenant.id, org, name: "same" });
      expect(await store.listTenants(org)).toEqual([results[0]!.tenant]);
      expect((await store.listFolders(results[0]!.tenant.id)).map((f) => f.name)).toEqual(["Shared"]);
    });

    it("settings: defaults for a new tenant, then an exact round trip per tenant", async () => {
      const { tenant } = await newTenant();
      const { tenant: other } = await newTenant();
      expect(await store.getSettings(tenant.id)).toEqual(DEFAULT_SETTINGS);
      const custom = {
        syncRedirectsRequireAuth: false, longPollTimeoutSeconds: 7, syncMaxJobDurationSeconds: 123,
        corsAllowedOrigins: ["https://a.example", "http://localhost:3000"], maxRequestBodyBytes: 4096, jobRetentionDays: 2, idempotencyKeyRetentionHours: 48,
        rateLimitPerTokenPerMinute: 5, rateLimitPerTriggerPerMinute: 600, redirectStatusCode: 302 as const,
      };
      await store.saveSettings(tenant.id, custom);
      expect(await store.getSettings(tenant.id)).toEqual(custom);
      expect(await store.getSettings(other.id)).toEqual(DEFAULT_SETTINGS);
      await store.saveSettings(tenant.id, { ...custom, corsAllowedOrigins: [] });
      expect(await store.getSettings(tenant.id)).toEqual({ ...custom, corsAllowedOrigins: [] });
    });

    it("ensureUser creates once per (org, name) and returns the first id afterwards", async () => {
      const org = `org-u-${randomUUID().slice(0, 8)}`;
      const id = randomUUID();
      expect(await store.ensureUser({ id, org, name: "admin", passwordHash: "h", orgAdmin: true })).toEqual({ id, created: true });
      expect(await store.ensureUser({ id: randomUUID(), org, name: "admin", passwordHash: "other", orgAdmin: false })).toEqual({ id, created: false });
      const otherOrg = randomUUID();
      expect(await store.ensureUser({ id: otherOrg, org: `${org}-2`, name: "admin", passwordHash: null, orgAdmin: false })).toEqual({ id: otherOrg, created: true });
    });
  });

  // ---- tokens

  it("tokens: create, find by hash (orgAdmin only for org-wide tokens of org admins), list, revoke", async () => {
    const { tenant } = await newTenant();
    const { tenant: other } = await newTenant();
    const admin = (await store.ensureUser({ id: randomUUID(), org: tenant.org, name: "admin", passwordHash: null, orgAdmin: true })).id;
    const plain = (await store.ensureUser({ id: randomUUID(), org: tenant.org, name: "plain", passwordHash: "x", orgAdmin: false })).id;
    const make = (name: string, userId: string | null, orgWide: boolean, createdAt: string, expiresAt: string | null = null) => ({
      id: randomUUID(), tenantId: tenant.id, userId, name, scopes: ["OR.Jobs", "OR.Folders.Read"], hash: `hash-${randomUUID()}`, orgWide, createdAt, expiresAt,
    });
    // created out of creation-time order: listTokens orders by createdAt
    const adminWide = make("admin wide", admin, true, at(T0 + sec(30)), at(T0 + sec(3600)));
    const adminLocal = make("admin local", admin, false, at(T0 + sec(10)));
    const plainWide = make("plain wide", plain, true, at(T0 + sec(20)));
    const userless = make("userless", null, true, at(T0 + sec(40)));
    const created = [];
    for (const t of [adminWide, adminLocal, plainWide, userless]) created.push(await store.createToken(t));
    const view = (t: ReturnType<typeof make>) => ({
      id: t.id, tenantId: t.tenantId, userId: t.userId, name: t.name, scopes: t.scopes, createdAt: t.createdAt, expiresAt: t.expiresAt, revokedAt: null, lastUsedAt: null,
    });
    expect(created).toEqual([view(adminWide), view(adminLocal), view(plainWide), view(userless)]);
    await store.createToken({ ...make("elsewhere", null, false, at(T0)), tenantId: other.id });

    const userOf = (id: string, name: string, orgAdmin: boolean) => ({ id, org: tenant.org, tenantId: null, name, orgAdmin, roles: [], createdAt: expect.any(String), disabledAt: null });
    expect(await store.findTokenByHash(adminWide.hash)).toEqual({ token: view(adminWide), tenant, orgAdmin: true, user: userOf(admin, "admin", true) });
    expect(await store.findTokenByHash(adminLocal.hash)).toEqual({ token: view(adminLocal), tenant, orgAdmin: false, user: userOf(admin, "admin", true) });
    expect(await store.findTokenByHash(plainWide.hash)).toEqual({ token: view(plainWide), tenant, orgAdmin: false, user: userOf(plain, "plain", false) });
    expect(await store.findTokenByHash(userless.hash)).toEqual({ token: view(userless), tenant, orgAdmin: false, user: null });
    expect(await store.findTokenByHash("no-such-hash")).toBeNull();

    expect(await store.listTokens(tenant.id)).toEqual([view(adminLocal), view(plainWide), view(adminWide), view(userless)]);

    const revokedAt = at(T0 + sec(100));
    expect(await store.revokeToken(tenant.id, plainWide.id, revokedAt)).toBe(true);
    // revoking again keeps the first revocation time
    expect(await store.revokeToken(tenant.id, plainWide.id, at(T0 + sec(200)))).toBe(true);
    expect(await store.revokeToken(other.id, adminWide.id, revokedAt)).toBe(false);
    expect(await store.revokeToken(tenant.id, randomUUID(), revokedAt)).toBe(false);
    expect((await store.findTokenByHash(plainWide.hash))!.token).toEqual({ ...view(plainWide), revokedAt });
    expect((await store.findTokenByHash(adminWide.hash))!.token.revokedAt).toBeNull();
    expect((await store.listTokens(tenant.id)).map((t) => t.revokedAt)).toEqual([null, revokedAt, null, null]);
    // a token hash is unique
    await expect(store.createToken({ ...make("dup", null, false, at(T0)), hash: adminWide.hash })).rejects.toThrow();
  });

  // ---- folders, processes, triggers

  it("folders: create, get, find by name, list by name, rename, delete (missing / not-empty / deleted)", async () => {
    const { tenant, shared } = await newTenant();
    const { tenant: other } = await newTenant();
    const folder = (name: string, s: number): Folder => ({ key: randomUUID(), tenantId: tenant.id, name, createdAt: at(T0 + sec(s)) });
    const zeta = folder("zeta", 1);
    const beta = folder("Beta", 2);
    const alpha = folder("alpha", 3);
    for (const f of [zeta, beta, alpha]) await store.createFolder(f);
    expect(await store.getFolder(tenant.id, zeta.key)).toEqual(zeta);
    expect(await store.getFolder(other.id, zeta.key)).toBeNull();
    expect(await store.getFolder(tenant.id, randomUUID())).toBeNull();
    expect(await store.findFolderByName(tenant.id, "Beta")).toEqual(beta);
    expect(await store.findFolderByName(tenant.id, "beta")).toBeNull();
    expect(await store.findFolderByName(other.id, "Beta")).toBeNull();
    // ordered by name, byte-wise (upper case first), on every engine and database collation
    expect(await store.listFolders(tenant.id)).toEqual([beta, shared, alpha, zeta]);
    // a folder name is unique per tenant, not across tenants
    await expect(store.createFolder(folder("zeta", 4))).rejects.toThrow();
    await store.createFolder({ ...folder("zeta", 4), tenantId: other.id });

    expect(await store.renameFolder(tenant.id, zeta.key, "omega")).toBe(true);
    expect(await store.renameFolder(other.id, alpha.key, "stolen")).toBe(false);
    expect(await store.renameFolder(tenant.id, randomUUID(), "x")).toBe(false);
    expect(await store.getFolder(tenant.id, zeta.key)).toEqual({ ...zeta, name: "omega" });
    expect(await store.getFolder(tenant.id, alpha.key)).toEqual(alpha);

    expect(await store.deleteFolder(tenant.id, randomUUID())).toBe("missing");
    expect(await store.deleteFolder(other.id, alpha.key)).toBe("missing");
    // a folder holding a process, a trigger or a job is not empty
    const withProcess = folder("with process", 5);
    const withTrigger = folder("with trigger", 6);
    const withJob = folder("with job", 7);
    for (const f of [withProcess, withTrigger, withJob]) await store.createFolder(f);
    await store.createProcess(newProcess(tenant.id, withProcess.key));
    await store.createTrigger(newTrigger(tenant.id, withTrigger.key));
    await store.createJob(newJob(tenant.id, withJob.key));
    for (const f of [withProcess, withTrigger, withJob]) expect(await store.deleteFolder(tenant.id, f.key)).toBe("not-empty");
    expect(await store.getFolder(tenant.id, withJob.key)).toEqual(withJob);

    expect(await store.deleteFolder(tenant.id, alpha.key)).toBe("deleted");
    expect(await store.getFolder(tenant.id, alpha.key)).toBeNull();
    expect(await store.deleteFolder(tenant.id, alpha.key)).toBe("missing");
    expect((await store.listFolders(tenant.id)).map((f) => f.name)).toEqual(["Beta", "Shared", "omega", "with job", "with process", "with trigger"]);
  });

  it("processes: create, exact round trip, list by name, update, delete (missing / in-use / deleted)", async () => {
    const { tenant, shared } = await newTenant();
    const { tenant: other } = await newTenant();
    const folder: Folder = { key: randomUUID(), tenantId: tenant.id, name: "Finance", createdAt: at(T0) };
    await store.createFolder(folder);
    const invoice = newProcess(tenant.id, shared.key, {
      name: "Invoice", description: "Reads invoices ✓ — «ünïcode»", defaultInputArguments: { lang: "de", n: 3, nested: { ok: true, none: null } },
      inputSchema: { type: "object", properties: { n: { type: "integer", minimum: 1 } }, required: ["n"] }, outputSchema: {},
      priority: "High", maxDurationSeconds: 120, retry: { maxAttempts: 3, backoff: { type: "Exponential", delaySeconds: 7, maxDelaySeconds: 3600, jitter: false } }, createdAt: at(T0 + sec(1)), updatedAt: at(T0 + sec(2)),
      maxConcurrentJobs: 7, concurrencyKey: "/a~1b/ü", maxConcurrentJobsPerKey: 2,
    });
    const archive = newProcess(tenant.id, shared.key, { name: "Archive", priority: "Low" });
    const batch = newProcess(tenant.id, shared.key, { name: "batch" });
    const sameName = newProcess(tenant.id, folder.key, { name: "Invoice" });
    for (const p of [invoice, archive, batch, sameName]) await store.createProcess(p);
    expect(await store.getProcess(tenant.id, shared.key, "Invoice")).toEqual(invoice);
    expect(await store.getProcess(tenant.id, shared.key, "Archive")).toEqual(archive);
    expect(await store.getProcess(tenant.id, folder.key, "Invoice")).toEqual(sameName);
    expect(await store.getProcess(other.id, shared.key, "Invoice")).toBeNull();
    expect(await store.getProcess(tenant.id, shared.key, "invoice")).toBeNull();
    // ordered by name, byte-wise (upper case first), on every engine and database collation
    expect(await store.listProcesses(tenant.id, shared.key)).toEqual([archive, invoice, batch]);
    expect(await store.listProcesses(other.id, shared.key)).toEqual([]);
    await expect(store.createProcess(newProcess(tenant.id, shared.key, { name: "Invoice" }))).rejects.toThrow();

    const updated: Process = {
      ...invoice, description: "", defaultInputArguments: {}, inputSchema: null, outputSchema: { type: "object" }, priority: "Normal",
      maxDurationSeconds: null, retry: { maxAttempts: 1, backoff: { type: "Exponential", delaySeconds: 0, maxDelaySeconds: 3600, jitter: false } }, updatedAt: at(T0 + sec(50)),
      maxConcurrentJobs: null, concurrencyKey: null, maxConcurrentJobsPerKey: 3,
    };
    await store.updateProcess(updated);
    expect(await store.getProcess(tenant.id, shared.key, "Invoice")).toEqual(updated);
    expect(await store.getProcess(tenant.id, folder.key, "Invoice")).toEqual(sameName);
    // another tenant cannot update it
    await store.updateProcess({ ...updated, tenantId: other.id, description: "hijacked" });
    expect((await store.getProcess(tenant.id, shared.key, "Invoice"))!.description).toBe("");

    expect(await store.deleteProcess(tenant.id, shared.key, "Nope")).toBe("missing");
    expect(await store.deleteProcess(other.id, shared.key, "Invoice")).toBe("missing");
    const trigger = newTrigger(tenant.id, shared.key, { processName: "Invoice" });
    await store.createTrigger(trigger);
    expect(await store.deleteProcess(tenant.id, shared.key, "Invoice")).toBe("in-use");
    // the trigger in Shared does not hold the process of the same name in Finance
    expect(await store.deleteProcess(tenant.id, folder.key, "Invoice")).toBe("deleted");
    expect(await store.deleteTrigger(tenant.id, trigger.id)).toBe(true);
    expect(await store.deleteProcess(tenant.id, shared.key, "Invoice")).toBe("deleted");
    expect(await store.getProcess(tenant.id, shared.key, "Invoice")).toBeNull();
    expect(await store.deleteProcess(tenant.id, shared.key, "Invoice")).toBe("missing");
    expect(await store.listProcesses(tenant.id, shared.key)).toEqual([archive, batch]);
  });

  it("triggers: create, exact round trip, find by slug, list by slug, update, delete, slug unique per tenant", async () => {
    const { tenant, shared } = await newTenant();
    const { tenant: other, shared: otherShared } = await newTenant();
    const folder: Folder = { key: randomUUID(), tenantId: tenant.id, name: "Ops", createdAt: at(T0) };
    await store.createFolder(folder);
    const a = newTrigger(tenant.id, shared.key, {
      name: "Create invoice 🧾", slug: "invoice", verb: "PUT", processName: "Invoice", callMode: "LongPolling",
      defaultArguments: { lang: "fr", retries: 2, flags: [true, false, null], deep: { x: { y: "z" } } }, priority: "High", enabled: false,
      createdAt: at(T0 + sec(1)), updatedAt: at(T0 + sec(3)),
    });
    const b = newTrigger(tenant.id, folder.key, { slug: "Zebra", verb: "GET", callMode: "FireAndForget" });
    const c = newTrigger(tenant.id, shared.key, { slug: "z-last", verb: "DELETE", priority: "Low" });
    for (const t of [a, b, c]) await store.createTrigger(t);
    expect(await store.getTrigger(tenant.id, a.id)).toEqual(a);
    expect(await store.getTrigger(other.id, a.id)).toBeNull();
    expect(await store.getTrigger(tenant.id, randomUUID())).toBeNull();
    expect(await store.findTriggerBySlug(tenant.id, "invoice")).toEqual(a);
    expect(await store.findTriggerBySlug(tenant.id, "INVOICE")).toBeNull();
    expect(await store.findTriggerBySlug(other.id, "invoice")).toBeNull();
    // ordered by slug, byte-wise (upper case first), on every engine and database collation
    expect(await store.listTriggers(tenant.id, null)).toEqual([b, a, c]);
    expect(await store.listTriggers(tenant.id, shared.key)).toEqual([a, c]);
    expect(await store.listTriggers(tenant.id, folder.key)).toEqual([b]);
    expect(await store.listTriggers(other.id, null)).toEqual([]);

    // one slug per tenant, whatever the folder; another tenant may use it
    await expect(store.createTrigger(newTrigger(tenant.id, folder.key, { slug: "invoice" }))).rejects.toThrow();
    await expect(store.createTrigger(newTrigger(tenant.id, shared.key, { slug: "invoice" }))).rejects.toThrow();
    const elsewhere = newTrigger(other.id, otherShared.key, { slug: "invoice" });
    await store.createTrigger(elsewhere);
    expect(await store.findTriggerBySlug(other.id, "invoice")).toEqual(elsewhere);
    expect(await store.findTriggerBySlug(tenant.id, "invoice")).toEqual(a);

    const updated: Trigger = {
      ...a, name: "Renamed", slug: "invoice-v2", verb: "POST", processName: "Other", callMode: "AsyncRequestReply", defaultArguments: {},
      priority: "Inherit", enabled: true, updatedAt: at(T0 + sec(99)),
    };
    await store.updateTrigger(updated);
    expect(await store.getTrigger(tenant.id, a.id)).toEqual(updated);
    expect(await store.findTriggerBySlug(tenant.id, "invoice")).toBeNull();
    expect(await store.findTriggerBySlug(tenant.id, "invoice-v2")).toEqual(updated);
    // updating onto a taken slug fails too
    await expect(store.updateTrigger({ ...c, slug: "invoice-v2" })).rejects.toThrow();
    expect(await store.getTrigger(tenant.id, c.id)).toEqual(c);

    expect(await store.deleteTrigger(other.id, a.id)).toBe(false);
    expect(await store.deleteTrigger(tenant.id, a.id)).toBe(true);
    expect(await store.deleteTrigger(tenant.id, a.id)).toBe(false);
    expect(await store.getTrigger(tenant.id, a.id)).toBeNull();
    expect(await store.listTriggers(tenant.id, null)).toEqual([b, c]);
  });

  // ---- jobs

  describe("jobs", () => {
    it("createJob/getJob round-trips every field of a new job; updateJob round-trips the run fields", async () => {
      const { tenant, shared } = await newTenant();
      const { tenant: other } = await newTenant();
      const input = richArguments();
      const job = newJob(tenant.id, shared.key, {
        processName: "Invoice ✓", triggerId: randomUUID(), source: "ApiTrigger", callMode: "LongPolling", priority: "High",
        inputArguments: input, createdAt: at(T0 + 123), info: "No robot serving Invoice is connected; the job waits ⏳",
        maxDurationSeconds: 600, deadlineAt: at(T0 + sec(50) + 7),
      });
      await store.createJob(job);
      const got = await store.getJob(tenant.id, job.key);
      expect(got).toEqual(job);
      expect(canonical(got!.inputArguments)).toBe(canonical(input));
      expect(Object.keys(got!.inputArguments)).toContain("__proto__");
      expect(Object.getPrototypeOf(got!.inputArguments)).toBe(Object.prototype);
      // tenant isolation
      expect(await store.getJob(other.id, job.key)).toBeNull();
      expect(await store.getJob(tenant.id, randomUUID())).toBeNull();
      // the other sources, call modes and priorities, and all-null optionals
      const plain = newJob(tenant.id, shared.key, { source: "Manual", callMode: "FireAndForget", priority: "Low" });
      const api = newJob(tenant.id, shared.key, { source: "Api", callMode: "AsyncRequestReply", priority: "Normal", inputArguments: { only: null } });
      for (const j of [plain, api]) await store.createJob(j);
      expect(await store.getJob(tenant.id, plain.key)).toEqual(plain);
      expect(await store.getJob(tenant.id, api.key)).toEqual(api);
      // a job key is unique
      await expect(store.createJob({ ...plain })).rejects.toThrow();

      const output = richArguments();
      const running = await store.updateJob(tenant.id, job.key, ["Pending"], null, {
        state: "Running", sessionId: "session-x", robot: "robot ✓", startedAt: at(T0 + sec(2)), attempt: 4, info: null, deadlineAt: at(T0 + sec(9)),
      });
      expect(running).toEqual({ ...job, state: "Running", sessionId: "session-x", robot: "robot ✓", startedAt: at(T0 + sec(2)), attempt: 4, info: null, deadlineAt: at(T0 + sec(9)) });
      const error = { code: "Boom", message: "Kaputt — 失败", details: { line: 3, stack: ["a", "b"], flag: false, none: null } };
      const done = await store.updateJob(tenant.id, job.key, ["Running"], "session-x", {
        state: "Faulted", outputArguments: output, error, endedAt: at(T0 + sec(5)), info: "ended",
      });
      const expected: Job = { ...running!, state: "Faulted", outputArguments: output, error, endedAt: at(T0 + sec(5)), info: "ended", deadlineAt: null };
      expect(done).toEqual(expected);
      expect(await store.getJob(tenant.id, job.key)).toEqual(expected);
      expect(canonical((await store.getJob(tenant.id, job.key))!.outputArguments)).toBe(canonical(output));
      // {} stays {} and null stays null
      const emptyOut = await store.updateJob(tenant.id, plain.key, ["Pending"], null, { state: "Successful", outputArguments: {}, error: null, endedAt: at(T0) });
      expect(emptyOut).toEqual({ ...plain, state: "Successful", outputArguments: {}, error: null, endedAt: at(T0) });
      const nullOut = await store.updateJob(tenant.id, api.key, ["Pending"], null, { state: "Stopped", outputArguments: null, error: { code: "X", message: "" }, endedAt: at(T0) });
      expect(nullOut).toEqual({ ...api, state: "Stopped", outputArguments: null, error: { code: "X", message: "" }, endedAt: at(T0) });
      // every timestamp is an ISO-8601 string like Date.toISOString()
      for (const j of [done!, emptyOut!, nullOut!]) {
        for (const t of [j.createdAt, j.startedAt, j.endedAt, j.deadlineAt].filter((v) => v !== null)) expect(t).toMatch(ISO);
      }
    });

    it("countJobs counts the tenant's jobs only", async () => {
      const { tenant, shared } = await newTenant();
      const { tenant: other, shared: otherShared } = await newTenant();
      expect(await store.countJobs(tenant.id)).toBe(0);
      await Promise.all(Array.from({ length: 7 }, () => store.createJob(newJob(tenant.id, shared.key))));
      await store.createJob(newJob(other.id, otherShared.key));
      expect(await store.countJobs(tenant.id)).toBe(7);
      expect(await store.countJobs(other.id)).toBe(1);
      expect(await store.countJobs(randomUUID())).toBe(0);
    });

    it("listJobs: filters and cursor paging (57 jobs, pages of 10, newest first, no duplicates or gaps)", async () => {
      const { tenant, shared } = await newTenant();
      const { tenant: other, shared: otherShared } = await newTenant();
      const folder: Folder = { key: randomUUID(), tenantId: tenant.id, name: "Second", createdAt: at(T0) };
      await store.createFolder(folder);
      const triggerA = randomUUID();
      const triggerB = randomUUID();
      const states: JobState[] = ["Pending", "Running", "Successful", "Faulted", "Stopped", "Stopping", "Terminating"];
      const jobs: Job[] = [];
      for (let i = 0; i < 57; i++) {
        const job = newJob(tenant.id, i % 3 === 0 ? folder.key : shared.key, {
          processName: i % 2 === 0 ? "Even" : "Odd", triggerId: i % 5 === 0 ? triggerA : i % 5 === 1 ? triggerB : null,
          createdAt: at(T0 + sec(i)), inputArguments: { i },
        });
        await store.createJob(job);
        const state = states[i % states.length]!;
        if (state !== "Pending") {
          const changed = await store.updateJob(tenant.id, job.key, ["Pending"], null, { state });
          expect(changed!.state).toBe(state);
          job.state = state;
        }
        jobs.push(job);
      }
      await store.createJob(newJob(other.id, otherShared.key, { processName: "Even", createdAt: at(T0 + sec(10)) }));
      const newestFirst = [...jobs].reverse();

      const pages: JobListItem[][] = [];
      let cursor: JobCursor | null = null;
      for (;;) {
        const page: { items: JobListItem[]; next: JobCursor | null } = await store.listJobs(tenant.id, {}, 10, cursor);
        pages.push(page.items);
        if (page.next === null) break;
        // by seq: the cursor holds no time
        expect(page.next).toEqual({ seq: expect.any(Number) });
        cursor = page.next;
        expect(pages.length).toBeLessThan(10);
      }
      expect(pages.map((p) => p.length)).toEqual([10, 10, 10, 10, 10, 7]);
      const seen = pages.flat();
      expect(seen).toEqual(newestFirst);
      expect(new Set(seen.map((j) => j.key)).size).toBe(57);

      const list = async (filter: Parameters<Store["listJobs"]>[1], limit = 100) => {
        const all: JobListItem[] = [];
        let c: JobCursor | null = null;
        for (;;) {
          const page: { items: JobListItem[]; next: JobCursor | null } = await store.listJobs(tenant.id, filter, limit, c);
          // filtered by time: ordered by creation time, the cursor holds it
          if (page.next && (filter.createdAfter || filter.createdBefore)) expect(page.next).toEqual({ seq: expect.any(Number), createdAt: page.items[page.items.length - 1]!.createdAt });
          expect(page.items.length).toBeLessThanOrEqual(limit);
          all.push(...page.items);
          if (page.next === null) return all;
          c = page.next;
        }
      };
      const expectKeys = async (filter: Parameters<Store["listJobs"]>[1], want: (j: Job) => boolean) => {
        const expected = newestFirst.filter(want).map((j) => j.key);
        expect(expected.length).toBeGreaterThan(0);
        expect((await list(filter)).map((j) => j.key)).toEqual(expected);
        // the same through small pages
        expect((await list(filter, 3)).map((j) => j.key)).toEqual(expected);
      };
      await expectKeys({ state: ["Running", "Successful"] }, (j) => j.state === "Running" || j.state === "Successful");
      await expectKeys({ state: ["Pending"] }, (j) => j.state === "Pending");
      await expectKeys({ state: [] }, () => true);
      await expectKeys({ processName: "Even" }, (j) => j.processName === "Even");
      await expectKeys({ triggerId: triggerA }, (j) => j.triggerId === triggerA);
      await expectKeys({ folderKey: folder.key }, (j) => j.folderKey === folder.key);
      // createdAfter is inclusive, createdBefore exclusive
      await expectKeys({ createdAfter: at(T0 + sec(20)) }, (j) => j.createdAt >= at(T0 + sec(20)));
      await expectKeys({ createdBefore: at(T0 + sec(30)) }, (j) => j.createdAt < at(T0 + sec(30)));
      await expectKeys({ createdAfter: at(T0 + sec(20)), createdBefore: at(T0 + sec(30)) }, (j) => j.createdAt >= at(T0 + sec(20)) && j.createdAt < at(T0 + sec(30)));
      expect((await list({ createdAfter: at(T0 + sec(20)), createdBefore: at(T0 + sec(30)) })).map((j) => (j.inputArguments as { i: number }).i))
        .toEqual([29, 28, 27, 26, 25, 24, 23, 22, 21, 20]);
      await expectKeys(
        { state: ["Pending", "Faulted", "Stopping"], processName: "Odd", folderKey: shared.key, createdAfter: at(T0 + sec(5)) },
        (j) => ["Pending", "Faulted", "Stopping"].includes(j.state) && j.processName === "Odd" && j.folderKey === shared.key && j.createdAt >= at(T0 + sec(5)),
      );
      expect(await store.listJobs(tenant.id, { processName: "None" }, 10, null)).toEqual({ items: [], next: null });
      expect(await store.listJobs(tenant.id, { triggerId: randomUUID() }, 10, null)).toEqual({ items: [], next: null });
      // exactly one page's worth: no next cursor
      const twenty = await store.listJobs(tenant.id, { createdBefore: at(T0 + sec(20)) }, 20, null);
      expect(twenty.items).toHaveLength(20);
      expect(twenty.next).toBeNull();
      // another tenant sees only its own
      expect((await store.listJobs(other.id, {}, 100, null)).items).toHaveLength(1);

      // by time, the creation time orders (not seq: nodes' clocks differ by a little), seq breaks ties, across pages
      const { tenant: skewed, shared: skewedShared } = await newTenant();
      const made: Job[] = [];
      for (const [i, offset] of [[0, 3], [1, 1], [2, 2], [3, 2], [4, 2], [5, 0], [6, 4]] as const) {
        const job = newJob(skewed.id, skewedShared.key, { processName: "Skew", createdAt: at(T0 + sec(offset)), inputArguments: { i } });
        await store.createJob(job);
        made.push(job);
      }
      const byTime = async (limit: number, first: JobCursor | null = null) => {
        const keys: number[] = [];
        let c = first;
        for (;;) {
          const page = await store.listJobs(skewed.id, { createdAfter: at(T0) }, limit, c);
          keys.push(...page.items.map((j) => (j.inputArguments as { i: number }).i));
          if (page.next === null) return keys;
          c = page.next;
        }
      };
      for (const limit of [1, 2, 3, 100]) expect(await byTime(limit)).toEqual([6, 0, 4, 3, 2, 1, 5]);
      // a cursor handed out by the list by seq (no time): the time list goes on after that job's creation
      const bySeq = await store.listJobs(skewed.id, {}, 4, null);
      expect(bySeq.items.map((j) => (j.inputArguments as { i: number }).i)).toEqual([6, 5, 4, 3]);
      // the 4th by seq is job 3 (created at +2 s): after it by time come 2 (same time, lower seq), 1, 5
      expect(await byTime(2, { seq: bySeq.next!.seq })).toEqual([2, 1, 5]);
      expect((await store.listJobs(other.id, { folderKey: shared.key }, 100, null)).items).toEqual([]);
    });

    it("listJobs: a list checked row by row looks at scanRows jobs a page at most; short (even empty) pages go on below them, and together hold every match once", async () => {
      const { tenant, shared } = await newTenant();
      // 40 jobs of one process, one second apart; two of them Faulted: a rare combination of common values
      const faulted = new Set([3, 30]);
      for (let i = 0; i < 40; i++) {
        const job = newJob(tenant.id, shared.key, { processName: "Busy", createdAt: at(T0 + sec(i)), inputArguments: { i } });
        await store.createJob(job);
        if (faulted.has(i)) await store.updateJob(tenant.id, job.key, ["Pending"], null, { state: "Faulted" });
      }
      const pagesOf = async (filter: Parameters<Store["listJobs"]>[1], limit: number, scanRows: number) => {
        const pages: { items: number[]; next: JobCursor | null }[] = [];
        let c: JobCursor | null = null;
        for (;;) {
          const page: { items: JobListItem[]; next: JobCursor | null } = await store.listJobs(tenant.id, filter, limit, c, scanRows);
          pages.push({ items: page.items.map((j) => (j.inputArguments as { i: number }).i), next: page.next });
          if (page.next === null) return pages;
          c = page.next;
          expect(pages.length).toBeLessThan(20);
        }
      };
      // by seq, walking the process's index 8 jobs a page: 39–32 (none), 31–24 (30), 23–16, 15–8, 7–0 (3), and below 0 (the end)
      const bySeq = await pagesOf({ processName: "Busy", state: ["Faulted"] }, 5, 8);
      expect(bySeq.map((p) => p.items)).toEqual([[], [30], [], [], [3], []]);
      expect(bySeq[0]!.next).toEqual({ seq: expect.any(Number) });
      // by creation time within a window: the same pages, each cursor at the last instant looked at
      const byTime = await pagesOf({ processName: "Busy", state: ["Faulted"], createdAfter: at(T0) }, 5, 8);
      expect(byTime.map((p) => p.items)).toEqual([[], [30], [], [], [3], []]);
      // (the 8th job looked at, job 32: an ordinary cursor, which a list without the window continues by its seq)
      expect(byTime[0]!.next).toEqual({ seq: expect.any(Number), createdAt: at(T0 + sec(32)) });
      const onBySeq = await store.listJobs(tenant.id, { processName: "Busy" }, 3, { seq: byTime[0]!.next!.seq });
      expect(onBySeq.items.map((j) => (j.inputArguments as { i: number }).i)).toEqual([31, 30, 29]);
      // several states, no other filter: the tenant's jobs, 16 a page (the last walk holds fewer than 16: no page after it)
      expect((await pagesOf({ state: ["Faulted", "Stopped"] }, 5, 16)).map((p) => p.items)).toEqual([[30], [], [3]]);
      // a page fills up before its bound: an ordinary page, its cursor at its last job
      const full = await store.listJobs(tenant.id, { processName: "Busy", state: ["Pending"] }, 5, null, 8);
      expect(full.items.map((j) => (j.inputArguments as { i: number }).i)).toEqual([39, 38, 37, 36, 35]);
      expect(full.next).toEqual({ seq: expect.any(Number) });
      const second = await store.listJobs(tenant.id, { processName: "Busy", state: ["Pending"] }, 5, full.next, 8);
      expect(second.items.map((j) => (j.inputArguments as { i: number }).i)).toEqual([34, 33, 32, 31, 29]);
      // one filter reads its own index: every job it looks at matches, so no bound applies
      expect((await store.listJobs(tenant.id, { processName: "Busy" }, 20, null, 8)).items).toHaveLength(20);
      // a user's one folder walks that folder's index (every job matches here)
      expect((await pagesOf({ folderKeys: [shared.key] }, 10, 8)).flatMap((p) => p.items)).toEqual(Array.from({ length: 40 }, (_, i) => 39 - i));
      // a user who sees no folder: one empty page, no walk and no cursor
      expect(await store.listJobs(tenant.id, { folderKeys: [], state: ["Faulted"] }, 5, null, 8)).toEqual({ items: [], next: null });
      // a user's several folders with one state: the state's index drives (every job it looks at is Faulted)
      expect((await pagesOf({ folderKeys: [shared.key, randomUUID()], state: ["Faulted"] }, 5, 16)).map((p) => p.items)).toEqual([[30, 3]]);
      // with several states: the tenant's jobs, 16 a page
      expect((await pagesOf({ folderKeys: [shared.key, randomUUID()], state: ["Faulted", "Stopped"] }, 5, 16)).map((p) => p.items)).toEqual([[30], [], [3]]);
      // jobs that share an instant: the bound is a job's (createdAt, seq), so a page looks at 4 of the 12 tied ones, not all
      for (let i = 0; i < 12; i++) {
        const job = newJob(tenant.id, shared.key, { processName: "Tied", createdAt: at(T0 + sec(100)), inputArguments: { i } });
        await store.createJob(job);
        if (i === 2) await store.updateJob(tenant.id, job.key, ["Pending"], null, { state: "Faulted" });
      }
      const tied = await pagesOf({ processName: "Tied", state: ["Faulted"], createdAfter: at(T0) }, 5, 4);
      // (the window's walk holds the 40 older jobs too: 13 walks of 4 and a last look)
      expect(tied.map((p) => p.items)).toEqual([[], [], [2], ...Array.from({ length: 11 }, () => [])]);
      for (const p of tied.slice(0, 3)) expect(p.next).toEqual({ seq: expect.any(Number), createdAt: at(T0 + sec(100)) });
      // without a bound, one page holds both
      expect((await store.listJobs(tenant.id, { processName: "Busy", state: ["Faulted"] }, 5, null)).items.map((j) => (j.inputArguments as { i: number }).i)).toEqual([30, 3]);
    });
  });

  // ---- claims

  it("getJob: reads made in one turn are each answered with their own job (one statement on PostgreSQL); another tenant's key or an unknown one, null", async () => {
    const { tenant, shared } = await newTenant();
    const { tenant: other } = await newTenant();
    const jobs = Array.from({ length: 6 }, (_, i) => newJob(tenant.id, shared.key, { inputArguments: { i } }));
    for (const j of jobs) await store.createJob(j);
    const statements = store.engine === "postgres" ? vi.spyOn((store as PostgresStore).executor, "all") : null;
    try {
      const read = await Promise.all([...jobs.map((j) => store.getJob(tenant.id, j.key)), store.getJob(other.id, jobs[0]!.key), store.getJob(tenant.id, randomUUID()), store.getJob(tenant.id, jobs[2]!.key)]);
      expect(read.map((j) => (j ? (j.inputArguments as { i: number }).i : null))).toEqual([0, 1, 2, 3, 4, 5, null, null, 2]);
      expect(read[3]).toEqual(await store.getJob(tenant.id, jobs[3]!.key));
      if (statements) expect(statements).toHaveBeenCalledTimes(1);
    } finally {
      statements?.mockRestore();
    }
  });

  describe("claimJobs", () => {
    it("a session limited to some folders claims only their jobs", async () => {
      const { tenant, shared } = await newTenant();
      const team: Folder = { key: randomUUID(), tenantId: tenant.id, name: "Team", createdAt: at(T0) };
      await store.createFolder(team);
      for (const processes of [["P"], ["P", "Q"]]) {
        const inShared = newJob(tenant.id, shared.key, { createdAt: at(T0 + sec(1)) });
        const inTeam = newJob(tenant.id, team.key, { createdAt: at(T0 + sec(2)) });
        await store.createJob(inShared);
        await store.createJob(inTeam);
        const limited = newSession(tenant.id, { processes, folderKeys: [team.key] });
        await store.createSession(limited);
        expect((await store.getSession(tenant.id, limited.id))?.folderKeys).toEqual([team.key]);
        expect((await store.claimJobs(limited, 10, at(T0 + sec(10)), 60)).map((j) => j.key)).toEqual([inTeam.key]);
        const everywhere = newSession(tenant.id, { processes });
        await store.createSession(everywhere);
        expect((await store.claimJobs(everywhere, 10, at(T0 + sec(10)), 60)).map((j) => j.key)).toEqual([inShared.key]);
      }
    });

    it("claims only Pending jobs of served processes, by priority then age, respecting not_before and max", async () => {
      const { tenant, shared } = await newTenant();
      const { tenant: other, shared: otherShared } = await newTenant();
      const session = newSession(tenant.id, { processes: ["A", "B"], robotName: "robo ✓" });
      await store.createSession(session);
      const mk = (processName: string, priority: Job["priority"], s: number, over: Partial<Job> = {}) =>
        newJob(tenant.id, shared.key, { processName, priority, createdAt: at(T0 + sec(s)), info: "waiting", ...over });
      const aNormal = mk("A", "Normal", 1);
      const bHigh1 = mk("B", "High", 2);
      const cHigh = mk("C", "High", 3); // not served
      const aLow = mk("A", "Low", 4);
      const bHigh2 = mk("B", "High", 5);
      const aLater = mk("A", "High", 6); // not before T0+100s
      const aRunning = mk("A", "High", 7);
      const aFinal = mk("A", "High", 8);
      for (const j of [aNormal, bHigh1, cHigh, aLow, bHigh2, aLater, aRunning, aFinal]) await store.createJob(j);
      await store.createJob(newJob(other.id, otherShared.key, { processName: "A", priority: "High" }));
      expect(await store.updateJob(tenant.id, aLater.key, ["Pending"], null, { state: "Pending", notBefore: at(T0 + sec(100)) })).not.toBeNull();
      expect(await store.updateJob(tenant.id, aRunning.key, ["Pending"], null, { state: "Running" })).not.toBeNull();
      expect(await store.updateJob(tenant.id, aFinal.key, ["Pending"], null, { state: "Successful" })).not.toBeNull();

      const now1 = at(T0 + sec(10));
      expect(await store.claimJobs(session, 0, now1, 60)).toEqual([]);
      const first = await store.claimJobs(session, 3, now1, 60);
      const claimedAs = (j: Job, now: string): Job => ({ ...j, state: "Running", sessionId: session.id, robot: "robo ✓", startedAt: now, attempt: 1, info: null, deadlineAt: null });
      expect(first).toEqual([claimedAs(bHigh1, now1), claimedAs(bHigh2, now1), claimedAs(aNormal, now1)]);
      for (const j of first) expect(await store.getJob(tenant.id, j.key)).toEqual(j);
      expect(await store.claimJobs(session, 10, now1, 60)).toEqual([claimedAs(aLow, now1)]);
      expect(await store.claimJobs(session, 10, now1, 60)).toEqual([]);
      // not_before is inclusive: claimable at exactly that instant
      expect(await store.claimJobs(session, 10, at(T0 + sec(100) - 1), 60)).toEqual([]);
      expect(await store.claimJobs(session, 10, at(T0 + sec(100)), 60)).toEqual([claimedAs(aLater, at(T0 + sec(100)))]);
      // untouched: the unserved, the non-Pending, the other tenant's
      expect(await store.getJob(tenant.id, cHigh.key)).toEqual(cHigh);
      expect((await store.getJob(tenant.id, aRunning.key))!.sessionId).toBeNull();
      expect((await store.getJob(tenant.id, aFinal.key))!.state).toBe("Successful");
      expect((await store.listJobs(other.id, {}, 10, null)).items.map((j) => j.state)).toEqual(["Pending"]);
      // a session serving C claims it
      const cSession = newSession(tenant.id, { processes: ["C"] });
      await store.createSession(cSession);
      expect((await store.claimJobs(cSession, 5, now1, 60)).map((j) => j.key)).toEqual([cHigh.key]);
    });

    it("claims nothing for a session serving nothing, an ended session or one whose lease ran out", async () => {
      const { tenant, shared } = await newTenant();
      const job = newJob(tenant.id, shared.key, { processName: "Q" });
      await store.createJob(job);
      const now = at(T0 + sec(10));
      const none = newSession(tenant.id, { processes: [] });
      await store.createSession(none);
      expect(await store.claimJobs(none, 5, now, 60)).toEqual([]);
      const never = newSession(tenant.id, { processes: ["Q"] });
      expect(await store.claimJobs(never, 5, now, 60)).toEqual([]);
      const expired = newSession(tenant.id, { processes: ["Q"], leaseExpiresAt: now });
      await store.createSession(expired);
      expect(await store.claimJobs(expired, 5, now, 60)).toEqual([]);
      const ended = newSession(tenant.id, { processes: ["Q"] });
      await store.createSession(ended);
      await store.deleteSession(ended.id);
      expect(await store.claimJobs(ended, 5, now, 60)).toEqual([]);
      expect(await store.getJob(tenant.id, job.key)).toEqual(job);
      const live = newSession(tenant.id, { processes: ["Q"], leaseExpiresAt: at(T0 + sec(10) + 1) });
      await store.createSession(live);
      expect((await store.claimJobs(live, 5, now, 60)).map((j) => j.key)).toEqual([job.key]);
    });

    it("one round trip on PostgreSQL (baton_claim); a session with a limited process, or a claim inside a transaction, takes the locking path with the same rules", async () => {
      const { tenant, shared } = await newTenant();
      await store.createProcess(newProcess(tenant.id, shared.key, { name: "Capped", maxConcurrentJobs: 1 }));
      const now = at(T0 + sec(10));
      for (const processName of ["Free", "Free", "Free", "Capped", "Capped"]) await store.createJob(newJob(tenant.id, shared.key, { processName }));
      const free = newSession(tenant.id, { processes: ["Free"], slots: 2 });
      const capped = newSession(tenant.id, { processes: ["Free", "Capped"], slots: 10 });
      for (const s of [free, capped]) await store.createSession(s);
      const queries = store.engine === "postgres" ? vi.spyOn((store as PostgresStore).pool, "query") : null;
      const connects = store.engine === "postgres" ? vi.spyOn((store as PostgresStore).pool, "connect") : null;
      try {
        expect(await store.claimJobs(free, 5, now, 60)).toHaveLength(2);
        // pg's pool.query takes a client with connect() itself: one each, no transaction of its own
        if (queries) expect([queries.mock.calls.length, connects!.mock.calls.length]).toEqual([1, 1]);
        // the session's slots counted: nothing more, in one statement again
        expect(await store.claimJobs(free, 5, now, 60)).toEqual([]);
        if (queries) expect(queries).toHaveBeenCalledTimes(2);
      } finally {
        queries?.mockRestore();
        connects?.mockRestore();
      }
      // a limited process: the function answers so (a row with no key, never an error in
      // PostgreSQL's log), then the locking claim runs in a transaction; its limit holds (the
      // other Free job, one Capped job)
      const limitedQueries = store.engine === "postgres" ? vi.spyOn((store as PostgresStore).pool, "query") : null;
      const limitedConnects = store.engine === "postgres" ? vi.spyOn((store as PostgresStore).pool, "connect") : null;
      try {
        expect((await store.claimJobs(capped, 10, now, 60)).map((j) => j.processName).sort()).toEqual(["Capped", "Free"]);
        if (limitedQueries) expect([limitedQueries.mock.calls.length, limitedConnects!.mock.calls.length]).toEqual([1, 2]);
      } finally {
        limitedQueries?.mockRestore();
        limitedConnects?.mockRestore();
      }
      expect(await store.claimJobs(capped, 10, now, 60)).toEqual([]);
      // inside a transaction: the job set Running with it, and rolled back with it
      const late = newJob(tenant.id, shared.key, { processName: "Free" });
      await store.createJob(late);
      const other = newSession(tenant.id, { processes: ["Free"], slots: 1 });
      await store.createSession(other);
      await expect(store.transaction(async () => {
        expect((await store.claimJobs(other, 5, now, 60)).map((j) => j.key)).toEqual([late.key]);
        expect(await store.claimJobs(other, 5, now, 60)).toEqual([]);
        throw new Error("undo");
      })).rejects.toThrow("undo");
      expect((await store.getJob(tenant.id, late.key))!.state).toBe("Pending");
    });

    it("sets the deadline to min(createdAt + longPollingMaxSeconds for LongPolling, now + maxDurationSeconds)", async () => {
      const { tenant, shared } = await newTenant();
      const session = newSession(tenant.id, { processes: ["D"] });
      await store.createSession(session);
      const now = T0 + sec(1000);
      const created = now - sec(10);
      const mk = (s: number, callMode: Job["callMode"], maxDurationSeconds: number | null) =>
        newJob(tenant.id, shared.key, { processName: "D", callMode, maxDurationSeconds, createdAt: at(created + s) });
      const longPoll = mk(0, "LongPolling", null);
      const maxDuration = mk(1, "AsyncRequestReply", 30);
      const longPollShorter = mk(2, "LongPolling", 100);
      const maxShorter = mk(3, "LongPolling", 20);
      const neither = mk(4, "FireAndForget", null);
      const fireAndForget = mk(5, "FireAndForget", 7);
      for (const j of [longPoll, maxDuration, longPollShorter, maxShorter, neither, fireAndForget]) await store.createJob(j);
      const claimed = await store.claimJobs(session, 10, at(now), 60);
      expect(claimed.map((j) => [j.key, j.deadlineAt])).toEqual([
        [longPoll.key, at(created + sec(60))],
        [maxDuration.key, at(now + sec(30))],
        [longPollShorter.key, at(created + 2 + sec(60))],
        [maxShorter.key, at(now + sec(20))],
        [neither.key, null],
        [fireAndForget.key, at(now + sec(7))],
      ]);
      for (const j of claimed) expect((await store.getJob(tenant.id, j.key))!.deadlineAt).toBe(j.deadlineAt);
    });

    it("never gives a session more jobs than its slots, concurrent claims included: at most slots minus the jobs it holds", async () => {
      const { tenant, shared } = await newTenant();
      const jobs = Array.from({ length: 12 }, (_, i) => newJob(tenant.id, shared.key, { processName: "Slot", createdAt: at(T0 + i) }));
      for (const j of jobs) await store.createJob(j);
      const now = at(T0 + sec(10));
      const one = newSession(tenant.id, { processes: ["Slot"], slots: 1 });
      await store.createSession(one);
      expect(await store.claimJobs(one, 5, now, 60)).toHaveLength(1);
      expect(await store.claimJobs(one, 5, now, 60)).toEqual([]);
      const [held] = await store.jobsOfSession(one.id);
      // a final job is not held (whether or not it still names the session)
      expect(await store.updateJob(tenant.id, held!.key, ["Running"], one.id, { state: "Successful", endedAt: now })).not.toBeNull();
      expect(await store.claimJobs(one, 5, now, 60)).toHaveLength(1);
      // Stopping and Terminating jobs are held
      const three = newSession(tenant.id, { processes: ["Slot"], slots: 3 });
      await store.createSession(three);
      const got = (await Promise.all(Array.from({ length: 8 }, () => store.claimJobs(three, 2, now, 60)))).flat();
      expect(got).toHaveLength(3);
      expect(await store.updateJob(tenant.id, got[0]!.key, ["Running"], three.id, { state: "Stopping" })).not.toBeNull();
      expect(await store.updateJob(tenant.id, got[1]!.key, ["Running"], three.id, { state: "Terminating" })).not.toBeNull();
      expect(await store.claimJobs(three, 2, now, 60)).toEqual([]);
      expect(await store.updateJob(tenant.id, got[2]!.key, ["Running"], three.id, { state: "Faulted", endedAt: now, sessionId: null })).not.toBeNull();
      expect(await store.claimJobs(three, 2, now, 60)).toHaveLength(1);
    });

    it("500 jobs, 8 concurrent claimers in loops: every job claimed exactly once", async () => {
      const { tenant, shared } = await newTenant();
      const jobs = Array.from({ length: 500 }, (_, i) =>
        newJob(tenant.id, shared.key, { processName: "Bulk", priority: (["Low", "Normal", "High"] as const)[i % 3], createdAt: at(T0 + i) }));
      await Promise.all(jobs.map((j) => store.createJob(j)));
      const sessions = Array.from({ length: 8 }, (_, i) => newSession(tenant.id, { processes: ["Bulk"], robotName: `robot-${i}` }));
      for (const s of sessions) await store.createSession(s);
      const now = at(T0 + sec(1000));
      const perSession = await Promise.all(sessions.map(async (s, i) => {
        const mine: Job[] = [];
        for (;;) {
          const batch = await store.claimJobs(s, 1 + (i % 4) * 3, now, 60);
          if (batch.length === 0) return mine;
          for (const j of batch) {
            expect(j.sessionId).toBe(s.id);
            expect(j.robot).toBe(s.robotName);
          }
          mine.push(...batch);
        }
      }));
      const keys = perSession.flat().map((j) => j.key);
      expect(keys).toHaveLength(500);
      expect(new Set(keys).size).toBe(500);
      expect(keys.sort()).toEqual(jobs.map((j) => j.key).sort());
      expect(perSession.flat().every((j) => j.attempt === 1 && j.state === "Running")).toBe(true);
      expect((await store.listJobs(tenant.id, { state: ["Pending"] }, 10, null)).items).toEqual([]);
      for (const [i, s] of sessions.entries()) expect(sortedKeys(await store.jobsOfSession(s.id))).toEqual(sortedKeys(perSession[i]!));
    });
  });

  // ---- conditional updates

  describe("updateJob", () => {
    it("applies only when the state is in `from`, the session matches and the tenant matches", async () => {
      const { tenant, shared } = await newTenant();
      const { tenant: other } = await newTenant();
      const session = newSession(tenant.id, { processes: ["U"] });
      await store.createSession(session);
      const job = await runningJob(tenant.id, shared.key, session);
      const finish = { state: "Successful" as const, outputArguments: { ok: true }, endedAt: at(T0 + sec(5)) };

      expect(await store.updateJob(tenant.id, job.key, ["Pending"], null, finish)).toBeNull();
      expect(await store.updateJob(tenant.id, job.key, [], null, finish)).toBeNull();
      expect(await store.updateJob(tenant.id, job.key, statesBefore("Successful"), randomUUID(), finish)).toBeNull();
      expect(await store.updateJob(other.id, job.key, statesBefore("Successful"), session.id, finish)).toBeNull();
      expect(await store.updateJob(tenant.id, randomUUID(), statesBefore("Successful"), null, finish)).toBeNull();
      expect(await store.getJob(tenant.id, job.key)).toEqual(job);

      // a non-final change keeps or sets the deadline
      const stopping = await store.updateJob(tenant.id, job.key, statesBefore("Stopping"), session.id, { state: "Stopping", info: "stop asked", deadlineAt: at(T0 + sec(30)) });
      expect(stopping).toEqual({ ...job, state: "Stopping", info: "stop asked", deadlineAt: at(T0 + sec(30)) });
      const kept = await store.updateJob(null, job.key, ["Stopping"], null, { state: "Stopping" });
      expect(kept).toEqual(stopping);

      // the final state clears the deadline, even when the patch carries one
      const done = await store.updateJob(null, job.key, statesBefore("Successful"), session.id, { ...finish, deadlineAt: at(T0 + sec(99)) });
      expect(done).toEqual({ ...stopping, state: "Successful", outputArguments: { ok: true }, endedAt: at(T0 + sec(5)), deadlineAt: null });
      // and is never changed again
      for (const to of ["Faulted", "Stopped", "Running", "Pending"] as const) {
        expect(await store.updateJob(tenant.id, job.key, statesBefore(to), null, { state: to })).toBeNull();
      }
      expect(await store.getJob(tenant.id, job.key)).toEqual(done);
    });

    it("changes made in one turn are each applied on their own conditions and answered with their own job; a second change of a job sees the first (one statement for the rest on PostgreSQL)", async () => {
      const { tenant, shared } = await newTenant();
      const { tenant: other } = await newTenant();
      const session = newSession(tenant.id, { processes: ["B"], slots: 10 });
      await store.createSession(session);
      const jobs: Job[] = [];
      for (let i = 0; i < 6; i++) jobs.push(await runningJob(tenant.id, shared.key, session, { inputArguments: { i } }));
      const finish = { state: "Successful" as const, outputArguments: { ok: 1 }, endedAt: at(T0 + sec(5)) };
      const queries = store.engine === "postgres" ? vi.spyOn((store as PostgresStore).pool, "query") : null;
      let results: (Job | null)[];
      try {
        results = await Promise.all([
          store.updateJob(tenant.id, jobs[0]!.key, ["Pending"], null, finish),
          store.updateJob(tenant.id, jobs[1]!.key, statesBefore("Successful"), randomUUID(), finish),
          store.updateJob(other.id, jobs[2]!.key, statesBefore("Successful"), session.id, finish),
          store.updateJob(tenant.id, jobs[3]!.key, statesBefore("Successful"), session.id, finish),
          store.updateJob(tenant.id, jobs[4]!.key, statesBefore("Stopping"), session.id, { state: "Stopping", info: "stop asked", deadlineAt: at(T0 + sec(30)) }),
          store.updateJob(null, jobs[5]!.key, statesBefore("Faulted"), null, { state: "Faulted", error: { code: "E", message: "m", details: { n: [1, "x"] } }, endedAt: at(T0 + sec(6)), sessionId: null }),
          store.updateJob(tenant.id, randomUUID(), statesBefore("Successful"), null, finish),
          // the same jobs again: after the first changes
          store.updateJob(tenant.id, jobs[3]!.key, ["Running"], null, { state: "Faulted" }),
          store.updateJob(tenant.id, jobs[4]!.key, ["Stopping"], null, { state: "Stopped", endedAt: at(T0 + sec(7)) }),
        ]);
        // one statement for the seven distinct jobs, then one for each repeated job
        if (queries) expect(queries).toHaveBeenCalledTimes(3);
      } finally {
        queries?.mockRestore();
      }
      const [j0, j1, j2, j3, j4, j5] = jobs as [Job, Job, Job, Job, Job, Job];
      expect(results.slice(0, 3)).toEqual([null, null, null]);
      expect(results[3]).toEqual({ ...j3, state: "Successful", outputArguments: { ok: 1 }, endedAt: at(T0 + sec(5)), deadlineAt: null });
      expect(results[4]).toEqual({ ...j4, state: "Stopping", info: "stop asked", deadlineAt: at(T0 + sec(30)) });
      expect(results[5]).toEqual({ ...j5, state: "Faulted", error: { code: "E", message: "m", details: { n: [1, "x"] } }, endedAt: at(T0 + sec(6)), sessionId: null, deadlineAt: null });
      expect(results[6]).toBeNull();
      expect(results[7]).toBeNull();
      expect(results[8]).toEqual({ ...j4, state: "Stopped", info: "stop asked", endedAt: at(T0 + sec(7)), deadlineAt: null });
      for (const [i, want] of [[0, j0], [1, j1], [2, j2], [3, results[3]], [5, results[5]], [4, results[8]]] as const) {
        expect(await store.getJob(tenant.id, jobs[i]!.key)).toEqual(want);
      }
    });

    it("a change the store refuses fails only its own caller, not the others made in the same turn", async () => {
      const { tenant, shared } = await newTenant();
      const session = newSession(tenant.id, { processes: ["B"], slots: 10 });
      await store.createSession(session);
      const jobs: Job[] = [];
      for (let i = 0; i < 3; i++) jobs.push(await runningJob(tenant.id, shared.key, session));
      const finish = { state: "Successful" as const, outputArguments: { ok: 1 }, endedAt: at(T0 + sec(5)) };
      const settled = await Promise.allSettled([
        store.updateJob(tenant.id, jobs[0]!.key, statesBefore("Successful"), session.id, finish),
        // PostgreSQL's text cannot hold NUL (the core replaces it before it gets here)
        store.updateJob(tenant.id, jobs[1]!.key, statesBefore("Stopping"), session.id, { state: "Stopping", info: "a\u0000b" }),
        store.updateJob(tenant.id, jobs[2]!.key, statesBefore("Successful"), session.id, finish),
      ]);
      expect(settled[0]).toEqual({ status: "fulfilled", value: { ...jobs[0], ...finish, deadlineAt: null } });
      expect(settled[2]).toEqual({ status: "fulfilled", value: { ...jobs[2], ...finish, deadlineAt: null } });
      if (store.engine === "postgres") {
        expect(settled[1]!.status).toBe("rejected");
        expect(await store.getJob(tenant.id, jobs[1]!.key)).toEqual(jobs[1]);
      }
    });

    it("a final state is written once: of concurrent finishes exactly one wins", async () => {
      const { tenant, shared } = await newTenant();
      const session = newSession(tenant.id, { processes: ["F"] });
      await store.createSession(session);
      for (let round = 0; round < 5; round++) {
        const job = await runningJob(tenant.id, shared.key, session, { processName: "F" });
        const results = await Promise.all([
          store.updateJob(tenant.id, job.key, statesBefore("Successful"), session.id, { state: "Successful", outputArguments: { by: "robot" }, endedAt: at(T0 + sec(2)) }),
          store.updateJob(tenant.id, job.key, statesBefore("Faulted"), null, { state: "Faulted", error: { code: "Deadline", message: "too slow" }, endedAt: at(T0 + sec(3)) }),
          store.updateJob(tenant.id, job.key, statesBefore("Stopped"), null, { state: "Stopped", endedAt: at(T0 + sec(4)) }),
          store.updateJob(tenant.id, job.key, statesBefore("Successful"), session.id, { state: "Successful", outputArguments: { by: "twin" }, endedAt: at(T0 + sec(5)) }),
        ]);
        const winners = results.filter((r) => r !== null);
        expect(winners).toHaveLength(1);
        expect(await store.getJob(tenant.id, job.key)).toEqual(winners[0]);
        expect(winners[0]!.deadlineAt).toBeNull();
      }
    });

    it("a release to Pending clears the run fields it is given; the next claim counts the attempt", async () => {
      const { tenant, shared } = await newTenant();
      const session = newSession(tenant.id, { processes: ["R"] });
      await store.createSession(session);
      const job = await runningJob(tenant.id, shared.key, session, { processName: "R", maxDurationSeconds: 10 });
      expect(job.attempt).toBe(1);
      expect(job.deadlineAt).toBe(at(T0 + sec(11)));
      const released = await store.updateJob(tenant.id, job.key, statesBefore("Pending"), session.id, {
        state: "Pending", sessionId: null, robot: null, startedAt: null, notBefore: at(T0 + sec(20)), deadlineAt: null, info: "lost; retrying",
      });
      // the wait shows as the job's retryAt while it is Pending, and is gone once claimed
      expect(released).toEqual({ ...job, state: "Pending", sessionId: null, robot: null, startedAt: null, deadlineAt: null, info: "lost; retrying", retryAt: at(T0 + sec(20)) });
      expect(await store.claimJobs(session, 5, at(T0 + sec(19)), 60)).toEqual([]);
      const again = await store.claimJobs(session, 5, at(T0 + sec(20)), 60);
      expect(again).toEqual([{ ...released, state: "Running", sessionId: session.id, robot: session.robotName, startedAt: at(T0 + sec(20)), attempt: 2, info: null, deadlineAt: at(T0 + sec(30)), retryAt: null }]);
    });
  });

  // ---- maintenance queries

  it("jobsPastDeadline: non-final jobs whose deadline is at or before now, earliest first, up to limit", async () => {
    const { tenant, shared } = await newTenant();
    const mk = (state: JobState, deadlineS: number | null) => newJob(tenant.id, shared.key, { state: "Pending", createdAt: at(OLD), deadlineAt: deadlineS === null ? null : at(OLD + sec(deadlineS)), info: state });
    const running2 = mk("Running", 2);
    const pending1 = mk("Pending", 1);
    const stopping3 = mk("Stopping", 3);
    const terminating4 = mk("Terminating", 4);
    const future = mk("Running", 11);
    const noDeadline = mk("Running", null);
    const finals = (["Successful", "Faulted", "Stopped"] as const).map((s) => mk(s, 0));
    for (const j of [running2, pending1, stopping3, terminating4, future, noDeadline, ...finals]) {
      await store.createJob(j);
      const state = j.info as JobState;
      // a final state clears the deadline by itself; the store must not report it either way
      if (state !== "Pending") expect(await store.updateJob(tenant.id, j.key, ["Pending"], null, { state, deadlineAt: j.deadlineAt })).not.toBeNull();
    }
    const now = at(OLD + sec(10));
    const past = await store.jobsPastDeadline(now, 100);
    expect(past.map((j) => j.key)).toEqual([pending1.key, running2.key, stopping3.key, terminating4.key]);
    expect(past.map((j) => j.state)).toEqual(["Pending", "Running", "Stopping", "Terminating"]);
    expect((await store.jobsPastDeadline(now, 2)).map((j) => j.key)).toEqual([pending1.key, running2.key]);
    // inclusive at the deadline itself
    expect((await store.jobsPastDeadline(at(OLD + sec(11)), 100)).map((j) => j.key)).toEqual([pending1.key, running2.key, stopping3.key, terminating4.key, future.key]);
    expect(await store.jobsPastDeadline(at(OLD), 100)).toEqual([]);
  });

  it("expiredSessions: sessions whose lease ended at or before now", async () => {
    const { tenant } = await newTenant();
    const { tenant: other } = await newTenant();
    const s1 = newSession(tenant.id, { leaseExpiresAt: at(OLD + sec(1)), createdAt: at(OLD) });
    const s2 = newSession(other.id, { leaseExpiresAt: at(OLD + sec(5)), createdAt: at(OLD) });
    const s3 = newSession(tenant.id, { leaseExpiresAt: at(OLD + sec(9)), createdAt: at(OLD) });
    for (const s of [s1, s2, s3]) await store.createSession(s);
    expect(await store.expiredSessions(at(OLD))).toEqual([]);
    expect([...(await store.expiredSessions(at(OLD + sec(5))))].sort(byId)).toEqual([s1, s2].sort(byId));
    expect([...(await store.expiredSessions(at(OLD + sec(60))))].sort(byId)).toEqual([s1, s2, s3].sort(byId));
    expect(await store.extendSession(s1.id, at(OLD + sec(100)))).toBe(true);
    expect([...(await store.expiredSessions(at(OLD + sec(60))))].sort(byId)).toEqual([s2, s3].sort(byId));
    for (const s of [s1, s2, s3]) await store.deleteSession(s.id);
    expect(await store.expiredSessions(at(OLD + sec(1000)))).toEqual([]);
  });

  it("jobsOfSession: the session's held jobs, not Pending and not final ones", async () => {
    const { tenant, shared } = await newTenant();
    const session = newSession(tenant.id, { processes: ["S"] });
    const otherSession = newSession(tenant.id, { processes: ["S"] });
    await store.createSession(session);
    await store.createSession(otherSession);
    const running = await runningJob(tenant.id, shared.key, session, { processName: "S" });
    const stopping = await runningJob(tenant.id, shared.key, session, { processName: "S" });
    const terminating = await runningJob(tenant.id, shared.key, session, { processName: "S" });
    const pendingAgain = await runningJob(tenant.id, shared.key, session, { processName: "S" });
    const finished = await runningJob(tenant.id, shared.key, session, { processName: "S" });
    const others = await runningJob(tenant.id, shared.key, otherSession, { processName: "S" });
    expect(await store.updateJob(tenant.id, stopping.key, ["Running"], session.id, { state: "Stopping" })).not.toBeNull();
    expect(await store.updateJob(tenant.id, terminating.key, ["Running"], session.id, { state: "Terminating" })).not.toBeNull();
    // back to Pending but still naming the session
    expect(await store.updateJob(tenant.id, pendingAgain.key, ["Running"], session.id, { state: "Pending" })).not.toBeNull();
    expect(await store.updateJob(tenant.id, finished.key, ["Running"], session.id, { state: "Faulted", endedAt: at(T0) })).not.toBeNull();
    const held = await store.jobsOfSession(session.id);
    expect(sortedKeys(held)).toEqual([running.key, stopping.key, terminating.key].sort());
    expect(held.find((j) => j.key === terminating.key)!.state).toBe("Terminating");
    expect((await store.jobsOfSession(otherSession.id)).map((j) => j.key)).toEqual([others.key]);
    expect(await store.jobsOfSession(randomUUID())).toEqual([]);
  });

  it("purgeFinalJobs removes only the tenant's final jobs that ended before the cutoff, with their logs", async () => {
    const { tenant, shared } = await newTenant();
    const { tenant: other, shared: otherShared } = await newTenant();
    const cutoff = at(T0 + sec(100));
    const make = async (tenantId: string, folderKey: string, state: JobState, endedS: number | null) => {
      const job = newJob(tenantId, folderKey);
      await store.createJob(job);
      if (state !== "Pending") {
        expect(await store.updateJob(tenantId, job.key, ["Pending"], null, { state, endedAt: endedS === null ? null : at(T0 + sec(endedS)) })).not.toBeNull();
      }
      await store.appendLogs(job.key, [{ at: at(T0), level: "info", message: `log of ${state}` }]);
      return job;
    };
    const purged = [await make(tenant.id, shared.key, "Successful", 10), await make(tenant.id, shared.key, "Faulted", 99), await make(tenant.id, shared.key, "Stopped", 50)];
    const kept = [
      await make(tenant.id, shared.key, "Successful", 100), // at the cutoff: not before it
      await make(tenant.id, shared.key, "Faulted", 200),
      await make(tenant.id, shared.key, "Running", 10), // not final, whatever its endedAt
      await make(tenant.id, shared.key, "Stopping", 10),
      await make(tenant.id, shared.key, "Pending", null),
    ];
    const otherTenants = await make(other.id, otherShared.key, "Successful", 10);
    expect(await store.countJobs(tenant.id)).toBe(8);
    expect(await store.purgeFinalJobs(tenant.id, cutoff)).toBe(3);
    expect(await store.countJobs(tenant.id)).toBe(5);
    for (const j of purged) {
      expect(await store.getJob(tenant.id, j.key)).toBeNull();
      expect(await store.listLogs(j.key, 0, 10)).toEqual([]);
    }
    for (const j of kept) {
      expect(await store.getJob(tenant.id, j.key)).not.toBeNull();
      expect(await store.listLogs(j.key, 0, 10)).toHaveLength(1);
    }
    expect(await store.getJob(other.id, otherTenants.key)).not.toBeNull();
    expect(await store.listLogs(otherTenants.key, 0, 10)).toHaveLength(1);
    expect(await store.purgeFinalJobs(tenant.id, cutoff)).toBe(0);
  });

  // ---- logs

  it("appendLogs assigns consecutive seq numbers and sets info to the last line; listLogs pages", async () => {
    const { tenant, shared } = await newTenant();
    const job = newJob(tenant.id, shared.key, { info: "before" });
    await store.createJob(job);
    const line = (i: number, level: "info" | "error" = "info") => ({ at: at(T0 + i), level, message: `line ${i} — ✓ 日本` });
    await store.appendLogs(job.key, []);
    expect((await store.getJob(tenant.id, job.key))!.info).toBe("before");
    await store.appendLogs(job.key, [line(1), line(2, "error"), line(3)]);
    expect((await store.getJob(tenant.id, job.key))!.info).toBe(line(3).message);
    await store.appendLogs(job.key, [line(4), line(5, "error")]);
    expect((await store.getJob(tenant.id, job.key))!.info).toBe(line(5).message);
    const all = [1, 2, 3, 4, 5].map((i) => ({ seq: i, ...line(i, i === 2 || i === 5 ? "error" : "info") }));
    expect(await store.listLogs(job.key, 0, 100)).toEqual(all);
    expect(await store.listLogs(job.key, 0, 2)).toEqual(all.slice(0, 2));
    expect(await store.listLogs(job.key, 2, 2)).toEqual(all.slice(2, 4));
    expect(await store.listLogs(job.key, 4, 2)).toEqual(all.slice(4));
    expect(await store.listLogs(job.key, 5, 2)).toEqual([]);
    expect(await store.listLogs(randomUUID(), 0, 2)).toEqual([]);
    // info keeps the first 1000 characters of a long last line
    await store.appendLogs(job.key, [{ at: at(T0 + 6), level: "info", message: "x".repeat(1500) }]);
    expect((await store.getJob(tenant.id, job.key))!.info).toBe("x".repeat(1000));
    expect((await store.listLogs(job.key, 5, 10))[0]!.message).toHaveLength(1500);
  });

  it("concurrent appends to one job get consecutive, gap-free seq numbers, each batch in one run", async () => {
    const { tenant, shared } = await newTenant();
    const job = newJob(tenant.id, shared.key);
    await store.createJob(job);
    const batch = (name: string, n: number) => Array.from({ length: n }, (_, i) => ({ at: at(T0 + i), level: "info" as const, message: `${name}-${i}` }));
    await Promise.all([store.appendLogs(job.key, batch("a", 40)), store.appendLogs(job.key, batch("b", 25)), store.appendLogs(job.key, batch("c", 1))]);
    const lines = await store.listLogs(job.key, 0, 1000);
    expect(lines.map((l) => l.seq)).toEqual(Array.from({ length: 66 }, (_, i) => i + 1));
    for (const [name, n] of [["a", 40], ["b", 25], ["c", 1]] as const) {
      const seqs = lines.filter((l) => l.message.startsWith(`${name}-`)).map((l) => l.seq);
      expect(seqs).toHaveLength(n);
      expect(seqs).toEqual(Array.from({ length: n }, (_, i) => seqs[0]! + i));
      expect(lines.filter((l) => l.message.startsWith(`${name}-`)).map((l) => l.message)).toEqual(batch(name, n).map((l) => l.message));
    }
    expect(["a-39", "b-24", "c-0"]).toContain((await store.getJob(tenant.id, job.key))!.info);
    expect((await store.getJob(tenant.id, job.key))!.info).toBe(lines[65]!.message);
  });

  // ---- robot keys and sessions

  it("robot keys: create, find by hash, list by name, revoke once", async () => {
    const { tenant } = await newTenant();
    const { tenant: other } = await newTenant();
    const key = (name: string, s: number) => ({ id: randomUUID(), tenantId: tenant.id, name, createdAt: at(T0 + sec(s)), rotatedAt: null, folderKeys: null, revokedAt: null, hash: `rk-${randomUUID()}` });
    const zed = key("zed", 1);
    const amy = key("amy", 2);
    const bob = key("Bob", 3);
    for (const k of [zed, amy, bob]) await store.createRobotKey(k);
    const view = ({ hash: _hash, ...k }: ReturnType<typeof key>) => k;
    expect(await store.findRobotKeyByHash(amy.hash)).toEqual(view(amy));
    expect(await store.findRobotKeyByHash("rk-none")).toBeNull();
    expect(await store.listRobotKeys(tenant.id)).toEqual([view(bob), view(amy), view(zed)]);
    expect(await store.listRobotKeys(other.id)).toEqual([]);
    // names unique per tenant, hashes unique everywhere
    await expect(store.createRobotKey(key("amy", 4))).rejects.toThrow();
    await expect(store.createRobotKey({ ...key("new", 4), hash: zed.hash })).rejects.toThrow();
    await store.createRobotKey({ ...key("amy", 4), tenantId: other.id });

    const revokedAt = at(T0 + sec(50));
    expect(await store.revokeRobotKey(other.id, amy.id, revokedAt)).toBe(false);
    expect(await store.revokeRobotKey(tenant.id, randomUUID(), revokedAt)).toBe(false);
    expect(await store.revokeRobotKey(tenant.id, amy.id, revokedAt)).toBe(true);
    expect(await store.revokeRobotKey(tenant.id, amy.id, at(T0 + sec(60)))).toBe(true);
    expect(await store.findRobotKeyByHash(amy.hash)).toEqual({ ...view(amy), revokedAt });
    expect((await store.listRobotKeys(tenant.id)).map((k) => k.revokedAt)).toEqual([null, revokedAt, null]);

    // rotation: a new hash for a key that is not revoked; the old hash finds nothing
    const rotatedAt = at(T0 + sec(70));
    expect(await store.rotateRobotKey(tenant.id, zed.id, "rk-rotated", rotatedAt)).toEqual({ ...view(zed), rotatedAt });
    expect(await store.findRobotKeyByHash(zed.hash)).toBeNull();
    expect(await store.findRobotKeyByHash("rk-rotated")).toEqual({ ...view(zed), rotatedAt });
    expect(await store.rotateRobotKey(tenant.id, amy.id, "rk-revoked", rotatedAt)).toBeNull();
    expect(await store.rotateRobotKey(other.id, zed.id, "rk-other", rotatedAt)).toBeNull();
  });

  it("sessions: create, get, extend, list (with the jobs each holds), delete; sessionsOfRobotKey; servedProcesses distinct", async () => {
    const { tenant, shared } = await newTenant();
    const listed = (s: RobotSession, slotsInUse = 0) => ({ ...s, slotsInUse });
    const { tenant: other } = await newTenant();
    const k1 = randomUUID();
    const k2 = randomUUID();
    const s1 = newSession(tenant.id, { robotKeyId: k1, robotName: "r1 ✓", version: null, processes: ["A", "B"], slots: 1, createdAt: at(T0 + sec(3)) });
    const s2 = newSession(tenant.id, { robotKeyId: k1, robotName: "r2", processes: ["B", "C"], slots: 8, createdAt: at(T0 + sec(1)) });
    const s3 = newSession(tenant.id, { robotKeyId: k2, robotName: "r3", processes: [], createdAt: at(T0 + sec(2)) });
    const s4 = newSession(other.id, { robotKeyId: k2, robotName: "r4", processes: ["Z"], createdAt: at(T0) });
    for (const s of [s1, s2, s3, s4]) await store.createSession(s);
    expect(await store.getSession(tenant.id, s1.id)).toEqual(s1);
    expect(await store.getSession(other.id, s1.id)).toBeNull();
    expect(await store.getSession(tenant.id, randomUUID())).toBeNull();
    expect(await store.listSessions(tenant.id)).toEqual([listed(s2), listed(s3), listed(s1)]);
    expect(await store.listSessions(other.id)).toEqual([listed(s4)]);
    // a job held counts in its session's slots in use until it ends
    const held = newJob(tenant.id, shared.key, { processName: "A" });
    await store.createJob(held);
    expect(await store.claimJobs(s1, 1, at(T0 + sec(10)), 60)).toHaveLength(1);
    expect((await store.listSessions(tenant.id)).map((s) => s.slotsInUse)).toEqual([0, 0, 1]);
    expect(await store.updateJob(tenant.id, held.key, ["Running"], s1.id, { state: "Successful", endedAt: at(T0 + sec(11)), sessionId: null })).not.toBeNull();
    expect((await store.listSessions(tenant.id)).map((s) => s.slotsInUse)).toEqual([0, 0, 0]);
    expect([...(await store.sessionsOfRobotKey(k1))].sort(byId)).toEqual([s1, s2].sort(byId));
    expect([...(await store.sessionsOfRobotKey(k2))].sort(byId)).toEqual([s3, s4].sort(byId));
    expect(await store.sessionsOfRobotKey(randomUUID())).toEqual([]);
    expect([...(await store.servedProcesses(tenant.id))].sort()).toEqual(["A", "B", "C"]);
    expect(await store.servedProcesses(other.id)).toEqual(["Z"]);

    const lease = at(T0 + sec(3600 * 24 * 400));
    expect(await store.extendSession(s1.id, lease)).toBe(true);
    expect(await store.extendSession(randomUUID(), lease)).toBe(false);
    expect(await store.getSession(tenant.id, s1.id)).toEqual({ ...s1, leaseExpiresAt: lease });

    await store.deleteSession(s2.id);
    await store.deleteSession(s2.id);
    await store.deleteSession(randomUUID());
    expect(await store.getSession(tenant.id, s2.id)).toBeNull();
    expect(await store.listSessions(tenant.id)).toEqual([listed(s3), listed({ ...s1, leaseExpiresAt: lease })]);
    expect(await store.extendSession(s2.id, lease)).toBe(false);
    expect([...(await store.servedProcesses(tenant.id))].sort()).toEqual(["A", "B"]);
    expect(await store.sessionsOfRobotKey(k1)).toEqual([{ ...s1, leaseExpiresAt: lease }]);
    await store.deleteSession(s1.id);
    await store.deleteSession(s3.id);
    expect(await store.servedProcesses(tenant.id)).toEqual([]);
    expect(await store.listSessions(tenant.id)).toEqual([]);
  });

  it("audit log: append, then newest first per tenant, paged, filtered by action (exact or prefix) and time", async () => {
    const { tenant } = await newTenant();
    const { tenant: other } = await newTenant();
    const entry = (n: number, action: string, over: Partial<NewAuditEntry> = {}): NewAuditEntry => ({
      org: tenant.org, tenantId: tenant.id, at: at(T0 + sec(n)), actor: { kind: "token", id: randomUUID(), name: `tok ✓ ${n}` },
      action, target: `target-${n}`, details: { fields: ["name", "slug"], n, nested: { ok: true } }, sourceIp: "203.0.113.7", requestId: `req-${n}`, ...over,
    });
    const written = [entry(1, "trigger.create"), entry(2, "trigger.update"), entry(3, "folder.create", { target: null, sourceIp: null, requestId: null }), entry(4, "triggerx.create"), entry(5, "trigger.delete")];
    for (const e of written) await store.appendAudit(e);
    await store.appendAudit(entry(6, "trigger.create", { tenantId: other.id }));

    const all = await store.listAudit(tenant.id, { limit: 10, cursor: null });
    expect(all.next).toBeNull();
    expect(all.items.map(({ seq: _seq, ...rest }) => rest)).toEqual([...written].reverse());
    const seqs = all.items.map((e) => e.seq);
    expect(seqs.every((s) => Number.isSafeInteger(s))).toBe(true);
    expect([...seqs].sort((a, b) => b - a)).toEqual(seqs);

    const first = await store.listAudit(tenant.id, { limit: 2, cursor: null });
    expect(first.items.map((e) => e.action)).toEqual(["trigger.delete", "triggerx.create"]);
    expect(first.next).toBe(first.items[1]!.seq);
    const second = await store.listAudit(tenant.id, { limit: 2, cursor: first.next });
    expect(second.items.map((e) => e.requestId)).toEqual([null, "req-2"]);
    const third = await store.listAudit(tenant.id, { limit: 2, cursor: second.next });
    expect(third.items.map((e) => e.requestId)).toEqual(["req-1"]);
    expect(third.next).toBeNull();

    expect((await store.listAudit(tenant.id, { limit: 10, cursor: null, action: "trigger.create" })).items.map((e) => e.requestId)).toEqual(["req-1"]);
    expect((await store.listAudit(tenant.id, { limit: 10, cursor: null, action: "trigger.*" })).items.map((e) => e.requestId)).toEqual(["req-5", "req-2", "req-1"]);
    expect((await store.listAudit(tenant.id, { limit: 10, cursor: null, since: at(T0 + sec(4)) })).items.map((e) => e.requestId)).toEqual(["req-5", "req-4"]);
    expect((await store.listAudit(other.id, { limit: 10, cursor: null })).items.map((e) => e.requestId)).toEqual(["req-6"]);
    expect((await store.listAudit(randomUUID(), { limit: 10, cursor: null })).items).toEqual([]);
  });
});

describe("JSON neither store is given", () => {
  it("unstorable refuses what PostgreSQL's jsonb cannot keep (NUL, lone surrogates), so both stores see the same JSON", () => {
    expect(unstorable({ a: "x\u0000" })).toEqual({ path: "/a", message: expect.stringContaining("NUL") });
    expect(unstorable({ a: ["ok", "x\ud800y"] })).toEqual({ path: "/a/1", message: expect.stringContaining("lone surrogate") });
    expect(unstorable({ a: { b: "\udc00" } })).toEqual({ path: "/a/b", message: expect.stringContaining("lone surrogate") });
    expect(unstorable({ a: "end\udbff" })).toEqual({ path: "/a", message: expect.stringContaining("lone surrogate") });
    expect(unstorable({ ["k\ud800"]: 1 })).toEqual({ path: "/k\ud800", message: expect.stringContaining("lone surrogate") });
    // surrogate pairs (emoji) are fine, and so is everything the contract round-trips
    expect(unstorable({ a: "🚀 \ud83d\ude80 👩‍👩‍👧‍👦" })).toBeNull();
    expect(unstorable(richArguments())).toBeNull();
  });
});
