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
import { PRIORITIES, VERBS, type JobState } from "../core/types.js";

export type Schema = { [keyword: string]: unknown };

export const schemaRef = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const nullable = (schema: Schema): Schema => ({ anyOf: [schema, { type: "null" }] });

const NON_FINAL_STATES: JobState[] = ["Pending", "Running", "Stopping", "Terminating"];

const uuid: Schema = { type: "string", format: "uuid" };
const dateTime: Schema = { type: "string", format: "date-time" };
const nullableDateTime: Schema = { type: ["string", "null"], format: "date-time" };

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



const problemExtra = (required: string[], properties: Record<string, Schema>, description: string): Schema => ({
  description,
  allOf: [schemaRef("Problem"), { type: "object", required, properties }],
});

export const schemas: Record<string, Schema> = {
  // ---- enumerations (JobState, JobSource, CallMode, Priority, PendingReason, StopStrategy: schemas/jobs.ts)
  Verb: { type: "string", enum: [...VERBS] },
  TriggerPriority: { type: "string", enum: ["Inherit", ...PRIORITIES], description: "Inherit: the process's priority." },
  // (Arguments, JobError: schemas/jobs.ts)

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
  // ---- jobs: schemas/jobs.ts

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
