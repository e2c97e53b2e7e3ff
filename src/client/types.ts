/**
 * The resources of Baton's HTTP API as the client sends and receives them: the component
 * schemas of the OpenAPI document (`…/orchestrator_/api/v1/openapi.json`). The names match
 * the schemas' names where there is one (Job, Trigger, JobStatus, …); request bodies are
 * `…Input` / `…Patch`. test/unit/clientTypes.test.ts compares every type here with its
 * schema (property names, required, nullable, kind), so a field added on one side only
 * fails the tests.
 *
 * Dependency-free on purpose: nothing here imports the server's code.
 */

/** Input or output arguments: a JSON object. */
export type Arguments = { [key: string]: unknown };

export const CALL_MODES = ["AsyncRequestReply", "FireAndForget", "LongPolling"] as const;
/** AsyncRequestReply: 202 and a status URI to poll. FireAndForget: 200 once stored. LongPolling: the call blocks until the result. */
export type CallMode = (typeof CALL_MODES)[number];

export const JOB_STATES = ["Pending", "Running", "Stopping", "Terminating", "Successful", "Faulted", "Stopped"] as const;
export type JobState = (typeof JOB_STATES)[number];
export const FINAL_JOB_STATES = ["Successful", "Faulted", "Stopped"] as const;
export type FinalJobState = (typeof FINAL_JOB_STATES)[number];
export type NonFinalJobState = Exclude<JobState, FinalJobState>;
/** Successful, Faulted and Stopped never change again. */
export const isFinalJobState = (state: JobState): state is FinalJobState => (FINAL_JOB_STATES as readonly string[]).includes(state);

export const VERBS = ["GET", "POST", "PUT", "DELETE"] as const;
export type Verb = (typeof VERBS)[number];

export const PRIORITIES = ["Low", "Normal", "High"] as const;
export type Priority = (typeof PRIORITIES)[number];
export const TRIGGER_PRIORITIES = ["Inherit", ...PRIORITIES] as const;
/** Inherit: the process's priority. */
export type TriggerPriority = (typeof TRIGGER_PRIORITIES)[number];

export const JOB_SOURCES = ["ApiTrigger", "Manual", "Api"] as const;
export type JobSource = (typeof JOB_SOURCES)[number];

export const STOP_STRATEGIES = ["SoftStop", "Kill"] as const;
/** SoftStop: the robot is asked to stop the job (Stopping). Kill: at once (Terminating). */
export type StopStrategy = (typeof STOP_STRATEGIES)[number];

export const SCOPE_RESOURCES = ["Jobs", "Execution", "Folders", "Robots", "Settings", "Users", "Audit"] as const;
export type ScopeResource = (typeof SCOPE_RESOURCES)[number];
/** `OR.X` grants read and write on X; `OR.X.Read` and `OR.X.Write` one of them. */
export type Scope = `OR.${ScopeResource}` | `OR.${ScopeResource}.Read` | `OR.${ScopeResource}.Write`;
export const SCOPES: readonly Scope[] = SCOPE_RESOURCES.flatMap((r) => [`OR.${r}`, `OR.${r}.Read`, `OR.${r}.Write`] as Scope[]);

/** A list answer. `nextCursor` is opaque: pass it back unchanged as `cursor`; null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

// ---- folders

export interface Folder {
  key: string;
  name: string;
  createdAt: string;
}

export interface FolderInput {
  name: string;
}

// ---- processes

export interface RetryPolicy {
  /** Total attempts, the first included; 1 means no retry. */
  maxAttempts: number;
  /** The delay before attempt n+1 is backoffSeconds × 2^(n-1). */
  backoffSeconds: number;
}

export type RetryPolicyInput = Partial<RetryPolicy>;

export interface Process {
  id: string;
  folderKey: string;
  name: string;
  description: string;
  defaultInputArguments: Arguments;
  /** A JSON Schema (2020-12) the input arguments are validated against before a job exists. */
  inputSchema: Arguments | null;
  outputSchema: Arguments | null;
  priority: Priority;
  /** A run longer than this is killed and ends Faulted; null for no limit. */
  maxDurationSeconds: number | null;
  retry: RetryPolicy;
  createdAt: string;
  updatedAt: string;
}

export interface ProcessInput {
  name: string;
  description?: string;
  defaultInputArguments?: Arguments;
  inputSchema?: Arguments | null;
  outputSchema?: Arguments | null;
  priority?: Priority;
  maxDurationSeconds?: number | null;
  retry?: RetryPolicyInput;
}

/** The fields to change. A process cannot be renamed: `name`, if present, must be the current one. */
export type ProcessPatch = Partial<ProcessInput>;

// ---- API triggers

export interface Trigger {
  id: string;
  folderKey: string;
  name: string;
  /** Unique in the tenant: letters, digits, '-', '_', '.'. */
  slug: string;
  verb: Verb;
  processName: string;
  /** The default call mode; a caller may override it per call. */
  callMode: CallMode;
  defaultArguments: Arguments;
  priority: TriggerPriority;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
  /** `{base}/{org}/{tenant}/orchestrator_/t/{folderKey}/{slug}` */
  invokeUrl: string;
}

export interface TriggerInput {
  name: string;
  slug: string;
  verb: Verb;
  processName: string;
  callMode?: CallMode;
  defaultArguments?: Arguments;
  priority?: TriggerPriority;
  enabled?: boolean;
}

export type TriggerPatch = Partial<TriggerInput>;

// ---- jobs

export interface JobError {
  code: string;
  message: string;
  /** Any JSON value the robot reported. */
  details?: unknown;
}

export interface Job {
  key: string;
  folderKey: string;
  processName: string;
  /** The API trigger that created the job, if any. */
  triggerId: string | null;
  source: JobSource;
  callMode: CallMode;
  state: JobState;
  priority: Priority;
  inputArguments: Arguments;
  outputArguments: Arguments | null;
  error: JobError | null;
  /** The robot that runs or ran the job. */
  robot: string | null;
  /** 0 until a robot claims the job; then the attempt number. */
  attempt: number;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  /** The last log line or status line. */
  info: string | null;
}

/**
 * A job as a list (`jobs.list`, `jobs.iterate`) has it: inputArguments, outputArguments and
 * error longer than 2048 bytes of JSON are left out and flagged; `jobs.get` has them whole.
 */
export interface JobListItem extends Omit<Job, "inputArguments" | "outputArguments" | "error"> {
  /** Absent when long (then `inputArgumentsTruncated`). */
  inputArguments?: Arguments;
  /** Absent when long (then `outputArgumentsTruncated`). */
  outputArguments?: Arguments | null;
  /** Absent when long (then `errorTruncated`). */
  error?: JobError | null;
  inputArgumentsTruncated?: true;
  outputArgumentsTruncated?: true;
  errorTruncated?: true;
}

/** The answer of the status URI while the job is not final. */
export interface JobStatus {
  jobKey: string;
  state: NonFinalJobState;
  /** The process name. */
  process: string;
  createdAt: string;
  startedAt: string | null;
  info: string | null;
}

/** The body of AsyncRequestReply's 202. */
export interface AcceptedJob {
  jobKey: string;
  state: JobState;
  statusUri: string;
}

export interface JobLogLine {
  seq: number;
  at: string;
  level: "info" | "error";
  message: string;
}

/** GET /jobs filters. `limit` is the page size (1–1000, default 50). */
export interface JobFilter {
  /** One state or several (any of them). */
  state?: JobState | readonly JobState[];
  processName?: string;
  triggerId?: string;
  folderKey?: string;
  /** At or after this time. */
  createdAfter?: string | Date;
  /** Before this time. */
  createdBefore?: string | Date;
  limit?: number;
  cursor?: string;
}

/** POST /jobs/{jobKey}/stop */
export interface StopJobInput {
  strategy: StopStrategy;
}

/** POST /jobs: starts a job of a process directly, in call mode AsyncRequestReply. */
export interface StartJobInput {
  folderKey: string;
  processName: string;
  inputArguments?: Arguments;
  priority?: Priority;
}

// ---- robots

/** A robot, known by its robot key (the key itself is shown only when created or rotated). */
export interface RobotKey {
  id: string;
  name: string;
  createdAt: string;
  /** The last rotation of the key (robots.rotate()); the key issued before it no longer works. */
  rotatedAt: string | null;
  /** The folders whose jobs the robot may run (set at creation); null: every folder of the tenant. */
  folderKeys: string[] | null;
  revokedAt: string | null;
}

export interface CreatedRobotKey extends RobotKey {
  /** The robot key: shown only in this answer. */
  key: string;
}

/** The answer of POST /robots/{id}/rotate. */
export interface RotatedRobotKey extends RobotKey {
  /** The new robot key: shown only in this answer; the previous key no longer works. */
  key: string;
}

export interface RobotKeyInput {
  /** 1-128 letters, digits, '-', '_', '.' or '@', starting with a letter or digit; unique in the tenant. */
  name: string;
  /** Limits the robot to the jobs of these folders; absent or null: every folder. */
  folderKeys?: string[] | null;
}

export interface RobotSession {
  id: string;
  /** Null for the in-process robot. */
  robotKeyId: string | null;
  /** The folders whose jobs the session runs (its robot key's); null: every folder. */
  folderKeys: string[] | null;
  robotName: string;
  version: string | null;
  /** The process names the session serves. */
  processes: string[];
  slots: number;
  /** How many jobs the session holds now (Running, Stopping or Terminating). */
  slotsInUse: number;
  leaseExpiresAt: string;
  /** When the robot was last heard from: its last heartbeat, or the session's opening. */
  lastHeartbeatAt: string;
  createdAt: string;
}

// ---- personal access tokens

export interface PersonalAccessToken {
  id: string;
  userId: string | null;
  name: string;
  scopes: Scope[];
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface CreatedPersonalAccessToken extends PersonalAccessToken {
  /** The secret: shown only in this answer. */
  token: string;
}

export interface CreateTokenInput {
  name: string;
  scopes: Scope[];
  /** In the future; null or absent for a token that does not expire. */
  expiresAt?: string | null;
}

// ---- users and roles

export const PERMISSIONS = [
  "Folders.View", "Folders.Edit",
  "Processes.View", "Processes.Edit",
  "Triggers.View", "Triggers.Edit",
  "Jobs.View", "Jobs.Create", "Jobs.Edit",
  "Robots.View", "Robots.Edit",
  "Users.View", "Users.Edit",
  "Settings.View", "Settings.Edit",
  "Audit.View",
] as const;
/**
 * What a user may do. A call needs both the token's scope and its user's permission; the
 * folder permissions (Folders.View, Processes.*, Triggers.*, Jobs.*) can be granted in one folder.
 */
export type Permission = (typeof PERMISSIONS)[number];

export const ROLE_NAMES = ["Administrator", "Automation Developer", "Viewer"] as const;
/** Administrator: every permission. Automation Developer and Viewer: see users.roles(). */
export type RoleName = (typeof ROLE_NAMES)[number];

/** A role and the permissions it grants (GET /roles). */
export interface Role {
  name: RoleName;
  /** Granted tenant-wide; in a folder, only the folder permissions among them. */
  permissions: Permission[];
}

/** One grant of a role: tenant-wide (folderKey null), or in one folder. */
export interface RoleAssignment {
  role: RoleName;
  folderKey: string | null;
}

/** A grant in a request: folderKey absent or null for tenant-wide. */
export interface RoleAssignmentInput {
  role: RoleName;
  folderKey?: string | null;
}

export interface User {
  id: string;
  /** Unique among the tenant's and the organization's users. */
  name: string;
  /** An administrator of the organization: every permission in every tenant, limited by scopes only. */
  orgAdmin: boolean;
  /** A user of the organization (like `admin`): it cannot be changed or deleted in a tenant (409 user-of-organization). */
  organizationUser: boolean;
  /** The user's grants in this tenant. */
  roles: RoleAssignment[];
  /** A disabled user cannot log in, and its tokens are refused (401). */
  disabled: boolean;
  disabledAt: string | null;
  createdAt: string;
}

/** POST /users: a user of this tenant. */
export interface CreateUserInput {
  /** 1-128 letters, digits, '-', '_', '.' or '@', starting with a letter or digit. */
  name: string;
  /** 8 to 1024 characters; only its hash is stored, and it is never answered. */
  password: string;
  /** Default: none. */
  roles?: RoleAssignmentInput[];
}

/** PATCH /users/{id}: the fields to change (a user cannot be renamed). */
export interface UpdateUserInput {
  /** A new password; the user's console sessions end. */
  password?: string;
  /** Replaces all the user's grants. */
  roles?: RoleAssignmentInput[];
  /** true: the user cannot log in and its tokens are refused; false: enabled again. */
  disabled?: boolean;
}

// ---- tenant settings

export interface TenantSettings {
  /** When false, the wait URIs LongPolling hands out are signed and need no token. */
  syncRedirectsRequireAuth: boolean;
  /** How long one LongPolling request blocks before redirecting to the wait URI (1–90); × 20 at least syncMaxJobDurationSeconds. */
  longPollTimeoutSeconds: number;
  /** LongPolling jobs running longer are killed (Faulted, MaxDurationExceeded); at most longPollTimeoutSeconds × 20. */
  syncMaxJobDurationSeconds: number;
  corsAllowedOrigins: string[];
  maxRequestBodyBytes: number;
  jobRetentionDays: number;
  /** Requests a minute of one token in the tenant, on each node; past it 429 rate-limited. 0: unlimited. */
  rateLimitPerTokenPerMinute: number;
  /** Invocations a minute of one trigger, on each node; past it 429 rate-limited. 0: unlimited. */
  rateLimitPerTriggerPerMinute: number;
  /** The status of the call modes' redirects: 303 See Other, or 302 for clients that compare with 302. The client follows both. */
  redirectStatusCode: 302 | 303;
}

export type TenantSettingsPatch = Partial<TenantSettings>;

// ---- errors

/** application/problem+json (RFC 9457) with Baton's stable `code`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Stable and machine-readable, e.g. `trigger-not-found`, `invalid-arguments`. */
  code: string;
  /** The request's path. */
  instance?: string;
}

/** A problem with the members some codes add (`violations`, `jobKey`, `error`, `requiredScope`, …). */
export type ProblemDetails = Problem & { [member: string]: unknown };

export interface Violation {
  /** A JSON Pointer into the request body or arguments. */
  path: string;
  message: string;
}
