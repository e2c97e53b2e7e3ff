/**
 * The resources of Baton's HTTP API as the client sends and receives them: the component
 * schemas of the OpenAPI document (`…/orchestrator_/api/v1/openapi.json`). Each type with a
 * schema is an alias of the type generated from it (./openapi.ts, `npm run gen:api-types`),
 * so it cannot drift from what the server serves; the names match the schemas' names where
 * there is one (Job, Trigger, JobStatus, …), request bodies are `…Input` / `…Patch`. What
 * has no schema (a page's generic type, the jobs' filter, the constants the client uses at
 * run time) is written here, checked against the generated types where it can be.
 *
 * Dependency-free on purpose: nothing here imports the server's code.
 */
import type { components } from "./openapi.js";

type Schemas = components["schemas"];

/**
 * A request body's type without the index signature of `additionalProperties: true`: the
 * server ignores unknown fields, but a misspelt field in the caller's literal should not compile.
 */
type Known<T> = { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };

/**
 * The values given, as a readonly tuple, if they are every member of the union T: a value the
 * schema adds fails to compile here until it is listed (the constants are used at run time).
 */
const every =
  <T extends string>() =>
  <const A extends readonly T[]>(values: A & ([T] extends [A[number]] ? unknown : { missing: Exclude<T, A[number]> })): A =>
    values;

/** Input or output arguments: a JSON object. */
export type Arguments = Schemas["Arguments"];

/** AsyncRequestReply: 202 and a status URI to poll. FireAndForget: 200 once stored. LongPolling: the call blocks until the result. */
export type CallMode = Schemas["CallMode"];
export const CALL_MODES = every<CallMode>()(["AsyncRequestReply", "FireAndForget", "LongPolling"]);

export type JobState = Schemas["JobState"];
export const JOB_STATES = every<JobState>()(["Pending", "Running", "Stopping", "Terminating", "Successful", "Faulted", "Stopped"]);
/** The states the status URI answers: a final job is answered with a redirect to its output. */
export type NonFinalJobState = Schemas["JobStatus"]["state"];
export type FinalJobState = Exclude<JobState, NonFinalJobState>;
export const FINAL_JOB_STATES = every<FinalJobState>()(["Successful", "Faulted", "Stopped"]);
/**
 * Why a Pending job waits (`job.pendingReason`; null for any other state): RetryBackoff (a
 * retry's backoff has not ended), NoRobot (no live robot serves its process), ConcurrencyLimit
 * (its process's maxConcurrentJobs or its key's maxConcurrentJobsPerKey is reached), Queued.
 */
export type PendingReason = Schemas["PendingReason"];
export const PENDING_REASONS = every<PendingReason>()(["NoRobot", "ConcurrencyLimit", "RetryBackoff", "Queued"]);
/** Successful, Faulted and Stopped never change again. */
export const isFinalJobState = (state: JobState): state is FinalJobState => (FINAL_JOB_STATES as readonly string[]).includes(state);

export type Verb = Schemas["Verb"];
export const VERBS = every<Verb>()(["GET", "POST", "PUT", "DELETE"]);

export type Priority = Schemas["Priority"];
export const PRIORITIES = every<Priority>()(["Low", "Normal", "High"]);
/** Inherit: the process's priority. */
export type TriggerPriority = Schemas["TriggerPriority"];
export const TRIGGER_PRIORITIES = every<TriggerPriority>()(["Inherit", ...PRIORITIES]);

export type JobSource = Schemas["JobSource"];
export const JOB_SOURCES = every<JobSource>()(["ApiTrigger", "TimeTrigger", "Manual", "Api"]);

/** SoftStop: the robot is asked to stop the job (Stopping). Kill: at once (Terminating). */
export type StopStrategy = Schemas["StopStrategy"];
export const STOP_STRATEGIES = every<StopStrategy>()(["SoftStop", "Kill"]);

/** `OR.X` grants read and write on X; `OR.X.Read` and `OR.X.Write` one of them. */
export type Scope = Schemas["Scope"];
/** The X of the scopes `OR.X`. */
export type ScopeResource = Scope extends `OR.${infer R}` ? (R extends `${string}.${string}` ? never : R) : never;
export const SCOPE_RESOURCES = every<ScopeResource>()(["Jobs", "Execution", "Folders", "Robots", "Settings", "Users", "Audit"]);
export const SCOPES: readonly Scope[] = SCOPE_RESOURCES.flatMap((r) => [`OR.${r}`, `OR.${r}.Read`, `OR.${r}.Write`] as const);

/**
 * A list answer. `nextCursor` is opaque: pass it back unchanged as `cursor`; null on the last page.
 * Written here: the document has one page schema per item type (JobPage, …), all of this shape.
 */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

// ---- folders

export type Folder = Schemas["Folder"];
export type FolderInput = Schemas["FolderInput"];

// ---- processes

export type RetryPolicy = Schemas["RetryPolicy"];
/** How long a failed attempt waits before the next: Fixed or Exponential, capped, with or without jitter. */
export type RetryBackoff = Schemas["RetryBackoff"];
/** Any field may be left out: it keeps its current value. */
export type RetryPolicyInput = Schemas["RetryPolicyInput"];
export type Process = Schemas["Process"];
/** The read-only fields of a fetched process (id, createdAt, …) are accepted and ignored, so it can be sent back. */
export type ProcessInput = Schemas["ProcessInput"];
/** The fields to change. A process cannot be renamed: `name`, if present, must be the current one. */
export type ProcessPatch = Schemas["ProcessPatch"];

// ---- API triggers

export type Trigger = Schemas["Trigger"];
/** The read-only fields of a fetched trigger (id, invokeUrl, …) are accepted and ignored, so it can be sent back. */
export type TriggerInput = Schemas["TriggerInput"];
export type TriggerPatch = Schemas["TriggerPatch"];

// ---- time triggers

export type TimeTrigger = Schemas["TimeTrigger"];
export type TimeTriggerInput = Schemas["TimeTriggerInput"];
export type TimeTriggerPatch = Schemas["TimeTriggerPatch"];
/** The next fire times of a cron, in UTC and on the wall clock of its time zone, and the cron in words (null for uncommon shapes). */
export type TimeTriggerPreview = Schemas["TimeTriggerPreview"];

// ---- jobs

export type JobError = Schemas["JobError"];
export type Job = Schemas["Job"];
/** One run of a job by a robot: `jobs.get` lists every attempt. */
export type JobAttempt = Schemas["JobAttempt"];
/** A job as `jobs.get` has it: with its attempts. */
export type JobDetail = Schemas["JobDetail"];
/**
 * A job as a list (`jobs.list`, `jobs.iterate`) has it: inputArguments, outputArguments and
 * error longer than 2048 bytes of JSON are left out and flagged; `jobs.get` has them whole.
 */
export type JobListItem = Schemas["JobListItem"];
/** The answer of the status URI while the job is not final. */
export type JobStatus = Schemas["JobStatus"];
/** The body of AsyncRequestReply's 202. */
export type AcceptedJob = Schemas["AcceptedJob"];
export type JobLogLine = Schemas["JobLogLine"];

/**
 * GET /jobs filters. `limit` is the page size (1–1000, default 50). Written here: they are
 * query parameters, not a schema, and the client takes more than the query's strings
 * (several states, Dates) and writes them as the server reads them.
 */
export interface JobFilter {
  /** One state or several (any of them). */
  state?: JobState | readonly JobState[];
  processName?: string;
  triggerId?: string;
  /** Only jobs started by this time trigger. */
  timeTriggerId?: string;
  folderKey?: string;
  /** At or after this time. */
  createdAfter?: string | Date;
  /** Before this time. */
  createdBefore?: string | Date;
  limit?: number;
  cursor?: string;
}

/** POST /jobs/{jobKey}/stop */
export type StopJobInput = Schemas["StopJob"];
/** POST /jobs: starts a job of a process directly, in call mode AsyncRequestReply. */
export type StartJobInput = Known<Schemas["StartJob"]>;

// ---- robots

/** A robot, known by its robot key (the key itself is shown only when created or rotated). */
export type RobotKey = Schemas["RobotKey"];
/** The answer of POST /robots: the robot key (`key`) is shown only there. */
export type CreatedRobotKey = Schemas["CreatedRobotKey"];
/** The answer of POST /robots/{id}/rotate: the new key; the previous one no longer works. */
export type RotatedRobotKey = Schemas["RotatedRobotKey"];
export type RobotKeyInput = Known<Schemas["RobotKeyInput"]>;
export type RobotSession = Schemas["RobotSession"];

// ---- personal access tokens

export type PersonalAccessToken = Schemas["PersonalAccessToken"];
/** The answer of POST /tokens: the secret (`token`) is shown only there. */
export type CreatedPersonalAccessToken = Schemas["CreatedPersonalAccessToken"];
export type CreateTokenInput = Known<Schemas["CreateToken"]>;

// ---- webhooks (issue 16)

/** A webhook subscription (never its secret). */
export type Webhook = Schemas["Webhook"];
/** The answer of POST /webhooks: the signing `secret` is shown only there. */
export type CreatedWebhook = Schemas["CreatedWebhook"];
/** The answer of POST /webhooks/{id}/rotate-secret: the new `secret`, shown only there. */
export type RotatedWebhook = Schemas["RotatedWebhook"];
export type WebhookEvent = Schemas["WebhookEvent"];
export type WebhookInput = Schemas["WebhookInput"];
export type WebhookPatch = Schemas["WebhookPatch"];
/** A delivery with every attempt (status code, duration, error). */
export type WebhookDelivery = Schemas["WebhookDelivery"];
export type WebhookAttempt = Schemas["WebhookAttempt"];

// ---- users and roles

/**
 * What a user may do. A call needs both the token's scope and its user's permission; the
 * folder permissions (Folders.View, Processes.*, Triggers.*, Jobs.*) can be granted in one folder.
 */
export type Permission = Schemas["Permission"];
export const PERMISSIONS = every<Permission>()([
  "Folders.View", "Folders.Edit",
  "Processes.View", "Processes.Edit",
  "Triggers.View", "Triggers.Edit",
  "Jobs.View", "Jobs.Create", "Jobs.Edit",
  "Robots.View", "Robots.Edit",
  "Users.View", "Users.Edit",
  "Settings.View", "Settings.Edit",
  "Audit.View",
]);

/** Administrator: every permission. Automation Developer and Viewer: see users.roles(). */
export type RoleName = Schemas["RoleName"];
export const ROLE_NAMES = every<RoleName>()(["Administrator", "Automation Developer", "Viewer"]);

/** A role and the permissions it grants (GET /roles). */
export type Role = Schemas["Role"];
/** One grant of a role: tenant-wide (folderKey null), or in one folder. */
export type RoleAssignment = Schemas["RoleAssignment"];
/** A grant in a request: folderKey absent or null for tenant-wide. */
export type RoleAssignmentInput = Known<Schemas["RoleAssignmentInput"]>;

export type User = Schemas["User"];
/** POST /users: a user of this tenant. */
export type CreateUserInput = Known<Schemas["CreateUser"]>;
/** PATCH /users/{id}: the fields to change (a user cannot be renamed). */
export type UpdateUserInput = Known<Schemas["UpdateUser"]>;

// ---- tenant settings

export type TenantSettings = Schemas["TenantSettings"];
export type TenantSettingsPatch = Schemas["TenantSettingsPatch"];

// ---- errors

/**
 * application/problem+json (RFC 9457) with Baton's stable `code`. The schema's, widened:
 * `code` and `type` are strings, since a newer server may answer codes this client does not
 * know, and the client makes a problem up (`http-502`) from an answer that is not one (a proxy's page).
 */
export type Problem = Omit<Known<Schemas["Problem"]>, "type" | "code"> & {
  type: string;
  /** Stable and machine-readable, e.g. `trigger-not-found`, `invalid-arguments` (API_ERROR_CODES). */
  code: string;
};

/** A problem with the members some codes add (`violations`, `jobKey`, `error`, `requiredScope`, …). */
export type ProblemDetails = Problem & { [member: string]: unknown };

export type Violation = Schemas["Violation"];
