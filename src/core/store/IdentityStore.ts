import type { ExternalApp, PersonalAccessToken, RobotKey, RobotSession, Tenant, TenantSettings, User } from "../types.js";
import type { RoleAssignment } from "../Permissions.js";

/**
 * Who may do what: tenants and their settings, users and console logins, personal access
 * tokens, external applications, robot keys, and the server's own secrets.
 */
export interface IdentityStore {
  // server-wide
  getOrCreateSecret(name: string, create: () => string): Promise<string>;

  // tenants and users
  ensureTenant(org: string, name: string): Promise<{ tenant: Tenant; created: boolean }>;
  findTenant(org: string, name: string): Promise<Tenant | null>;
  listTenants(org: string): Promise<Tenant[]>;
  getSettings(tenantId: string): Promise<TenantSettings>;
  saveSettings(tenantId: string, settings: TenantSettings): Promise<void>;
  /** a user of the organization (tenantId null), created once by name */
  ensureUser(user: NewUser): Promise<{ id: string; created: boolean }>;
  /** false when the tenant already has a user of that name */
  createUser(user: User & { passwordHash: string | null }): Promise<boolean>;
  /** a user by id: of this tenant, or of its organization (tenantId null) */
  getUser(tenantId: string, id: string): Promise<User | null>;
  /** the tenant's users, then the organization's, by name */
  listUsers(tenantId: string, org: string): Promise<User[]>;
  /** for login: the tenant's user of that name, else the organization's; with the password hash */
  findUserForLogin(tenantId: string, org: string, name: string): Promise<{ user: User; passwordHash: string | null } | null>;
  /** changes a user of this tenant (not one of the organization); false when there is none */
  updateUser(tenantId: string, id: string, patch: UserPatch): Promise<boolean>;
  /** a user's own password change: any user, the organization's included */
  setUserPassword(id: string, passwordHash: string): Promise<boolean>;
  /** deletes a user of this tenant with its tokens and console sessions */
  deleteUser(tenantId: string, id: string): Promise<boolean>;

  // console sessions (password logins), by the hash of the cookie's value
  createConsoleSession(session: ConsoleSessionRecord): Promise<void>;
  findConsoleSession(hash: string): Promise<{ session: ConsoleSessionRecord; user: User; tenant: Tenant } | null>;
  deleteConsoleSession(hash: string): Promise<void>;
  /** ends every console session of a user (password changed, disabled, deleted) */
  deleteConsoleSessionsOfUser(userId: string): Promise<void>;
  deleteExpiredConsoleSessions(now: string): Promise<number>;

  // tokens
  createToken(token: NewToken): Promise<PersonalAccessToken>;
  findTokenByHash(hash: string): Promise<TokenRecord | null>;
  listTokens(tenantId: string): Promise<PersonalAccessToken[]>;
  revokeToken(tenantId: string, id: string, at: string): Promise<boolean>;
  /** records a use of the token (at most about once a minute per token: callers throttle) */
  touchToken(id: string, at: string): Promise<void>;

  // external applications (OAuth confidential clients), per organization
  /** false when the organization already has an application of that name (revoked ones keep theirs) */
  createExternalApp(app: NewExternalApp): Promise<boolean>;
  findExternalAppByClientId(clientId: string): Promise<ExternalAppRecord | null>;
  listExternalApps(org: string): Promise<ExternalApp[]>;
  /** replaces the secret's hash of an application that is not revoked; false otherwise */
  rotateExternalAppSecret(org: string, clientId: string, secretHash: string, at: string): Promise<boolean>;
  /** false when the organization has no such application (revoking twice keeps the first time) */
  revokeExternalApp(org: string, clientId: string, at: string): Promise<boolean>;

  // robot keys
  createRobotKey(key: RobotKey & { hash: string }): Promise<void>;
  findRobotKeyByHash(hash: string): Promise<RobotKey | null>;
  listRobotKeys(tenantId: string): Promise<RobotKey[]>;
  revokeRobotKey(tenantId: string, id: string, at: string): Promise<boolean>;
  /** replaces the hash of a robot key that is not revoked: the key after it, or null */
  rotateRobotKey(tenantId: string, id: string, hash: string, at: string): Promise<RobotKey | null>;
  sessionsOfRobotKey(robotKeyId: string): Promise<RobotSession[]>;
  /** process names served by the tenant's live sessions */
  servedProcesses(tenantId: string): Promise<string[]>;
}

export interface NewUser {
  id: string;
  org: string;
  name: string;
  passwordHash: string | null;
  orgAdmin: boolean;
}

export interface UserPatch {
  passwordHash?: string;
  roles?: RoleAssignment[];
  disabledAt?: string | null;
}

export interface ConsoleSessionRecord {
  /** SHA-256 of the cookie's value */
  hash: string;
  userId: string;
  tenantId: string;
  csrfToken: string;
  createdAt: string;
  expiresAt: string;
}

export interface NewToken {
  id: string;
  tenantId: string;
  userId: string | null;
  name: string;
  scopes: string[];
  hash: string;
  /** valid in every tenant of the organization while its user is an organization administrator */
  orgWide: boolean;
  createdAt: string;
  expiresAt: string | null;
}

export interface NewExternalApp {
  id: string;
  org: string;
  tenantId: string;
  name: string;
  clientId: string;
  secretHash: string;
  scopes: string[];
  createdAt: string;
}

/** An external application with the hash of its current secret (for the token endpoint). */
export interface ExternalAppRecord {
  app: ExternalApp;
  secretHash: string;
}

export interface TokenRecord {
  token: PersonalAccessToken;
  tenant: Tenant;
  orgAdmin: boolean;
  /** the token's user (null for tokens without one) */
  user: User | null;
}
