import type { AuditEntry, AuditListOptions, NewAuditEntry } from "./Audit.js";
import type {
  ExternalApp,
  Folder,
  Job,
  JobError,
  JobListItem,
  JobLogLine,
  JobState,
  JsonObject,
  Page,
  PersonalAccessToken,
  Process,
  RobotKey,
  RobotSession,
  Tenant,
  TenantSettings,
  Trigger,
  User,
} from "./types.js";
import type { RoleAssignment } from "./Permissions.js";

/**
 * The persistence port. One verb per operation; each engine (src/store/sqlite,
 * src/store/postgres) implements it with its SQL in plain sight. Every method that touches
 * tenant data takes the tenantId, so isolation is enforced in the query, not by callers.
 */
export interface Store {
  readonly engine: string;
  migrate(): Promise<void>;
  /** a cheap round trip: is the store reachable? (/readyz) */
  ping(): Promise<void>;
  close(): Promise<void>;

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

  // folders
  createFolder(folder: Folder): Promise<void>;
  getFolder(tenantId: string, key: string): Promise<Folder | null>;
  findFolderByName(tenantId: string, name: string): Promise<Folder | null>;
  listFolders(tenantId: string): Promise<Folder[]>;
  renameFolder(tenantId: string, key: string, name: string): Promise<boolean>;
  /** false when the folder still holds processes, triggers or jobs */
  deleteFolder(tenantId: string, key: string): Promise<"deleted" | "missing" | "not-empty">;

  // processes
  createProcess(process: Process): Promise<void>;
  getProcess(tenantId: string, folderKey: string, name: string): Promise<Process | null>;
  listProcesses(tenantId: string, folderKey: string): Promise<Process[]>;
  updateProcess(process: Process): Promise<void>;
  deleteProcess(tenantId: string, folderKey: string, name: string): Promise<"deleted" | "missing" | "in-use">;

  // triggers
  createTrigger(trigger: Trigger): Promise<void>;
  getTrigger(tenantId: string, id: string): Promise<Trigger | null>;
  findTriggerBySlug(tenantId: string, slug: string): Promise<Trigger | null>;
  listTriggers(tenantId: string, folderKey: string | null): Promise<Trigger[]>;
  updateTrigger(trigger: Trigger): Promise<void>;
  deleteTrigger(tenantId: string, id: string): Promise<boolean>;

  // jobs
  createJob(job: Job): Promise<void>;
  getJob(tenantId: string, key: string): Promise<Job | null>;
  /**
   * A page of jobs, newest first. inputArguments, outputArguments and error longer than
   * LIST_FIELD_MAX_BYTES are not read from the store at all: the item flags them instead.
   */
  listJobs(tenantId: string, filter: JobFilter, limit: number, cursor: number | null): Promise<{ items: JobListItem[]; next: number | null }>;
  /**
   * Pending jobs of the session's processes, highest priority first, then oldest; each to
   * one session only. A claimed job's deadline is the earlier of `createdAt +
   * longPollingMaxSeconds` (LongPolling jobs) and `now + maxDurationSeconds`.
   */
  claimJobs(session: RobotSession, max: number, now: string, longPollingMaxSeconds: number): Promise<Job[]>;
  /**
   * Conditional state change: applies `patch` only if the job is in one of `from` (and,
   * when `sessionId` is given, still belongs to that session). Returns the job after the
   * change, or null when the condition did not hold. This is how a final state is written
   * exactly once.
   */
  updateJob(tenantId: string | null, key: string, from: readonly JobState[], sessionId: string | null, patch: JobPatch): Promise<Job | null>;
  /** Non-final jobs whose deadline has passed. */
  jobsPastDeadline(now: string, limit: number): Promise<Job[]>;
  /** Running jobs of sessions whose lease ran out, and the sessions themselves. */
  expiredSessions(now: string): Promise<RobotSession[]>;
  jobsOfSession(sessionId: string): Promise<Job[]>;
  countJobs(tenantId: string): Promise<number>;
  /** jobs of every tenant, counted by tenant, process and state (/metrics, at scrape time) */
  countJobsByState(): Promise<JobStateCount[]>;
  purgeFinalJobs(tenantId: string, endedBefore: string): Promise<number>;

  // logs
  appendLogs(jobKey: string, lines: Omit<JobLogLine, "seq">[]): Promise<void>;
  listLogs(jobKey: string, afterSeq: number, limit: number): Promise<JobLogLine[]>;

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

  // robot sessions
  createSession(session: RobotSession): Promise<void>;
  getSession(tenantId: string, id: string): Promise<RobotSession | null>;
  extendSession(id: string, leaseExpiresAt: string): Promise<boolean>;
  deleteSession(id: string): Promise<void>;
  /** the tenant's sessions, each with the number of jobs it holds */
  listSessions(tenantId: string): Promise<(RobotSession & { slotsInUse: number })[]>;
  /** robot sessions of every tenant whose lease runs past `now`, and their slots (/metrics) */
  countRobotSessions(now: string): Promise<{ sessions: number; slots: number }>;

  // audit log
  appendAudit(entry: NewAuditEntry): Promise<void>;
  /** newest first; `cursor` is the `seq` below which to continue; `action` exact or a `prefix.*` */
  listAudit(tenantId: string, options: AuditListOptions): Promise<{ items: AuditEntry[]; next: number | null }>;
}


export interface JobStateCount {
  tenantId: string;
  processName: string;
  state: JobState;
  count: number;
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

export interface JobFilter {
  state?: JobState[];
  processName?: string;
  triggerId?: string;
  folderKey?: string;
  /** only jobs of these folders (a user's visible folders); absent: every folder */
  folderKeys?: string[];
  createdAfter?: string;
  createdBefore?: string;
}

export interface JobPatch {
  state: JobState;
  outputArguments?: JsonObject | null;
  error?: JobError | null;
  endedAt?: string | null;
  startedAt?: string | null;
  info?: string | null;
  sessionId?: string | null;
  robot?: string | null;
  notBefore?: string | null;
  attempt?: number;
  deadlineAt?: string | null;
}

export type { Page };

/** The columns of `jobs` a list reads besides the three long ones (both stores have the same). */
export const JOB_LIST_COLUMNS = "seq, key, tenant_id, folder_key, process_name, trigger_id, source, call_mode, state, priority, robot, session_id, attempt, " +
  "created_at, started_at, ended_at, not_before, deadline_at, max_duration_seconds, info";

/** A job read for a list (its long fields read as null when `truncated` says so) as a list item. */
export function toJobListItem(job: Job, truncated: { input: boolean; output: boolean; error: boolean }): JobListItem {
  const { inputArguments, outputArguments, error, ...rest } = job;
  return {
    ...rest,
    ...(truncated.input ? { inputArgumentsTruncated: true as const } : { inputArguments }),
    ...(truncated.output ? { outputArgumentsTruncated: true as const } : { outputArguments }),
    ...(truncated.error ? { errorTruncated: true as const } : { error }),
  };
}
