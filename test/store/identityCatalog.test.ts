import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS, type Folder, type Process, type RobotKey, type Tenant, type Trigger, type User } from "../../src/core/types.js";
import { SqliteStore } from "../../src/store/sqlite/SqliteStore.js";
import { PostgresStore } from "../../src/store/postgres/PostgresStore.js";
import type { Executor } from "../../src/store/sql/Executor.js";
import { sql } from "../../src/store/sql/sql.js";
import { dropSchema, testDatabaseUrl } from "../helpers/baton.js";

/**
 * The identity and catalog aggregates (src/store/sql/IdentitySql.ts, CatalogSql.ts), written
 * once, run on both engines: SQLite on a temp file and PostgreSQL in a fresh schema. On
 * PostgreSQL the listed name columns get a linguistic collation first, as a database created
 * with en_US would give them: lists must still come in byte order (upper case first).
 */

type Engine = SqliteStore | PostgresStore;

interface Backing {
  name: string;
  open(): Promise<{ store: Engine; executor: Executor; cleanup(): Promise<void> }>;
}

const backings: Backing[] = [
  {
    name: "sqlite",
    async open() {
      const dir = mkdtempSync(join(tmpdir(), "baton-identity-"));
      const store = new SqliteStore(join(dir, "baton.db"));
      await store.migrate();
      return { store, executor: store.executor, async cleanup() { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
    },
  },
  {
    name: "postgres",
    async open() {
      const { url, schema } = testDatabaseUrl();
      const store = new PostgresStore({ url });
      await store.migrate();
      for (const [table, column] of [["tenants", "name"], ["users", "name"], ["folders", "name"], ["processes", "name"], ["triggers", "slug"], ["robot_keys", "name"], ["external_apps", "name"]]) {
        await store.executor.run(sql`ALTER TABLE ${sql.raw(table!)} ALTER COLUMN ${sql.raw(column!)} TYPE text COLLATE "und-x-icu"`);
      }
      return { store, executor: store.executor, async cleanup() { await store.close(); await dropSchema(schema); } };
    },
  },
];

const T0 = Date.parse("2030-01-01T00:00:00.000Z");
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();

describe.each(backings)("identity and catalog aggregates ($name)", (backing) => {
  let store: Engine;
  let executor: Executor;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ store, executor, cleanup } = await backing.open());
  });
  afterAll(async () => {
    await cleanup?.();
  });

  /** a tenant in an organization of its own, with its Shared folder */
  async function newTenant(org = `org-${randomUUID().slice(0, 8)}`): Promise<{ tenant: Tenant; shared: Folder }> {
    const { tenant } = await store.ensureTenant(org, "default");
    return { tenant, shared: (await store.findFolderByName(tenant.id, "Shared"))! };
  }

  const user = (tenantId: string | null, org: string, name: string, extra: Partial<User> = {}): User & { passwordHash: string | null } => ({
    id: randomUUID(), org, tenantId, name, orgAdmin: false, roles: [], createdAt: at(0), disabledAt: null, passwordHash: "hash", ...extra,
  });

  async function addSession(tenantId: string, robotKeyId: string | null, processes: string[]): Promise<string> {
    const id = randomUUID();
    await executor.run(sql`
      INSERT INTO robot_sessions (id, tenant_id, robot_key_id, robot_name, version, processes, slots, lease_expires_at, created_at, folder_keys)
      VALUES (${id}, ${tenantId}, ${robotKeyId}, 'bot', NULL, ${processes}, 2, ${at(60)}, ${at(0)}, NULL)`);
    return id;
  }

  it("secrets: created once, then read", async () => {
    const name = `secret-${randomUUID()}`;
    expect(await store.getOrCreateSecret(name, () => "first")).toBe("first");
    expect(await store.getOrCreateSecret(name, () => "second")).toBe("first");
  });

  it("tenants: created once with a Shared folder, found, listed; settings default and saved", async () => {
    const org = `org-${randomUUID()}`;
    const first = await store.ensureTenant(org, "prod");
    expect(first.created).toBe(true);
    const again = await store.ensureTenant(org, "prod");
    expect(again).toEqual({ tenant: first.tenant, created: false });
    expect(await store.listFolders(first.tenant.id)).toMatchObject([{ name: "Shared", tenantId: first.tenant.id }]);
    // the same name at once: one tenant
    const racing = await Promise.all([store.ensureTenant(org, "race"), store.ensureTenant(org, "race")]);
    expect(racing.filter((r) => r.created)).toHaveLength(1);
    expect(racing[0].tenant).toEqual(racing[1].tenant);
    expect(await store.findTenant(org, "prod")).toEqual(first.tenant);
    expect(await store.findTenant(org, "nope")).toBeNull();
    expect((await store.listTenants(org)).map((t) => t.name)).toEqual(["prod", "race"]);

    expect(await store.getSettings(first.tenant.id)).toEqual(DEFAULT_SETTINGS);
    const settings = { ...DEFAULT_SETTINGS, maxRequestBodyBytes: 1234, corsAllowedOrigins: ["https://a.example"] };
    await store.saveSettings(first.tenant.id, settings);
    expect(await store.getSettings(first.tenant.id)).toEqual(settings);
  });

  it("users: ensured, created, found, listed, updated, deleted with their tokens and console sessions", async () => {
    const { tenant } = await newTenant();
    const { tenant: other } = await newTenant();
    const admin = await store.ensureUser({ id: randomUUID(), org: tenant.org, name: "admin", passwordHash: "h", orgAdmin: true });
    expect(admin.created).toBe(true);
    expect(await store.ensureUser({ id: randomUUID(), org: tenant.org, name: "admin", passwordHash: "x", orgAdmin: false })).toEqual({ id: admin.id, created: false });

    const bob = user(tenant.id, tenant.org, "bob", { roles: [{ role: "Viewer", folderKey: null }] });
    const Zed = user(tenant.id, tenant.org, "Zed", { disabledAt: at(5) });
    const namesake = user(tenant.id, tenant.org, "admin");
    for (const u of [bob, Zed, namesake]) expect(await store.createUser(u)).toBe(true);
    expect(await store.createUser(user(tenant.id, tenant.org, "bob"))).toBe(false);
    expect(await store.createUser(user(other.id, other.org, "bob"))).toBe(true);

    const { passwordHash: _, ...bobUser } = bob;
    expect(await store.getUser(tenant.id, bob.id)).toEqual(bobUser);
    expect(await store.getUser(other.id, bob.id)).toBeNull();
    expect(await store.getUser(tenant.id, admin.id)).toMatchObject({ id: admin.id, tenantId: null, orgAdmin: true });
    expect(await store.getUser(other.id, admin.id)).toBeNull();
    // the tenant's users, then the organization's, each byte-wise by name
    expect((await store.listUsers(tenant.id, tenant.org)).map((u) => [u.name, u.tenantId === null])).toEqual([["Zed", false], ["admin", false], ["bob", false], ["admin", true]]);
    // the tenant's own user before the organization's of the same name
    expect(await store.findUserForLogin(tenant.id, tenant.org, "admin")).toMatchObject({ user: { id: namesake.id }, passwordHash: "hash" });
    expect(await store.findUserForLogin(other.id, tenant.org, "admin")).toMatchObject({ user: { id: admin.id }, passwordHash: "h" });
    expect(await store.findUserForLogin(tenant.id, tenant.org, "nobody")).toBeNull();

    expect(await store.updateUser(tenant.id, bob.id, {})).toBe(true);
    expect(await store.updateUser(other.id, bob.id, {})).toBe(false);
    expect(await store.updateUser(tenant.id, bob.id, { roles: [], disabledAt: at(9), passwordHash: "new" })).toBe(true);
    expect(await store.getUser(tenant.id, bob.id)).toEqual({ ...bobUser, roles: [], disabledAt: at(9) });
    expect(await store.updateUser(tenant.id, bob.id, { disabledAt: null })).toBe(true);
    expect((await store.getUser(tenant.id, bob.id))!.disabledAt).toBeNull();
    // an organization's user is not the tenant's to change
    expect(await store.updateUser(tenant.id, admin.id, { roles: [] })).toBe(false);
    expect(await store.setUserPassword(admin.id, "own")).toBe(true);
    expect(await store.setUserPassword(randomUUID(), "own")).toBe(false);
    expect((await store.findUserForLogin(other.id, tenant.org, "admin"))!.passwordHash).toBe("own");

    await store.createToken({ id: randomUUID(), tenantId: tenant.id, userId: bob.id, name: "t", scopes: [], hash: `h-${randomUUID()}`, orgWide: false, createdAt: at(0), expiresAt: null });
    await store.createConsoleSession({ hash: `c-${randomUUID()}`, userId: bob.id, tenantId: tenant.id, csrfToken: "x", createdAt: at(0), expiresAt: at(3600) });
    expect(await store.deleteUser(other.id, bob.id)).toBe(false);
    expect(await store.deleteUser(tenant.id, admin.id)).toBe(false);
    expect(await store.deleteUser(tenant.id, bob.id)).toBe(true);
    expect(await store.getUser(tenant.id, bob.id)).toBeNull();
    expect(await store.listTokens(tenant.id)).toEqual([]);
    expect(await store.deleteUser(tenant.id, bob.id)).toBe(false);
  });

  it("console sessions: created, found with user and tenant, deleted one, by user, and when expired", async () => {
    const { tenant } = await newTenant();
    const u = user(tenant.id, tenant.org, "carol");
    await store.createUser(u);
    const session = { hash: `c-${randomUUID()}`, userId: u.id, tenantId: tenant.id, csrfToken: "csrf", createdAt: at(0), expiresAt: at(10) };
    await store.createConsoleSession(session);
    const { passwordHash: _, ...carol } = u;
    expect(await store.findConsoleSession(session.hash)).toEqual({ session, user: carol, tenant });
    await store.deleteConsoleSession(session.hash);
    expect(await store.findConsoleSession(session.hash)).toBeNull();

    const mine = [1, 2].map((i) => ({ ...session, hash: `c-${randomUUID()}`, expiresAt: at(100 + i) }));
    for (const s of mine) await store.createConsoleSession(s);
    await store.deleteConsoleSessionsOfUser(u.id);
    for (const s of mine) expect(await store.findConsoleSession(s.hash)).toBeNull();

    const old = { ...session, hash: `c-${randomUUID()}`, expiresAt: new Date(Date.parse("1991-01-01T00:00:00Z")).toISOString() };
    await store.createConsoleSession(old);
    expect(await store.deleteExpiredConsoleSessions("1991-06-01T00:00:00.000Z")).toBe(1);
    expect(await store.findConsoleSession(old.hash)).toBeNull();
  });

  it("tokens: created, found with tenant and user, organization-wide only for an administrator, listed, revoked once, touched", async () => {
    const { tenant } = await newTenant();
    const admin = await store.ensureUser({ id: randomUUID(), org: tenant.org, name: "root", passwordHash: null, orgAdmin: true });
    const plain = user(tenant.id, tenant.org, "dave");
    await store.createUser(plain);
    const token = (userId: string | null, orgWide: boolean, s: number) => ({
      id: randomUUID(), tenantId: tenant.id, userId, name: `t${s}`, scopes: ["OR.Jobs"], hash: `h-${randomUUID()}`, orgWide, createdAt: at(s), expiresAt: s === 1 ? at(99) : null,
    });
    const wide = token(admin.id, true, 1);
    const notAdmin = token(plain.id, true, 2);
    const noUser = token(null, false, 3);
    const created = await store.createToken(wide);
    expect(created).toEqual({ id: wide.id, tenantId: tenant.id, userId: admin.id, name: "t1", scopes: ["OR.Jobs"], createdAt: at(1), expiresAt: at(99), revokedAt: null, lastUsedAt: null });
    for (const t of [notAdmin, noUser]) await store.createToken(t);

    expect(await store.findTokenByHash(wide.hash)).toMatchObject({ token: created, tenant, orgAdmin: true, user: { id: admin.id, orgAdmin: true, tenantId: null } });
    expect(await store.findTokenByHash(notAdmin.hash)).toMatchObject({ orgAdmin: false, user: { id: plain.id, orgAdmin: false } });
    expect(await store.findTokenByHash(noUser.hash)).toMatchObject({ orgAdmin: false, user: null, token: { userId: null } });
    expect(await store.findTokenByHash("nope")).toBeNull();
    expect((await store.listTokens(tenant.id)).map((t) => t.id)).toEqual([wide.id, notAdmin.id, noUser.id]);

    expect(await store.revokeToken(tenant.id, wide.id, at(20))).toBe(true);
    expect(await store.revokeToken(tenant.id, wide.id, at(30))).toBe(true);
    expect(await store.revokeToken(randomUUID(), wide.id, at(30))).toBe(false);
    await store.touchToken(notAdmin.id, at(40));
    const [w, n] = await store.listTokens(tenant.id);
    expect(w!.revokedAt).toBe(at(20));
    expect(n!.lastUsedAt).toBe(at(40));
  });

  it("external applications: one name per organization, found by client id, listed, rotated while not revoked, revoked once", async () => {
    const { tenant } = await newTenant();
    const app = (name: string, s: number) => ({
      id: randomUUID(), org: tenant.org, tenantId: tenant.id, name, clientId: `client-${randomUUID()}`, secretHash: "s1", scopes: ["OR.Jobs.Read"], createdAt: at(s),
    });
    const b = app("beta", 1);
    const a = app("Alpha", 1);
    expect(await store.createExternalApp(b)).toBe(true);
    expect(await store.createExternalApp(a)).toBe(true);
    expect(await store.createExternalApp(app("beta", 2))).toBe(false);
    expect(await store.findExternalAppByClientId(b.clientId)).toEqual({
      app: { id: b.id, org: tenant.org, tenantId: tenant.id, tenantName: "default", name: "beta", clientId: b.clientId, scopes: ["OR.Jobs.Read"], createdAt: at(1), secretRotatedAt: null, revokedAt: null },
      secretHash: "s1",
    });
    expect(await store.findExternalAppByClientId("nope")).toBeNull();
    expect((await store.listExternalApps(tenant.org)).map((x) => x.name)).toEqual(["Alpha", "beta"]);
    expect(await store.rotateExternalAppSecret(tenant.org, b.clientId, "s2", at(5))).toBe(true);
    expect(await store.rotateExternalAppSecret("other-org", b.clientId, "s3", at(5))).toBe(false);
    expect(await store.findExternalAppByClientId(b.clientId)).toMatchObject({ secretHash: "s2", app: { secretRotatedAt: at(5) } });
    expect(await store.revokeExternalApp(tenant.org, b.clientId, at(6))).toBe(true);
    expect(await store.revokeExternalApp(tenant.org, b.clientId, at(7))).toBe(true);
    expect(await store.revokeExternalApp(tenant.org, "nope", at(7))).toBe(false);
    expect(await store.rotateExternalAppSecret(tenant.org, b.clientId, "s3", at(8))).toBe(false);
    expect(await store.findExternalAppByClientId(b.clientId)).toMatchObject({ secretHash: "s2", app: { revokedAt: at(6) } });
  });

  it("robot keys: created (a taken name is robot-exists), found, listed, revoked, rotated; sessions of a key; served processes", async () => {
    const { tenant, shared } = await newTenant();
    const { tenant: other } = await newTenant();
    const key = (name: string, folderKeys: string[] | null = null): RobotKey & { hash: string } => ({
      id: randomUUID(), tenantId: tenant.id, name, createdAt: at(0), rotatedAt: null, folderKeys, revokedAt: null, hash: `r-${randomUUID()}`,
    });
    const zulu = key("zulu", [shared.key]);
    const Able = key("Able");
    for (const k of [zulu, Able]) await store.createRobotKey(k);
    await expect(store.createRobotKey(key("zulu"))).rejects.toMatchObject({ status: 409, code: "robot-exists" });
    await store.createRobotKey({ ...key("zulu"), tenantId: other.id });
    const { hash: _, ...zuluKey } = zulu;
    expect(await store.findRobotKeyByHash(zulu.hash)).toEqual(zuluKey);
    expect(await store.findRobotKeyByHash("nope")).toBeNull();
    expect((await store.listRobotKeys(tenant.id)).map((k) => k.name)).toEqual(["Able", "zulu"]);

    expect(await store.rotateRobotKey(tenant.id, zulu.id, "r-new", at(3))).toEqual({ ...zuluKey, rotatedAt: at(3) });
    expect(await store.findRobotKeyByHash("r-new")).toEqual({ ...zuluKey, rotatedAt: at(3) });
    expect(await store.findRobotKeyByHash(zulu.hash)).toBeNull();
    expect(await store.rotateRobotKey(other.id, zulu.id, "r-x", at(4))).toBeNull();
    expect(await store.revokeRobotKey(tenant.id, Able.id, at(5))).toBe(true);
    expect(await store.revokeRobotKey(tenant.id, Able.id, at(6))).toBe(true);
    expect(await store.revokeRobotKey(other.id, Able.id, at(6))).toBe(false);
    expect((await store.listRobotKeys(tenant.id))[0]!.revokedAt).toBe(at(5));
    expect(await store.rotateRobotKey(tenant.id, Able.id, "r-y", at(7))).toBeNull();

    const s1 = await addSession(tenant.id, zulu.id, ["Invoice", "Archive"]);
    const s2 = await addSession(tenant.id, zulu.id, ["Invoice"]);
    await addSession(tenant.id, null, ["Report"]);
    await addSession(other.id, null, ["Secret"]);
    expect((await store.sessionsOfRobotKey(zulu.id)).map((s) => s.id).sort()).toEqual([s1, s2].sort());
    expect(await store.sessionsOfRobotKey(Able.id)).toEqual([]);
    expect((await store.servedProcesses(tenant.id)).sort()).toEqual(["Archive", "Invoice", "Report"]);
  });

  it("folders: created (a taken name is folder-exists), found, listed byte-wise, renamed, deleted unless they hold something", async () => {
    const { tenant, shared } = await newTenant();
    const folder = (name: string): Folder => ({ key: randomUUID(), tenantId: tenant.id, name, createdAt: at(1) });
    const [beta, alpha, full] = [folder("Beta"), folder("alpha"), folder("full")];
    for (const f of [beta, alpha, full]) await store.createFolder(f);
    await expect(store.createFolder(folder("Beta"))).rejects.toMatchObject({ status: 409, code: "folder-exists" });
    expect(await store.getFolder(tenant.id, beta.key)).toEqual(beta);
    expect(await store.findFolderByName(tenant.id, "alpha")).toEqual(alpha);
    expect(await store.findFolderByName(tenant.id, "ALPHA")).toBeNull();
    expect(await store.listFolders(tenant.id)).toEqual([beta, shared, alpha, full]);

    expect(await store.renameFolder(tenant.id, alpha.key, "gamma")).toBe(true);
    await expect(store.renameFolder(tenant.id, alpha.key, "Beta")).rejects.toMatchObject({ status: 409, code: "folder-exists" });
    expect(await store.renameFolder(tenant.id, randomUUID(), "x")).toBe(false);
    expect((await store.getFolder(tenant.id, alpha.key))!.name).toBe("gamma");

    await store.createProcess(process(tenant.id, full.key, "P"));
    expect(await store.deleteFolder(tenant.id, full.key)).toBe("not-empty");
    expect(await store.deleteProcess(tenant.id, full.key, "P")).toBe("deleted");
    await store.createTrigger(trigger(tenant.id, full.key, `s-${randomUUID()}`, "P"));
    expect(await store.deleteFolder(tenant.id, full.key)).toBe("not-empty");
    expect(await store.deleteFolder(tenant.id, randomUUID())).toBe("missing");
    expect(await store.deleteFolder(tenant.id, beta.key)).toBe("deleted");
    expect(await store.deleteFolder(tenant.id, beta.key)).toBe("missing");
    expect(await store.getFolder(tenant.id, beta.key)).toBeNull();
  });

  it("processes: created (a taken name is process-exists), exact round trip, listed byte-wise, updated, deleted unless a trigger starts them", async () => {
    const { tenant, shared } = await newTenant();
    const invoice: Process = {
      ...process(tenant.id, shared.key, "Invoice"), description: "Reads ✓", defaultInputArguments: { n: 3, deep: { ok: true, none: null }, list: [1, "a"] },
      inputSchema: { type: "object", required: ["n"] }, outputSchema: {}, priority: "High", maxDurationSeconds: 120, retry: { maxAttempts: 3, backoff: { type: "Exponential", delaySeconds: 7, maxDelaySeconds: 3600, jitter: false } },
      maxConcurrentJobs: 4, concurrencyKey: "/customer", maxConcurrentJobsPerKey: 1,
    };
    const batch = process(tenant.id, shared.key, "batch");
    for (const p of [batch, invoice]) await store.createProcess(p);
    await expect(store.createProcess(process(tenant.id, shared.key, "Invoice"))).rejects.toMatchObject({ status: 409, code: "process-exists" });
    expect(await store.getProcess(tenant.id, shared.key, "Invoice")).toEqual(invoice);
    expect(await store.getProcess(tenant.id, shared.key, "batch")).toEqual(batch);
    expect(await store.getProcess(tenant.id, shared.key, "nope")).toBeNull();
    expect(await store.listProcesses(tenant.id, shared.key)).toEqual([invoice, batch]);

    const updated: Process = { ...invoice, description: "", defaultInputArguments: {}, inputSchema: null, maxDurationSeconds: null, priority: "Low", updatedAt: at(50) };
    await store.updateProcess(updated);
    expect(await store.getProcess(tenant.id, shared.key, "Invoice")).toEqual(updated);

    const t = trigger(tenant.id, shared.key, `s-${randomUUID()}`, "Invoice");
    await store.createTrigger(t);
    expect(await store.deleteProcess(tenant.id, shared.key, "Invoice")).toBe("in-use");
    expect(await store.deleteTrigger(tenant.id, t.id)).toBe(true);
    expect(await store.deleteProcess(tenant.id, shared.key, "Invoice")).toBe("deleted");
    expect(await store.deleteProcess(tenant.id, shared.key, "Invoice")).toBe("missing");
  });

  it("triggers: created (a taken slug is slug-taken, on create and on update), found, listed byte-wise, deleted", async () => {
    const { tenant, shared } = await newTenant();
    const { tenant: other } = await newTenant();
    const folder: Folder = { key: randomUUID(), tenantId: tenant.id, name: "Ops", createdAt: at(0) };
    await store.createFolder(folder);
    const a = { ...trigger(tenant.id, shared.key, "invoice", "Invoice"), defaultArguments: { lang: "fr", flags: [true, null] }, enabled: false, priority: "High" as const };
    const b = trigger(tenant.id, folder.key, "Zebra", "Other");
    for (const t of [a, b]) await store.createTrigger(t);
    await expect(store.createTrigger(trigger(tenant.id, folder.key, "invoice", "X"))).rejects.toMatchObject({ status: 409, code: "slug-taken" });
    await store.createTrigger(trigger(other.id, shared.key, "invoice", "X"));
    expect(await store.getTrigger(tenant.id, a.id)).toEqual(a);
    expect(await store.getTrigger(other.id, a.id)).toBeNull();
    expect(await store.findTriggerBySlug(tenant.id, "invoice")).toEqual(a);
    expect(await store.findTriggerBySlug(tenant.id, "zebra")).toBeNull();
    expect(await store.listTriggers(tenant.id, null)).toEqual([b, a]);
    expect(await store.listTriggers(tenant.id, shared.key)).toEqual([a]);

    const moved = { ...a, slug: "invoice-2", enabled: true, verb: "GET" as const, updatedAt: at(9) };
    await store.updateTrigger(moved);
    expect(await store.getTrigger(tenant.id, a.id)).toEqual(moved);
    await expect(store.updateTrigger({ ...moved, slug: "Zebra" })).rejects.toMatchObject({ status: 409, code: "slug-taken" });
    expect(await store.deleteTrigger(other.id, a.id)).toBe(false);
    expect(await store.deleteTrigger(tenant.id, a.id)).toBe(true);
    expect(await store.deleteTrigger(tenant.id, a.id)).toBe(false);
  });

  it("joins a transaction it is called in: a throw rolls back a folder and a tenant", async () => {
    const org = `org-${randomUUID()}`;
    await expect(store.transaction(async () => {
      const { tenant } = await store.ensureTenant(org, "t");
      await store.createFolder({ key: randomUUID(), tenantId: tenant.id, name: "F", createdAt: at(0) });
      throw new Error("undo");
    })).rejects.toThrow("undo");
    expect(await store.findTenant(org, "t")).toBeNull();
  });
});

function process(tenantId: string, folderKey: string, name: string): Process {
  return {
    id: randomUUID(), tenantId, folderKey, name, description: "", defaultInputArguments: {}, inputSchema: null, outputSchema: null,
    priority: "Normal", maxDurationSeconds: null, retry: { maxAttempts: 1, backoff: { type: "Exponential", delaySeconds: 5, maxDelaySeconds: 3600, jitter: false } },
    maxConcurrentJobs: null, concurrencyKey: null, maxConcurrentJobsPerKey: null, createdAt: at(0), updatedAt: at(0),
  };
}

function trigger(tenantId: string, folderKey: string, slug: string, processName: string): Trigger {
  return {
    id: randomUUID(), tenantId, folderKey, name: `Trigger ${slug}`, slug, verb: "POST", processName, callMode: "AsyncRequestReply",
    defaultArguments: {}, priority: "Inherit", enabled: true, createdAt: at(0), updatedAt: at(0),
  };
}
