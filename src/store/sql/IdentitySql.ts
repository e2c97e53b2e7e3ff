import { randomUUID } from "node:crypto";
import { RobotExists, UniqueViolation } from "../../core/errors.js";
import type {
  ConsoleSessionRecord, ExternalAppRecord, IdentityStore, NewExternalApp, NewToken, NewUser, TokenRecord, UserPatch,
} from "../../core/store.js";
import { DEFAULT_SETTINGS, type ExternalApp, type PersonalAccessToken, type RobotKey, type RobotSession, type Tenant, type TenantSettings, type User } from "../../core/types.js";
import type { Row } from "./Executor.js";
import { SqlAggregate } from "./SqlAggregate.js";
import { bool, externalAppFromRow, parse, robotKeyFromRow, sessionFromRow, str, strOrNull, tokenFromRow, userFromRow } from "./rows.js";
import { sql, type Sql } from "./sql.js";

const tenantFromRow = (r: Row): Tenant => ({ id: str(r.id), org: str(r.org), name: str(r.name) });

/**
 * Who may do what: tenants, users and their console sessions, tokens, external
 * applications, robot keys. The lookups made on every request (a token, a console session,
 * a robot key by hash) are fixed texts: prepared once per engine.
 */
export class IdentitySql extends SqlAggregate implements IdentityStore {
  async getOrCreateSecret(name: string, create: () => string): Promise<string> {
    // the first node to start wins; every other one reads its value
    await this.db.run(sql`INSERT INTO secrets (name, value) VALUES (${name}, ${create()}) ON CONFLICT (name) DO NOTHING`);
    return str((await this.db.one(sql`SELECT value FROM secrets WHERE name = ${name}`))!.value);
  }

  // ---- tenants and users

  async ensureTenant(org: string, name: string): Promise<{ tenant: Tenant; created: boolean }> {
    return this.atomically(async (db) => {
      // insert first, read after: two nodes creating the same tenant at once get one tenant and one Shared folder
      const tenant: Tenant = { id: randomUUID(), org, name };
      const now = new Date().toISOString();
      const inserted = await db.one(sql`
        INSERT INTO tenants (id, org, name, settings, created_at) VALUES (${tenant.id}, ${org}, ${name}, '{}', ${now})
        ON CONFLICT (org, name) DO NOTHING RETURNING id`);
      if (!inserted) {
        const existing = (await db.one(sql`SELECT id, org, name FROM tenants WHERE org = ${org} AND name = ${name}`))!;
        return { tenant: tenantFromRow(existing), created: false };
      }
      await db.run(sql`INSERT INTO folders (key, tenant_id, name, created_at) VALUES (${randomUUID()}, ${tenant.id}, 'Shared', ${now})`);
      return { tenant, created: true };
    });
  }

  async findTenant(org: string, name: string): Promise<Tenant | null> {
    const row = await this.db.one(sql`SELECT id, org, name FROM tenants WHERE org = ${org} AND name = ${name}`);
    return row ? tenantFromRow(row) : null;
  }

  async listTenants(org: string): Promise<Tenant[]> {
    const name = sql.raw(this.db.dialect.byteOrder("name"));
    return (await this.db.all(sql`SELECT id, org, name FROM tenants WHERE org = ${org} ORDER BY created_at, ${name}`)).map(tenantFromRow);
  }

  async getSettings(tenantId: string): Promise<TenantSettings> {
    const row = await this.db.one(sql`SELECT settings FROM tenants WHERE id = ${tenantId}`);
    return { ...DEFAULT_SETTINGS, ...(parse<Partial<TenantSettings>>(row?.settings) ?? {}) };
  }

  async saveSettings(tenantId: string, settings: TenantSettings): Promise<void> {
    await this.db.run(sql`UPDATE tenants SET settings = ${settings} WHERE id = ${tenantId}`);
  }

  async ensureUser(user: NewUser): Promise<{ id: string; created: boolean }> {
    const inserted = await this.db.one(sql`
      INSERT INTO users (id, org, name, password_hash, org_admin, created_at)
      VALUES (${user.id}, ${user.org}, ${user.name}, ${user.passwordHash}, ${user.orgAdmin}, ${new Date().toISOString()})
      ON CONFLICT (org, name) WHERE tenant_id IS NULL DO NOTHING RETURNING id`);
    if (inserted) return { id: str(inserted.id), created: true };
    const existing = await this.db.one(sql`SELECT id FROM users WHERE org = ${user.org} AND name = ${user.name} AND tenant_id IS NULL`);
    return { id: str(existing!.id), created: false };
  }

  async createUser(u: User & { passwordHash: string | null }): Promise<boolean> {
    return (await this.db.run(sql`
      INSERT INTO users (id, org, tenant_id, name, password_hash, org_admin, roles, created_at, disabled_at)
      VALUES (${u.id}, ${u.org}, ${u.tenantId}, ${u.name}, ${u.passwordHash}, ${false}, ${u.roles}, ${u.createdAt}, ${u.disabledAt})
      ON CONFLICT DO NOTHING`)) > 0;
  }

  async getUser(tenantId: string, id: string): Promise<User | null> {
    const row = await this.db.one(sql`
      SELECT u.* FROM users u JOIN tenants n ON n.id = ${tenantId}
       WHERE u.id = ${id} AND (u.tenant_id = n.id OR (u.tenant_id IS NULL AND u.org = n.org))`);
    return row ? userFromRow(row) : null;
  }

  async listUsers(tenantId: string, org: string): Promise<User[]> {
    const name = sql.raw(this.db.dialect.byteOrder("name"));
    const rows = await this.db.all(sql`SELECT * FROM users WHERE tenant_id = ${tenantId} OR (tenant_id IS NULL AND org = ${org}) ORDER BY tenant_id IS NULL, ${name}`);
    return rows.map((r) => userFromRow(r));
  }

  async findUserForLogin(tenantId: string, org: string, name: string): Promise<{ user: User; passwordHash: string | null } | null> {
    // the tenant's own user of that name before the organization's
    const row = await this.db.one(sql`
      SELECT * FROM users WHERE name = ${name} AND (tenant_id = ${tenantId} OR (tenant_id IS NULL AND org = ${org}))
       ORDER BY tenant_id IS NULL LIMIT 1`);
    return row ? { user: userFromRow(row), passwordHash: strOrNull(row.password_hash) } : null;
  }

  async updateUser(tenantId: string, id: string, patch: UserPatch): Promise<boolean> {
    const sets: Sql[] = [];
    if (patch.passwordHash !== undefined) sets.push(sql`password_hash = ${patch.passwordHash}`);
    if (patch.roles !== undefined) sets.push(sql`roles = ${patch.roles}`);
    if (patch.disabledAt !== undefined) sets.push(sql`disabled_at = ${patch.disabledAt}`);
    if (sets.length === 0) return (await this.db.one(sql`SELECT id FROM users WHERE tenant_id = ${tenantId} AND id = ${id}`)) !== undefined;
    return (await this.db.run(sql`UPDATE users SET ${sql.join(sets, sql`, `)} WHERE tenant_id = ${tenantId} AND id = ${id}`)) > 0;
  }

  async setUserPassword(id: string, passwordHash: string): Promise<boolean> {
    return (await this.db.run(sql`UPDATE users SET password_hash = ${passwordHash} WHERE id = ${id}`)) > 0;
  }

  async deleteUser(tenantId: string, id: string): Promise<boolean> {
    return this.atomically(async (db) => {
      // locked: of two deletes at once, the second finds no user and answers false
      const lock = sql.raw(db.dialect.supportsForUpdate ? "FOR UPDATE" : "");
      if (!(await db.one(sql`SELECT id FROM users WHERE tenant_id = ${tenantId} AND id = ${id} ${lock}`))) return false;
      await db.run(sql`DELETE FROM console_sessions WHERE user_id = ${id}`);
      await db.run(sql`DELETE FROM tokens WHERE user_id = ${id}`);
      await db.run(sql`DELETE FROM users WHERE tenant_id = ${tenantId} AND id = ${id}`);
      return true;
    });
  }

  // ---- console sessions

  async createConsoleSession(c: ConsoleSessionRecord): Promise<void> {
    await this.db.run(sql`
      INSERT INTO console_sessions (hash, user_id, tenant_id, csrf_token, created_at, expires_at)
      VALUES (${c.hash}, ${c.userId}, ${c.tenantId}, ${c.csrfToken}, ${c.createdAt}, ${c.expiresAt})`);
  }

  async findConsoleSession(hash: string): Promise<{ session: ConsoleSessionRecord; user: User; tenant: Tenant } | null> {
    const row = await this.db.one(sql`
      SELECT c.hash, c.user_id, c.tenant_id AS session_tenant_id, c.csrf_token, c.created_at AS session_created_at, c.expires_at,
             n.org AS tenant_org, n.name AS tenant_name, u.*
        FROM console_sessions c JOIN users u ON u.id = c.user_id JOIN tenants n ON n.id = c.tenant_id
       WHERE c.hash = ${hash}`);
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
    await this.db.run(sql`DELETE FROM console_sessions WHERE hash = ${hash}`);
  }

  async deleteConsoleSessionsOfUser(userId: string): Promise<void> {
    await this.db.run(sql`DELETE FROM console_sessions WHERE user_id = ${userId}`);
  }

  async deleteExpiredConsoleSessions(now: string): Promise<number> {
    return this.db.run(sql`DELETE FROM console_sessions WHERE expires_at <= ${now}`);
  }

  // ---- tokens

  async createToken(t: NewToken): Promise<PersonalAccessToken> {
    await this.db.run(sql`
      INSERT INTO tokens (id, tenant_id, user_id, name, scopes, hash, org_wide, created_at, expires_at)
      VALUES (${t.id}, ${t.tenantId}, ${t.userId}, ${t.name}, ${t.scopes}, ${t.hash}, ${t.orgWide}, ${t.createdAt}, ${t.expiresAt})`);
    return { id: t.id, tenantId: t.tenantId, userId: t.userId, name: t.name, scopes: t.scopes, createdAt: t.createdAt, expiresAt: t.expiresAt, revokedAt: null, lastUsedAt: null };
  }

  async findTokenByHash(hash: string): Promise<TokenRecord | null> {
    const row = await this.db.one(sql`
      SELECT t.*, n.org AS tenant_org, n.name AS tenant_name,
             u.id AS u_id, u.org AS u_org, u.tenant_id AS u_tenant_id, u.name AS u_name, u.org_admin AS u_org_admin, u.roles AS u_roles,
             u.created_at AS u_created_at, u.disabled_at AS u_disabled_at
        FROM tokens t JOIN tenants n ON n.id = t.tenant_id LEFT JOIN users u ON u.id = t.user_id
       WHERE t.hash = ${hash}`);
    if (!row) return null;
    const user = row.u_id === null ? null : userFromRow(row, "u_");
    return {
      token: tokenFromRow(row),
      tenant: { id: str(row.tenant_id), org: str(row.tenant_org), name: str(row.tenant_name) },
      // an organization-wide token acts for the organization only while its user administers it
      orgAdmin: bool(row.org_wide) && (user?.orgAdmin ?? false),
      user,
    };
  }

  async listTokens(tenantId: string): Promise<PersonalAccessToken[]> {
    return (await this.db.all(sql`SELECT * FROM tokens WHERE tenant_id = ${tenantId} ORDER BY created_at`)).map(tokenFromRow);
  }

  async revokeToken(tenantId: string, id: string, at: string): Promise<boolean> {
    return (await this.db.run(sql`UPDATE tokens SET revoked_at = COALESCE(revoked_at, ${at}) WHERE tenant_id = ${tenantId} AND id = ${id}`)) > 0;
  }

  async touchToken(id: string, at: string): Promise<void> {
    await this.db.run(sql`UPDATE tokens SET last_used_at = ${at} WHERE id = ${id}`);
  }

  // ---- external applications

  async createExternalApp(a: NewExternalApp): Promise<boolean> {
    return (await this.db.run(sql`
      INSERT INTO external_apps (id, org, tenant_id, name, client_id, secret_hash, scopes, created_at)
      VALUES (${a.id}, ${a.org}, ${a.tenantId}, ${a.name}, ${a.clientId}, ${a.secretHash}, ${a.scopes}, ${a.createdAt})
      ON CONFLICT (org, name) DO NOTHING`)) > 0;
  }

  async findExternalAppByClientId(clientId: string): Promise<ExternalAppRecord | null> {
    const row = await this.db.one(sql`
      SELECT a.*, n.name AS tenant_name FROM external_apps a JOIN tenants n ON n.id = a.tenant_id WHERE a.client_id = ${clientId}`);
    return row ? { app: externalAppFromRow(row), secretHash: str(row.secret_hash) } : null;
  }

  async listExternalApps(org: string): Promise<ExternalApp[]> {
    const name = sql.raw(this.db.dialect.byteOrder("a.name"));
    return (await this.db.all(sql`
      SELECT a.*, n.name AS tenant_name FROM external_apps a JOIN tenants n ON n.id = a.tenant_id WHERE a.org = ${org}
       ORDER BY a.created_at, ${name}`)).map(externalAppFromRow);
  }

  async rotateExternalAppSecret(org: string, clientId: string, secretHash: string, at: string): Promise<boolean> {
    return (await this.db.run(sql`
      UPDATE external_apps SET secret_hash = ${secretHash}, secret_rotated_at = ${at}
       WHERE org = ${org} AND client_id = ${clientId} AND revoked_at IS NULL`)) > 0;
  }

  async revokeExternalApp(org: string, clientId: string, at: string): Promise<boolean> {
    return (await this.db.run(sql`UPDATE external_apps SET revoked_at = COALESCE(revoked_at, ${at}) WHERE org = ${org} AND client_id = ${clientId}`)) > 0;
  }

  // ---- robot keys

  async createRobotKey(k: RobotKey & { hash: string }): Promise<void> {
    // the name is unique per tenant, revoked keys included: the one who lost a race for it gets the 409
    await this.db.run(sql`
      INSERT INTO robot_keys (id, tenant_id, name, hash, created_at, folder_keys)
      VALUES (${k.id}, ${k.tenantId}, ${k.name}, ${k.hash}, ${k.createdAt}, ${k.folderKeys})`)
      .catch((err: unknown) => { throw err instanceof UniqueViolation ? RobotExists(k.name) : err; });
  }

  async findRobotKeyByHash(hash: string): Promise<RobotKey | null> {
    const row = await this.db.one(sql`SELECT * FROM robot_keys WHERE hash = ${hash}`);
    return row ? robotKeyFromRow(row) : null;
  }

  async listRobotKeys(tenantId: string): Promise<RobotKey[]> {
    const name = sql.raw(this.db.dialect.byteOrder("name"));
    return (await this.db.all(sql`SELECT * FROM robot_keys WHERE tenant_id = ${tenantId} ORDER BY ${name}`)).map(robotKeyFromRow);
  }

  async revokeRobotKey(tenantId: string, id: string, at: string): Promise<boolean> {
    return (await this.db.run(sql`UPDATE robot_keys SET revoked_at = COALESCE(revoked_at, ${at}) WHERE tenant_id = ${tenantId} AND id = ${id}`)) > 0;
  }

  async rotateRobotKey(tenantId: string, id: string, hash: string, at: string): Promise<RobotKey | null> {
    const row = await this.db.one(sql`
      UPDATE robot_keys SET hash = ${hash}, rotated_at = ${at} WHERE tenant_id = ${tenantId} AND id = ${id} AND revoked_at IS NULL RETURNING *`);
    return row ? robotKeyFromRow(row) : null;
  }

  async sessionsOfRobotKey(robotKeyId: string): Promise<RobotSession[]> {
    return (await this.db.all(sql`SELECT * FROM robot_sessions WHERE robot_key_id = ${robotKeyId}`)).map(sessionFromRow);
  }

  async servedProcesses(tenantId: string): Promise<string[]> {
    const names = sql.raw(this.db.dialect.jsonArrayElements("robot_sessions.processes"));
    const rows = await this.db.all(sql`SELECT DISTINCT value AS name FROM robot_sessions, ${names} WHERE tenant_id = ${tenantId}`);
    return rows.map((r) => str(r.name));
  }
}
