/**
 * The invocation contract (SPEC §2, routes/invocation.ts): the invoke URL's arguments, the
 * call modes' answers, and the status, output and wait URIs.
 *
 * The invocation's input is free-form by design: its body is read by the route's own parser
 * (the tenant's size limit, JSON object or 400), its query string is the arguments, and the
 * process's input schema checks them in the core; `$callMode` and `Idempotency-Key` are the
 * core's too. So the invoke URL's body, query and headers below are the document's: the
 * route leaves them to its handler (coreChecked.ts, invocationCheckedByCore).
 */
import { Type } from "typebox";
import type { JobState as JobStateName, JsonObject } from "../../core/types.js";
import { Arguments, CallMode, JobState } from "./jobs.js";
import { answer, DateTime, noContent, StringEnum, Uuid } from "./common.js";
import { named, namedWithDescription } from "./named.js";

const NON_FINAL_STATES = ["Pending", "Running", "Stopping", "Terminating"] as const satisfies readonly JobStateName[];

// CallMode, JobState and Arguments are the job's (schemas/jobs.ts), declared once
export { Arguments, CallMode, JobState };

// ---- what the invoke URL takes (the document's: the handler and the core check it)

export const InvokeParams = Type.Object({
  folderKey: Type.String({ description: "The folder's key (a UUID; any other is answered 404 trigger-not-found)." }),
  slug: Type.String({ description: "The API trigger's slug (1-128 letters, digits, '-', '_' or '.'; any other is answered 404 trigger-not-found)." }),
});

export const InvokeHeaders = Type.Unsafe<{ "idempotency-key"?: string }>({
  type: "object",
  properties: {
    "Idempotency-Key": {
      type: "string", minLength: 1, maxLength: 255, pattern: "^[\\x20-\\x7E]+$",
      description: "Makes a retried request safe (SPEC §8): a later request with this key and the same request creates no job and is answered for the first one's job " +
        "(with `Idempotent-Replayed: true`); with another request, 422 idempotency-key-mismatch. Scoped to the tenant and the trigger, " +
        "kept the tenant's `idempotencyKeyRetentionHours`. Otherwise 400 invalid-idempotency-key.",
    },
  },
});

/** GET and DELETE: the arguments are the query string, whatever their names (an object parameter, `style: form`, `explode`). */
export const InvokeQuery = Type.Unsafe<Record<string, unknown>>({
  type: "object",
  properties: {
    // (a parameter's sentence is its own: beside a bare $ref, fastify-swagger would drop it)
    $callMode: { allOf: [CallMode], description: "Overrides the trigger's default call mode." },
    arguments: { type: "object", additionalProperties: true, description: "Any other query parameters: the input arguments." },
  },
  additionalProperties: true,
  style: "form",
  explode: true,
});

/** POST and PUT: the arguments are the body. */
export const InvocationBody = named("InvocationBody", Type.Unsafe<JsonObject>({
  type: "object",
  additionalProperties: true,
  properties: { $callMode: namedWithDescription(CallMode, "Overrides the trigger's default call mode; never reaches the process.") },
  propertyNames: { anyOf: [{ const: "$callMode" }, { not: { pattern: "^\\$" } }] },
  description: "Input arguments. Keys starting with `$` are control parameters: only `$callMode` exists; any other is 400 unknown-control-parameter.",
}));

// ---- the job URIs

export const JobKeyParams = Type.Object({ jobKey: Type.String({ description: "The job's key (a UUID; any other is answered 404 job-not-found)." }) });

/** A signed wait URI's signature: strings as handed out (a wrong or expired one is 401, not 400). */
export const WaitQuery = Type.Object({
  exp: Type.Optional(Type.String({ description: "Signed wait URIs: the expiry, in seconds since the epoch. Sent as handed out." })),
  sig: Type.Optional(Type.String({ description: "Signed wait URIs: the signature (base64url HMAC over tenant, job key, purpose and expiry). Sent as handed out." })),
});

// ---- answers

// (nullable fields as a list of types, which fast-json-stringify serializes without the union's validation)
const nullableString = (options: { format?: string; description?: string } = {}) => Type.Unsafe<string | null>({ type: ["string", "null"], ...options });

export const AcceptedJob = named("AcceptedJob", Type.Object({
  jobKey: Uuid(),
  state: JobState,
  statusUri: Type.String({ format: "uri", description: "The same as the Location header." }),
}));

export const JobStatus = named("JobStatus", Type.Object({
  jobKey: Uuid(),
  state: StringEnum(NON_FINAL_STATES, { description: "Never final: a final job is answered 303 to its output URI." }),
  process: Type.String({ description: "The process name." }),
  createdAt: DateTime(),
  startedAt: nullableString({ format: "date-time" }),
  info: nullableString(),
}));

/**
 * Response headers of `components.headers` (openapi.ts): declared with the answer's sentence,
 * written in the document as a reference to the component (routeContract.ts, step 5).
 */
const Location = (description: string) => ({ type: "string", format: "uri", description }) as const;
const RetryAfter = (description: string) => ({ type: "integer", minimum: 0, description }) as const;
/** on an answer to a request repeated with its Idempotency-Key */
const REPLAYED = { "Idempotent-Replayed": { type: "string", const: "true" } } as const;

/** The tenant's redirectStatusCode 302 in place of 303: the same redirect, for clients that compare with 302. */
const REDIRECT_302 = (which: string) => `Instead of ${which} when the tenant's \`redirectStatusCode\` is 302 (for clients written to compare with 302): the same redirect, to be followed with GET.`;
const WAIT_REDIRECT_HEADERS = {
  Location: Location("The job's wait URI, absolute (signed when `syncRedirectsRequireAuth` is false)."),
  "Retry-After": RetryAfter("Always 0: follow at once."),
};
const SAME_WAIT_HEADERS = {
  Location: Location("The wait URI, absolute (with the same kind of authentication)."),
  "Retry-After": RetryAfter("Always 0: follow at once."),
};

const SUCCESSFUL = "The job ended **Successful**: its output arguments as a top-level JSON object (`{}` when there are none).";

/** The invoke URL's answers: one per call mode (SPEC §2). */
export const invokeAnswers = {
  200: {
    ...answer("**FireAndForget**: the job is stored; the body is empty. **LongPolling**: the job ended Successful; the body is its output arguments (`{}` when there are none).", Arguments),
    headers: REPLAYED,
  },
  202: {
    ...answer("**AsyncRequestReply**: the job is created. Poll the status URI (`Location`) after `Retry-After` seconds.", AcceptedJob),
    headers: { Location: Location("The job's status URI, absolute."), "Retry-After": RetryAfter("Seconds to wait before polling."), ...REPLAYED },
    links: { status: { operationId: "getJobStatus", parameters: { jobKey: "$response.body#/jobKey" }, description: "Poll the job's status." } },
  },
  303: {
    ...noContent("**LongPolling**: the job is not final after the tenant's `longPollTimeoutSeconds` (or the node is shutting down). Follow `Location`, the wait URI, with GET; it blocks the same way. " +
      "When the tenant's `syncRedirectsRequireAuth` is false, the wait URI carries `exp` and `sig` and needs no token."),
    headers: { ...WAIT_REDIRECT_HEADERS, ...REPLAYED },
  },
  302: { ...noContent(REDIRECT_302("the 303")), headers: { ...WAIT_REDIRECT_HEADERS, ...REPLAYED } },
};

const TO_OUTPUT = {
  headers: { Location: Location("The job's output URI, absolute.") },
  links: { output: { operationId: "getJobOutput", parameters: { jobKey: "$request.path.jobKey" } } },
};

export const statusAnswers = {
  200: { ...answer("The job is not final yet; poll again after `Retry-After` seconds.", JobStatus), headers: { "Retry-After": RetryAfter("Seconds to wait before polling again.") } },
  303: { ...noContent("The job is final: its result is at the output URI."), ...TO_OUTPUT },
  302: { ...noContent(REDIRECT_302("the 303 to the output URI")), ...TO_OUTPUT },
};

export const outputAnswers = { 200: answer(SUCCESSFUL, Arguments) };

export const waitAnswers = {
  200: answer(SUCCESSFUL, Arguments),
  303: { ...noContent("The job is not final yet: follow `Location` (this wait URI again)."), headers: SAME_WAIT_HEADERS },
  302: { ...noContent(REDIRECT_302("the 303 to this wait URI")), headers: SAME_WAIT_HEADERS },
};
