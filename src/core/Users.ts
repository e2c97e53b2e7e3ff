import { createHash, randomBytes, randomUUID, scrypt, timingSafeEqual } from "node:crypto";
import { isIPv6 } from "node:net";
import { badRequest, BatonError, conflict, notFound, unauthorized } from "./errors.js";
import { Gate, GateFull } from "./Gate.js";
import type { Notifier } from "./notifier.js";
import { isRoleName, permissionsOf, type RoleAssignment } from "./Permissions.js";
import type { Store } from "./store.js";
import { TtlCache } from "./TtlCache.js";
import type { Principal, Tenant, User } from "./types.js";
import { ADMIN_SCOPES } from "./scopes.js";

/** how long a console login lasts (absolute; a new login starts a new one) */
export const CONSOLE_SESSION_SECONDS = 12 * 3600;
export const SESSION_COOKIE = "baton_session";

const SCRYPT = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** password hashes (scrypt, ~40 ms of a thread of libuv's pool each) computed at once, at most: 2 */
export const PASSWORD_HASHES_AT_ONCE = 2;

/**
 * Every scrypt of the node goes through this gate. Logins, password changes and user writes
 * (a wrong password costs one too, as does an unknown user name) would otherwise take as many
 * threads of libuv's pool as arrive at once: a few dozen logins a second held every thread,
 * and the WAL's fsyncs, which every acknowledged write of the node waits for, waited behind
 * them. Past 2, they wait their turn (a login storm slows logins, not the node).
 */
export const passwordHashing = new Gate(PASSWORD_HASHES_AT_ONCE);

/**
 * password checks and hashes that may wait for a place, at most: 32 (about two thirds of a
 * second of hashing); past them a request's is refused at once (GateFull) rather than queued
 * behind a storm: a login's or a password change's check as `429 login-throttled` (a correct
 * password passes the login throttle, so a storm of them would make every login, the admin's
 * too, wait without bound, and go on hashing for callers that gave up), a user write's new
 * hash as `429 password-hashing-busy` (a tenant's administrator writing users by the thousand
 * would otherwise queue minutes of hashing before every login of every tenant). Both Retry-After 1.
 */
export const PASSWORD_CHECKS_QUEUED = 32;

function scryptAsync(password: string, salt: Buffer, length: number, params: { N: number; r: number; p: number }, maxQueued?: number): Promise<Buffer> {
  return passwordHashing.run(() => new Promise((resolve, reject) =>
    scrypt(password, salt, length, { ...params, maxmem: SCRYPT.maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
  ), maxQueued);
}

/** A check or hash refused because the node is hashing too many (GateFull): the 429 `code` with `detail` and Retry-After 1; any other error as it is. */
const refusedWhenBusy = (code: "login-throttled" | "password-hashing-busy", detail: string) => (err: unknown): never => {
  if (err instanceof GateFull) throw new BatonError(429, code, "Too Many Requests", detail, { headers: { "retry-after": "1" } });
  throw err;
};

/** a login's or password change's check, refused as the throttle refuses */
const busyAsThrottled = refusedWhenBusy("login-throttled", "This node is checking too many passwords at once; try again in 1 s.");

/**
 * What the login throttle counts an address as: an IPv6 address by its /64, the block one
 * host is given (it could take a new address of it for every attempt, 2^64 of them, and the
 * per-address limit would never apply); IPv4, also inside IPv6 (`::ffff:a.b.c.d` in any of
 * its spellings), as it is; anything that is no address (a proxy's odd header) as it is,
 * lower-cased, without a zone (`%eth0`).
 */
export function addressBlock(address: string): string {
  const plain = address.replace(/%.*$/, "");
  if (!isIPv6(plain)) return plain.toLowerCase();
  // one spelling for each address (the URL standard's: lower case, :: for the longest zeros, IPv4 in hex)
  const canonical = new URL(`http://[${plain}]`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (mapped) {
    const [hi, lo] = [Number.parseInt(mapped[1]!, 16), Number.parseInt(mapped[2]!, 16)];
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  const [head = "", tail] = canonical.split("::", 2) as [string, string | undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  return `${groups.slice(0, 4).join(":")}::/64`;
}

/**
 * scrypt from node:crypto; the format keeps its parameters so they can be raised later. With
 * `maxQueued`, GateFull when that many hashes and checks wait already (the node's own hashes,
 * the bootstrap admin's, wait their turn).
 */
export async function hashPassword(password: string, maxQueued?: number): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, 32, SCRYPT, maxQueued);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString("base64url")}$${hash.toString("base64url")}`;
}

/** A user write's new password hash: refused at once (`429 password-hashing-busy`, Retry-After 1) when PASSWORD_CHECKS_QUEUED hashes and checks wait already. */
function newPasswordHash(password: string): Promise<string> {
  return hashPassword(password, PASSWORD_CHECKS_QUEUED)
    .catch(refusedWhenBusy("password-hashing-busy", "This node is hashing too many passwords at once; nothing was saved. Try again in 1 s."));
}

/** a hash of a random password: unknown users are checked against it, so that they take as long as known ones */
const DUMMY_HASH = hashPassword(randomBytes(16).toString("hex"));

/** Checks `password` against a stored hash (null: an unknown user, checked against a dummy); with `maxQueued`, GateFull when that many checks wait already. */
export async function verifyPassword(password: string, stored: string | null, maxQueued?: number): Promise<boolean> {
  const parts = (stored ?? (await DUMMY_HASH)).split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, "base64url");
  const actual = await scryptAsync(password, Buffer.from(salt, "base64url"), expected.length, { N: Number(n), r: Number(r), p: Number(p) }, maxQueued);
  return timingSafeEqual(actual, expected) && stored !== null;
}

const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/;

function validatePassword(password: unknown): string {
  if (typeof password !== "string" || password.length < 8 || password.length > 1024) {
    throw badRequest("invalid-user", "password must be a string of 8 to 1024 characters.");
  }
  return password;
}

/**
 * Failed logins, per node: after 5 failures in a row for one user name (20 for one
 * address), each further attempt must wait, doubling from 1 s up to 15 min (a refused
 * attempt does not count). An attempt is counted as a failure when it is let through,
 * before its password is checked (`reserve`): concurrent attempts cannot all pass the check
 * while the slow hash runs. A success takes its reservation back (`release`) and clears the
 * name's count. Bounded: idle entries are forgotten.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; until: number; at: number }>();
  constructor(private readonly clock: () => number = () => Date.now(), private readonly maxEntries = 100_000) {}

  /** seconds to wait before `key` may try again (0: now) */
  wait(key: string): number {
    const entry = this.failures.get(key);
    if (!entry) return 0;
    return Math.max(0, Math.ceil((entry.until - this.clock()) / 1000));
  }

  /**
   * Lets one attempt through for every key, counting it as a failure of each at once; or,
   * when some key must wait, lets none through and counts nothing: the seconds to wait.
   */
  reserve(keys: [key: string, free: number][]): number {
    const wait = Math.max(...keys.map(([key]) => this.wait(key)));
    if (wait > 0) return wait;
    for (const [key, free] of keys) this.fail(key, free);
    return 0;
  }

  /** takes back one attempt `reserve` counted (it succeeded) */
  release(key: string, free: number): void {
    const entry = this.failures.get(key);
    if (!entry) return;
    entry.count = Math.max(0, entry.count - 1);
    if (entry.count < free) entry.until = 0;
  }

  fail(key: string, free: number): void {
    const now = this.clock();
    const entry = this.failures.get(key) ?? { count: 0, until: 0, at: now };
    // a key quiet for an hour starts over
    if (now - entry.at > 3600_000) entry.count = 0;
    entry.count += 1;
    entry.at = now;
    entry.until = entry.count >= free ? now + Math.min(900_000, 1000 * 2 ** (entry.count - free)) : 0;
    this.failures.delete(key);
    this.failures.set(key, entry);
    if (this.failures.size > this.maxEntries) this.failures.delete(this.failures.keys().next().value!);
  }

  clear(key: string): void {
    this.failures.delete(key);
  }
}

/** failures in a row before a user name (or a user's own password change) must wait */
const FREE_PER_NAME = 5;
/** failures in a row before an address must wait */
const FREE_PER_ADDRESS = 20;

export interface ConsoleLogin {
  /** the cookie's value (only its hash is stored) */
  cookie: string;
  csrfToken: string;
  expiresAt: string;
  user: User;
  /** the session's principal, as later requests with the cookie will see it */
  principal: Principal;
}

/** Users of a tenant, their roles, and password logins to the console. */
export class Users {
  readonly throttle: LoginThrottle;
  /** console sessions by the hash of their cookie; cleared on every node when credentials change */
  private readonly sessions = new TtlCache<{ principal: Principal; expiresAt: number; tenantId: string }>(10_000);

  constructor(private readonly store: Store, private readonly now: () => Date, private readonly notifier: Notifier) {
    this.throttle = new LoginThrottle(() => now().getTime());
    const clear = () => this.sessions.clear();
    notifier.subscribe("credentialsChanged", clear);
    notifier.onMissedEvents(clear);
  }

  list(tenant: Tenant): Promise<User[]> {
    return this.store.listUsers(tenant.id, tenant.org);
  }

  async getOrThrow(tenant: Tenant, id: string): Promise<User> {
    const user = await this.store.getUser(tenant.id, id);
    if (!user) throw notFound("user-not-found", `No user with id '${id}' exists in this tenant.`);
    return user;
  }

  /** `record`: what must commit with the change (its audit entry), in its transaction */
  async create(tenant: Tenant, input: unknown, record: WithChange<User> = noRecord): Promise<User> {
    const body = (typeof input === "object" && input !== null ? input : {}) as { name?: unknown; password?: unknown; roles?: unknown };
    if (typeof body.name !== "string" || !USER_NAME.test(body.name)) {
      throw badRequest("invalid-user", "name must be 1-128 letters, digits, '-', '_', '.' or '@', starting with a letter or digit.");
    }
    const password = validatePassword(body.password);
    const roles = await this.validateRoles(tenant, body.roles ?? []);
    if (await this.store.findUserForLogin(tenant.id, tenant.org, body.name)) throw userExists(body.name);
    const user: User = {
      id: randomUUID(), org: tenant.org, tenantId: tenant.id, name: body.name, orgAdmin: false, roles, createdAt: this.now().toISOString(), disabledAt: null,
    };
    // the hash (slow on purpose) before the transaction, which it would hold open
    const passwordHash = await newPasswordHash(password);
    await this.store.transaction(async (tx) => {
      if (!(await tx.createUser({ ...user, passwordHash }))) throw userExists(user.name);
      await record(user);
    });
    return user;
  }

  async update(tenant: Tenant, id: string, input: unknown, record: WithChange<User> = noRecord): Promise<User> {
    const body = (typeof input === "object" && input !== null ? input : {}) as { password?: unknown; roles?: unknown; disabled?: unknown };
    const user = await this.getOrThrow(tenant, id);
    if (user.tenantId === null) throw conflict("user-of-organization", `'${user.name}' is a user of the organization; it cannot be changed in one tenant.`);
    const patch: { passwordHash?: string; roles?: RoleAssignment[]; disabledAt?: string | null } = {};
    const password = body.password !== undefined ? validatePassword(body.password) : null;
    if (body.roles !== undefined) patch.roles = await this.validateRoles(tenant, body.roles);
    if (body.disabled !== undefined) {
      if (typeof body.disabled !== "boolean") throw badRequest("invalid-user", "disabled must be true or false.");
      patch.disabledAt = body.disabled ? (user.disabledAt ?? this.now().toISOString()) : null;
    }
    // the hash last (slow, and refused when too many wait): a body with faults is their 400 first
    if (password !== null) patch.passwordHash = await newPasswordHash(password);
    const updated = { ...user, roles: patch.roles ?? user.roles, disabledAt: patch.disabledAt !== undefined ? patch.disabledAt : user.disabledAt };
    await this.store.transaction(async (tx) => {
      if (!(await tx.updateUser(tenant.id, id, patch))) throw notFound("user-not-found", `No user with id '${id}' exists in this tenant.`);
      // a new password or disabling ends the user's logins; any change reaches cached principals
      if (patch.passwordHash !== undefined || patch.disabledAt) await tx.deleteConsoleSessionsOfUser(id);
      await record(updated);
    });
    this.notifier.publish("credentialsChanged", { tenantId: tenant.id });
    return updated;
  }

  async delete(tenant: Tenant, id: string, by: Principal, record: WithChange<void> = noRecord): Promise<void> {
    const user = await this.getOrThrow(tenant, id);
    if (user.tenantId === null) throw conflict("user-of-organization", `'${user.name}' is a user of the organization; it cannot be deleted in one tenant.`);
    if (by.userId === id) throw conflict("user-is-you", "You cannot delete your own user.");
    await this.store.transaction(async (tx) => {
      if (!(await tx.deleteUser(tenant.id, id))) throw notFound("user-not-found", `No user with id '${id}' exists in this tenant.`);
      await record();
    });
    this.notifier.publish("credentialsChanged", { tenantId: tenant.id });
  }

  private async validateRoles(tenant: Tenant, roles: unknown): Promise<RoleAssignment[]> {
    if (!Array.isArray(roles) || roles.length > 100) throw badRequest("invalid-user", "roles must be an array of { role, folderKey? } (at most 100).");
    const out: RoleAssignment[] = [];
    for (const r of roles as unknown[]) {
      const { role, folderKey } = (typeof r === "object" && r !== null ? r : {}) as { role?: unknown; folderKey?: unknown };
      if (!isRoleName(role)) throw badRequest("invalid-user", `Unknown role ${JSON.stringify(role)}; roles are Administrator, Automation Developer and Viewer.`);
      if (folderKey !== undefined && folderKey !== null) {
        if (typeof folderKey !== "string" || !(await this.store.getFolder(tenant.id, folderKey))) {
          throw badRequest("invalid-user", `folderKey ${JSON.stringify(folderKey)} is not a folder of this tenant.`);
        }
        out.push({ role, folderKey });
      } else {
        out.push({ role, folderKey: null });
      }
    }
    return out;
  }

  // ---- console logins

  /** Checks a password (throttled per user name and per address) and opens a console session. */
  async login(tenant: Tenant, input: unknown, address: string, record: WithChange<ConsoleLogin> = noRecord): Promise<ConsoleLogin> {
    const body = (typeof input === "object" && input !== null ? input : {}) as { userName?: unknown; password?: unknown };
    if (typeof body.userName !== "string" || typeof body.password !== "string" || body.userName === "" || body.userName.length > 128 || body.password.length > 1024) {
      throw badRequest("invalid-login", "The body must be { \"userName\": \"…\", \"password\": \"…\" }.");
    }
    const nameKey = `u\n${tenant.id}\n${body.userName.toLowerCase()}`;
    const addressKey = `a\n${addressBlock(address)}`;
    // counted as a failure now, before the (slow) check: concurrent attempts see it
    const wait = this.throttle.reserve([[nameKey, FREE_PER_NAME], [addressKey, FREE_PER_ADDRESS]]);
    if (wait > 0) {
      throw new BatonError(429, "login-throttled", "Too Many Requests", `Too many failed logins; try again in ${wait} s.`, { headers: { "retry-after": String(wait) } });
    }
    const [found, ok] = await this.releasedOnError([[nameKey, FREE_PER_NAME], [addressKey, FREE_PER_ADDRESS]], async () => {
      const found = await this.store.findUserForLogin(tenant.id, tenant.org, body.userName as string);
      return [found, await verifyPassword(body.password as string, found?.passwordHash ?? null, PASSWORD_CHECKS_QUEUED)] as const;
    }).catch(busyAsThrottled);
    // a user of the organization may log in to any tenant only as an organization administrator
    const allowed = ok && found && !found.user.disabledAt && (found.user.tenantId !== null || found.user.orgAdmin);
    if (!allowed) throw new BatonError(401, "invalid-credentials", "Unauthorized", "The user name or password is wrong, or the user is disabled.");
    this.throttle.clear(nameKey);
    this.throttle.release(addressKey, FREE_PER_ADDRESS);
    const cookie = randomBytes(32).toString("base64url");
    const csrfToken = randomBytes(24).toString("base64url");
    const createdAt = this.now();
    const expiresAt = new Date(createdAt.getTime() + CONSOLE_SESSION_SECONDS * 1000).toISOString();
    const principal = sessionPrincipal(found.user, tenant, csrfToken);
    const login: ConsoleLogin = { cookie, csrfToken, expiresAt, user: found.user, principal };
    await this.store.transaction(async (tx) => {
      await tx.createConsoleSession({ hash: sessionHash(cookie), userId: found.user.id, tenantId: tenant.id, csrfToken, createdAt: createdAt.toISOString(), expiresAt });
      await record(login);
    });
    this.sessions.set(sessionHash(cookie), { tenantId: tenant.id, expiresAt: Date.parse(expiresAt), principal });
    return login;
  }

  /**
   * A user changes its own password (the organization's users too, `admin` included): the
   * current one is checked, throttled like logins; every console session of the user ends.
   */
  async changeOwnPassword(tenant: Tenant, who: Principal, input: unknown, address: string, record: WithChange<void> = noRecord): Promise<void> {
    if (!who.userId) throw new BatonError(403, "token-needs-user", "Forbidden", "Only a user has a password; this credential has none.");
    const body = (typeof input === "object" && input !== null ? input : {}) as { currentPassword?: unknown; newPassword?: unknown };
    if (typeof body.currentPassword !== "string" || body.currentPassword.length > 1024) {
      throw badRequest("invalid-password-change", "The body must be { \"currentPassword\": \"…\", \"newPassword\": \"…\" }.");
    }
    const newPassword = validatePassword(body.newPassword);
    const user = await this.getOrThrow(tenant, who.userId);
    const key = `p\n${user.id}`;
    const addressKey = `a\n${addressBlock(address)}`;
    // counted as a failure now, before the (slow) check, as for logins
    const wait = this.throttle.reserve([[key, FREE_PER_NAME], [addressKey, FREE_PER_ADDRESS]]);
    if (wait > 0) throw new BatonError(429, "login-throttled", "Too Many Requests", `Too many wrong passwords; try again in ${wait} s.`, { headers: { "retry-after": String(wait) } });
    const ok = await this.releasedOnError([[key, FREE_PER_NAME], [addressKey, FREE_PER_ADDRESS]], async () => {
      const found = await this.store.findUserForLogin(tenant.id, tenant.org, user.name);
      return found !== null && found.user.id === user.id && (await verifyPassword(body.currentPassword as string, found.passwordHash, PASSWORD_CHECKS_QUEUED));
    }).catch(busyAsThrottled);
    if (!ok) {
      throw new BatonError(403, "wrong-password", "Forbidden", "The current password is wrong.");
    }
    this.throttle.clear(key);
    this.throttle.release(addressKey, FREE_PER_ADDRESS);
    const passwordHash = await newPasswordHash(newPassword);
    await this.store.transaction(async (tx) => {
      await tx.setUserPassword(user.id, passwordHash);
      await tx.deleteConsoleSessionsOfUser(user.id);
      await record();
    });
    this.notifier.publish("credentialsChanged", { tenantId: tenant.id });
  }

  /** a check that could not be made (the store failed) is no failed attempt: its reservations are taken back */
  private async releasedOnError<T>(keys: [string, number][], check: () => Promise<T>): Promise<T> {
    try {
      return await check();
    } catch (err) {
      for (const [key, free] of keys) this.throttle.release(key, free);
      throw err;
    }
  }

  /** The principal of a console session cookie in this tenant, or 401. */
  async authenticateSession(tenant: Tenant, cookie: string): Promise<Principal> {
    const hash = sessionHash(cookie);
    let entry = this.sessions.get(hash);
    if (!entry) {
      const found = await this.store.findConsoleSession(hash);
      if (!found || found.user.disabledAt) throw unauthorized("The console session has ended; log in again.");
      const { user, session } = found;
      entry = { tenantId: session.tenantId, expiresAt: Date.parse(session.expiresAt), principal: sessionPrincipal(user, found.tenant, session.csrfToken) };
      this.sessions.set(hash, entry);
    }
    if (entry.tenantId !== tenant.id) throw unauthorized("The console session is not valid for this tenant.");
    if (entry.expiresAt <= this.now().getTime()) throw unauthorized("The console session has expired; log in again.");
    return entry.principal;
  }

  async logout(tenantId: string, cookie: string, record: WithChange<void> = noRecord): Promise<void> {
    await this.store.transaction(async (tx) => {
      await tx.deleteConsoleSession(sessionHash(cookie));
      await record();
    });
    this.notifier.publish("credentialsChanged", { tenantId });
  }
}

/**
 * What must commit together with a change (its audit entry): run inside the change's
 * transaction, after its writes. A throw rolls the change back.
 */
export type WithChange<T> = (result: T) => Promise<void>;
const noRecord = async (): Promise<void> => {};

/** A console session acts with every scope: only its user's permissions limit it. */
function sessionPrincipal(user: User, tenant: Tenant, csrfToken: string): Principal {
  return {
    kind: "session", tokenId: null, userId: user.id, tenantId: tenant.id, org: tenant.org, scopes: new Set(ADMIN_SCOPES),
    orgAdmin: user.orgAdmin, name: user.name, permissions: user.orgAdmin ? null : permissionsOf(user.roles), csrfToken,
  };
}

function sessionHash(cookie: string): string {
  return createHash("sha256").update(`baton-session:${cookie}`).digest("hex");
}

const userExists = (name: string) => conflict("user-exists", `A user named '${name}' already exists; choose another name.`);
