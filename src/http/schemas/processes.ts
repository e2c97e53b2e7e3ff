/** Processes (routes/processes.ts). Their bodies are checked by the core (catalogInput.ts, every fault listed; coreChecked.ts). */
import { Type, type TSchema } from "typebox";
import { MAX_CONCURRENT_JOBS, MAX_POINTER_LENGTH } from "../../core/concurrencyLimits.js";
import { PRIORITIES } from "../../core/types.js";
import { DateTime, Page, StringEnum, Uuid } from "./common.js";
import { named } from "./named.js";

/** Catalog.ts: 1-128 characters, no '/', '\\' or control characters. */
export const NAME_CHARS = "[^\\u0000-\\u001f/\\\\]";
const TrimmedName = (description: string) => Type.String({ minLength: 1, maxLength: 128, pattern: `^(?!\\s)${NAME_CHARS}{1,128}(?<!\\s)$`, description });
export const JsonObject = (description: string) => Type.Record(Type.String(), Type.Unknown(), { description });
const JsonSchemaOrNull = (description: string) => Type.Union([JsonObject("A JSON Schema (draft 2020-12) object."), Type.Null()], {
  description: `${description} A JSON Schema (draft 2020-12) object, or null for none; it must compile.`,
});
const readOnly = <T extends TSchema>(schema: T, description: string): T => ({ ...schema, readOnly: true, description });

const Seconds = (description: string) => Type.Integer({ minimum: 0, maximum: 31_536_000, description });
const backoffProperties = {
  type: StringEnum(["Fixed", "Exponential"] as const, { description: "Fixed: every wait is delaySeconds. Exponential: the wait after attempt n is delaySeconds × 2^(n-1)." }),
  delaySeconds: Seconds("The first wait. At most a year."),
  maxDelaySeconds: Seconds("No wait is longer (before jitter); at least delaySeconds."),
  jitter: Type.Boolean({ description: "Equal jitter: the wait d becomes a random moment in [d/2, d]." }),
};
const MaxAttempts = Type.Integer({ minimum: 1, maximum: 100, description: "Total attempts, the first included; 1 means no retry." });
export const RetryBackoff = named("RetryBackoff", Type.Object(backoffProperties));
export const RetryPolicy = named("RetryPolicy", Type.Object({ maxAttempts: MaxAttempts, backoff: RetryBackoff }));
export const RetryPolicyInput = named("RetryPolicyInput", Type.Object({
  maxAttempts: Type.Optional(MaxAttempts),
  backoff: Type.Optional(Type.Partial(Type.Object(backoffProperties), { additionalProperties: false, description: "Any field left out keeps its current value." })),
  backoffSeconds: Type.Optional(Type.Integer({
    minimum: 0, maximum: 31_536_000, deprecated: true,
    description: "The former form of the backoff: the same as backoff { type: Exponential, delaySeconds }. Not with backoff.",
  })),
}, {
  additionalProperties: false,
  description: "Any field left out keeps its current value (defaults: maxAttempts 1, backoff Exponential, delaySeconds 5, maxDelaySeconds 3600, no jitter).",
}));

const Limit = (description: string) => Type.Union([Type.Integer({ minimum: 1, maximum: MAX_CONCURRENT_JOBS }), Type.Null()], { default: null, description });

/** the fields of a process a body may set, with their defaults */
const settable = {
  description: Type.String({ maxLength: 2000, default: "" }),
  defaultInputArguments: JsonObject("Input arguments every job of the process starts from."),
  inputSchema: JsonSchemaOrNull("Input arguments are validated against it before a job exists (400 invalid-arguments)."),
  outputSchema: JsonSchemaOrNull("Documents the output arguments."),
  priority: StringEnum(PRIORITIES, { description: "Low, Normal (the default) or High." }),
  maxDurationSeconds: Type.Union([Type.Integer({ minimum: 1, maximum: 31_536_000 }), Type.Null()], {
    default: null, description: "A run longer than this is killed and ends Faulted; null for no limit. At most a year.",
  }),
  maxConcurrentJobs: Limit("At most this many jobs of the process run at once (Running, Stopping or Terminating), across all robots and nodes; the others stay Pending (pendingReason ConcurrencyLimit). null: no limit."),
  concurrencyKey: Type.Union([Type.String({ maxLength: MAX_POINTER_LENGTH, pattern: "^(/([^~/]|~[01])*)+$" }), Type.Null()], {
    default: null,
    description: "A JSON Pointer (RFC 6901) into the input arguments, such as `/customerId`: jobs whose input has the same value there share maxConcurrentJobsPerKey. A job without a value there is limited by maxConcurrentJobs only. Read when a job is created.",
  }),
  maxConcurrentJobsPerKey: Limit("At most this many jobs with the same concurrencyKey value run at once; requires concurrencyKey. null: no limit per key."),
};
const ProcessName = TrimmedName("Unique in its folder; robots announce the names they serve. 1-128 characters, without '/', '\\', control characters or surrounding whitespace.");
/** read-only fields: accepted and ignored in a body, so a fetched process can be sent back */
const readOnlyFields = {
  id: readOnly(Uuid(), "Assigned by the orchestrator."),
  folderKey: readOnly(Uuid(), "The folder the process belongs to."),
  createdAt: readOnly(DateTime(), "When the process was created."),
  updatedAt: readOnly(DateTime(), "When the process was last changed."),
};
const optional = (properties: Record<string, TSchema>): Record<string, TSchema> => Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, Type.Optional(v)]));

export const Process = named("Process", Type.Object({
  id: readOnlyFields.id, folderKey: readOnlyFields.folderKey, name: ProcessName, ...settable, retry: RetryPolicy,
  createdAt: readOnlyFields.createdAt, updatedAt: readOnlyFields.updatedAt,
}));
export const ProcessPage = named("ProcessPage", Page(Process, false));

export const ProcessInput = named("ProcessInput", Type.Object({
  name: ProcessName, ...optional(settable), retry: Type.Optional(RetryPolicyInput), ...optional(readOnlyFields),
}, { additionalProperties: false, description: "Read-only fields are ignored, so a fetched process can be sent back; any other unknown field is 400 invalid-process." }));
export const ProcessPatch = named("ProcessPatch", Type.Object({
  name: Type.Optional(Type.String({ description: "A process cannot be renamed: if present, it must be the current name." })),
  ...optional(settable), retry: Type.Optional(RetryPolicyInput), ...optional(readOnlyFields),
}, { additionalProperties: false, description: "The fields to change. Read-only fields are ignored; any other unknown field is 400 invalid-process." }));

export const ProcessParams = Type.Object({
  folderKey: Type.String({ description: "The folder's key (a UUID; any other is answered 404 folder-not-found)." }),
  name: Type.String({ description: "The process's name." }),
});
