import { ERROR_CODES } from "../core/errorCodes.js";
/**
 * JSON Schemas (draft 2020-12, as OpenAPI 3.1 uses them) of everything the HTTP API sends
 * and accepts: `components.schemas` of the OpenAPI document (openapi.ts).
 *
 * The enumerations come from the domain's own constants, and the property lists of the
 * rendered resources are typed against the domain types (`Record<keyof …>`), so adding a
 * field to a job, trigger or setting without documenting it fails the type check. The
 * response schemas leave `additionalProperties` open (fields may be added, SPEC §6);
 * test/openapi.test.ts closes them when it checks real answers against them.
 */
import {
  CALL_MODES,
  LIST_FIELD_MAX_BYTES,
  PENDING_REASONS,
  PRIORITIES,
  VERBS,
  type JobAttempt,
  type JobError,
  type JobListItem,
  type JobLogLine,
  type JobSource,
  type JobState,
  type StopStrategy,
} from "../core/types.js";
import type { renderJob } from "./routes/management.js";

export type Schema = { [keyword: string]: unknown };

export const schemaRef = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const nullable = (schema: Schema): Schema => ({ anyOf: [schema, { type: "null" }] });
const keysOf = <K extends string>(all: Record<K, true>): K[] => Object.keys(all) as K[];

// Exhaustive at compile time: a new state, source or strategy must be added here.
export const JOB_STATES = keysOf<JobState>({ Pending: true, Running: true, Stopping: true, Terminating: true, Successful: true, Faulted: true, Stopped: true });
const NON_FINAL_STATES: JobState[] = ["Pending", "Running", "Stopping", "Terminating"];
const JOB_SOURCES = keysOf<JobSource>({ ApiTrigger: true, TimeTrigger: true, Manual: true, Api: true });
const STOP_STRATEGIES = keysOf<StopStrategy>({ SoftStop: true, Kill: true });

const uuid: Schema = { type: "string", format: "uuid" };
const dateTime: Schema = { type: "string", format: "date-time" };
const nullableDateTime: Schema = { type: ["string", "null"], format: "date-time" };

const jsonObject = (description: string): Schema => ({ type: "object", additionalProperties: true, description });
const jobAttemptProperties: Record<keyof JobAttempt, Schema> = {
  attempt: { type: "integer", minimum: 1 },
  robot: { type: ["string", "null"], description: "The robot that ran the attempt." },
  sessionId: { type: ["string", "null"], description: "The robot session that ran the attempt." },
  startedAt: nullableDateTime,
  endedAt: { ...nullableDateTime, description: "null while the attempt runs." },
  outcome: {
    type: "string", enum: ["Running", "Stopping", "Terminating", "Successful", "Faulted", "Stopped", "HandedBack"],
    description: "Running (Stopping, Terminating) while it runs; how it ended otherwise. HandedBack: its robot closed its session (no failure).",
  },
  error: nullable(schemaRef("JobError")),
};

// ---- jobs

const jobProperties: Record<keyof ReturnType<typeof renderJob>, Schema> = {
  key: uuid,
  folderKey: uuid,
  processName: { type: "string" },
  triggerId: { type: ["string", "null"], format: "uuid", description: "The API trigger that created the job, if any." },
  source: schemaRef("JobSource"),
  callMode: schemaRef("CallMode"),
  state: schemaRef("JobState"),
  priority: schemaRef("Priority"),
  inputArguments: schemaRef("Arguments"),
  outputArguments: nullable(schemaRef("Arguments")),
  error: nullable(schemaRef("JobError")),
  robot: { type: ["string", "null"], description: "The robot that runs or ran the job." },
  attempt: { type: "integer", minimum: 0, description: "0 until a robot claims the job; then the attempt number." },
  createdAt: dateTime,
  startedAt: nullableDateTime,
  endedAt: nullableDateTime,
  info: { type: ["string", "null"], description: "The last log line or status line." },
  idempotencyKey: { type: ["string", "null"], description: "The Idempotency-Key of the call that created the job, if it sent one." },
  retryAt: {
    ...nullableDateTime,
    description: "A Pending job waiting out a retry's backoff is not claimed before this moment; null otherwise.",
  },
  pendingReason: {
    ...nullable(schemaRef("PendingReason")),
    description: "Why a Pending job waits, as of this answer; null when the job is not Pending.",
  },
  timeTriggerId: { ...uuid, description: "Source TimeTrigger only: the time trigger that started the job." },
  slot: { ...dateTime, description: "Source TimeTrigger only: the slot (fire time) the job was started for; after downtime with `RunOnce`, the first slot missed." },
};
/** fields only some jobs have */
const OPTIONAL_JOB_FIELDS = ["timeTriggerId", "slot"];

const omitted = (field: string): Schema => ({
  type: "boolean", const: true,
  description: `Present (true) when the job's ${field} is longer than ${LIST_FIELD_MAX_BYTES} bytes of JSON: the list leaves it out; GET /jobs/{jobKey} has it.`,
});
const jobListItemProperties: Record<keyof ReturnType<typeof renderJob> | keyof Pick<JobListItem, "inputArgumentsTruncated" | "outputArgumentsTruncated" | "errorTruncated">, Schema> = {
  ...jobProperties,
  inputArguments: { ...schemaRef("Arguments"), description: `Left out when longer than ${LIST_FIELD_MAX_BYTES} bytes of JSON (then inputArgumentsTruncated).` },
  outputArguments: { ...nullable(schemaRef("Arguments")), description: `Left out when longer than ${LIST_FIELD_MAX_BYTES} bytes of JSON (then outputArgumentsTruncated).` },
  error: { ...nullable(schemaRef("JobError")), description: `Left out when longer than ${LIST_FIELD_MAX_BYTES} bytes of JSON (then errorTruncated).` },
  inputArgumentsTruncated: omitted("inputArguments"),
  outputArgumentsTruncated: omitted("outputArguments"),
  errorTruncated: omitted("error"),
};

const jobErrorProperties: Record<keyof JobError, Schema> = {
  code: { type: "string", examples: ["ProcessExitCode", "MaxDurationExceeded", "RobotLost"] },
  message: { type: "string" },
  details: { description: "Any JSON value the robot reported." },
  retryable: { type: "boolean", const: false, description: "Present (false) when the failure was marked not retryable: the job ended without the retries its policy allows." },
};

const logLineProperties: Record<keyof JobLogLine, Schema> = {
  seq: { type: "integer", minimum: 0 },
  at: dateTime,
  level: { type: "string", enum: ["info", "error"] },
  message: { type: "string" },
};

// ---- the audit log


const page = (item: string, paginated: boolean): Schema => ({
  type: "object",
  required: ["items", "nextCursor"],
  properties: {
    items: { type: "array", items: schemaRef(item) },
    nextCursor: paginated
      ? { type: ["string", "null"], description: "Pass it as `cursor` for the next page; null on the last page." }
      : { type: ["string", "null"], description: "This list is not paginated yet: always null." },
  },
});

const problemExtra = (required: string[], properties: Record<string, Schema>, description: string): Schema => ({
  description,
  allOf: [schemaRef("Problem"), { type: "object", required, properties }],
});

export const schemas: Record<string, Schema> = {
  // ---- enumerations
  CallMode: {
    type: "string", enum: [...CALL_MODES],
    description: "AsyncRequestReply: 202 and a status URI to poll. FireAndForget: 200 once stored, no body. LongPolling: the call blocks until the result (or 303 to a wait URI).",
  },
  Verb: { type: "string", enum: [...VERBS] },
  Priority: { type: "string", enum: [...PRIORITIES] },
  TriggerPriority: { type: "string", enum: ["Inherit", ...PRIORITIES], description: "Inherit: the process's priority." },
  JobState: {
    type: "string", enum: JOB_STATES,
    description: "Pending → Running → Successful / Faulted; a stop passes through Stopping (SoftStop) or Terminating (Kill) and ends Stopped. Successful, Faulted and Stopped are final.",
  },
  JobSource: { type: "string", enum: JOB_SOURCES },
  PendingReason: {
    type: "string", enum: [...PENDING_REASONS],
    description: "RetryBackoff: a retry's backoff has not ended. NoRobot: no live robot session serves the process in the job's folder. " +
      "ConcurrencyLimit: the process's maxConcurrentJobs, or its key's maxConcurrentJobsPerKey, jobs are running. Queued: none of those; it waits for a free slot, behind older and higher-priority jobs. Checked in that order.",
  },
  StopStrategy: { type: "string", enum: STOP_STRATEGIES },


  Arguments: jsonObject("Input or output arguments: a JSON object."),

  // ---- errors (RFC 9457)
  Problem: {
    type: "object",
    description: "application/problem+json (RFC 9457) with a stable `code`. Some problems carry more members, listed with them.",
    required: ["type", "title", "status", "detail", "code"],
    properties: {
      type: { type: "string", format: "uri", const: "about:blank", description: "Always `about:blank` (RFC 9457 §4.2.1): `status` says what kind of problem it is, `code` which one." },
      title: { type: "string" },
      status: { type: "integer", minimum: 400, maximum: 599 },
      detail: { type: "string" },
      code: { type: "string", enum: Object.keys(ERROR_CODES), description: "Stable, machine-readable: one of the API's error codes (docs/api.md, Errors).", examples: ["trigger-not-found", "invalid-arguments", "job-faulted"] },
      instance: { type: "string", description: "The request's path." },
    },
    additionalProperties: true,
  },
  Violation: {
    type: "object",
    required: ["path", "message"],
    properties: {
      path: { type: "string", description: "A JSON Pointer into the request body or arguments (`/` for the whole); for a query parameter, `/` and its name." },
      message: { type: "string" },
    },
  },
  ValidationProblem: problemExtra([], {
    violations: { type: "array", items: schemaRef("Violation") },
    violationCount: { type: "integer", description: "invalid-arguments: how many violations were found (violations lists at most 20)." },
    truncated: { type: "boolean", description: "invalid-arguments: violations is not every violation (cut at 20, or validation stopped at the first)." },
    limit: { type: "string", description: "schema-too-complex (and invalid-schema): the schema limit broken, e.g. maxChecksPerValue." },
    max: { type: "integer", description: "schema-too-complex: the value of that limit." },
  }, "A 400 problem; the validation codes (invalid-arguments, invalid-process, invalid-trigger, invalid-settings, schema-too-complex, and the robot protocol's invalid-session, invalid-claim, invalid-heartbeat, invalid-logs, invalid-results, invalid-output, invalid-error) list the violations with JSON Pointers; the others that carry `violations` (invalid-filter, invalid-query, invalid-cursor, invalid-folder, invalid-token) name the one at fault."),
  InsufficientScopeProblem: problemExtra(["requiredScope"], {
    code: { const: "insufficient-scope" },
    requiredScope: { type: "array", items: schemaRef("Scope"), description: "Any one of these scopes is enough (POST /tokens: the requested scopes the caller's credential lacks)." },
  }, "403 insufficient-scope."),
  PermissionDeniedProblem: problemExtra(["requiredPermission"], {
    code: { const: "permission-denied" },
    requiredPermission: schemaRef("Permission"),
  }, "403 permission-denied: the token has the scope, but its user lacks the permission (tenant-wide, or in the folder, for folder resources)."),
  RateLimitedProblem: problemExtra(["limitedBy", "limitPerMinute", "retryAfterSeconds"], {
    code: { const: "rate-limited" },
    limitedBy: { enum: ["token", "trigger"], description: "Which limit: the token's (`rateLimitPerTokenPerMinute`) or the trigger's (`rateLimitPerTriggerPerMinute`)." },
    limitPerMinute: { type: "integer", minimum: 1 },
    retryAfterSeconds: { type: "integer", minimum: 1, description: "The same as the Retry-After header." },
  }, "429 rate-limited: the tenant's rate limit is used up on this node."),
  PayloadTooLargeProblem: problemExtra([], { limit: { type: "integer", description: "The tenant's limit in bytes (invocations)." } }, "413 payload-too-large."),
  JobFaultedProblem: problemExtra(["jobKey", "state", "error"], {
    code: { const: "job-faulted" }, jobKey: uuid, state: { const: "Faulted" }, error: nullable(schemaRef("JobError")),
  }, "500 job-faulted: the job ended Faulted; `error` is the job's error."),
  JobStoppedProblem: problemExtra(["jobKey", "state"], { code: { const: "job-stopped" }, jobKey: uuid, state: { const: "Stopped" } },
    "409 job-stopped: the job was stopped before it finished."),
  JobNotFinishedProblem: problemExtra(["jobKey", "state"], { code: { const: "job-not-finished" }, jobKey: uuid, state: { enum: NON_FINAL_STATES } },
    "409 job-not-finished: the output URI was asked before the job was final."),

  // ---- invocation
  InvocationBody: {
    type: "object",
    additionalProperties: true,
    properties: { $callMode: { ...schemaRef("CallMode"), description: "Overrides the trigger's default call mode; never reaches the process." } },
    propertyNames: { anyOf: [{ const: "$callMode" }, { not: { pattern: "^\\$" } }] },
    description: "Input arguments. Keys starting with `$` are control parameters: only `$callMode` exists; any other is 400 unknown-control-parameter.",
  },
  AcceptedJob: {
    type: "object",
    required: ["jobKey", "state", "statusUri"],
    properties: {
      jobKey: uuid,
      state: schemaRef("JobState"),
      statusUri: { type: "string", format: "uri", description: "The same as the Location header." },
    },
  },
  JobStatus: {
    type: "object",
    required: ["jobKey", "state", "process", "createdAt", "startedAt", "info"],
    properties: {
      jobKey: uuid,
      state: { type: "string", enum: NON_FINAL_STATES, description: "Never final: a final job is answered 303 to its output URI." },
      process: { type: "string", description: "The process name." },
      createdAt: dateTime,
      startedAt: nullableDateTime,
      info: { type: ["string", "null"] },
    },
  },

  // ---- folders

  // ---- triggers
  // ---- jobs
  Job: { type: "object", required: Object.keys(jobProperties).filter((k) => !OPTIONAL_JOB_FIELDS.includes(k)), properties: jobProperties },
  JobAttempt: { type: "object", required: Object.keys(jobAttemptProperties), properties: jobAttemptProperties },
  JobDetail: {
    type: "object",
    required: [...Object.keys(jobProperties).filter((k) => !OPTIONAL_JOB_FIELDS.includes(k)), "attempts"],
    properties: { ...jobProperties, attempts: { type: "array", items: schemaRef("JobAttempt"), description: "Every attempt, the first first: those that failed and were retried (or were handed back), then the current or last one." } },
  },
  JobError: { type: "object", required: ["code", "message"], properties: jobErrorProperties },
  JobListItem: {
    type: "object",
    required: Object.keys(jobProperties).filter((k) => k !== "inputArguments" && k !== "outputArguments" && k !== "error" && !OPTIONAL_JOB_FIELDS.includes(k)),
    properties: jobListItemProperties,
    description: `A job in a list: as GET /jobs/{jobKey} answers it, except that inputArguments, outputArguments and error longer than ${LIST_FIELD_MAX_BYTES} bytes of JSON are left out (and flagged), so that a page stays small whatever the jobs carry.`,
  },
  JobPage: page("JobListItem", true),
  StartJob: {
    type: "object",
    required: ["folderKey", "processName"],
    properties: {
      folderKey: uuid,
      processName: { type: "string" },
      inputArguments: { ...schemaRef("Arguments"), description: "Merged over the process's default input arguments, then validated against its input schema." },
      priority: { ...schemaRef("Priority"), description: "Defaults to the process's priority." },
    },
    additionalProperties: true,
    description: "Starts a job of a process directly, in call mode AsyncRequestReply; its source is Api. Unknown fields (a `source` among them: the server sets it) are ignored.",
  },
  StopJob: { type: "object", required: ["strategy"], properties: { strategy: schemaRef("StopStrategy") } },
  JobLogLine: { type: "object", required: Object.keys(logLineProperties), properties: logLineProperties },
  JobLogPage: page("JobLogLine", true),
};
