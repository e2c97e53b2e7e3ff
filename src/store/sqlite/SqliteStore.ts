import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { randomUUID } from "node:crypto";
import { clampedIso } from "../../core/bounds.js";
import {
  JOB_LIST_COLUMNS, toJobListItem,
  type ConsoleSessionRecord, type ExternalAppRecord, type JobFilter, type JobPatch, type JobStateCount, type NewExternalApp, type NewToken, type NewUser, type Store, type TokenRecord, type UserPatch,
} from "../../core/store.js";
import type { RoleAssignment } from "../../core/Permissions.js";
import {
  DEFAULT_SETTINGS,
  LIST_FIELD_MAX_BYTES,
  type ExternalApp,
  type Folder,
  type Job,
  type JobListItem,
  type JobLogLine,
  type JobState,
  type PersonalAccessToken,
  type Priority,
  type Process,
  type RobotKey,
  type RobotSession,
  type Tenant,
  type TenantSettings,
  type Trigger,
  type User,
} from "../../core/types.js";
import type { AuditEntry, AuditListOptions, NewAuditEntry } from "../../core/Audit.js";
import { migrations } from "./migrations.js";

type Row = Record<string, unknown>;
/** captured at load, so that fake timers in tests cannot stall the group commit of createJob */
const realSetImmediate = setImmediate;

const PRIORITY_NUMBER: Record<Priority, number> = { Low: 0, Normal: 1, High: 2 };
const PRIORITY_NAME: Priority[] = ["Low", "Normal", "High"];

const json = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));
const parse = <T>(text: unknown): T | null => (typeof text === "string" ? (JSON.parse(text) as T) : null);
const str = (v: unknown): string => v as string;
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string));

/**
 * The embedded store: one SQLite file in WAL mode. better-sqlite3 is synchronous, so each
 * method runs to completion without interleaving; a committed write survives `kill -9`
 * (WAL with synchronous=NORMAL loses nothing on a process crash, only on power loss, and
 * FULL is used when `durable` asks for that too).
 */
export class SqliteStore implements Store {
  readonly engine = "sqlite";
  private readonly db: Database.Database;
  private readonly stmts = new Map<string, Database.Statement>();

  constructor(file: string, options: { synchronous?: "NORMAL" | "FULL" } = {}) {
    if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma(`synchronous = ${options.synchronous ?? "NORMAL"}`);
    this.db.pragma("foreign_keys = ON");
    this.db.pragma("busy_timeout = 5000");
  }

  private stmt(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  async migrate(): Promise<void> {
    this.db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
    const applied = new Set(
      (this.db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map((r) => r.version),
    );
    // a migration may rebuild a table that others reference (SQLite's documented way to
    // change a constraint): foreign keys are off while it runs and checked before it commits
    this.db.pragma("foreign_keys = OFF");
    try {
      for (const m of migrations) {
        if (applied.has(m.version)) continue;
        this.db.transaction(() => {
          this.db.exec(m.sql);
          const broken = this.db.pragma("foreign_key_check") as unknown[];
          if (broken.length) throw new Error(`migration ${m.version} (${m.name}) left ${broken.length} broken foreign keys`);
          this.db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(m.version, m.name, new Date().toISOString());
        }).immediate();
      }
    } finally {
      this.db.pragma("foreign_keys = ON");
    }
  }

  async ping(): Promise<void> {
    this.stmt("SELECT 1").get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.flushJobInserts();
    if (this.db.open) this.db.close();
  }

  async getOrCreateSecret(name: string, create: () => string): Promise<string> {
    this.stmt("INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)").run(name, create());
    return str((this.stmt("SELECT value FROM secrets WHERE name = ?").get(name) as Row).value);
  }

  // ---- tenants and users

  async ensureTenant(org: string, name: string): Promise<{ tenant: Tenant; created: boolean }> {
    return this.db.transaction(() => {
      const existing = this.stmt("SELECT id, org, name FROM tenants WHERE org = ? AND name = ?").get(org, name) as Tenant | undefined;
      if (existing) return { tenant: existing, created: false };
      const tenant: Tenant = { id: randomUUID(), org, name };
      const now = new Date().toISOString();
      this.stmt("INSERT INTO tenants (id, org, name, settings, created_at) VALUES (?, ?, ?, ?, ?)").run(tenant.id, org, name, "{}", now);
      this.stmt("INSERT INTO folders (key, tenant_id, name, created_at) VALUES (?, ?, 'Shared', ?)").run(randomUUID(), tenant.id, now);
      return { tenant, created: true };
    }).immediate();
  }

  async findTenant(org: string, name: string): Promise<Tenant | null> {
    return (this.stmt("SELECT id, org, name FROM tenants WHERE org = ? AND name = ?").get(org, name) as Tenant | undefined) ?? null;
  }

  async listTenants(org: string): Promise<Tenant[]> {
    return this.stmt("SELECT id, org, name FROM tenants WHERE org = ? ORDER BY created_at, name").all(org) as Tenant[];
  }

  async getSettings(tenantId: string): Promise<TenantSettings> {
    const row = this.stmt("SELECT settings FROM tenants WHERE id = ?").get(tenantId) as Row | undefined;
    return { ...DEFAULT_SETTINGS, ...(parse<Partial<TenantSettings>>(row?.settings) ?? {}) };
  }

  async saveSettings(tenantId: string, settings: TenantSettings): Promise<void> {
    this.stmt("UPDATE tenants SET settings = ? WHERE id = ?").run(JSON.stringify(settings), tenantId);
  }

  async ensureUser(user: NewUser): Promise<{ id: string; created: boolean }> {
    const existing = this.stmt("SELECT id FROM users WHERE org = ? AND name = ? AND tenant_id IS NULL").get(user.org, user.name) as Row | undefined;
    if (existing) return { id: str(existing.id), created: false };
    this.stmt("INSERT INTO users (id, org, name, password_hash, org_admin, created_at) VALUES (?, ?, ?, ?, ?, ?)").run(
      user.id, user.org, user.name, user.passwordHash, user.orgAdmin ? 1 : 0, new Date().toISOString(),
    );
    return { id: user.id, created: true };
  }

  async createUser(u: User & { passwordHash: string | null }): Promise<boolean> {
    return this.stmt(
      `INSERT INTO users (id, org, tenant_id, name, password_hash, org_admin, roles, created_at, disabled_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    ).run(u.id, u.org, u.tenantId, u.name, u.passwordHash, JSON.stringify(u.roles), u.createdAt, u.disabledAt).changes > 0;
  }

  async getUser(tenantId: string, id: string): Promise<User | null> {
    const row = this.stmt(
      "SELECT u.* FROM users u JOIN tenants n ON n.id = ? WHERE u.id = ? AND (u.tenant_id = n.id OR (u.tenant_id IS NULL AND u.org = n.org))",
    ).get(tenantId, id) as Row | undefined;
    return row ? userFromRow(row) : null;
  }

  async listUsers(tenantId: string, org: string): Promise<User[]> {
    return (this.stmt("SELECT * FROM users WHERE tenant_id = ? OR (tenant_id IS NULL AND org = ?) ORDER BY tenant_id IS NULL, name").all(tenantId, org) as Row[]).map((r) => userFromRow(r));
  }

  async findUserForLogin(tenantId: string, org: string, name: string): Promise<{ user: User; passwordHash: string | null } | null> {
    const row = this.stmt(
      "SELECT * FROM users WHERE name = ? AND (tenant_id = ? OR (tenant_id IS NULL AND org = ?)) ORDER BY tenant_id IS NULL LIMIT 1",
    ).get(name, tenantId, org) as Row | undefined;
    return row ? { user: userFromRow(row), passwordHash: strOrNull(row.password_hash) } : null;
  }

  async updateUser(tenantId: string, id: string, patch: UserPatch): Promise<boolean> {
    const sets: string[] = [];
    const params: unknown[] = [];
    if (patch.passwordHash !== undefined) { sets.push("password_hash = ?"); params.push(patch.passwordHash); }
    if (patch.roles !== undefined) { sets.push("roles = ?"); params.push(JSON.stringify(patch.roles)); }
    if (patch.disabledAt !== undefined) { sets.push("disabled_at = ?"); params.push(patch.disabledAt); }
    if (sets.length === 0) return this.stmt("SELECT 1 FROM users WHERE tenant_id = ? AND id = ?").get(tenantId, id) !== undefined;
    return this.db.prepare(`UPDATE users SET ${sets.join(", ")} WHERE tenant_id = ? AND id = ?`).run(...params, tenantId, id).changes > 0;
  }

  async setUserPassword(id: string, passwordHash: string): Promise<boolean> {
    return this.stmt("UPDATE users SET password_hash = ? WHERE id = ?").run(passwordHash, id).changes > 0;
  }

  async deleteUser(tenantId: string, id: string): Promise<boolean> {
    return this.db.transaction(() => {
      if (!this.stmt("SELECT 1 FROM users WHERE tenant_id = ? AND id = ?").get(tenantId, id)) return false;
      this.stmt("DELETE FROM console_sessions WHERE user_id = ?").run(id);
      this.stmt("DELETE FROM tokens WHERE user_id = ?").run(id);
      this.stmt("DELETE FROM users WHERE tenant_id = ? AND id = ?").run(tenantId, id);
      return true;
    }).immediate();
  }

  // ---- console sessions

  async createConsoleSession(c: ConsoleSessionRecord): Promise<void> {
    this.stmt("INSERT INTO console_sessions (hash, user_id, tenant_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)").run(
      c.hash, c.userId, c.tenantId, c.csrfToken, c.createdAt, c.expiresAt,
    );
  }

  async findConsoleSession(hash: string): Promise<{ session: ConsoleSessionRecord; user: User; tenant: Tenant } | null> {
    const row = this.stmt(
      `SELECT c.hash, c.user_id, c.tenant_id AS session_tenant_id, c.csrf_token, c.created_at AS session_created_at, c.expires_at,
              n.org AS tenant_org, n.name AS tenant_name, u.*
         FROM console_sessions c JOIN users u ON u.id = c.user_id JOIN tenants n ON n.id = c.tenant_id
        WHERE c.hash = ?`,
    ).get(hash) as Row | undefined;
    if (!row) return null;
    return {
      session: {
        hash: str(row.hash), userId: str(row.user_id), tenantId: str(row.session_tenant_id), csrfToken: str(row.csrf_token),
        createdAt: str(row.session_created_at), expiresAt: str(row.expires_at),
      },
      user: userFromRow(row),
      tenant: { id: str(row.session_tenant_id), org: str(row.tenant_org), name: str(row.tenant_name) },
    };
  }

  async deleteConsoleSession(hash: string): Promise<void> {
    this.stmt("DELETE FROM console_sessions WHERE hash = ?").run(hash);
  }

  async deleteConsoleSessionsOfUser(userId: string): Promise<void> {
    this.stmt("DELETE FROM console_sessions WHERE user_id = ?").run(userId);
  }

  async deleteExpiredConsoleSessions(now: string): Promise<number> {
    return this.stmt("DELETE FROM console_sessions WHERE expires_at <= ?").run(now).changes;
  }

  // ---- tokens

  async createToken(t: NewToken): Promise<PersonalAccessToken> {
    this.stmt("INSERT INTO tokens (id, tenant_id, user_id, name, scopes, hash, org_wide, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)").run(
      t.id, t.tenantId, t.userId, t.name, JSON.stringify(t.scopes), t.hash, t.orgWide ? 1 : 0, t.createdAt, t.expiresAt,
    );
    return { id: t.id, tenantId: t.tenantId, userId: t.userId, name: t.name, scopes: t.scopes, createdAt: t.createdAt, expiresAt: t.expiresAt, revokedAt: null, lastUsedAt: null };
  }

  async findTokenByHash(hash: string): Promise<TokenRecord | null> {
    const row = this.stmt(
      `SELECT t.*, n.org AS tenant_org, n.name AS tenant_name, (t.org_wide = 1 AND COALESCE(u.org_admin, 0) = 1) AS token_org_admin,
              u.id AS u_id, u.org AS u_org, u.tenant_id AS u_tenant_id, u.name AS u_name, u.org_admin AS u_org_admin, u.roles AS u_roles,
              u.created_at AS u_created_at, u.disabled_at AS u_disabled_at
         FROM tokens t JOIN tenants n ON n.id = t.tenant_id LEFT JOIN users u ON u.id = t.user_id
        WHERE t.hash = ?`,
    ).get(hash) as Row | undefined;
    if (!row) return null;
    return {
      token: tokenFromRow(row),
      tenant: { id: str(row.tenant_id), org: str(row.tenant_org), name: str(row.tenant_name) },
      orgAdmin: row.token_org_admin === 1,
      user: row.u_id === null ? null : userFromRow(row, "u_"),
    };
  }

  async listTokens(tenantId: string): Promise<PersonalAccessToken[]> {
    return (this.stmt("SELECT * FROM tokens WHERE tenant_id = ? ORDER BY created_at").all(tenantId) as Row[]).map(tokenFromRow);
  }

  async revokeToken(tenantId: string, id: string, at: string): Promise<boolean> {
    return this.stmt("UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE tenant_id = ? AND id = ?").run(at, tenantId, id).changes > 0;
  }

  async touchToken(id: string, at: string): Promise<void> {
    this.stmt("UPDATE tokens SET last_used_at = ? WHERE id = ?").run(at, id);
  }

  // ---- external applications

  async createExternalApp(a: NewExternalApp): Promise<boolean> {
    return this.stmt(
      `INSERT INTO external_apps (id, org, tenant_id, name, client_id, secret_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (org, name) DO NOTHING`,
    ).run(a.id, a.org, a.tenantId, a.name, a.clientId, a.secretHash, JSON.stringify(a.scopes), a.createdAt).changes > 0;
  }

  async findExternalAppByClientId(clientId: string): Promise<ExternalAppRecord | null> {
    const row = this.stmt("SELECT a.*, n.name AS tenant_name FROM external_apps a JOIN tenants n ON n.id = a.tenant_id WHERE a.client_id = ?").get(clientId) as Row | undefined;
    return row ? { app: externalAppFromRow(row), secretHash: str(row.secret_hash) } : null;
  }

  async listExternalApps(org: string): Promise<ExternalApp[]> {
    return (this.stmt("SELECT a.*, n.name AS tenant_name FROM external_apps a JOIN tenants n ON n.id = a.tenant_id WHERE a.org = ? ORDER BY a.created_at, a.name").all(org) as Row[])
      .map(externalAppFromRow);
  }

  async rotateExternalAppSecret(org: string, clientId: string, secretHash: string, at: string): Promise<boolean> {
    return this.stmt("UPDATE external_apps SET secret_hash = ?, secret_rotated_at = ? WHERE org = ? AND client_id = ? AND revoked_at IS NULL")
      .run(secretHash, at, org, clientId).changes > 0;
  }

  async revokeExternalApp(org: string, clientId: string, at: string): Promise<boolean> {
    return this.stmt("UPDATE external_apps SET revoked_at = COALESCE(revoked_at, ?) WHERE org = ? AND client_id = ?").run(at, org, clientId).changes > 0;
  }

  // ---- folders

  async createFolder(f: Folder): Promise<void> {
    this.stmt("INSERT INTO folders (key, tenant_id, name, created_at) VALUES (?, ?, ?, ?)").run(f.key, f.tenantId, f.name, f.createdAt);
  }

  async getFolder(tenantId: string, key: string): Promise<Folder | null> {
    const row = this.stmt("SELECT * FROM folders WHERE tenant_id = ? AND key = ?").get(tenantId, key) as Row | undefined;
    return row ? folderFromRow(row) : null;
  }

  async findFolderByName(tenantId: string, name: string): Promise<Folder | null> {
    const row = this.stmt("SELECT * FROM folders WHERE tenant_id = ? AND name = ?").get(tenantId, name) as Row | undefined;
    return row ? folderFromRow(row) : null;
  }

  async listFolders(tenantId: string): Promise<Folder[]> {
    return (this.stmt("SELECT * FROM folders WHERE tenant_id = ? ORDER BY name").all(tenantId) as Row[]).map(folderFromRow);
  }

  async renameFolder(tenantId: string, key: string, name: string): Promise<boolean> {
    return this.stmt("UPDATE folders SET name = ? WHERE tenant_id = ? AND key = ?").run(name, tenantId, key).changes > 0;
  }

  async deleteFolder(tenantId: string, key: string): Promise<"deleted" | "missing" | "not-empty"> {
    return this.db.transaction(() => {
      if (!this.stmt("SELECT 1 FROM folders WHERE tenant_id = ? AND key = ?").get(tenantId, key)) return "missing" as const;
      const used =
        this.stmt("SELECT 1 FROM processes WHERE folder_key = ? LIMIT 1").get(key) ??
        this.stmt("SELECT 1 FROM triggers WHERE folder_key = ? LIMIT 1").get(key) ??
        this.stmt("SELECT 1 FROM jobs WHERE folder_key = ? LIMIT 1").get(key);
      if (used) return "not-empty" as const;
      this.stmt("DELETE FROM folders WHERE tenant_id = ? AND key = ?").run(tenantId, key);
      return "deleted" as const;
    }).immediate();
  }

  // ---- processes

  async createProcess(p: Process): Promise<void> {
    this.stmt(
      `INSERT INTO processes (id, tenant_id, folder_key, name, description, default_input_arguments, input_schema, output_schema,
         priority, max_duration_seconds, retry_max_attempts, retry_backoff_seconds, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(p.id, p.tenantId, p.folderKey, p.name, p.description, JSON.stringify(p.defaultInputArguments), json(p.inputSchema), json(p.outputSchema),
      p.priority, p.maxDurationSeconds, p.retry.maxAttempts, p.retry.backoffSeconds, p.createdAt, p.updatedAt);
  }

  async getProcess(tenantId: string, folderKey: string, name: string): Promise<Process | null> {
    const row = this.stmt("SELECT * FROM processes WHERE tenant_id = ? AND folder_key = ? AND name = ?").get(tenantId, folderKey, name) as Row | undefined;
    return row ? processFromRow(row) : null;
  }

  async listProcesses(tenantId: string, folderKey: string): Promise<Process[]> {
    return (this.stmt("SELECT * FROM processes WHERE tenant_id = ? AND folder_key = ? ORDER BY name").all(tenantId, folderKey) as Row[]).map(processFromRow);
  }

  async updateProcess(p: Process): Promise<void> {
    this.stmt(
      `UPDATE processes SET description = ?, default_input_arguments = ?, input_schema = ?, output_schema = ?, priority = ?,
         max_duration_seconds = ?, retry_max_attempts = ?, retry_backoff_seconds = ?, updated_at = ?
       WHERE tenant_id = ? AND id = ?`,
    ).run(p.description, JSON.stringify(p.defaultInputArguments), json(p.inputSchema), json(p.outputSchema), p.priority,
      p.maxDurationSeconds, p.retry.maxAttempts, p.retry.backoffSeconds, p.updatedAt, p.tenantId, p.id);
  }

  async deleteProcess(tenantId: string, folderKey: string, name: string): Promise<"deleted" | "missing" | "in-use"> {
    return this.db.transaction(() => {
      if (!this.stmt("SELECT 1 FROM processes WHERE tenant_id = ? AND folder_key = ? AND name = ?").get(tenantId, folderKey, name)) return "missing" as const;
      if (this.stmt("SELECT 1 FROM triggers WHERE tenant_id = ? AND folder_key = ? AND process_name = ? LIMIT 1").get(tenantId, folderKey, name)) return "in-use" as const;
      this.stmt("DELETE FROM processes WHERE tenant_id = ? AND folder_key = ? AND name = ?").run(tenantId, folderKey, name);
      return "deleted" as const;
    }).immediate();
  }

  // ---- triggers

  async createTrigger(t: Trigger): Promise<void> {
    this.stmt(
      `INSERT INTO triggers (id, tenant_id, folder_key, name, slug, verb, process_name, call_mode, default_arguments, priority, enabled, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(t.id, t.tenantId, t.folderKey, t.name, t.slug, t.verb, t.processName, t.callMode, JSON.stringify(t.defaultArguments), t.priority, t.enabled ? 1 : 0, t.createdAt, t.updatedAt);
  }

  async getTrigger(tenantId: string, id: string): Promise<Trigger | null> {
    const row = this.stmt("SELECT * FROM triggers WHERE tenant_id = ? AND id = ?").get(tenantId, id) as Row | undefined;
    return row ? triggerFromRow(row) : null;
  }

  async findTriggerBySlug(tenantId: string, slug: string): Promise<Trigger | null> {
    const row = this.stmt("SELECT * FROM triggers WHERE tenant_id = ? AND slug = ?").get(tenantId, slug) as Row | undefined;
    return row ? triggerFromRow(row) : null;
  }

  async listTriggers(tenantId: string, folderKey: string | null): Promise<Trigger[]> {
    const rows = folderKey
      ? this.stmt("SELECT * FROM triggers WHERE tenant_id = ? AND folder_key = ? ORDER BY slug").all(tenantId, folderKey)
      : this.stmt("SELECT * FROM triggers WHERE tenant_id = ? ORDER BY slug").all(tenantId);
    return (rows as Row[]).map(triggerFromRow);
  }

  async updateTrigger(t: Trigger): Promise<void> {
    this.stmt(
      `UPDATE triggers SET name = ?, slug = ?, verb = ?, process_name = ?, call_mode = ?, default_arguments = ?, priority = ?, enabled = ?, updated_at = ?
       WHERE tenant_id = ? AND id = ?`,
    ).run(t.name, t.slug, t.verb, t.processName, t.callMode, JSON.stringify(t.defaultArguments), t.priority, t.enabled ? 1 : 0, t.updatedAt, t.tenantId, t.id);
  }

  async deleteTrigger(tenantId: string, id: string): Promise<boolean> {
    return this.stmt("DELETE FROM triggers WHERE tenant_id = ? AND id = ?").run(tenantId, id).changes > 0;
  }

  // ---- jobs

  /**
   * Group commit: the jobs created during one turn of the event loop (every request read in
   * it) are inserted in one transaction, right after it (setImmediate). Each commit of the
   * WAL costs far more than an insert (~100 µs against ~30 µs on a small VM), so under load
   * this multiplies the invoke rate; alone, a job waits for no more than the current turn.
   * The promise still resolves only once the job is committed. A constraint failure retries
   * the batch one job at a time, so only the bad job's caller sees the error.
   */
  createJob(j: Job): Promise<void> {
    return new Promise((resolve, reject) => {
      this.jobInserts.push({ job: j, resolve, reject });
      if (this.jobInserts.length === 1) realSetImmediate(() => this.flushJobInserts());
    });
  }

  private readonly jobInserts: { job: Job; resolve: () => void; reject: (err: unknown) => void }[] = [];

  private flushJobInserts(): void {
    const batch = this.jobInserts.splice(0);
    if (batch.length === 0) return;
    const insert = (j: Job) => this.stmt(
      `INSERT INTO jobs (key, tenant_id, folder_key, process_name, trigger_id, source, call_mode, state, priority, input_arguments,
         attempt, created_at, deadline_at, max_duration_seconds, info)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(j.key, j.tenantId, j.folderKey, j.processName, j.triggerId, j.source, j.callMode, j.state, PRIORITY_NUMBER[j.priority],
      JSON.stringify(j.inputArguments), j.attempt, j.createdAt, j.deadlineAt, j.maxDurationSeconds, j.info);
    try {
      if (batch.length === 1) insert(batch[0]!.job);
      else this.db.transaction(() => { for (const b of batch) insert(b.job); }).immediate();
    } catch (err) {
      if (batch.length === 1 || !String((err as { code?: unknown }).code).startsWith("SQLITE_CONSTRAINT")) {
        for (const b of batch) b.reject(err);
        return;
      }
      for (const b of batch) {
        try {
          insert(b.job);
          b.resolve();
        } catch (e) {
          b.reject(e);
        }
      }
      return;
    }
    for (const b of batch) b.resolve();
  }

  async getJob(tenantId: string, key: string): Promise<Job | null> {
    const row = this.stmt("SELECT * FROM jobs WHERE tenant_id = ? AND key = ?").get(tenantId, key) as Row | undefined;
    return row ? jobFromRow(row) : null;
  }

  async listJobs(tenantId: string, f: JobFilter, limit: number, cursor: number | null): Promise<{ items: JobListItem[]; next: number | null }> {
    const where = ["tenant_id = ?"];
    const params: unknown[] = [tenantId];
    if (f.state?.length) {
      where.push(`state IN (${f.state.map(() => "?").join(", ")})`);
      params.push(...f.state);
    }
    if (f.processName) { where.push("process_name = ?"); params.push(f.processName); }
    if (f.triggerId) { where.push("trigger_id = ?"); params.push(f.triggerId); }
    if (f.folderKey) { where.push("folder_key = ?"); params.push(f.folderKey); }
    if (f.folderKeys) {
      where.push(f.folderKeys.length ? `folder_key IN (${f.folderKeys.map(() => "?").join(", ")})` : "0");
      params.push(...f.folderKeys);
    }
    if (f.createdAfter) { where.push("created_at >= ?"); params.push(f.createdAfter); }
    if (f.createdBefore) { where.push("created_at < ?"); params.push(f.createdBefore); }
    if (cursor !== null) { where.push("seq < ?"); params.push(cursor); }
    // the long columns are read only when short: octet_length of a column is its stored size,
    // taken from the record header without reading the value
    const short = (col: string) => `CASE WHEN octet_length(${col}) > ${LIST_FIELD_MAX_BYTES} THEN NULL ELSE ${col} END AS ${col}, octet_length(${col}) > ${LIST_FIELD_MAX_BYTES} AS ${col}_long`;
    const rows = this.db.prepare(
      `SELECT ${JOB_LIST_COLUMNS}, ${short("input_arguments")}, ${short("output_arguments")}, ${short("error")}
         FROM jobs WHERE ${where.join(" AND ")} ORDER BY seq DESC LIMIT ?`,
    ).all(...params, limit + 1) as Row[];
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    return {
      items: page.map((r) => toJobListItem(jobFromRow(r), { input: r.input_arguments_long === 1, output: r.output_arguments_long === 1, error: r.error_long === 1 })),
      next: more ? (page[page.length - 1]!.seq as number) : null,
    };
  }

  async claimJobs(session: RobotSession, max: number, now: string, longPollingMaxSeconds: number): Promise<Job[]> {
    const nowMs = Date.parse(now);
    const deadlineFor = (job: Job): string | null => {
      const limits: number[] = [];
      if (job.callMode === "LongPolling") limits.push(Date.parse(job.createdAt) + longPollingMaxSeconds * 1000);
      if (job.maxDurationSeconds) limits.push(nowMs + job.maxDurationSeconds * 1000);
      // clamped: a duration stored before durations were bounded (1e13 s) must not make every claim throw
      return limits.length ? clampedIso(Math.min(...limits)) : null;
    };
    if (max <= 0 || session.processes.length === 0) return [];
    return this.db.transaction(() => {
      // a claim long-poll can outlive its session (a robot cut off from the network keeps its
      // connection open while its lease runs out): jobs claimed for an ended session would
      // stay Running forever, so an ended or expired session gets nothing
      if (!this.stmt("SELECT 1 FROM robot_sessions WHERE id = ? AND lease_expires_at > ?").get(session.id, now)) return [];
      // a session never holds more jobs than its slots, however many claims it sends
      const held = (this.stmt("SELECT COUNT(*) AS n FROM jobs WHERE session_id = ? AND state IN ('Running', 'Stopping', 'Terminating')").get(session.id) as Row).n as number;
      const room = Math.min(max, session.slots - held);
      if (room <= 0) return [];
      const names = session.processes.map(() => "?").join(", ");
      // a robot key limited to some folders runs only their jobs
      const folders = session.folderKeys ? `AND folder_key IN (${session.folderKeys.map(() => "?").join(", ") || "NULL"})` : "";
      // LIMIT CAST(? AS INTEGER), not LIMIT ?: SQLite (3.47+) plans with a bound LIMIT's
      // value, so rebinding it re-prepares the statement on every claim (~40 µs, twice a job).
      const rows = this.stmt(
        `SELECT * FROM jobs WHERE tenant_id = ? AND state = 'Pending' AND process_name IN (${names}) ${folders}
           AND (not_before IS NULL OR not_before <= ?)
         ORDER BY priority DESC, seq ASC LIMIT CAST(? AS INTEGER)`,
      ).all(session.tenantId, ...session.processes, ...(session.folderKeys ?? []), now, room) as Row[];
      const claimed: Job[] = [];
      for (const row of rows) {
        const job = jobFromRow(row);
        job.state = "Running";
        job.sessionId = session.id;
        job.robot = session.robotName;
        job.startedAt = now;
        job.attempt += 1;
        job.deadlineAt = deadlineFor(job);
        job.info = null;
        this.stmt("UPDATE jobs SET state = 'Running', session_id = ?, robot = ?, started_at = ?, attempt = ?, deadline_at = ?, not_before = NULL, info = NULL WHERE seq = ?")
          .run(session.id, session.robotName, now, job.attempt, job.deadlineAt, row.seq);
        claimed.push(job);
      }
      return claimed;
    }).immediate();
  }

  async updateJob(tenantId: string | null, key: string, from: readonly JobState[], sessionId: string | null, patch: JobPatch): Promise<Job | null> {
    const sets = ["state = ?"];
    const params: unknown[] = [patch.state];
    const col = (name: string, value: unknown) => { sets.push(`${name} = ?`); params.push(value); };
    if (patch.outputArguments !== undefined) col("output_arguments", json(patch.outputArguments));
    if (patch.error !== undefined) col("error", json(patch.error));
    if (patch.endedAt !== undefined) col("ended_at", patch.endedAt);
    if (patch.startedAt !== undefined) col("started_at", patch.startedAt);
    if (patch.info !== undefined) col("info", patch.info);
    if (patch.sessionId !== undefined) col("session_id", patch.sessionId);
    if (patch.robot !== undefined) col("robot", patch.robot);
    if (patch.notBefore !== undefined) col("not_before", patch.notBefore);
    if (patch.attempt !== undefined) col("attempt", patch.attempt);
    if (patch.state === "Successful" || patch.state === "Faulted" || patch.state === "Stopped") col("deadline_at", null);
    else if (patch.deadlineAt !== undefined) col("deadline_at", patch.deadlineAt);
    const where = [`key = ?`, `state IN (${from.map(() => "?").join(", ")})`];
    params.push(key, ...from);
    if (tenantId !== null) { where.push("tenant_id = ?"); params.push(tenantId); }
    if (sessionId !== null) { where.push("session_id = ?"); params.push(sessionId); }
    const row = this.stmt(`UPDATE jobs SET ${sets.join(", ")} WHERE ${where.join(" AND ")} RETURNING *`).get(...params) as Row | undefined;
    return row ? jobFromRow(row) : null;
  }

  async jobsPastDeadline(now: string, limit: number): Promise<Job[]> {
    return (this.stmt(
      "SELECT * FROM jobs WHERE deadline_at IS NOT NULL AND deadline_at <= ? AND state NOT IN ('Successful', 'Faulted', 'Stopped') ORDER BY deadline_at LIMIT ?",
    ).all(now, limit) as Row[]).map(jobFromRow);
  }

  async expiredSessions(now: string): Promise<RobotSession[]> {
    return (this.stmt("SELECT * FROM robot_sessions WHERE lease_expires_at <= ?").all(now) as Row[]).map(sessionFromRow);
  }

  async jobsOfSession(sessionId: string): Promise<Job[]> {
    return (this.stmt("SELECT * FROM jobs WHERE session_id = ? AND state NOT IN ('Successful', 'Faulted', 'Stopped', 'Pending')").all(sessionId) as Row[]).map(jobFromRow);
  }

  async countJobs(tenantId: string): Promise<number> {
    return (this.stmt("SELECT COUNT(*) AS n FROM jobs WHERE tenant_id = ?").get(tenantId) as { n: number }).n;
  }

  async countJobsByState(): Promise<JobStateCount[]> {
    const rows = this.stmt("SELECT tenant_id, process_name, state, COUNT(*) AS n FROM jobs GROUP BY tenant_id, process_name, state").all() as Row[];
    return rows.map((r) => ({ tenantId: str(r.tenant_id), processName: str(r.process_name), state: r.state as JobState, count: Number(r.n) }));
  }

  async purgeFinalJobs(tenantId: string, endedBefore: string): Promise<number> {
    return this.db.transaction(() => {
      this.stmt(
        "DELETE FROM job_logs WHERE job_key IN (SELECT key FROM jobs WHERE tenant_id = ? AND ended_at < ? AND state IN ('Successful', 'Faulted', 'Stopped'))",
      ).run(tenantId, endedBefore);
      return this.stmt("DELETE FROM jobs WHERE tenant_id = ? AND ended_at < ? AND state IN ('Successful', 'Faulted', 'Stopped')").run(tenantId, endedBefore).changes;
    }).immediate();
  }

  // ---- logs

  async appendLogs(jobKey: string, lines: Omit<JobLogLine, "seq">[]): Promise<void> {
    if (lines.length === 0) return;
    this.db.transaction(() => {
      const last = this.stmt("SELECT COALESCE(MAX(seq), 0) AS s FROM job_logs WHERE job_key = ?").get(jobKey) as { s: number };
      let seq = last.s;
      const insert = this.stmt("INSERT INTO job_logs (job_key, seq, at, level, message) VALUES (?, ?, ?, ?, ?)");
      for (const l of lines) insert.run(jobKey, ++seq, l.at, l.level, l.message);
      this.stmt("UPDATE jobs SET info = ? WHERE key = ?").run(lines[lines.length - 1]!.message.slice(0, 1000), jobKey);
    }).immediate();
  }

  async listLogs(jobKey: string, afterSeq: number, limit: number): Promise<JobLogLine[]> {
    return this.stmt("SELECT seq, at, level, message FROM job_logs WHERE job_key = ? AND seq > ? ORDER BY seq LIMIT ?").all(jobKey, afterSeq, limit) as JobLogLine[];
  }

  // ---- robot keys

  async createRobotKey(k: RobotKey & { hash: string }): Promise<void> {
    this.stmt("INSERT INTO robot_keys (id, tenant_id, name, hash, created_at, folder_keys) VALUES (?, ?, ?, ?, ?, ?)").run(k.id, k.tenantId, k.name, k.hash, k.createdAt, json(k.folderKeys));
  }

  async findRobotKeyByHash(hash: string): Promise<RobotKey | null> {
    const row = this.stmt("SELECT * FROM robot_keys WHERE hash = ?").get(hash) as Row | undefined;
    return row ? robotKeyFromRow(row) : null;
  }

  async listRobotKeys(tenantId: string): Promise<RobotKey[]> {
    return (this.stmt("SELECT * FROM robot_keys WHERE tenant_id = ? ORDER BY name").all(tenantId) as Row[]).map(robotKeyFromRow);
  }

  async revokeRobotKey(tenantId: string, id: string, at: string): Promise<boolean> {
    return this.stmt("UPDATE robot_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE tenant_id = ? AND id = ?").run(at, tenantId, id).changes > 0;
  }

  async rotateRobotKey(tenantId: string, id: string, hash: string, at: string): Promise<RobotKey | null> {
    const row = this.stmt("UPDATE robot_keys SET hash = ?, rotated_at = ? WHERE tenant_id = ? AND id = ? AND revoked_at IS NULL RETURNING *").get(hash, at, tenantId, id) as Row | undefined;
    return row ? robotKeyFromRow(row) : null;
  }

  async sessionsOfRobotKey(robotKeyId: string): Promise<RobotSession[]> {
    return (this.stmt("SELECT * FROM robot_sessions WHERE robot_key_id = ?").all(robotKeyId) as Row[]).map(sessionFromRow);
  }

  async servedProcesses(tenantId: string): Promise<string[]> {
    const rows = this.stmt("SELECT DISTINCT value AS name FROM robot_sessions, json_each(robot_sessions.processes) WHERE tenant_id = ?").all(tenantId) as { name: string }[];
    return rows.map((r) => r.name);
  }

  // ---- robot sessions

  async createSession(s: RobotSession): Promise<void> {
    this.stmt("INSERT INTO robot_sessions (id, tenant_id, robot_key_id, robot_name, version, processes, slots, lease_expires_at, created_at, folder_keys) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .run(s.id, s.tenantId, s.robotKeyId, s.robotName, s.version, JSON.stringify(s.processes), s.slots, s.leaseExpiresAt, s.createdAt, json(s.folderKeys));
  }

  async getSession(tenantId: string, id: string): Promise<RobotSession | null> {
    const row = this.stmt("SELECT * FROM robot_sessions WHERE tenant_id = ? AND id = ?").get(tenantId, id) as Row | undefined;
    return row ? sessionFromRow(row) : null;
  }

  async extendSession(id: string, leaseExpiresAt: string): Promise<boolean> {
    return this.stmt("UPDATE robot_sessions SET lease_expires_at = ? WHERE id = ?").run(leaseExpiresAt, id).changes > 0;
  }

  async deleteSession(id: string): Promise<void> {
    this.stmt("DELETE FROM robot_sessions WHERE id = ?").run(id);
  }

  async listSessions(tenantId: string): Promise<(RobotSession & { slotsInUse: number })[]> {
    const rows = this.stmt(
      `SELECT s.*, (SELECT COUNT(*) FROM jobs j WHERE j.session_id = s.id AND j.state IN ('Running', 'Stopping', 'Terminating')) AS slots_in_use
         FROM robot_sessions s WHERE s.tenant_id = ? ORDER BY s.created_at`,
    ).all(tenantId) as Row[];
    return rows.map((r) => ({ ...sessionFromRow(r), slotsInUse: Number(r.slots_in_use) }));
  }

  async countRobotSessions(now: string): Promise<{ sessions: number; slots: number }> {
    const r = this.stmt("SELECT COUNT(*) AS n, COALESCE(SUM(slots), 0) AS slots FROM robot_sessions WHERE lease_expires_at > ?").get(now) as Row;
    return { sessions: Number(r.n), slots: Number(r.slots) };
  }

  // ---- audit log

  async appendAudit(e: NewAuditEntry): Promise<void> {
    this.stmt(
      `INSERT INTO audit_log (org, tenant_id, at, actor_kind, actor_id, actor_name, action, target, details, source_ip, request_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(e.org, e.tenantId, e.at, e.actor.kind, e.actor.id, e.actor.name, e.action, e.target, JSON.stringify(e.details), e.sourceIp, e.requestId);
  }

  async listAudit(tenantId: string, o: AuditListOptions): Promise<{ items: AuditEntry[]; next: number | null }> {
    const where = ["tenant_id = ?"];
    const params: unknown[] = [tenantId];
    if (o.action?.endsWith(".*")) {
      const prefix = o.action.slice(0, -1);
      where.push("substr(action, 1, ?) = ?");
      params.push(prefix.length, prefix);
    } else if (o.action) {
      where.push("action = ?");
      params.push(o.action);
    }
    if (o.since) { where.push("at >= ?"); params.push(o.since); }
    if (o.cursor !== null) { where.push("seq < ?"); params.push(o.cursor); }
    const rows = this.db.prepare(`SELECT * FROM audit_log WHERE ${where.join(" AND ")} ORDER BY seq DESC LIMIT ?`).all(...params, o.limit + 1) as Row[];
    const page = rows.slice(0, o.limit);
    return { items: page.map(auditFromRow), next: rows.length > o.limit ? Number(page[page.length - 1]!.seq) : null };
  }
}

/** a user from its row (or from columns named with `prefix` in a join) */
function userFromRow(r: Row, prefix = ""): User {
  return {
    id: str(r[`${prefix}id`]), org: str(r[`${prefix}org`]), tenantId: strOrNull(r[`${prefix}tenant_id`]), name: str(r[`${prefix}name`]),
    orgAdmin: r[`${prefix}org_admin`] === 1, roles: parse<RoleAssignment[]>(r[`${prefix}roles`]) ?? [],
    createdAt: str(r[`${prefix}created_at`]), disabledAt: strOrNull(r[`${prefix}disabled_at`]),
  };
}

function tokenFromRow(r: Row): PersonalAccessToken {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), userId: strOrNull(r.user_id), name: str(r.name), scopes: parse<string[]>(r.scopes) ?? [],
    createdAt: str(r.created_at), expiresAt: strOrNull(r.expires_at), revokedAt: strOrNull(r.revoked_at), lastUsedAt: strOrNull(r.last_used_at),
  };
}

function externalAppFromRow(r: Row): ExternalApp {
  return {
    id: str(r.id), org: str(r.org), tenantId: str(r.tenant_id), tenantName: str(r.tenant_name), name: str(r.name), clientId: str(r.client_id),
    scopes: parse<string[]>(r.scopes) ?? [], createdAt: str(r.created_at), secretRotatedAt: strOrNull(r.secret_rotated_at), revokedAt: strOrNull(r.revoked_at),
  };
}

function folderFromRow(r: Row): Folder {
  return { key: str(r.key), tenantId: str(r.tenant_id), name: str(r.name), createdAt: str(r.created_at) };
}

function processFromRow(r: Row): Process {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), folderKey: str(r.folder_key), name: str(r.name), description: str(r.description),
    defaultInputArguments: parse(r.default_input_arguments) ?? {}, inputSchema: parse(r.input_schema), outputSchema: parse(r.output_schema),
    priority: r.priority as Priority, maxDurationSeconds: (r.max_duration_seconds as number | null) ?? null,
    retry: { maxAttempts: r.retry_max_attempts as number, backoffSeconds: r.retry_backoff_seconds as number },
    createdAt: str(r.created_at), updatedAt: str(r.updated_at),
  };
}

function triggerFromRow(r: Row): Trigger {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), folderKey: str(r.folder_key), name: str(r.name), slug: str(r.slug), verb: r.verb as Trigger["verb"],
    processName: str(r.process_name), callMode: r.call_mode as Trigger["callMode"], defaultArguments: parse(r.default_arguments) ?? {},
    priority: r.priority as Trigger["priority"], enabled: r.enabled === 1, createdAt: str(r.created_at), updatedAt: str(r.updated_at),
  };
}

function jobFromRow(r: Row): Job {
  return {
    key: str(r.key), tenantId: str(r.tenant_id), folderKey: str(r.folder_key), processName: str(r.process_name), triggerId: strOrNull(r.trigger_id),
    source: r.source as Job["source"], callMode: r.call_mode as Job["callMode"], state: r.state as JobState,
    priority: PRIORITY_NAME[r.priority as number] ?? "Normal", inputArguments: parse(r.input_arguments) ?? {},
    outputArguments: parse(r.output_arguments), error: parse(r.error), robot: strOrNull(r.robot), sessionId: strOrNull(r.session_id),
    attempt: r.attempt as number, createdAt: str(r.created_at), startedAt: strOrNull(r.started_at), endedAt: strOrNull(r.ended_at),
    info: strOrNull(r.info), maxDurationSeconds: (r.max_duration_seconds as number | null) ?? null, deadlineAt: strOrNull(r.deadline_at),
  };
}

function sessionFromRow(r: Row): RobotSession {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), robotKeyId: strOrNull(r.robot_key_id), robotName: str(r.robot_name), version: strOrNull(r.version), processes: parse<string[]>(r.processes) ?? [],
    slots: r.slots as number, leaseExpiresAt: str(r.lease_expires_at), createdAt: str(r.created_at), folderKeys: parse<string[]>(r.folder_keys),
  };
}

function robotKeyFromRow(r: Row): RobotKey {
  return { id: str(r.id), tenantId: str(r.tenant_id), name: str(r.name), createdAt: str(r.created_at), rotatedAt: strOrNull(r.rotated_at),
    folderKeys: parse<string[]>(r.folder_keys), revokedAt: strOrNull(r.revoked_at) };
}

function auditFromRow(r: Row): AuditEntry {
  return {
    seq: Number(r.seq), org: str(r.org), tenantId: strOrNull(r.tenant_id), at: str(r.at),
    actor: { kind: str(r.actor_kind), id: strOrNull(r.actor_id), name: strOrNull(r.actor_name) },
    action: str(r.action), target: strOrNull(r.target), details: parse(r.details) ?? {}, sourceIp: strOrNull(r.source_ip), requestId: strOrNull(r.request_id),
  };
}
