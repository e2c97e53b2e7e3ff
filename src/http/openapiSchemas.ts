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
import type { HeartbeatAnswer } from "../core/Robots.js";
import type { RobotJob } from "../robot/RobotConnection.js";
import {
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
const NON_FINAL_STATES: JobState[] = ["Pending", "Running", "Stopping", "Terminating"];
const JOB_SOURCES = keysOf<JobSource>({ ApiTrigger: true, TimeTrigger: true, Manual: true, Api: true });
const STOP_STRATEGIES = keysOf<StopStrategy>({ SoftStop: true, Kill: true });

const uuid: Schema = { type: "string", format: "uuid" };
const dateTime: Schema = { type: "string", format: "date-time" };
const nullableDateTime: Schema = { type: ["string", "null"], format: "date-time" };

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

// ---- robots, tokens, settings



const robotJobProperties: Record<keyof RobotJob, Schema> = {
  key: uuid,
  folderKey: uuid,
  processName: { type: "string" },
  inputArguments: schemaRef("Arguments"),
  attempt: { type: "integer", minimum: 1, description: "1 for the first run; more when the job is retried." },
  priority: schemaRef("Priority"),
  callMode: schemaRef("CallMode"),
  createdAt: dateTime,
  deadlineAt: { ...nullableDateTime, description: "When the orchestrator kills the job (maxDurationSeconds, or LongPolling's syncMaxJobDurationSeconds), if ever." },
};

const jobKeys = (description: string): Schema => ({ type: "array", items: uuid, description });
const heartbeatAnswerProperties: Record<keyof HeartbeatAnswer, Schema> = {
  leaseExpiresAt: { ...dateTime, description: "The session's new lease: heartbeat again before it." },
  stop: jobKeys("Jobs to soft-stop (SIGTERM, abort the signal); report them `stopped` (or their result if they finish first)."),
  kill: jobKeys("Jobs to kill at once; report them `stopped`."),
  lost: jobKeys("Jobs the robot reported that are no longer this session's: drop them, their results would be refused (409 job-not-held)."),
};


const OAUTH_ERRORS = ["invalid_request", "invalid_client", "invalid_scope", "unsupported_grant_type"];


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
  Verb: { type: "string", enum: [...VERBS] },
  Priority: { type: "string", enum: [...PRIORITIES] },
  TriggerPriority: { type: "string", enum: ["Inherit", ...PRIORITIES], description: "Inherit: the process's priority." },
  JobSource: { type: "string", enum: JOB_SOURCES },
  PendingReason: {
    type: "string", enum: [...PENDING_REASONS],
    description: "RetryBackoff: a retry's backoff has not ended. NoRobot: no live robot session serves the process in the job's folder. " +
      "ConcurrencyLimit: the process's maxConcurrentJobs, or its key's maxConcurrentJobsPerKey, jobs are running. Queued: none of those; it waits for a free slot, behind older and higher-priority jobs. Checked in that order.",
  },
  StopStrategy: { type: "string", enum: STOP_STRATEGIES },

  // CallMode, JobState, Arguments: schemas/invocation.ts

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
  }, "A 400 problem; the validation codes (invalid-arguments, invalid-process, invalid-trigger, invalid-settings, schema-too-complex) list the violations with JSON Pointers; the others that carry `violations` (invalid-filter, invalid-query, invalid-cursor, invalid-folder, invalid-token, invalid-session, invalid-logs, invalid-output, invalid-error) name the one at fault."),
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

  // ---- invocation: schemas/invocation.ts

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

  // ---- the robot protocol (SPEC §3)
  OpenSession: {
    type: "object",
    required: ["processes", "slots"],
    properties: {
      robotName: { type: "string", minLength: 1, maxLength: 200, description: "Defaults to the robot key's name. No control, bidirectional or zero-width characters." },
      processes: { type: "array", maxItems: 1000, items: { type: "string", minLength: 1, maxLength: 128 }, description: "The process names this robot can run (at most 1,000)." },
      slots: { type: "integer", minimum: 1, maximum: 100_000, description: "How many jobs it runs at once." },
      version: { type: ["string", "null"], maxLength: 100 },
    },
    additionalProperties: true,
  },
  OpenedSession: {
    type: "object",
    required: ["sessionId", "heartbeatSeconds", "leaseSeconds", "leaseExpiresAt", "maxRequestBodyBytes"],
    properties: {
      sessionId: uuid,
      heartbeatSeconds: { type: "number", exclusiveMinimum: 0, description: "Heartbeat this often." },
      leaseSeconds: { type: "number", exclusiveMinimum: 0, description: "A session not heard from for this long is lost, with its jobs." },
      leaseExpiresAt: dateTime,
      maxRequestBodyBytes: {
        type: "integer", minimum: 65_536,
        description: "The largest request body this session may send (the tenant's maxRequestBodyBytes, at least 64 KiB); a larger one is answered 413 payload-too-large. Size result and log batches by it.",
      },
    },
  },
  ClaimRequest: {
    type: "object",
    properties: {
      max: { type: "integer", minimum: 1, maximum: 100, default: 1, description: "At most this many jobs." },
      waitSeconds: { type: "number", minimum: 0, maximum: 30, default: 30, description: "Long-poll: how long to wait for a job when none is available." },
    },
    additionalProperties: true,
  },
  ClaimedJobs: { type: "object", required: ["jobs"], properties: { jobs: { type: "array", items: schemaRef("RobotJob"), description: "Empty when the wait ended with no job." } } },
  RobotJob: { type: "object", required: Object.keys(robotJobProperties), properties: robotJobProperties, description: "A job as a robot receives it: now Running and held by the session." },
  HeartbeatRequest: {
    type: "object",
    properties: {
      jobs: {
        type: "object", additionalProperties: { type: ["string", "null"] }, default: {},
        description: "Every job the robot holds, by key, with an info line (or null); a line is stored as a log line and as the job's `info`.",
      },
      waitSeconds: {
        type: "number", minimum: 0, default: 0,
        description: "At most half the lease (leaseSeconds / 2). With nothing to tell yet, wait this long for a stop or kill request of this session.",
      },
    },
    additionalProperties: true,
  },
  HeartbeatAnswer: { type: "object", required: Object.keys(heartbeatAnswerProperties), properties: heartbeatAnswerProperties },
  JobLogLines: {
    type: "object",
    required: ["lines"],
    properties: {
      lines: {
        type: "array", maxItems: 10_000,
        items: {
          type: "object", required: ["message"],
          properties: {
            message: { type: "string", description: "Cut to 10,000 characters." },
            level: { type: "string", enum: ["info", "error"], default: "info" },
            at: { ...dateTime, description: "ISO 8601 of the years 0001-9999 (stored normalized to UTC). Defaults to when the orchestrator received it." },
          },
        },
      },
    },
    additionalProperties: true,
  },
  ResultsRequest: {
    type: "object",
    required: ["results"],
    properties: {
      results: {
        type: "array", minItems: 1, maxItems: 100,
        items: {
          type: "object",
          required: ["jobKey", "outcome"],
          properties: {
            jobKey: { type: "string", format: "uuid" },
            outcome: { enum: ["complete", "fail", "stopped"] },
            outputArguments: { ...schemaRef("Arguments"), description: "With outcome complete." },
            error: { type: "object", description: "With outcome fail: { code, message, details }." },
          },
        },
      },
    },
    additionalProperties: false,
  },
  ResultsAnswer: {
    type: "object",
    required: ["results"],
    properties: {
      results: {
        type: "array",
        description: "One answer per result, in order: the status the single-result route would have given.",
        items: {
          type: "object",
          required: ["jobKey", "status"],
          properties: {
            jobKey: { type: "string" },
            status: { enum: [204, 400, 404, 409] },
            code: { type: "string", description: "When refused, e.g. job-not-held." },
            detail: { type: "string" },
          },
          additionalProperties: false,
        },
      },
    },
    additionalProperties: false,
  },
  CompleteJob: {
    type: "object",
    properties: { outputArguments: { ...schemaRef("Arguments"), default: {}, description: "Checked against the process's output schema: a mismatch ends the job Faulted (OutputSchemaViolation)." } },
    additionalProperties: true,
  },
  FailJob: {
    type: "object",
    properties: {
      error: {
        type: "object",
        properties: {
          code: { type: "string", default: "ProcessFailed", maxLength: 200 },
          message: { type: "string", default: "The process failed.", description: "Cut to 10,000 characters." },
          details: { description: "Any JSON value." },
          retryable: {
            type: "boolean", default: true,
            description: "false: trying again cannot help; the job ends Faulted at once, whatever attempts its process's retry policy has left.",
          },
        },
      },
    },
    additionalProperties: true,
  },

  // ---- the OAuth token endpoint (RFC 6749); the organization's routes: schemas/organization.ts
  TokenRequest: {
    type: "object",
    required: ["grant_type"],
    properties: {
      grant_type: { const: "client_credentials" },
      client_id: { type: "string", description: "With client_secret, unless the client authenticates with HTTP Basic." },
      client_secret: { type: "string", description: "Not with HTTP Basic: one client authentication method per request." },
      scope: { type: "string", description: "Space-separated scopes, each granted to the application (`OR.X.Read` and `OR.X.Write` are granted by `OR.X`); absent: all of the application's." },
    },
    additionalProperties: true,
    description: "RFC 6749 §4.4.2. Each parameter at most once; unknown parameters are ignored.",
  },
  AccessTokenResponse: {
    type: "object",
    required: ["access_token", "token_type", "expires_in", "scope"],
    properties: {
      access_token: {
        type: "string", pattern: "^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$",
        description: "A JWT (`typ: at+jwt`, ES256) with `iss` (the organization's identity URL), `sub` and `client_id` (the client id), `aud: baton`, `tenant_id`, `scope`, `jti`, `iat`, `exp`. " +
          "Send it as `Authorization: Bearer`; treat it as opaque.",
      },
      token_type: { const: "Bearer" },
      expires_in: { const: 3600, description: "Seconds: one hour." },
      scope: { type: "string", description: "The granted scopes, space-separated." },
    },
  },
  OAuthError: {
    type: "object",
    required: ["error"],
    properties: {
      error: { type: "string", enum: OAUTH_ERRORS },
      error_description: { type: "string", description: "For people; never holds a secret." },
    },
    description: "RFC 6749 §5.2 (application/json, not problem+json).",
  },
};
