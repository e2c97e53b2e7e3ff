import pg from "pg";
import { randomUUID } from "node:crypto";
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
const FINAL = "('Successful', 'Faulted', 'Stopped')";
/** any fixed number: the advisory lock that serializes migrations across nodes */
const MIGRATION_LOCK = 7_301_911;

const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));
const iso = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());
const str = (v: unknown): string => v as string;
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string));

export interface PostgresOptions {
  /** postgres://… ; a `schema` query parameter selects the schema (created if missing) */
  url: string;
  poolSize?: number;
  /**
   * Longest a statement may run, in ms (0: no limit). PostgreSQL cancels it (statement_timeout,
   * 57014) and, should the server not answer at all (frozen, network black hole), the client
   * gives up 2 s later (query_timeout): a frozen store then answers 503 store-unavailable
   * instead of holding requests. Migrations have no limit (a connection of their own).
   */
  statementTimeoutMs?: number;
}

/** statement_timeout's default: 15 s (BATON_DATABASE_STATEMENT_TIMEOUT_SECONDS). */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 15_000;
/** how much longer than statement_timeout the client waits for an answer before it gives up on the connection */
const QUERY_TIMEOUT_MARGIN_MS = 2000;
/** final jobs deleted per purge transaction, so that no purge statement runs long */
const PURGE_BATCH = 1000;

/** The client gave up waiting (query_timeout): the connection is in an unknown state and must not be reused. */
const isReadTimeout = (err: unknown): boolean => (err as { message?: unknown } | null)?.message === "Query read timeout";

/** Splits Baton's `schema` parameter off a connection string. */
export function parseDatabaseUrl(url: string): { connectionString: string; schema: string } {
  const u = new URL(url);
  const schema = u.searchParams.get("schema") ?? "public";
  u.searchParams.delete("schema");
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`BATON_DATABASE_URL: schema '${schema}' must be a lower-case SQL identifier.`);
  return { connectionString: u.toString(), schema };
}

/**
 * The store for many nodes: PostgreSQL through `pg`. Claims use FOR UPDATE SKIP LOCKED, so
 * concurrent sessions on any node never get the same job and never wait for each other;
 * every state change is one conditional UPDATE, as in the SQLite store.
 */
export class PostgresStore implements Store {
  readonly engine = "postgres";
  readonly pool: pg.Pool;
  readonly schema: string;
  readonly connectionString: string;

  constructor(options: PostgresOptions) {
    const { connectionString, schema } = parseDatabaseUrl(options.url);
    this.schema = schema;
    this.connectionString = connectionString;
    const statementTimeout = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
    this.pool = new pg.Pool({
      connectionString,
      max: options.poolSize ?? 20,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
      options: `-c search_path=${schema}`,
      ...(statementTimeout > 0 ? { statement_timeout: statementTimeout, query_timeout: statementTimeout + QUERY_TIMEOUT_MARGIN_MS } : {}),
    });
    // an idle client that loses its connection must not crash the process; the next query reconnects
    this.pool.on("error", () => {});
  }

  private async q(sql: string, params: unknown[] = []): Promise<Row[]> {
    return (await this.pool.query(sql, params)).rows as Row[];
  }

  private async one(sql: string, params: unknown[] = []): Promise<Row | undefined> {
    return (await this.q(sql, params))[0];
  }

  private async tx<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // a checked-out client has no 'error' listener (the pool's is for idle ones): a connection
    // lost mid-transaction would be an unhandled 'error' event and end the process. The query
    // in flight fails (→ 503) and the broken client is discarded instead.
    let lost: Error | undefined;
    const onError = (err: Error) => { lost = err; };
    client.on("error", onError);
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (err) {
      // a query the client gave up on may still be running: the connection is discarded (which
      // ends the transaction) rather than queueing a ROLLBACK behind it
      if (isReadTimeout(err)) lost = err as Error;
      else await client.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      client.off("error", onError);
      client.release(lost);
    }
  }

  async migrate(): Promise<void> {
    // a connection of its own, without statement_timeout: a migration of a large table, or the
    // wait for another node's migration, may take longer than any request should
    const client = new pg.Client({ connectionString: this.connectionString, connectionTimeoutMillis: 5000, options: `-c search_path=${this.schema}` });
    client.on("error", () => {});
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`).catch(async (err: { code?: string }) => {
        // two nodes creating the schema at once: one wins, the other sees a unique violation
        if (err.code !== "23505") throw err;
      });
      await client.query("BEGIN");
      try {
        await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
        await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)");
        const applied = new Set((await client.query("SELECT version FROM schema_migrations")).rows.map((r: { version: number }) => r.version));
        for (const m of migrations) {
          if (applied.has(m.version)) continue;
          await client.query(m.sql);
          await client.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())", [m.version, m.name]);
        }
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK").catch(() => {});
        throw err;
      }
    } finally {
      await client.end().catch(() => {});
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {});
  }

  async ping(): Promise<void> {
    await this.pool.query("SELECT 1");
  }

  async getOrCreateSecret(name: string, create: () => string): Promise<string> {
    await this.q("INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", [name, create()]);
    return str((await this.one("SELECT value FROM secrets WHERE name = $1", [name]))!.value);
  }

  // ---- tenants and users

  async ensureTenant(org: string, name: string): Promise<{ tenant: Tenant; created: boolean }> {
    return this.tx(async (c) => {
      const id = randomUUID();
      const inserted = await c.query("INSERT INTO tenants (id, org, name, created_at) VALUES ($1, $2, $3, now()) ON CONFLICT (org, name) DO NOTHING RETURNING id", [id, org, name]);
      if (inserted.rowCount === 0) {
        const row = (await c.query("SELECT id, org, name FROM tenants WHERE org = $1 AND name = $2", [org, name])).rows[0] as Tenant;
        return { tenant: row, created: false };
      }
      await c.query("INSERT INTO folders (key, tenant_id, name, created_at) VALUES ($1, $2, 'Shared', now())", [randomUUID(), id]);
      return { tenant: { id, org, name }, created: true };
    });
  }

  async findTenant(org: string, name: string): Promise<Tenant | null> {
    return ((await this.one("SELECT id, org, name FROM tenants WHERE org = $1 AND name = $2", [org, name])) as Tenant | undefined) ?? null;
  }

  async listTenants(org: string): Promise<Tenant[]> {
    return (await this.q("SELECT id, org, name FROM tenants WHERE org = $1 ORDER BY created_at, name COLLATE \"C\"", [org])) as unknown as Tenant[];
  }

  async getSettings(tenantId: string): Promise<TenantSettings> {
    const row = await this.one("SELECT settings FROM tenants WHERE id = $1", [tenantId]);
    return { ...DEFAULT_SETTINGS, ...((row?.settings as Partial<TenantSettings> | undefined) ?? {}) };
  }

  async saveSettings(tenantId: string, settings: TenantSettings): Promise<void> {
    await this.q("UPDATE tenants SET settings = $1 WHERE id = $2", [JSON.stringify(settings), tenantId]);
  }

  async ensureUser(user: NewUser): Promise<{ id: string; created: boolean }> {
    const inserted = await this.one(
      `INSERT INTO users (id, org, name, password_hash, org_admin, created_at) VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT (org, name) WHERE tenant_id IS NULL DO NOTHING RETURNING id`,
      [user.id, user.org, user.name, user.passwordHash, user.orgAdmin],
    );
    if (inserted) return { id: str(inserted.id), created: true };
    return { id: str((await this.one("SELECT id FROM users WHERE org = $1 AND name = $2 AND tenant_id IS NULL", [user.org, user.name]))!.id), created: false };
  }

  async createUser(u: User & { passwordHash: string | null }): Promise<boolean> {
    return (await this.pool.query(
      `INSERT INTO users (id, org, tenant_id, name, password_hash, org_admin, roles, created_at, disabled_at) VALUES ($1, $2, $3, $4, $5, false, $6, $7, $8)
       ON CONFLICT DO NOTHING`,
      [u.id, u.org, u.tenantId, u.name, u.passwordHash, JSON.stringify(u.roles), u.createdAt, u.disabledAt],
    )).rowCount! > 0;
  }

  async getUser(tenantId: string, id: string): Promise<User | null> {
    const row = await this.one(
      "SELECT u.* FROM users u JOIN tenants n ON n.id = $1 WHERE u.id = $2 AND (u.tenant_id = n.id OR (u.tenant_id IS NULL AND u.org = n.org))",
      [tenantId, id],
    );
    return row ? userFromRow(row) : null;
  }

  async listUsers(tenantId: string, org: string): Promise<User[]> {
    return (await this.q("SELECT * FROM users WHERE tenant_id = $1 OR (tenant_id IS NULL AND org = $2) ORDER BY tenant_id IS NULL, name", [tenantId, org])).map((r) => userFromRow(r));
  }

  async findUserForLogin(tenantId: string, org: string, name: string): Promise<{ user: User; passwordHash: string | null } | null> {
    const row = await this.one(
      "SELECT * FROM users WHERE name = $1 AND (tenant_id = $2 OR (tenant_id IS NULL AND org = $3)) ORDER BY tenant_id IS NULL LIMIT 1",
      [name, tenantId, org],
    );
    return row ? { user: userFromRow(row), passwordHash: strOrNull(row.password_hash) } : null;
  }

  async updateUser(tenantId: string, id: string, patch: UserPatch): Promise<boolean> {
    const params: unknown[] = [tenantId, id];
    const sets: string[] = [];
    const set = (column: string, value: unknown) => { params.push(value); sets.push(`${column} = $${params.length}`); };
    if (patch.passwordHash !== undefined) set("password_hash", patch.passwordHash);
    if (patch.roles !== undefined) set("roles", JSON.stringify(patch.roles));
    if (patch.disabledAt !== undefined) set("disabled_at", patch.disabledAt);
    if (sets.length === 0) return (await this.one("SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2", params)) !== undefined;
    return (await this.pool.query(`UPDATE users SET ${sets.join(", ")} WHERE tenant_id = $1 AND id = $2`, params)).rowCount! > 0;
  }

  async setUserPassword(id: string, passwordHash: string): Promise<boolean> {
    return (await this.pool.query("UPDATE users SET password_hash = $1 WHERE id = $2", [passwordHash, id])).rowCount! > 0;
  }

  async deleteUser(tenantId: string, id: string): Promise<boolean> {
    return this.tx(async (c) => {
      const found = await c.query("SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2 FOR UPDATE", [tenantId, id]);
      if (found.rowCount === 0) return false;
      await c.query("DELETE FROM console_sessions WHERE user_id = $1", [id]);
      await c.query("DELETE FROM tokens WHERE user_id = $1", [id]);
      await c.query("DELETE FROM users WHERE tenant_id = $1 AND id = $2", [tenantId, id]);
      return true;
    });
  }

  // ---- console sessions

  async createConsoleSession(c: ConsoleSessionRecord): Promise<void> {
    await this.q("INSERT INTO console_sessions (hash, user_id, tenant_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)", [
      c.hash, c.userId, c.tenantId, c.csrfToken, c.createdAt, c.expiresAt,
    ]);
  }

  async findConsoleSession(hash: string): Promise<{ session: ConsoleSessionRecord; user: User; tenant: Tenant } | null> {
    const row = await this.one(
      `SELECT c.hash, c.user_id, c.tenant_id AS session_tenant_id, c.csrf_token, c.created_at AS session_created_at, c.expires_at,
              n.org AS tenant_org, n.name AS tenant_name, u.*
         FROM console_sessions c JOIN users u ON u.id = c.user_id JOIN tenants n ON n.id = c.tenant_id
        WHERE c.hash = $1`,
      [hash],
    );
    if (!row) return null;
    return {
      session: {
        hash: str(row.hash), userId: str(row.user_id), tenantId: str(row.session_tenant_id), csrfToken: str(row.csrf_token),
        createdAt: iso(row.session_created_at)!, expiresAt: iso(row.expires_at)!,
      },
      user: userFromRow(row),
      tenant: { id: str(row.session_tenant_id), org: str(row.tenant_org), name: str(row.tenant_name) },
    };
  }

  async deleteConsoleSession(hash: string): Promise<void> {
    await this.q("DELETE FROM console_sessions WHERE hash = $1", [hash]);
  }

  async deleteConsoleSessionsOfUser(userId: string): Promise<void> {
    await this.q("DELETE FROM console_sessions WHERE user_id = $1", [userId]);
  }

  async deleteExpiredConsoleSessions(now: string): Promise<number> {
    return (await this.pool.query("DELETE FROM console_sessions WHERE expires_at <= $1", [now])).rowCount ?? 0;
  }

  // ---- tokens

  async createToken(t: NewToken): Promise<PersonalAccessToken> {
    await this.q(
      "INSERT INTO tokens (id, tenant_id, user_id, name, scopes, hash, org_wide, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
      [t.id, t.tenantId, t.userId, t.name, JSON.stringify(t.scopes), t.hash, t.orgWide, t.createdAt, t.expiresAt],
    );
    return { id: t.id, tenantId: t.tenantId, userId: t.userId, name: t.name, scopes: t.scopes, createdAt: t.createdAt, expiresAt: t.expiresAt, revokedAt: null, lastUsedAt: null };
  }

  async findTokenByHash(hash: string): Promise<TokenRecord | null> {
    const row = await this.one(
      `SELECT t.*, n.org AS tenant_org, n.name AS tenant_name, (t.org_wide AND COALESCE(u.org_admin, false)) AS token_org_admin,
              u.id AS u_id, u.org AS u_org, u.tenant_id AS u_tenant_id, u.name AS u_name, u.org_admin AS u_org_admin, u.roles AS u_roles,
              u.created_at AS u_created_at, u.disabled_at AS u_disabled_at
         FROM tokens t JOIN tenants n ON n.id = t.tenant_id LEFT JOIN users u ON u.id = t.user_id
        WHERE t.hash = $1`,
      [hash],
    );
    if (!row) return null;
    return {
      token: tokenFromRow(row),
      tenant: { id: str(row.tenant_id), org: str(row.tenant_org), name: str(row.tenant_name) },
      orgAdmin: row.token_org_admin === true,
      user: row.u_id === null ? null : userFromRow(row, "u_"),
    };
  }

  async listTokens(tenantId: string): Promise<PersonalAccessToken[]> {
    return (await this.q("SELECT * FROM tokens WHERE tenant_id = $1 ORDER BY created_at", [tenantId])).map(tokenFromRow);
  }

  async revokeToken(tenantId: string, id: string, at: string): Promise<boolean> {
    return (await this.pool.query("UPDATE tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE tenant_id = $2 AND id = $3", [at, tenantId, id])).rowCount! > 0;
  }

  async touchToken(id: string, at: string): Promise<void> {
    await this.q("UPDATE tokens SET last_used_at = $1 WHERE id = $2", [at, id]);
  }

  // ---- external applications

  async createExternalApp(a: NewExternalApp): Promise<boolean> {
    return (await this.pool.query(
      `INSERT INTO external_apps (id, org, tenant_id, name, client_id, secret_hash, scopes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (org, name) DO NOTHING`,
      [a.id, a.org, a.tenantId, a.name, a.clientId, a.secretHash, JSON.stringify(a.scopes), a.createdAt],
    )).rowCount! > 0;
  }

  async findExternalAppByClientId(clientId: string): Promise<ExternalAppRecord | null> {
    const row = await this.one("SELECT a.*, n.name AS tenant_name FROM external_apps a JOIN tenants n ON n.id = a.tenant_id WHERE a.client_id = $1", [clientId]);
    return row ? { app: externalAppFromRow(row), secretHash: str(row.secret_hash) } : null;
  }

  async listExternalApps(org: string): Promise<ExternalApp[]> {
    return (await this.q(
      "SELECT a.*, n.name AS tenant_name FROM external_apps a JOIN tenants n ON n.id = a.tenant_id WHERE a.org = $1 ORDER BY a.created_at, a.name COLLATE \"C\"",
      [org],
    )).map(externalAppFromRow);
  }

  async rotateExternalAppSecret(org: string, clientId: string, secretHash: string, at: string): Promise<boolean> {
    return (await this.pool.query(
      "UPDATE external_apps SET secret_hash = $1, secret_rotated_at = $2 WHERE org = $3 AND client_id = $4 AND revoked_at IS NULL",
      [secretHash, at, org, clientId],
    )).rowCount! > 0;
  }

  async revokeExternalApp(org: string, clientId: string, at: string): Promise<boolean> {
    return (await this.pool.query("UPDATE external_apps SET revoked_at = COALESCE(revoked_at, $1) WHERE org = $2 AND client_id = $3", [at, org, clientId])).rowCount! > 0;
  }

  // ---- folders

  async createFolder(f: Folder): Promise<void> {
    await this.q("INSERT INTO folders (key, tenant_id, name, created_at) VALUES ($1, $2, $3, $4)", [f.key, f.tenantId, f.name, f.createdAt]);
  }

  async getFolder(tenantId: string, key: string): Promise<Folder | null> {
    const row = await this.one("SELECT * FROM folders WHERE tenant_id = $1 AND key = $2", [tenantId, key]);
    return row ? folderFromRow(row) : null;
  }

  async findFolderByName(tenantId: string, name: string): Promise<Folder | null> {
    const row = await this.one("SELECT * FROM folders WHERE tenant_id = $1 AND name = $2", [tenantId, name]);
    return row ? folderFromRow(row) : null;
  }

  async listFolders(tenantId: string): Promise<Folder[]> {
    // names and slugs list in byte order (COLLATE "C"), as in SQLite, whatever the database's collation
    return (await this.q("SELECT * FROM folders WHERE tenant_id = $1 ORDER BY name COLLATE \"C\"", [tenantId])).map(folderFromRow);
  }

  async renameFolder(tenantId: string, key: string, name: string): Promise<boolean> {
    return (await this.pool.query("UPDATE folders SET name = $1 WHERE tenant_id = $2 AND key = $3", [name, tenantId, key])).rowCount! > 0;
  }

  async deleteFolder(tenantId: string, key: string): Promise<"deleted" | "missing" | "not-empty"> {
    return this.tx(async (c) => {
      const folder = await c.query("SELECT 1 FROM folders WHERE tenant_id = $1 AND key = $2 FOR UPDATE", [tenantId, key]);
      if (folder.rowCount === 0) return "missing" as const;
      const used = await c.query(
        `SELECT EXISTS (SELECT 1 FROM processes WHERE folder_key = $1) OR EXISTS (SELECT 1 FROM triggers WHERE folder_key = $1)
             OR EXISTS (SELECT 1 FROM jobs WHERE folder_key = $1) AS used`,
        [key],
      );
      if ((used.rows[0] as { used: boolean }).used) return "not-empty" as const;
      await c.query("DELETE FROM folders WHERE tenant_id = $1 AND key = $2", [tenantId, key]);
      return "deleted" as const;
    });
  }

  // ---- processes

  async createProcess(p: Process): Promise<void> {
    await this.q(
      `INSERT INTO processes (id, tenant_id, folder_key, name, description, default_input_arguments, input_schema, output_schema,
         priority, max_duration_seconds, retry_max_attempts, retry_backoff_seconds, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [p.id, p.tenantId, p.folderKey, p.name, p.description, JSON.stringify(p.defaultInputArguments), json(p.inputSchema), json(p.outputSchema),
        p.priority, p.maxDurationSeconds, p.retry.maxAttempts, p.retry.backoffSeconds, p.createdAt, p.updatedAt],
    );
  }

  async getProcess(tenantId: string, folderKey: string, name: string): Promise<Process | null> {
    const row = await this.one("SELECT * FROM processes WHERE tenant_id = $1 AND folder_key = $2 AND name = $3", [tenantId, folderKey, name]);
    return row ? processFromRow(row) : null;
  }

  async listProcesses(tenantId: string, folderKey: string): Promise<Process[]> {
    return (await this.q("SELECT * FROM processes WHERE tenant_id = $1 AND folder_key = $2 ORDER BY name COLLATE \"C\"", [tenantId, folderKey])).map(processFromRow);
  }

  async updateProcess(p: Process): Promise<void> {
    await this.q(
      `UPDATE processes SET description = $1, default_input_arguments = $2, input_schema = $3, output_schema = $4, priority = $5,
         max_duration_seconds = $6, retry_max_attempts = $7, retry_backoff_seconds = $8, updated_at = $9
       WHERE tenant_id = $10 AND id = $11`,
      [p.description, JSON.stringify(p.defaultInputArguments), json(p.inputSchema), json(p.outputSchema), p.priority,
        p.maxDurationSeconds, p.retry.maxAttempts, p.retry.backoffSeconds, p.updatedAt, p.tenantId, p.id],
    );
  }

  async deleteProcess(tenantId: string, folderKey: string, name: string): Promise<"deleted" | "missing" | "in-use"> {
    return this.tx(async (c) => {
      const found = await c.query("SELECT 1 FROM processes WHERE tenant_id = $1 AND folder_key = $2 AND name = $3 FOR UPDATE", [tenantId, folderKey, name]);
      if (found.rowCount === 0) return "missing" as const;
      const used = await c.query("SELECT 1 FROM triggers WHERE tenant_id = $1 AND folder_key = $2 AND process_name = $3 LIMIT 1", [tenantId, folderKey, name]);
      if (used.rowCount! > 0) return "in-use" as const;
      await c.query("DELETE FROM processes WHERE tenant_id = $1 AND folder_key = $2 AND name = $3", [tenantId, folderKey, name]);
      return "deleted" as const;
    });
  }

  // ---- triggers

  async createTrigger(t: Trigger): Promise<void> {
    await this.q(
      `INSERT INTO triggers (id, tenant_id, folder_key, name, slug, verb, process_name, call_mode, default_arguments, priority, enabled, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [t.id, t.tenantId, t.folderKey, t.name, t.slug, t.verb, t.processName, t.callMode, JSON.stringify(t.defaultArguments), t.priority, t.enabled, t.createdAt, t.updatedAt],
    );
  }

  async getTrigger(tenantId: string, id: string): Promise<Trigger | null> {
    const row = await this.one("SELECT * FROM triggers WHERE tenant_id = $1 AND id = $2", [tenantId, id]);
    return row ? triggerFromRow(row) : null;
  }

  async findTriggerBySlug(tenantId: string, slug: string): Promise<Trigger | null> {
    const row = await this.one("SELECT * FROM triggers WHERE tenant_id = $1 AND slug = $2", [tenantId, slug]);
    return row ? triggerFromRow(row) : null;
  }

  async listTriggers(tenantId: string, folderKey: string | null): Promise<Trigger[]> {
    const rows = folderKey
      ? await this.q("SELECT * FROM triggers WHERE tenant_id = $1 AND folder_key = $2 ORDER BY slug COLLATE \"C\"", [tenantId, folderKey])
      : await this.q("SELECT * FROM triggers WHERE tenant_id = $1 ORDER BY slug COLLATE \"C\"", [tenantId]);
    return rows.map(triggerFromRow);
  }

  async updateTrigger(t: Trigger): Promise<void> {
    await this.q(
      `UPDATE triggers SET name = $1, slug = $2, verb = $3, process_name = $4, call_mode = $5, default_arguments = $6, priority = $7, enabled = $8, updated_at = $9
       WHERE tenant_id = $10 AND id = $11`,
      [t.name, t.slug, t.verb, t.processName, t.callMode, JSON.stringify(t.defaultArguments), t.priority, t.enabled, t.updatedAt, t.tenantId, t.id],
    );
  }

  async deleteTrigger(tenantId: string, id: string): Promise<boolean> {
    return (await this.pool.query("DELETE FROM triggers WHERE tenant_id = $1 AND id = $2", [tenantId, id])).rowCount! > 0;
  }

  // ---- jobs

  /**
   * Group commit, as in the SQLite store: the jobs created in the same event-loop turn are
   * inserted by one statement (one round trip, one plan, one commit instead of one each), in
   * the order they came. Each promise still resolves only once its job is committed. If the
   * batch fails on a bad row, each job is inserted on its own, so only a bad job's caller
   * sees an error.
   */
  createJob(j: Job): Promise<void> {
    return new Promise((resolve, reject) => {
      this.jobInserts.push({ job: j, resolve, reject });
      if (this.jobInserts.length === 1) realSetImmediate(() => void this.flushJobInserts());
    });
  }

  private readonly jobInserts: { job: Job; resolve: () => void; reject: (err: unknown) => void }[] = [];

  private async flushJobInserts(): Promise<void> {
    const batch = this.jobInserts.splice(0, 1000);
    if (this.jobInserts.length > 0) realSetImmediate(() => void this.flushJobInserts());
    if (batch.length === 0) return;
    if (batch.length > 1) {
      const column = <T>(pick: (j: Job) => T) => batch.map((b) => pick(b.job));
      try {
        await this.pool.query(
          `INSERT INTO jobs (key, tenant_id, folder_key, process_name, trigger_id, source, call_mode, state, priority, input_arguments,
             attempt, created_at, deadline_at, max_duration_seconds, info)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::smallint[],
             $10::json[], $11::integer[], $12::timestamptz[], $13::timestamptz[], $14::integer[], $15::text[])`,
          [column((j) => j.key), column((j) => j.tenantId), column((j) => j.folderKey), column((j) => j.processName), column((j) => j.triggerId),
            column((j) => j.source), column((j) => j.callMode), column((j) => j.state), column((j) => PRIORITY_NUMBER[j.priority]),
            column((j) => JSON.stringify(j.inputArguments)), column((j) => j.attempt), column((j) => j.createdAt), column((j) => j.deadlineAt),
            column((j) => j.maxDurationSeconds), column((j) => j.info)],
        );
        for (const b of batch) b.resolve();
        return;
      } catch (err) {
        // a bad row (data or constraint error, SQLSTATE class 22 or 23): one at a time below,
        // so the callers of the good jobs get their answer; anything else (the store is
        // unreachable, the pool is exhausted) fails them all, without piling up more queries
        const code = String((err as { code?: unknown }).code ?? "");
        if (!code.startsWith("22") && !code.startsWith("23")) {
          for (const b of batch) b.reject(err);
          return;
        }
      }
    }
    await Promise.all(batch.map((b) => this.insertJob(b.job).then(b.resolve, b.reject)));
  }

  private async insertJob(j: Job): Promise<void> {
    await this.pool.query(
      `INSERT INTO jobs (key, tenant_id, folder_key, process_name, trigger_id, source, call_mode, state, priority, input_arguments,
         attempt, created_at, deadline_at, max_duration_seconds, info)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
      [j.key, j.tenantId, j.folderKey, j.processName, j.triggerId, j.source, j.callMode, j.state, PRIORITY_NUMBER[j.priority],
        JSON.stringify(j.inputArguments), j.attempt, j.createdAt, j.deadlineAt, j.maxDurationSeconds, j.info],
    );
  }

  async getJob(tenantId: string, key: string): Promise<Job | null> {
    const row = await this.one("SELECT * FROM jobs WHERE tenant_id = $1 AND key = $2", [tenantId, key]);
    return row ? jobFromRow(row) : null;
  }

  async listJobs(tenantId: string, f: JobFilter, limit: number, cursor: number | null): Promise<{ items: JobListItem[]; next: number | null }> {
    const params: unknown[] = [tenantId];
    const where = ["tenant_id = $1"];
    const add = (clause: (n: string) => string, value: unknown) => { params.push(value); where.push(clause(`$${params.length}`)); };
    if (f.state?.length) add((n) => `state = ANY(${n}::text[])`, f.state);
    if (f.processName) add((n) => `process_name = ${n}`, f.processName);
    if (f.triggerId) add((n) => `trigger_id = ${n}`, f.triggerId);
    if (f.folderKey) add((n) => `folder_key = ${n}`, f.folderKey);
    if (f.folderKeys) add((n) => `folder_key = ANY(${n}::text[])`, f.folderKeys);
    if (f.createdAfter) add((n) => `created_at >= ${n}`, f.createdAfter);
    if (f.createdBefore) add((n) => `created_at < ${n}`, f.createdBefore);
    if (cursor !== null) add((n) => `seq < ${n}`, cursor);
    params.push(limit + 1);
    // the long columns are read only when short: pg_column_size (the stored, possibly compressed,
    // size) rules out a long value without reading it; CASE keeps octet_length to short ones
    const long = (col: string) => `CASE WHEN ${col} IS NULL THEN false WHEN pg_column_size(${col}) > ${LIST_FIELD_MAX_BYTES} THEN true ELSE octet_length(${col}::text) > ${LIST_FIELD_MAX_BYTES} END`;
    const short = (col: string) => `CASE WHEN ${long(col)} THEN NULL ELSE ${col} END AS ${col}, ${long(col)} AS ${col}_long`;
    const rows = await this.q(
      `SELECT ${JOB_LIST_COLUMNS}, ${short("input_arguments")}, ${short("output_arguments")}, ${short("error")}
         FROM jobs WHERE ${where.join(" AND ")} ORDER BY seq DESC LIMIT $${params.length}`,
      params,
    );
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    return {
      items: page.map((r) => toJobListItem(jobFromRow(r), { input: r.input_arguments_long === true, output: r.output_arguments_long === true, error: r.error_long === true })),
      next: more ? Number(page[page.length - 1]!.seq) : null,
    };
  }

  async claimJobs(session: RobotSession, max: number, now: string, longPollingMaxSeconds: number): Promise<Job[]> {
    if (max <= 0 || session.processes.length === 0) return [];
    // One process (the usual session): `process_name = $2` lets the jobs_pending index give
    // the rows already in claim order, so the scan stops after `max` unlocked rows; with
    // `= ANY(array)` PostgreSQL reads and sorts every pending job of the session's processes
    // on each claim, which grows with the backlog (2,000 pending jobs: ~2.5 ms a claim).
    const single = session.processes.length === 1;
    const rows = await this.tx(async (c) => {
      // A claim long-poll can outlive its session (a robot cut off from the network keeps its
      // connection open while its lease runs out): an ended or expired session gets nothing.
      // The session's row lock holds off a concurrent close until this claim is committed
      // (closeSession deletes the session first, then releases the jobs it holds), and makes
      // the claims of one session take turns: the next one, a statement later, counts the
      // jobs this one took, so a session never holds more jobs than its slots.
      const live = await c.query("SELECT 1 FROM robot_sessions WHERE id = $1 AND lease_expires_at > $2 FOR NO KEY UPDATE", [session.id, now]);
      if (live.rowCount === 0) return [];
      return (await c.query(
        `WITH picked AS (
           SELECT seq FROM jobs
            WHERE tenant_id = $1 AND state = 'Pending' AND ${single ? "process_name = $2::text" : "process_name = ANY($2::text[])"} AND (not_before IS NULL OR not_before <= $3)
              ${session.folderKeys ? "AND folder_key = ANY($9::text[])" : ""}
            ORDER BY priority DESC, seq
            LIMIT GREATEST(0, LEAST($4::int, $8::int - (SELECT COUNT(*) FROM jobs WHERE session_id = $5 AND state IN ('Running', 'Stopping', 'Terminating'))::int))
            FOR UPDATE SKIP LOCKED
         )
         UPDATE jobs j SET state = 'Running', session_id = $5, robot = $6, started_at = GREATEST($3::timestamptz, j.created_at), attempt = j.attempt + 1, not_before = NULL, info = NULL,
                deadline_at = LEAST(
                  CASE WHEN j.call_mode = 'LongPolling' THEN j.created_at + make_interval(secs => $7) END,
                  CASE WHEN j.max_duration_seconds IS NOT NULL THEN $3::timestamptz + make_interval(secs => j.max_duration_seconds) END)
           FROM picked WHERE j.seq = picked.seq
         RETURNING j.*`,
        [session.tenantId, single ? session.processes[0] : session.processes, now, max, session.id, session.robotName, longPollingMaxSeconds, session.slots,
          ...(session.folderKeys ? [session.folderKeys] : [])],
      )).rows as Row[];
    });
    return rows.sort((a, b) => Number(b.priority) - Number(a.priority) || Number(a.seq) - Number(b.seq)).map(jobFromRow);
  }

  async updateJob(tenantId: string | null, key: string, from: readonly JobState[], sessionId: string | null, patch: JobPatch): Promise<Job | null> {
    const params: unknown[] = [patch.state];
    const sets = ["state = $1"];
    const col = (name: string, value: unknown) => { params.push(value); sets.push(`${name} = $${params.length}`); };
    if (patch.outputArguments !== undefined) col("output_arguments", json(patch.outputArguments));
    if (patch.error !== undefined) col("error", json(patch.error));
    if (patch.endedAt !== undefined) col("ended_at", patch.endedAt);
    if (patch.startedAt !== undefined) col("started_at", patch.startedAt);
    if (patch.info !== undefined) col("info", patch.info);
    if (patch.sessionId !== undefined) col("session_id", patch.sessionId);
    if (patch.robot !== undefined) col("robot", patch.robot);
    if (patch.notBefore !== undefined) col("not_before", patch.notBefore);
    if (patch.attempt !== undefined) col("attempt", patch.attempt);
    if (patch.state === "Successful" || patch.state === "Faulted" || patch.state === "Stopped") sets.push("deadline_at = NULL");
    else if (patch.deadlineAt !== undefined) col("deadline_at", patch.deadlineAt);
    params.push(key, from);
    const where = [`key = $${params.length - 1}`, `state = ANY($${params.length}::text[])`];
    if (tenantId !== null) { params.push(tenantId); where.push(`tenant_id = $${params.length}`); }
    // IS NOT DISTINCT FROM (the same as = for a non-null id) keeps the planner on the unique
    // key index: with `session_id = $n` and young statistics (a new table, a new session) it
    // picks jobs_session, which holds every job the session ever ran, and each result scans them all
    if (sessionId !== null) { params.push(sessionId); where.push(`session_id IS NOT DISTINCT FROM $${params.length}`); }
    const row = await this.one(`UPDATE jobs SET ${sets.join(", ")} WHERE ${where.join(" AND ")} RETURNING *`, params);
    return row ? jobFromRow(row) : null;
  }

  async jobsPastDeadline(now: string, limit: number): Promise<Job[]> {
    return (await this.q(`SELECT * FROM jobs WHERE deadline_at IS NOT NULL AND deadline_at <= $1 AND state NOT IN ${FINAL} ORDER BY deadline_at LIMIT $2`, [now, limit])).map(jobFromRow);
  }

  async expiredSessions(now: string): Promise<RobotSession[]> {
    return (await this.q("SELECT * FROM robot_sessions WHERE lease_expires_at <= $1", [now])).map(sessionFromRow);
  }

  async jobsOfSession(sessionId: string): Promise<Job[]> {
    return (await this.q(`SELECT * FROM jobs WHERE session_id = $1 AND state NOT IN ('Successful', 'Faulted', 'Stopped', 'Pending')`, [sessionId])).map(jobFromRow);
  }

  async countJobs(tenantId: string): Promise<number> {
    return Number((await this.one("SELECT COUNT(*) AS n FROM jobs WHERE tenant_id = $1", [tenantId]))!.n);
  }

  async countJobsByState(): Promise<JobStateCount[]> {
    const rows = await this.q("SELECT tenant_id, process_name, state, COUNT(*) AS n FROM jobs GROUP BY tenant_id, process_name, state");
    return rows.map((r) => ({ tenantId: str(r.tenant_id), processName: str(r.process_name), state: r.state as JobState, count: Number(r.n) }));
  }

  async purgeFinalJobs(tenantId: string, endedBefore: string): Promise<number> {
    // in batches: a first purge of a large backlog is many short statements, none near statement_timeout
    let purged = 0;
    for (;;) {
      const n = await this.tx(async (c) => {
        const keys = (await c.query(
          `SELECT key FROM jobs WHERE tenant_id = $1 AND ended_at < $2 AND state IN ${FINAL} LIMIT $3 FOR UPDATE SKIP LOCKED`, [tenantId, endedBefore, PURGE_BATCH],
        )).rows.map((r: { key: string }) => r.key);
        if (keys.length === 0) return 0;
        await c.query("DELETE FROM job_logs WHERE job_key = ANY($1::text[])", [keys]);
        return (await c.query("DELETE FROM jobs WHERE key = ANY($1::text[])", [keys])).rowCount ?? 0;
      });
      purged += n;
      if (n < PURGE_BATCH) return purged;
    }
  }

  // ---- logs

  async appendLogs(jobKey: string, lines: Omit<JobLogLine, "seq">[]): Promise<void> {
    if (lines.length === 0) return;
    await this.tx(async (c) => {
      // the job row's lock orders concurrent appends of one job
      await c.query("SELECT 1 FROM jobs WHERE key = $1 FOR UPDATE", [jobKey]);
      const last = Number((await c.query("SELECT COALESCE(MAX(seq), 0) AS s FROM job_logs WHERE job_key = $1", [jobKey])).rows[0].s);
      await c.query(
        `INSERT INTO job_logs (job_key, seq, at, level, message)
         SELECT $1, $2 + o, a, l, m FROM unnest($3::timestamptz[], $4::text[], $5::text[]) WITH ORDINALITY AS x(a, l, m, o)`,
        [jobKey, last, lines.map((l) => l.at), lines.map((l) => l.level), lines.map((l) => l.message)],
      );
      await c.query("UPDATE jobs SET info = $1 WHERE key = $2", [lines[lines.length - 1]!.message.slice(0, 1000), jobKey]);
    });
  }

  async listLogs(jobKey: string, afterSeq: number, limit: number): Promise<JobLogLine[]> {
    const rows = await this.q("SELECT seq, at, level, message FROM job_logs WHERE job_key = $1 AND seq > $2 ORDER BY seq LIMIT $3", [jobKey, afterSeq, limit]);
    return rows.map((r) => ({ seq: Number(r.seq), at: iso(r.at)!, level: r.level as JobLogLine["level"], message: str(r.message) }));
  }

  // ---- robot keys

  async createRobotKey(k: RobotKey & { hash: string }): Promise<void> {
    await this.q("INSERT INTO robot_keys (id, tenant_id, name, hash, created_at, folder_keys) VALUES ($1, $2, $3, $4, $5, $6)", [
      k.id, k.tenantId, k.name, k.hash, k.createdAt, k.folderKeys ? JSON.stringify(k.folderKeys) : null,
    ]);
  }

  async findRobotKeyByHash(hash: string): Promise<RobotKey | null> {
    const row = await this.one("SELECT * FROM robot_keys WHERE hash = $1", [hash]);
    return row ? robotKeyFromRow(row) : null;
  }

  async listRobotKeys(tenantId: string): Promise<RobotKey[]> {
    return (await this.q("SELECT * FROM robot_keys WHERE tenant_id = $1 ORDER BY name COLLATE \"C\"", [tenantId])).map(robotKeyFromRow);
  }

  async revokeRobotKey(tenantId: string, id: string, at: string): Promise<boolean> {
    return (await this.pool.query("UPDATE robot_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE tenant_id = $2 AND id = $3", [at, tenantId, id])).rowCount! > 0;
  }

  async rotateRobotKey(tenantId: string, id: string, hash: string, at: string): Promise<RobotKey | null> {
    const row = await this.one("UPDATE robot_keys SET hash = $1, rotated_at = $2 WHERE tenant_id = $3 AND id = $4 AND revoked_at IS NULL RETURNING *", [hash, at, tenantId, id]);
    return row ? robotKeyFromRow(row) : null;
  }

  async sessionsOfRobotKey(robotKeyId: string): Promise<RobotSession[]> {
    return (await this.q("SELECT * FROM robot_sessions WHERE robot_key_id = $1", [robotKeyId])).map(sessionFromRow);
  }

  async servedProcesses(tenantId: string): Promise<string[]> {
    return (await this.q("SELECT DISTINCT jsonb_array_elements_text(processes) AS name FROM robot_sessions WHERE tenant_id = $1", [tenantId])).map((r) => str(r.name));
  }

  // ---- robot sessions

  async createSession(s: RobotSession): Promise<void> {
    await this.q(
      "INSERT INTO robot_sessions (id, tenant_id, robot_key_id, robot_name, version, processes, slots, lease_expires_at, created_at, folder_keys) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
      [s.id, s.tenantId, s.robotKeyId, s.robotName, s.version, JSON.stringify(s.processes), s.slots, s.leaseExpiresAt, s.createdAt, s.folderKeys ? JSON.stringify(s.folderKeys) : null],
    );
  }

  async getSession(tenantId: string, id: string): Promise<RobotSession | null> {
    const row = await this.one("SELECT * FROM robot_sessions WHERE tenant_id = $1 AND id = $2", [tenantId, id]);
    return row ? sessionFromRow(row) : null;
  }

  async extendSession(id: string, leaseExpiresAt: string): Promise<boolean> {
    return (await this.pool.query("UPDATE robot_sessions SET lease_expires_at = $1 WHERE id = $2", [leaseExpiresAt, id])).rowCount! > 0;
  }

  async deleteSession(id: string): Promise<void> {
    await this.q("DELETE FROM robot_sessions WHERE id = $1", [id]);
  }

  async listSessions(tenantId: string): Promise<(RobotSession & { slotsInUse: number })[]> {
    const rows = await this.q(
      `SELECT s.*, (SELECT COUNT(*) FROM jobs j WHERE j.session_id = s.id AND j.state IN ('Running', 'Stopping', 'Terminating')) AS slots_in_use
         FROM robot_sessions s WHERE s.tenant_id = $1 ORDER BY s.created_at`,
      [tenantId],
    );
    return rows.map((r) => ({ ...sessionFromRow(r), slotsInUse: Number(r.slots_in_use) }));
  }

  async countRobotSessions(now: string): Promise<{ sessions: number; slots: number }> {
    const r = (await this.one("SELECT COUNT(*) AS n, COALESCE(SUM(slots), 0) AS slots FROM robot_sessions WHERE lease_expires_at > $1", [now]))!;
    return { sessions: Number(r.n), slots: Number(r.slots) };
  }

  // ---- audit log

  async appendAudit(e: NewAuditEntry): Promise<void> {
    await this.q(
      `INSERT INTO audit_log (org, tenant_id, at, actor_kind, actor_id, actor_name, action, target, details, source_ip, request_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [e.org, e.tenantId, e.at, e.actor.kind, e.actor.id, e.actor.name, e.action, e.target, JSON.stringify(e.details), e.sourceIp, e.requestId],
    );
  }

  async listAudit(tenantId: string, o: AuditListOptions): Promise<{ items: AuditEntry[]; next: number | null }> {
    const where = ["tenant_id = $1"];
    const params: unknown[] = [tenantId];
    const add = (clause: (n: string) => string, value: unknown) => { params.push(value); where.push(clause(`$${params.length}`)); };
    if (o.action?.endsWith(".*")) {
      const prefix = o.action.slice(0, -1);
      add((n) => `left(action, ${prefix.length}) = ${n}`, prefix);
    } else if (o.action) {
      add((n) => `action = ${n}`, o.action);
    }
    if (o.since) add((n) => `at >= ${n}`, o.since);
    if (o.cursor !== null) add((n) => `seq < ${n}`, o.cursor);
    params.push(o.limit + 1);
    const rows = await this.q(`SELECT * FROM audit_log WHERE ${where.join(" AND ")} ORDER BY seq DESC LIMIT $${params.length}`, params);
    const page = rows.slice(0, o.limit);
    return { items: page.map(auditFromRow), next: rows.length > o.limit ? Number(page[page.length - 1]!.seq) : null };
  }
}

/** a user from its row (or from columns named with `prefix` in a join) */
function userFromRow(r: Row, prefix = ""): User {
  return {
    id: str(r[`${prefix}id`]), org: str(r[`${prefix}org`]), tenantId: strOrNull(r[`${prefix}tenant_id`]), name: str(r[`${prefix}name`]),
    orgAdmin: r[`${prefix}org_admin`] === true, roles: (r[`${prefix}roles`] as RoleAssignment[] | null) ?? [],
    createdAt: iso(r[`${prefix}created_at`])!, disabledAt: iso(r[`${prefix}disabled_at`]),
  };
}

function tokenFromRow(r: Row): PersonalAccessToken {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), userId: strOrNull(r.user_id), name: str(r.name), scopes: (r.scopes as string[]) ?? [],
    createdAt: iso(r.created_at)!, expiresAt: iso(r.expires_at), revokedAt: iso(r.revoked_at), lastUsedAt: iso(r.last_used_at),
  };
}

function externalAppFromRow(r: Row): ExternalApp {
  return {
    id: str(r.id), org: str(r.org), tenantId: str(r.tenant_id), tenantName: str(r.tenant_name), name: str(r.name), clientId: str(r.client_id),
    scopes: (r.scopes as string[]) ?? [], createdAt: iso(r.created_at)!, secretRotatedAt: iso(r.secret_rotated_at), revokedAt: iso(r.revoked_at),
  };
}

function folderFromRow(r: Row): Folder {
  return { key: str(r.key), tenantId: str(r.tenant_id), name: str(r.name), createdAt: iso(r.created_at)! };
}

function processFromRow(r: Row): Process {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), folderKey: str(r.folder_key), name: str(r.name), description: str(r.description),
    defaultInputArguments: (r.default_input_arguments as Process["defaultInputArguments"]) ?? {},
    inputSchema: (r.input_schema as Process["inputSchema"]) ?? null, outputSchema: (r.output_schema as Process["outputSchema"]) ?? null,
    priority: r.priority as Priority, maxDurationSeconds: (r.max_duration_seconds as number | null) ?? null,
    retry: { maxAttempts: r.retry_max_attempts as number, backoffSeconds: r.retry_backoff_seconds as number },
    createdAt: iso(r.created_at)!, updatedAt: iso(r.updated_at)!,
  };
}

function triggerFromRow(r: Row): Trigger {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), folderKey: str(r.folder_key), name: str(r.name), slug: str(r.slug), verb: r.verb as Trigger["verb"],
    processName: str(r.process_name), callMode: r.call_mode as Trigger["callMode"], defaultArguments: (r.default_arguments as Trigger["defaultArguments"]) ?? {},
    priority: r.priority as Trigger["priority"], enabled: r.enabled === true, createdAt: iso(r.created_at)!, updatedAt: iso(r.updated_at)!,
  };
}

function jobFromRow(r: Row): Job {
  return {
    key: str(r.key), tenantId: str(r.tenant_id), folderKey: str(r.folder_key), processName: str(r.process_name), triggerId: strOrNull(r.trigger_id),
    source: r.source as Job["source"], callMode: r.call_mode as Job["callMode"], state: r.state as JobState,
    priority: PRIORITY_NAME[Number(r.priority)] ?? "Normal", inputArguments: (r.input_arguments as Job["inputArguments"]) ?? {},
    outputArguments: (r.output_arguments as Job["outputArguments"]) ?? null, error: (r.error as Job["error"]) ?? null,
    robot: strOrNull(r.robot), sessionId: strOrNull(r.session_id), attempt: r.attempt as number,
    createdAt: iso(r.created_at)!, startedAt: iso(r.started_at), endedAt: iso(r.ended_at), info: strOrNull(r.info),
    maxDurationSeconds: (r.max_duration_seconds as number | null) ?? null, deadlineAt: iso(r.deadline_at),
  };
}

function sessionFromRow(r: Row): RobotSession {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), robotKeyId: strOrNull(r.robot_key_id), robotName: str(r.robot_name), version: strOrNull(r.version),
    processes: (r.processes as string[]) ?? [], slots: r.slots as number, leaseExpiresAt: iso(r.lease_expires_at)!, createdAt: iso(r.created_at)!,
    folderKeys: (r.folder_keys as string[] | null) ?? null,
  };
}

function robotKeyFromRow(r: Row): RobotKey {
  return { id: str(r.id), tenantId: str(r.tenant_id), name: str(r.name), createdAt: iso(r.created_at)!, rotatedAt: iso(r.rotated_at),
    folderKeys: (r.folder_keys as string[] | null) ?? null, revokedAt: iso(r.revoked_at) };
}

function auditFromRow(r: Row): AuditEntry {
  return {
    seq: Number(r.seq), org: str(r.org), tenantId: strOrNull(r.tenant_id), at: iso(r.at)!,
    actor: { kind: str(r.actor_kind), id: strOrNull(r.actor_id), name: strOrNull(r.actor_name) },
    action: str(r.action), target: strOrNull(r.target), details: (r.details as AuditEntry["details"] | null) ?? {},
    sourceIp: strOrNull(r.source_ip), requestId: strOrNull(r.request_id),
  };
}
