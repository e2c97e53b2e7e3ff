import { randomBytes, randomUUID } from "node:crypto";
import { INSTANT_MESSAGE, parseInstant, unsafeNameCharacter } from "./bounds.js";
import { badRequest, BatonError, notFound, RobotExists, unauthorized } from "./errors.js";
import { ExternalApps, looksLikeJwt } from "./ExternalApps.js";
import type { Notifier } from "./notifier.js";
import { permissionsOf, type PermissionSet } from "./Permissions.js";
import { ADMIN_SCOPES, validateScopes } from "./scopes.js";
import type { Store, TokenRecord } from "./store.js";
import { generateToken, hashToken, ROBOT_KEY_PREFIX } from "./tokenSecrets.js";
import { TtlCache } from "./TtlCache.js";
import type { PersonalAccessToken, Principal, RobotKey, RobotPrincipal, Tenant } from "./types.js";

export class AccessService {
  /**
   * Authentications of the hot path, by the secret as presented (its SHA-256 is computed only
   * on a miss: hashing was ~2.5 % of a saturated node's loop, once per request). Expiry is
   * checked on every use; a revocation clears the caches of every node (`credentialsChanged`).
   * A secret stays in the node's memory as a key for its 10 s and at most a maintenance tick
   * (1 s) more (`sweepCaches`); the store keeps only hashes.
   */
  private readonly tokens = new TtlCache<TokenRecord>(10_000);
  private readonly robotKeys = new TtlCache<RobotKey>(10_000);
  /** what each cached token record grants, computed once per record rather than per request */
  private readonly grants = new WeakMap<TokenRecord, { scopes: ReadonlySet<string>; permissions: PermissionSet | null }>();
  /** when each token's last use was written: at most once a minute per token, off the request's path */
  private readonly lastUseWritten = new Map<string, number>();
  /** external applications and their OAuth access tokens (JWTs), accepted wherever a PAT is */
  readonly externalApps: ExternalApps;

  constructor(private readonly store: Store, private readonly now: () => Date, private readonly notifier: Notifier) {
    this.externalApps = new ExternalApps(store, now, notifier);
    const clear = () => { this.tokens.clear(); this.robotKeys.clear(); };
    notifier.subscribe("credentialsChanged", clear);
    notifier.onMissedEvents(clear);
  }

  /** Drops the expired entries of the caches keyed by secrets (each maintenance tick). */
  sweepCaches(): void {
    this.tokens.sweep();
    this.robotKeys.sweep();
  }

  private async tokenRecord(bearer: string): Promise<TokenRecord | null> {
    const cached = this.tokens.get(bearer);
    if (cached) return cached;
    const record = await this.store.findTokenByHash(hashToken(bearer));
    if (record && !record.token.revokedAt) this.tokens.set(bearer, record);
    return record;
  }

  /** Turns a bearer token into a principal for `tenant`, or throws 401. */
  async authenticate(tenant: Tenant, authorization: string | undefined): Promise<Principal> {
    if (!authorization) throw unauthorized("An Authorization: Bearer <token> header is required.");
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw unauthorized("The Authorization header must be 'Bearer <token>'.");
    if (looksLikeJwt(match[1]!)) return this.externalApps.authenticate(tenant, match[1]!);
    const record = await this.tokenRecord(match[1]!);
    if (!record) throw unauthorized("The token is not valid.");
    const { token } = record;
    if (token.revokedAt) throw unauthorized("The token has been revoked.");
    if (token.expiresAt && Date.parse(token.expiresAt) <= this.now().getTime()) throw unauthorized("The token has expired.");
    const sameTenant = record.tenant.id === tenant.id;
    const orgAdminHere = record.orgAdmin && record.tenant.org === tenant.org;
    // A token of another tenant is simply not valid here: no hint that the tenant exists.
    if (!sameTenant && !orgAdminHere) throw unauthorized("The token is not valid for this tenant.");
    if (record.user?.disabledAt) throw unauthorized("The token's user is disabled.");
    this.noteUse(token.id);
    let grant = this.grants.get(record);
    if (!grant) {
      // a token can do what its scopes allow and its user may; a user of the organization is
      // its administrator (a token of another tenant's user was refused above)
      grant = { scopes: new Set(token.scopes), permissions: !record.user || record.user.orgAdmin ? null : permissionsOf(record.user.roles) };
      this.grants.set(record, grant);
    }
    return {
      kind: "token",
      tokenId: token.id,
      userId: token.userId,
      tenantId: tenant.id,
      org: tenant.org,
      scopes: grant.scopes,
      orgAdmin: orgAdminHere,
      name: token.name,
      permissions: grant.permissions,
      expiresAt: token.expiresAt,
    };
  }

  /** lastUsedAt, written at most once a minute per token and never awaited by the request */
  private noteUse(tokenId: string): void {
    const now = this.now().getTime();
    const last = this.lastUseWritten.get(tokenId);
    if (last !== undefined && now - last < 60_000) return;
    if (this.lastUseWritten.size >= 10_000) this.lastUseWritten.clear();
    this.lastUseWritten.set(tokenId, now);
    this.store.touchToken(tokenId, new Date(now).toISOString()).catch(() => {
      // the store is unavailable: the request itself fails or succeeds on its own; try again next time
      this.lastUseWritten.delete(tokenId);
    });
  }

  /** Organization-level calls (tenants, external applications): an administrator of the organization. */
  async authenticateOrgAdmin(org: string, authorization: string | undefined): Promise<Principal> {
    if (!authorization) throw unauthorized("An Authorization: Bearer <token> header is required.");
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    const record = match ? await this.tokenRecord(match[1]!) : null;
    if (!record || record.token.revokedAt || (record.token.expiresAt && Date.parse(record.token.expiresAt) <= this.now().getTime()) || record.tenant.org !== org) {
      throw unauthorized("The token is not valid for this organization.");
    }
    if (!record.orgAdmin) throw new BatonError(403, "not-org-admin", "Forbidden", "Only administrators of the organization may do this.");
    return {
      kind: "token", tokenId: record.token.id, userId: record.token.userId, tenantId: record.tenant.id, org,
      scopes: new Set(record.token.scopes), orgAdmin: true, name: record.token.name, permissions: null,
    };
  }

  async createToken(
    tenantId: string,
    userId: string | null,
    input: { name?: unknown; scopes?: unknown; expiresAt?: unknown },
    secret: string = generateToken(),
    orgWide = false,
  ): Promise<{ token: PersonalAccessToken; secret: string }> {
    const invalid = (path: string, message: string) => badRequest("invalid-token", `${path.slice(1)} ${message}.`, { violations: [{ path, message }] });
    if (typeof input.name !== "string" || input.name.trim() === "" || input.name.length > 200) {
      throw invalid("/name", "must be a non-empty string of at most 200 characters");
    }
    const unsafe = unsafeNameCharacter(input.name);
    if (unsafe) throw invalid("/name", unsafe);
    const scopes = validateScopes(input.scopes);
    let expiresAt: string | null = null;
    if (input.expiresAt !== undefined && input.expiresAt !== null) {
      expiresAt = parseInstant(input.expiresAt);
      if (expiresAt === null) throw invalid("/expiresAt", INSTANT_MESSAGE);
      if (Date.parse(expiresAt) <= this.now().getTime()) throw invalid("/expiresAt", "must be in the future");
    }
    const token = await this.store.createToken({
      id: randomUUID(), tenantId, userId, name: input.name.trim(), scopes, hash: hashToken(secret), orgWide, createdAt: this.now().toISOString(), expiresAt,
    });
    return { token, secret };
  }

  /**
   * POST /tokens: a personal access token of the calling user, with at most the scopes of
   * the caller's own credential (a token cannot mint a stronger one). Callers without a
   * user (external applications) cannot create one.
   */
  async createTokenFor(tenantId: string, caller: Principal, input: { name?: unknown; scopes?: unknown; expiresAt?: unknown }): Promise<{ token: PersonalAccessToken; secret: string }> {
    if (caller.userId === null) {
      throw new BatonError(403, "token-needs-user", "Forbidden", "A personal access token belongs to a user; an external application cannot create one (it gets its own access tokens).");
    }
    const scopes = validateScopes(input.scopes);
    const beyond = scopes.filter((s) => !caller.scopes.has(s) && !caller.scopes.has(s.replace(/\.(Read|Write)$/, "")));
    if (beyond.length) {
      throw new BatonError(403, "insufficient-scope", "Forbidden", `A new token cannot have scopes the caller's credential lacks: ${beyond.join(", ")}.`, { extra: { requiredScope: beyond } });
    }
    // a token cannot outlive the token that creates it: by default it expires with it, and a
    // later expiry (or none) is refused rather than silently shortened. A console session
    // (a password login) or a token that never expires may create any expiry.
    const cap = caller.kind === "token" ? (caller.expiresAt ?? null) : null;
    if (cap !== null) {
      if (input.expiresAt === undefined) return this.createToken(tenantId, caller.userId, { ...input, expiresAt: cap });
      const asked = typeof input.expiresAt === "string" ? Date.parse(input.expiresAt) : input.expiresAt === null ? Infinity : NaN;
      if (asked > Date.parse(cap)) {
        throw badRequest("token-outlives-creator", `A token created with a token that expires at ${cap} must expire no later than that (leave expiresAt out to expire with it).`, { maxExpiresAt: cap });
      }
    }
    return this.createToken(tenantId, caller.userId, input);
  }

  /**
   * BATON_BOOTSTRAP_TOKEN: that exact value is, idempotently, an admin PAT of the tenant,
   * valid in every tenant of the organization (its user, admin, administers them all).
   * Tokens created through the API are bound to the tenant they were created in.
   */
  async ensureToken(tenantId: string, userId: string, name: string, secret: string): Promise<boolean> {
    if (await this.store.findTokenByHash(hashToken(secret))) return false;
    try {
      await this.createToken(tenantId, userId, { name, scopes: ADMIN_SCOPES }, secret, true);
    } catch (err) {
      // nodes starting together with the same bootstrap token: one inserts it, the others
      // hit the unique hash; the token is there either way
      if (await this.store.findTokenByHash(hashToken(secret))) return false;
      throw err;
    }
    return true;
  }

  // ---- robot keys: limited to the robot protocol of their tenant

  async createRobotKey(tenantId: string, input: { name?: unknown; folderKeys?: unknown }): Promise<{ robotKey: RobotKey; secret: string }> {
    const name = input?.name;
    let folderKeys: string[] | null = null;
    if (input?.folderKeys !== undefined && input.folderKeys !== null) {
      const keys = input.folderKeys;
      if (!Array.isArray(keys) || keys.length === 0 || keys.length > 100 || !keys.every((k) => typeof k === "string")) {
        throw badRequest("invalid-robot", "folderKeys must be a non-empty array of folder keys (or null for every folder).");
      }
      for (const key of keys as string[]) {
        if (!(await this.store.getFolder(tenantId, key))) throw badRequest("invalid-robot", `folderKeys: '${key}' is not a folder of this tenant.`);
      }
      folderKeys = [...new Set(keys as string[])];
    }
    if (typeof name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/.test(name)) {
      throw badRequest("invalid-robot", "name must be 1-128 letters, digits, '-', '_', '.' or '@', starting with a letter or digit.");
    }
    if ((await this.store.listRobotKeys(tenantId)).some((k) => k.name === name)) throw RobotExists(name);
    const secret = ROBOT_KEY_PREFIX + randomBytes(32).toString("base64url");
    const robotKey: RobotKey = { id: randomUUID(), tenantId, name, createdAt: this.now().toISOString(), rotatedAt: null, folderKeys, revokedAt: null };
    await this.store.createRobotKey({ ...robotKey, hash: hashToken(secret) });
    return { robotKey, secret };
  }

  listRobotKeys(tenantId: string): Promise<RobotKey[]> {
    return this.store.listRobotKeys(tenantId);
  }

  async revokeRobotKey(tenantId: string, id: string): Promise<void> {
    if (!(await this.store.revokeRobotKey(tenantId, id, this.now().toISOString()))) throw notFound("robot-not-found", `No robot with id '${id}' exists in this tenant.`);
    this.notifier.publish("credentialsChanged", { tenantId });
  }

  /** A new secret for a robot key: the old one stops working at once (on every node). */
  async rotateRobotKey(tenantId: string, id: string): Promise<{ robotKey: RobotKey; secret: string }> {
    const secret = ROBOT_KEY_PREFIX + randomBytes(32).toString("base64url");
    const at = this.now().toISOString();
    const robotKey = await this.store.rotateRobotKey(tenantId, id, hashToken(secret), at);
    if (!robotKey) {
      const exists = (await this.store.listRobotKeys(tenantId)).some((k) => k.id === id);
      if (exists) throw new BatonError(409, "robot-revoked", "Conflict", "This robot key is revoked; create a new robot instead.");
      throw notFound("robot-not-found", `No robot with id '${id}' exists in this tenant.`);
    }
    this.notifier.publish("credentialsChanged", { tenantId });
    return { robotKey, secret };
  }

  /** The robot protocol's authentication: a robot key of this tenant, not revoked. */
  async authenticateRobot(tenant: Tenant, authorization: string | undefined): Promise<RobotPrincipal> {
    if (!authorization) throw unauthorized("An Authorization: Bearer <robot key> header is required.");
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    let key: RobotKey | null = null;
    if (match) {
      const secret = match[1]!;
      key = this.robotKeys.get(secret) ?? null;
      if (!key) {
        // (set on a read only: a hit must not extend the entry's 10 s, which bounds a missed revocation)
        key = await this.store.findRobotKeyByHash(hashToken(secret));
        if (key && !key.revokedAt) this.robotKeys.set(secret, key);
      }
    }
    if (!key || key.tenantId !== tenant.id) throw unauthorized("The robot key is not valid for this tenant.");
    if (key.revokedAt) throw unauthorized("The robot key has been revoked.");
    return { tenantId: key.tenantId, robotKeyId: key.id, name: key.name, folderKeys: key.folderKeys };
  }

  async listTokens(tenantId: string): Promise<PersonalAccessToken[]> {
    return this.store.listTokens(tenantId);
  }

  async revokeToken(tenantId: string, id: string): Promise<void> {
    if (!(await this.store.revokeToken(tenantId, id, this.now().toISOString()))) throw notFound("token-not-found", `No token with id '${id}' exists in this tenant.`);
    this.notifier.publish("credentialsChanged", { tenantId });
  }
}
