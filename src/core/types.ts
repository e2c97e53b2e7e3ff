/*
 * Terminology (SPEC.md §1; the same words are used in docs and UI):
 *
 * - organization, tenant: the URL namespace `/{org}/{tenant}/orchestrator_`. Tenants are
 *   isolated from one another.
 * - folder: a named group inside a tenant, identified by a `key` (UUID). Holds processes,
 *   triggers and jobs. Every tenant has a folder named `Shared`.
 * - process: the record of an automation robots can run (name, defaults, schemas, priority,
 *   maxDurationSeconds, retry policy). No code is stored: robots declare what they serve.
 * - robot: a worker that opens a session, claims jobs, heartbeats and reports results.
 * - session: one connection of a robot, with the process names it serves and its slots.
 * - API trigger: verb + slug bound to a process; calling its invoke URL creates a job.
 * - time trigger: a cron in a time zone bound to a process; each of its slots (fire times)
 *   creates one job (SPEC §9).
 * - call mode: AsyncRequestReply, FireAndForget or LongPolling.
 * - job: one execution of a process; its state follows the job state machine (jobState.ts).
 * - token: a bearer credential; a personal access token (PAT) is stored only as a hash.
 * - tenant settings: per-tenant knobs of SPEC §5.
 */

import type { PermissionSet, RoleAssignment } from "./Permissions.js";

export type JobState = "Pending" | "Running" | "Stopping" | "Terminating" | "Successful" | "Faulted" | "Stopped";
export const FINAL_STATES: readonly JobState[] = ["Successful", "Faulted", "Stopped"];
export const isFinal = (state: JobState): boolean => state === "Successful" || state === "Faulted" || state === "Stopped";

export type CallMode = "AsyncRequestReply" | "FireAndForget" | "LongPolling";
export const CALL_MODES: readonly CallMode[] = ["AsyncRequestReply", "FireAndForget", "LongPolling"];

export type Verb = "GET" | "POST" | "PUT" | "DELETE";
export const VERBS: readonly Verb[] = ["GET", "POST", "PUT", "DELETE"];

export type Priority = "Low" | "Normal" | "High";
export const PRIORITIES: readonly Priority[] = ["Low", "Normal", "High"];
export type TriggerPriority = Priority | "Inherit";

export type JobSource = "ApiTrigger" | "TimeTrigger" | "Manual" | "Api";
export type StopStrategy = "SoftStop" | "Kill";

export type JsonObject = { [key: string]: unknown };

export interface Tenant {
  id: string;
  org: string;
  name: string;
}

export interface TenantSettings {
  syncRedirectsRequireAuth: boolean;
  longPollTimeoutSeconds: number;
  syncMaxJobDurationSeconds: number;
  corsAllowedOrigins: string[];
  maxRequestBodyBytes: number;
  jobRetentionDays: number;
  /** how long an Idempotency-Key is remembered after its first call (SPEC §8) */
  idempotencyKeyRetentionHours: number;
  /** requests a minute of one token in the tenant, on each node; 0 is unlimited */
  rateLimitPerTokenPerMinute: number;
  /** invocations a minute of one trigger, on each node; 0 is unlimited */
  rateLimitPerTriggerPerMinute: number;
  /**
   * The status of the call modes' redirects (status URI → output URI, LongPolling → wait URI,
   * wait URI → wait URI): 303 See Other, or 302 Found for clients written to compare with 302.
   */
  redirectStatusCode: RedirectStatusCode;
}

export const REDIRECT_STATUS_CODES = [303, 302] as const;
export type RedirectStatusCode = (typeof REDIRECT_STATUS_CODES)[number];

export const DEFAULT_SETTINGS: TenantSettings = {
  syncRedirectsRequireAuth: true,
  longPollTimeoutSeconds: 50,
  syncMaxJobDurationSeconds: 900,
  corsAllowedOrigins: [],
  maxRequestBodyBytes: 1024 * 1024,
  jobRetentionDays: 30,
  idempotencyKeyRetentionHours: 24,
  rateLimitPerTokenPerMinute: 0,
  rateLimitPerTriggerPerMinute: 0,
  redirectStatusCode: 303,
};

export interface Folder {
  key: string;
  tenantId: string;
  name: string;
  createdAt: string;
}

/** How long a failed attempt waits before the next (SPEC §8 "Retries"; computed in Retries.ts). */
export interface RetryBackoff {
  /** Fixed: every wait is delaySeconds; Exponential: delaySeconds × 2^(attempt−1) */
  type: "Fixed" | "Exponential";
  delaySeconds: number;
  /** no wait is longer (before jitter) */
  maxDelaySeconds: number;
  /** "equal jitter": the wait is drawn uniformly from [d/2, d] */
  jitter: boolean;
}

export const BACKOFF_TYPES: readonly RetryBackoff["type"][] = ["Fixed", "Exponential"];

export interface RetryPolicy {
  /** total attempts, the first included; 1 means no retry */
  maxAttempts: number;
  backoff: RetryBackoff;
}

/** a new process's retry policy */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 1,
  backoff: { type: "Exponential", delaySeconds: 5, maxDelaySeconds: 3600, jitter: false },
};

export interface Process {
  id: string;
  tenantId: string;
  folderKey: string;
  name: string;
  description: string;
  defaultInputArguments: JsonObject;
  inputSchema: JsonObject | null;
  outputSchema: JsonObject | null;
  priority: Priority;
  maxDurationSeconds: number | null;
  retry: RetryPolicy;
  /** jobs Running at once (Stopping and Terminating count too), across all robots and nodes; null: no limit (SPEC §9) */
  maxConcurrentJobs?: number | null;
  /** a JSON Pointer into the input arguments (RFC 6901, such as `/customerId`): the value that groups jobs for maxConcurrentJobsPerKey */
  concurrencyKey?: string | null;
  /** jobs Running at once per value of concurrencyKey; null: no limit per key. Requires concurrencyKey. */
  maxConcurrentJobsPerKey?: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface Trigger {
  id: string;
  tenantId: string;
  folderKey: string;
  name: string;
  slug: string;
  verb: Verb;
  processName: string;
  callMode: CallMode;
  defaultArguments: JsonObject;
  priority: TriggerPriority;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export type MissedRunPolicy = "Skip" | "RunOnce";
export const MISSED_RUN_POLICIES: readonly MissedRunPolicy[] = ["Skip", "RunOnce"];

/** A time trigger (SPEC §9): its cron's slots in its time zone each start one job of the process. */
export interface TimeTrigger {
  id: string;
  tenantId: string;
  folderKey: string;
  name: string;
  processName: string;
  /** 5 fields, or 6 with seconds first (croner's syntax) */
  cron: string;
  /** an IANA time zone name */
  timeZone: string;
  arguments: JsonObject;
  priority: TriggerPriority;
  enabled: boolean;
  missedRunPolicy: MissedRunPolicy;
  /** the slot it fires next; null while disabled (or when the cron has no future slot) */
  nextRunAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface JobError {
  code: string;
  message: string;
  details?: unknown;
  /** false: the robot said that trying again cannot help; the job ended at once (SPEC §8) */
  retryable?: false;
}

/**
 * One attempt of a job: a run of it by a robot. The attempts that did not end the job
 * (retried, lost, handed back) are rows of their own; the current or last attempt is read
 * from the job itself (JobStore.listAttempts, jobView.jobAttempts).
 */
export interface JobAttempt {
  attempt: number;
  robot: string | null;
  sessionId: string | null;
  startedAt: string | null;
  endedAt: string | null;
  /**
   * Running (or Stopping, Terminating) while it runs; how it ended: Successful, Faulted,
   * Stopped, or HandedBack (its robot closed its session: not a failure)
   */
  outcome: Exclude<JobState, "Pending"> | "HandedBack";
  error: JobError | null;
}

export interface Job {
  key: string;
  tenantId: string;
  folderKey: string;
  processName: string;
  triggerId: string | null;
  source: JobSource;
  callMode: CallMode;
  state: JobState;
  priority: Priority;
  inputArguments: JsonObject;
  outputArguments: JsonObject | null;
  error: JobError | null;
  robot: string | null;
  sessionId: string | null;
  attempt: number;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  info: string | null;
  /** the process's maxDurationSeconds when the job was created: a run longer than this is killed */
  maxDurationSeconds: number | null;
  /** when the job is killed: LongPolling's syncMaxJobDurationSeconds (SPEC §2) or maxDurationSeconds */
  deadlineAt: string | null;
  /** the Idempotency-Key of the call that created the job (SPEC §8), if it had one */
  idempotencyKey: string | null;
  /** a Pending job waiting out a retry's backoff: not claimed before this moment (SPEC §8); null otherwise */
  retryAt: string | null;
  /**
   * The value of its process's concurrencyKey in the job's input when it was created, as
   * canonical JSON (a long one as its SHA-256); null when the process has no key or the input
   * no value there: such a job is limited by maxConcurrentJobs only (SPEC §9).
   */
  concurrencyKey?: string | null;
  /** why a Pending job waits, computed when it is read (null for any other state); absent where not computed */
  pendingReason?: PendingReason | null;
  /** source TimeTrigger: the time trigger, and the slot (its fire time) the job was started for; absent on other jobs */
  timeTriggerId?: string;
  slot?: string;
}

/**
 * Why a Pending job waits, in this order: `RetryBackoff` (its retryAt is in the future),
 * `NoRobot` (no live robot session serves its process in its folder), `ConcurrencyLimit`
 * (its process's maxConcurrentJobs, or its key's maxConcurrentJobsPerKey, is reached),
 * `Queued` (none of those: the next free slot takes it, after older and higher-priority jobs).
 */
export const PENDING_REASONS = ["NoRobot", "ConcurrencyLimit", "RetryBackoff", "Queued"] as const;
export type PendingReason = (typeof PENDING_REASONS)[number];

/**
 * Longest JSON, in bytes, of a job's inputArguments, outputArguments or error in a list of
 * jobs (GET /jobs): a longer one is left out of the list item, which says so with
 * `inputArgumentsTruncated` (and so on); GET /jobs/{key} has it whole. The stores never read
 * the left-out values, so a page of 1,000 jobs with megabytes of arguments each stays small.
 */
export const LIST_FIELD_MAX_BYTES = 2048;

/** A job as a list shows it: the arguments, output and error only when they are short. */
export type JobListItem = Omit<Job, "inputArguments" | "outputArguments" | "error"> & {
  /** absent when longer than LIST_FIELD_MAX_BYTES (then `inputArgumentsTruncated`) */
  inputArguments?: JsonObject;
  outputArguments?: JsonObject | null;
  error?: JobError | null;
  inputArgumentsTruncated?: true;
  outputArgumentsTruncated?: true;
  errorTruncated?: true;
};

export type Scope = string;

/** Who is calling: resolved from a bearer token (or a console session cookie) by the auth hook. */
export interface Principal {
  /**
   * token: a personal access token; oauth: an access token of an external application
   * (client credentials); session: a console login (cookie); signed-uri: a signed wait URI
   */
  kind: "token" | "signed-uri" | "oauth" | "session";
  tokenId: string | null;
  userId: string | null;
  tenantId: string;
  org: string;
  scopes: ReadonlySet<Scope>;
  /** an administrator of the organization may act in every tenant of it */
  orgAdmin: boolean;
  /** kind "oauth": the external application's client id */
  clientId?: string;
  /** who it is, for people: the token's (or application's, or user's) name; the audit log's actor name */
  name?: string | null;
  /**
   * what the user may do in this tenant (Permissions.ts); null when only scopes limit the
   * caller (organization administrators, external applications, signed wait URIs)
   */
  permissions: PermissionSet | null;
  /** kind "token": when the personal access token expires (null: never); a token it creates expires no later */
  expiresAt?: string | null;
  /** kind "session": the console session's CSRF token, which every change must echo */
  csrfToken?: string;
}

/**
 * A person who logs in to the console and owns personal access tokens. A user belongs to
 * one tenant, with roles granted there tenant-wide or per folder; a user of the
 * organization (tenantId null, like the first user `admin`) administers every tenant.
 */
export interface User {
  id: string;
  org: string;
  tenantId: string | null;
  name: string;
  orgAdmin: boolean;
  roles: RoleAssignment[];
  createdAt: string;
  disabledAt: string | null;
}

/**
 * An external application: a confidential OAuth client of one tenant that gets access
 * tokens with the client-credentials grant. Its secret is stored only as a hash.
 */
export interface ExternalApp {
  id: string;
  org: string;
  tenantId: string;
  /** the tenant's name (joined in by the store) */
  tenantName: string;
  name: string;
  clientId: string;
  scopes: Scope[];
  createdAt: string;
  /** the last rotation of the secret; tokens issued before it are no longer accepted */
  secretRotatedAt: string | null;
  revokedAt: string | null;
}

export interface PersonalAccessToken {
  id: string;
  tenantId: string;
  userId: string | null;
  name: string;
  scopes: Scope[];
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface RobotSession {
  id: string;
  tenantId: string;
  /** the folders whose jobs the session may run (its robot key's); null: every folder */
  folderKeys: string[] | null;
  /** the robot key the session was opened with (null for the in-process robot) */
  robotKeyId: string | null;
  robotName: string;
  version: string | null;
  processes: string[];
  slots: number;
  leaseExpiresAt: string;
  createdAt: string;
}

/** A session as the management API lists it: how busy it is and when it was last heard from. */
export interface RobotSessionView extends RobotSession {
  /** jobs the session holds (Running, Stopping or Terminating) */
  slotsInUse: number;
  /** the session's last heartbeat (or its opening): every heartbeat renews the lease for leaseSeconds from then */
  lastHeartbeatAt: string;
}

export interface RobotKey {
  id: string;
  tenantId: string;
  name: string;
  createdAt: string;
  /** the last rotation: the key issued before it no longer works */
  rotatedAt: string | null;
  /** the folders whose jobs the robot may run; null: every folder of the tenant */
  folderKeys: string[] | null;
  revokedAt: string | null;
}

/** A robot authenticated by its robot key: it may use the robot protocol of its tenant, nothing else. */
export interface RobotPrincipal {
  tenantId: string;
  robotKeyId: string;
  name: string;
  folderKeys: string[] | null;
}

export interface JobLogLine {
  seq: number;
  at: string;
  level: "info" | "error";
  message: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
