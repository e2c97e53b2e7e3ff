/**
 * The problems (RFC 9457) every route may answer, as plain JSON Schemas (draft 2020-12, as
 * OpenAPI 3.1 uses them): `components.schemas` entries by name (`Problem`,
 * `ValidationProblem`, `InsufficientScopeProblem`…), which the generated error answers
 * refer to (openapiRoutes.ts, a route's `errors.answers`). They are never a route's schema
 * (errors are sent as problems, not through a response schema), so they are not TypeBox.
 * The response schemas leave `additionalProperties` open (fields may be added, SPEC §6);
 * test/openapi.test.ts closes them when it checks real answers against them.
 *
 * This file imports no named shape (schemas/named.ts): the order of `components.schemas`
 * is the order the named shapes are declared in, which importing one here would change.
 */
import { ERROR_CODES } from "../../core/errorCodes.js";
import { PRIORITIES, VERBS, type JobState } from "../../core/types.js";

export type Schema = { [keyword: string]: unknown };

export const schemaRef = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const nullable = (schema: Schema): Schema => ({ anyOf: [schema, { type: "null" }] });

const NON_FINAL_STATES: JobState[] = ["Pending", "Running", "Stopping", "Terminating"];

const uuid: Schema = { type: "string", format: "uuid" };

const problemExtra = (required: string[], properties: Record<string, Schema>, description: string): Schema => ({
  description,
  allOf: [schemaRef("Problem"), { type: "object", required, properties }],
});

/** the problems, by component name (openapi.ts puts them in `components.schemas`) */
export const problemSchemas: Record<string, Schema> = {
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
};

/**
 * A trigger's verb and priority by name: `components.schemas` entries the client aliases
 * (`Verb`: the invoke URL's methods), not a field's schema (schemas/triggers.ts declares its
 * fields inline). Plain JSON here rather than beside the trigger (see above).
 */
export const enumerationSchemas: Record<string, Schema> = {
  Verb: { type: "string", enum: [...VERBS] },
  TriggerPriority: { type: "string", enum: ["Inherit", ...PRIORITIES], description: "Inherit: the process's priority." },
};
