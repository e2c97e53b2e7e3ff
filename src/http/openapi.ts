/**
 * The OpenAPI 3.1 document of the HTTP API (SPEC §6), served without a token at
 * `{base}/{org}/{tenant}/orchestrator_/api/v1/openapi.json`.
 *
 * Paths are relative to the tenant base `{origin}/{org}/{tenant}/orchestrator_`, a server
 * URL whose `org` and `tenant` variables default to the tenant the document was fetched
 * from; the organization-level routes carry their own `servers`. The document is built
 * once per tenant base. test/openapi.test.ts checks it against the routes Fastify
 * registered and against real answers, so a route or field added without documenting it
 * fails the tests.
 */
import { schemaRef as s, schemas, type Schema } from "./openapiSchemas.js";

type Obj = { [key: string]: unknown };

const OPENAPI_VERSION = "3.1.0";
const API_VERSION = "1.0.0";

// ---- small builders

const ref = (kind: "parameters" | "responses" | "headers", name: string): Obj => ({ $ref: `#/components/${kind}/${name}` });
const jsonContent = (schema: Schema): Obj => ({ "application/json": { schema } });
const problemContent = (schema: Schema): Obj => ({ "application/problem+json": { schema } });
const codeList = (codes: string[]) => codes.map((c) => `\`${c}\``).join(", ");

/** Every answer carries X-Request-Id (the caller's own when it sent a valid one). */
function response(description: string, options: { content?: Obj; headers?: Obj; links?: Obj } = {}): Obj {
  return {
    description,
    headers: { "X-Request-Id": ref("headers", "XRequestId"), ...options.headers },
    ...(options.content ? { content: options.content } : {}),
    ...(options.links ? { links: options.links } : {}),
  };
}

function problem(description: string, codes: string[], schema: Schema = s("Problem"), headers: Obj = {}): Obj {
  return response(`${description} Codes: ${codeList(codes)}.`, { content: problemContent(schema), headers });
}

const header = (name: string, description: string): Obj => ({ ...ref("headers", name), description });

type SecurityRequirement = Record<string, string[]>;

/** Either `OR.{resource}` or `OR.{resource}.{access}` (Access.requireScope). */
const scopes = (resource: string, access: "Read" | "Write"): SecurityRequirement[] => [
  { bearerAuth: [`OR.${resource}`] },
  { bearerAuth: [`OR.${resource}.${access}`] },
];
/** Jobs.getVisible: any Jobs scope; without one, the job is answered 404 (its existence is not revealed). */
const JOB_VISIBLE: SecurityRequirement[] = [{ bearerAuth: ["OR.Jobs"] }, { bearerAuth: ["OR.Jobs.Read"] }, { bearerAuth: ["OR.Jobs.Write"] }];

interface OperationSpec {
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  /** null: no token needed */
  security: SecurityRequirement[] | null;
  /** the route answers 403 insufficient-scope when the token lacks the scope */
  checksScope?: boolean;
  parameters?: Obj[];
  /** a JSON request body (the management API's parser: invalid JSON is 400, another type 415, over 1 MiB 413) */
  body?: { schema: Schema; required: boolean; description?: string };
  responses: Obj;
  badRequest?: string[];
  /** 400 answers list `violations` */
  validation?: boolean;
  notFound?: string[];
  conflict?: string[];
  /** the level the route lives at: a tenant's routes may also answer 404 tenant-not-found */
  level?: "tenant" | "organization" | "node";
}

function operation(o: OperationSpec): Obj {
  const responses: Obj = { ...o.responses };
  const badRequest = [...(o.body ? ["invalid-json"] : []), ...(o.badRequest ?? [])];
  if (badRequest.length && !responses["400"]) {
    responses["400"] = problem("The request is not valid.", badRequest, s(o.validation ? "ValidationProblem" : "Problem"));
  }
  if (o.security && !responses["401"]) responses["401"] = ref("responses", "Unauthorized");
  if (o.checksScope && !responses["403"]) responses["403"] = ref("responses", "InsufficientScope");
  // every request a token makes in a tenant counts against the tenant's rateLimitPerTokenPerMinute
  if ((o.level ?? "tenant") === "tenant" && o.security?.some((r) => "bearerAuth" in r)) responses["429"] ??= ref("responses", "RateLimited");
  const notFound = [...(o.notFound ?? []), ...((o.level ?? "tenant") === "tenant" ? ["tenant-not-found"] : [])];
  if (notFound.length && !responses["404"]) responses["404"] = problem("Not found.", notFound);
  if (o.conflict?.length && !responses["409"]) responses["409"] = problem("Conflict.", o.conflict);
  if (o.body) {
    responses["413"] ??= ref("responses", "PayloadTooLarge");
    responses["415"] ??= ref("responses", "UnsupportedMediaType");
  }
  responses["500"] ??= ref("responses", "InternalError");
  responses["503"] ??= ref("responses", "StoreUnavailable");
  const sorted = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));

  const requiredScopes = o.security?.map((r) => Object.values(r).flat().join(" and ")).filter(Boolean) ?? [];
  const auth = o.security === null
    ? "No token needed."
    : o.security.some((r) => "robotKey" in r)
      ? "Authentication: a robot key of the tenant."
    : o.security.some((r) => "metricsToken" in r)
      ? "Authentication: none, unless the node has `BATON_METRICS_TOKEN` set; then that token as a bearer token."
    : requiredScopes.length
      ? `Token scopes: any one of ${codeList(requiredScopes)}.${o.checksScope ? "" : " Without one, the answer is 404: a job's existence is not revealed."}`
      : "Any valid token.";
  return {
    operationId: o.operationId,
    tags: [o.tag],
    summary: o.summary,
    description: [o.description, auth].filter(Boolean).join("\n\n"),
    ...(o.security === null ? { security: [] } : { security: o.security }),
    ...(o.parameters?.length ? { parameters: o.parameters } : {}),
    ...(o.body
      ? { requestBody: { required: o.body.required, ...(o.body.description ? { description: o.body.description } : {}), content: jsonContent(o.body.schema) } }
      : {}),
    responses: sorted,
  };
}

// ---- parameters

const pathParameter = (name: string, description: string, schema: Schema): Obj => ({ name, in: "path", required: true, description, schema });
const queryParameter = (name: string, description: string, schema: Schema, extra: Obj = {}): Obj => ({ name, in: "query", required: false, description, schema, ...extra });

const parameters: Record<string, Obj> = {
  folderKey: pathParameter("folderKey", "The folder's key.", { type: "string", format: "uuid" }),
  slug: pathParameter("slug", "The API trigger's slug.", { type: "string", pattern: "^[A-Za-z0-9_.-]{1,128}$" }),
  jobKey: pathParameter("jobKey", "The job's key.", { type: "string", format: "uuid" }),
  processName: pathParameter("name", "The process's name (URL-encoded).", { type: "string" }),
  triggerId: pathParameter("id", "The API trigger's id.", { type: "string", format: "uuid" }),
  tokenId: pathParameter("id", "The token's id.", { type: "string", format: "uuid" }),
  robotId: pathParameter("id", "The robot's (robot key's) id.", { type: "string", format: "uuid" }),
  sessionId: pathParameter("sessionId", "The robot session's id.", { type: "string", format: "uuid" }),
  org: pathParameter("org", "The organization.", { type: "string" }),
  clientId: pathParameter("clientId", "The external application's client id.", { type: "string", examples: ["baton_app_0123456789abcdef0123456789abcdef"] }),
  limit: queryParameter("limit", "Page size.", { type: "integer", minimum: 1, maximum: 1000, default: 50 }),
  cursor: queryParameter("cursor", "The `nextCursor` of the previous page, unchanged.", { type: "string" }),
};
const param = (name: keyof typeof parameters & string): Obj => ref("parameters", name);

// ---- the invocation contract (SPEC §2)

const CALL_MODE_RESPONSES = {
  "202": response("**AsyncRequestReply**: the job is created. Poll the status URI (`Location`) after `Retry-After` seconds.", {
    headers: {
      Location: header("Location", "The job's status URI, absolute."),
      "Retry-After": header("RetryAfter", "Seconds to wait before polling."),
    },
    content: jsonContent(s("AcceptedJob")),
    links: { status: { operationId: "getJobStatus", parameters: { jobKey: "$response.body#/jobKey" }, description: "Poll the job's status." } },
  }),
  "303": response(
    "**LongPolling**: the job is not final after the tenant's `longPollTimeoutSeconds` (or the node is shutting down). Follow `Location`, the wait URI, which blocks the same way. " +
      "When the tenant's `syncRedirectsRequireAuth` is false, the wait URI carries `exp` and `sig` and needs no token.",
    {
      headers: {
        Location: header("Location", "The job's wait URI, absolute (signed when `syncRedirectsRequireAuth` is false)."),
        "Retry-After": header("RetryAfter", "Always 0: follow at once."),
      },
    },
  ),
};

/** Successful → 200 output; Faulted → 500 job-faulted; Stopped → 409 job-stopped (SPEC §2 "Results"). */
const RESULT_RESPONSES = {
  "200": response("The job ended **Successful**: its output arguments as a top-level JSON object (`{}` when there are none).", { content: jsonContent(s("Arguments")) }),
  "409": problem("The job ended **Stopped**.", ["job-stopped"], s("JobStoppedProblem")),
  "500": problem("The job ended **Faulted** (`error` is the job's error), or the orchestrator failed.", ["job-faulted", "internal-error"], {
    anyOf: [s("JobFaultedProblem"), s("Problem")],
  }),
};

function invokeOperation(method: "GET" | "POST" | "PUT" | "DELETE"): Obj {
  const withBody = method === "POST" || method === "PUT";
  const argumentsHow = withBody
    ? "Arguments: a JSON object body (`Content-Type: application/json` or any `+json` type; an empty body is `{}`)."
    : "Arguments: the query string. A value that parses as a JSON number, boolean, array or object is passed as that, anything else as a string; a key given twice becomes an array.";
  const spec: OperationSpec = {
    operationId: `invokeTrigger${method[0]}${method.slice(1).toLowerCase()}`,
    tag: "Invocation",
    summary: `Invoke an API trigger whose verb is ${method}`,
    description: [
      "Creates a job of the trigger's process and answers according to the call mode: the trigger's default, or `$callMode`.",
      argumentsHow,
      "Keys starting with `$` are control parameters and never reach the process. Input arguments are the process's defaults, overridden by the trigger's defaults, overridden by the request; " +
        "with an input schema they are validated before any job exists.",
      "**FireAndForget**: 200 with no body once the job is stored. **AsyncRequestReply**: 202. **LongPolling**: the call blocks until the job is final and answers with the result " +
        "(200 / 409 / 500), or 303 to the wait URI after `longPollTimeoutSeconds`.",
    ].join("\n\n"),
    security: scopes("Jobs", "Write"),
    checksScope: true,
    parameters: [
      param("folderKey"),
      param("slug"),
      ...(withBody
        ? []
        : [
          queryParameter("$callMode", "Overrides the trigger's default call mode.", s("CallMode")),
          queryParameter("arguments", "Any other query parameters: the input arguments.", { type: "object", additionalProperties: true }, { style: "form", explode: true }),
        ]),
    ],
    responses: {
      "200": response(
        "**FireAndForget**: the job is stored; the body is empty. **LongPolling**: the job ended Successful; the body is its output arguments (`{}` when there are none).",
        { content: jsonContent(s("Arguments")) },
      ),
      ...CALL_MODE_RESPONSES,
      "400": problem(
        "The arguments are not valid; no job was created.",
        [...(withBody ? ["invalid-json", "invalid-body"] : []), "unknown-control-parameter", "invalid-call-mode", "invalid-arguments"],
        s("ValidationProblem"),
      ),
      "404": problem("No trigger with this slug in this folder (or no such tenant).", ["trigger-not-found", "tenant-not-found"]),
      "405": ref("responses", "MethodNotAllowed"),
      "409": problem("The trigger is disabled (no job was created), or, in LongPolling, the job ended Stopped.", ["trigger-disabled", "job-stopped"], {
        anyOf: [s("JobStoppedProblem"), s("Problem")],
      }),
      "500": RESULT_RESPONSES["500"],
      ...(withBody
        ? {
          "413": problem("The body exceeds the tenant's `maxRequestBodyBytes`.", ["payload-too-large"], s("PayloadTooLargeProblem")),
          "415": problem("The body is not JSON.", ["unsupported-media-type"]),
        }
        : {}),
    },
  };
  const op = operation(spec);
  if (withBody) {
    op.requestBody = {
      required: false,
      description: "Input arguments, and `$callMode`.",
      content: { "application/json": { schema: s("InvocationBody") } },
    };
  }
  return op;
}

const invokeOther = operation({
  operationId: "invokeTriggerPatch",
  tag: "Invocation",
  summary: "PATCH is never a trigger's verb",
  description: "Answered so that a caller using the wrong method learns the right one: 405 with `Allow` once the token and the trigger are checked.",
  security: scopes("Jobs", "Write"),
  checksScope: true,
  parameters: [param("folderKey"), param("slug")],
  responses: {
    "404": problem("No trigger with this slug in this folder (or no such tenant).", ["trigger-not-found", "tenant-not-found"]),
    "405": ref("responses", "MethodNotAllowed"),
  },
});

const jobUriParameters = [param("jobKey")];

/** The robot protocol: a robot key of the tenant, nothing else. */
const ROBOT: SecurityRequirement[] = [{ robotKey: [] }];

function robotJobResult(operationId: string, summary: string, schema: Schema, required: boolean, badRequest: string[]): Obj {
  return {
    parameters: [param("sessionId"), param("jobKey")],
    post: operation({
      operationId, tag: "Robot protocol", summary, security: ROBOT,
      description: "For a job this session holds. A job that is no longer this session's (lost lease, already final) is refused with 409 job-not-held: drop it.",
      body: { schema, required }, badRequest, notFound: ["session-not-found"], conflict: ["job-not-held"],
      responses: { "204": response("Recorded.") },
    }),
  };
}

const paths: Record<string, Obj> = {
  "/t/{folderKey}/{slug}": {
    summary: "The invoke URL of an API trigger",
    get: invokeOperation("GET"),
    put: invokeOperation("PUT"),
    post: invokeOperation("POST"),
    delete: invokeOperation("DELETE"),
    patch: invokeOther,
  },
  "/api/v1/jobs/{jobKey}/status": {
    get: operation({
      operationId: "getJobStatus",
      tag: "Invocation",
      summary: "Poll a job's status (the status URI)",
      description: "While the job is not final: 200 with `Retry-After` (never another 2xx or 3xx). Once final: 303 to the output URI.",
      security: JOB_VISIBLE,
      parameters: jobUriParameters,
      notFound: ["job-not-found"],
      responses: {
        "200": response("The job is not final yet; poll again after `Retry-After` seconds.", {
          headers: { "Retry-After": header("RetryAfter", "Seconds to wait before polling again.") },
          content: jsonContent(s("JobStatus")),
        }),
        "303": response("The job is final: its result is at the output URI.", {
          headers: { Location: header("Location", "The job's output URI, absolute.") },
          links: { output: { operationId: "getJobOutput", parameters: { jobKey: "$request.path.jobKey" } } },
        }),
      },
    }),
  },
  "/api/v1/jobs/{jobKey}/output": {
    get: operation({
      operationId: "getJobOutput",
      tag: "Invocation",
      summary: "A final job's result (the output URI)",
      security: JOB_VISIBLE,
      parameters: jobUriParameters,
      notFound: ["job-not-found"],
      responses: {
        ...RESULT_RESPONSES,
        "409": problem("The job ended Stopped, or it is not final yet (poll the status URI).", ["job-stopped", "job-not-finished"], {
          anyOf: [s("JobStoppedProblem"), s("JobNotFinishedProblem")],
        }, { "Retry-After": { required: false, description: "With job-not-finished: seconds to wait before polling the status URI.", schema: { type: "integer", minimum: 0 } } }),
      },
    }),
  },
  "/api/v1/jobs/{jobKey}/wait": {
    get: operation({
      operationId: "waitForJob",
      tag: "Invocation",
      summary: "Block until a job is final (the wait URI of LongPolling)",
      description:
        "Blocks like a LongPolling invocation: the result once the job is final, or, after the tenant's `longPollTimeoutSeconds`, 303 to this same URI, so a client that follows redirects loops until the result arrives. " +
        "Authenticated by a token, or, for the URIs handed out when `syncRedirectsRequireAuth` is false, by their `exp` and `sig` parameters (a wrong or expired signature is 401).",
      security: [...JOB_VISIBLE, { signedUri: [] }],
      parameters: [
        ...jobUriParameters,
        queryParameter("exp", "Signed wait URIs: the expiry, in seconds since the epoch. Sent as handed out.", { type: "integer" }),
        queryParameter("sig", "Signed wait URIs: the signature (base64url HMAC over tenant, job key, purpose and expiry). Sent as handed out.", { type: "string" }),
      ],
      notFound: ["job-not-found"],
      responses: {
        ...RESULT_RESPONSES,
        "303": response("The job is not final yet: follow `Location` (this wait URI again).", {
          headers: {
            Location: header("Location", "The wait URI, absolute (with the same kind of authentication)."),
            "Retry-After": header("RetryAfter", "Always 0: follow at once."),
          },
        }),
      },
    }),
  },

  // ---- folders
  "/api/v1/folders": {
    get: operation({
      operationId: "listFolders", tag: "Folders", summary: "List the folders", security: scopes("Folders", "Read"), checksScope: true,
      responses: { "200": response("The tenant's folders.", { content: jsonContent(s("FolderPage")) }) },
    }),
    post: operation({
      operationId: "createFolder", tag: "Folders", summary: "Create a folder", security: scopes("Folders", "Write"), checksScope: true,
      body: { schema: s("FolderInput"), required: true }, badRequest: ["invalid-folder"], conflict: ["folder-exists"],
      responses: { "201": response("The folder.", { content: jsonContent(s("Folder")) }) },
    }),
  },
  "/api/v1/folders/{folderKey}": {
    parameters: [param("folderKey")],
    get: operation({
      operationId: "getFolder", tag: "Folders", summary: "Get a folder", security: scopes("Folders", "Read"), checksScope: true,
      notFound: ["folder-not-found"], responses: { "200": response("The folder.", { content: jsonContent(s("Folder")) }) },
    }),
    patch: operation({
      operationId: "renameFolder", tag: "Folders", summary: "Rename a folder", description: "The Shared folder cannot be renamed.",
      security: scopes("Folders", "Write"), checksScope: true, body: { schema: s("FolderInput"), required: true },
      badRequest: ["invalid-folder"], notFound: ["folder-not-found"], conflict: ["folder-exists", "folder-protected"],
      responses: { "200": response("The folder.", { content: jsonContent(s("Folder")) }) },
    }),
    delete: operation({
      operationId: "deleteFolder", tag: "Folders", summary: "Delete an empty folder", description: "The Shared folder cannot be deleted.",
      security: scopes("Folders", "Write"), checksScope: true, notFound: ["folder-not-found"], conflict: ["folder-protected", "folder-not-empty"],
      responses: { "204": response("Deleted.") },
    }),
  },

  // ---- processes
  "/api/v1/folders/{folderKey}/processes": {
    parameters: [param("folderKey")],
    get: operation({
      operationId: "listProcesses", tag: "Processes", summary: "List a folder's processes", security: scopes("Execution", "Read"), checksScope: true,
      notFound: ["folder-not-found"], responses: { "200": response("The folder's processes.", { content: jsonContent(s("ProcessPage")) }) },
    }),
    post: operation({
      operationId: "createProcess", tag: "Processes", summary: "Create a process", security: scopes("Execution", "Write"), checksScope: true,
      body: { schema: s("ProcessInput"), required: true }, badRequest: ["invalid-body", "invalid-process"], validation: true,
      notFound: ["folder-not-found"], conflict: ["process-exists"],
      responses: { "201": response("The process.", { content: jsonContent(s("Process")) }) },
    }),
  },
  "/api/v1/folders/{folderKey}/processes/{name}": {
    parameters: [param("folderKey"), param("processName")],
    get: operation({
      operationId: "getProcess", tag: "Processes", summary: "Get a process", security: scopes("Execution", "Read"), checksScope: true,
      notFound: ["folder-not-found", "process-not-found"], responses: { "200": response("The process.", { content: jsonContent(s("Process")) }) },
    }),
    patch: operation({
      operationId: "updateProcess", tag: "Processes", summary: "Change a process", security: scopes("Execution", "Write"), checksScope: true,
      body: { schema: s("ProcessPatch"), required: true }, badRequest: ["invalid-body", "invalid-process"], validation: true,
      notFound: ["folder-not-found", "process-not-found"],
      responses: { "200": response("The process.", { content: jsonContent(s("Process")) }) },
    }),
    delete: operation({
      operationId: "deleteProcess", tag: "Processes", summary: "Delete a process", description: "Refused while API triggers start it.",
      security: scopes("Execution", "Write"), checksScope: true, notFound: ["folder-not-found", "process-not-found"], conflict: ["process-in-use"],
      responses: { "204": response("Deleted.") },
    }),
  },

  // ---- triggers
  "/api/v1/folders/{folderKey}/triggers": {
    parameters: [param("folderKey")],
    get: operation({
      operationId: "listFolderTriggers", tag: "Triggers", summary: "List a folder's API triggers", security: scopes("Execution", "Read"), checksScope: true,
      notFound: ["folder-not-found"], responses: { "200": response("The folder's API triggers, each with its invoke URL.", { content: jsonContent(s("TriggerPage")) }) },
    }),
    post: operation({
      operationId: "createTrigger", tag: "Triggers", summary: "Create an API trigger", security: scopes("Execution", "Write"), checksScope: true,
      body: { schema: s("TriggerInput"), required: true }, badRequest: ["invalid-body", "invalid-trigger"], validation: true,
      notFound: ["folder-not-found", "process-not-found"], conflict: ["slug-taken"],
      responses: { "201": response("The API trigger, with its `id` and `invokeUrl`.", { content: jsonContent(s("Trigger")) }) },
    }),
  },
  "/api/v1/triggers": {
    get: operation({
      operationId: "listTriggers", tag: "Triggers", summary: "List the tenant's API triggers", security: scopes("Execution", "Read"), checksScope: true,
      parameters: [queryParameter("folderKey", "Only the triggers of this folder.", { type: "string", format: "uuid" })],
      responses: { "200": response("API triggers, each with its invoke URL.", { content: jsonContent(s("TriggerPage")) }) },
    }),
  },
  "/api/v1/triggers/{id}": {
    parameters: [param("triggerId")],
    get: operation({
      operationId: "getTrigger", tag: "Triggers", summary: "Get an API trigger", security: scopes("Execution", "Read"), checksScope: true,
      notFound: ["trigger-not-found"], responses: { "200": response("The API trigger.", { content: jsonContent(s("Trigger")) }) },
    }),
    patch: operation({
      operationId: "updateTrigger", tag: "Triggers", summary: "Change an API trigger", security: scopes("Execution", "Write"), checksScope: true,
      body: { schema: s("TriggerPatch"), required: true }, badRequest: ["invalid-body", "invalid-trigger"], validation: true,
      notFound: ["trigger-not-found", "process-not-found"], conflict: ["slug-taken"],
      responses: { "200": response("The API trigger.", { content: jsonContent(s("Trigger")) }) },
    }),
    delete: operation({
      operationId: "deleteTrigger", tag: "Triggers", summary: "Delete an API trigger", security: scopes("Execution", "Write"), checksScope: true,
      notFound: ["trigger-not-found"], responses: { "204": response("Deleted.") },
    }),
  },

  // ---- jobs
  "/api/v1/jobs": {
    get: operation({
      operationId: "listJobs", tag: "Jobs", summary: "List jobs, newest first", security: scopes("Jobs", "Read"), checksScope: true,
      parameters: [
        queryParameter("state", "Only jobs in these states (comma-separated).", { type: "array", items: s("JobState") }, { style: "form", explode: false }),
        queryParameter("processName", "Only jobs of this process.", { type: "string" }),
        queryParameter("triggerId", "Only jobs created by this API trigger.", { type: "string", format: "uuid" }),
        queryParameter("folderKey", "Only jobs of this folder.", { type: "string", format: "uuid" }),
        queryParameter("createdAfter", "Only jobs created at or after this time.", { type: "string", format: "date-time" }),
        queryParameter("createdBefore", "Only jobs created before this time.", { type: "string", format: "date-time" }),
        param("limit"),
        param("cursor"),
      ],
      badRequest: ["invalid-filter", "invalid-cursor"],
      responses: { "200": response("A page of jobs.", { content: jsonContent(s("JobPage")) }) },
    }),
    post: operation({
      operationId: "startJob", tag: "Jobs", summary: "Start a job of a process directly",
      description: "The job's source is Api (or Manual) and its call mode AsyncRequestReply; follow it with GET /api/v1/jobs/{jobKey} or its status URI.",
      security: scopes("Jobs", "Write"), checksScope: true, body: { schema: s("StartJob"), required: true },
      badRequest: ["invalid-body", "invalid-arguments"], validation: true, notFound: ["folder-not-found", "process-not-found"],
      responses: { "201": response("The job.", { content: jsonContent(s("Job")) }) },
    }),
  },
  "/api/v1/jobs/{jobKey}": {
    parameters: [param("jobKey")],
    get: operation({
      operationId: "getJob", tag: "Jobs", summary: "Get a job", security: JOB_VISIBLE, notFound: ["job-not-found"],
      responses: { "200": response("The job.", { content: jsonContent(s("Job")) }) },
    }),
  },
  "/api/v1/jobs/{jobKey}/logs": {
    parameters: [param("jobKey")],
    get: operation({
      operationId: "getJobLogs", tag: "Jobs", summary: "A job's log lines, oldest first", security: JOB_VISIBLE,
      parameters: [{ ...ref("parameters", "limit"), description: "Page size (default 100)." }, param("cursor")],
      badRequest: ["invalid-filter", "invalid-cursor"], notFound: ["job-not-found"],
      responses: { "200": response("A page of log lines.", { content: jsonContent(s("JobLogPage")) }) },
    }),
  },
  "/api/v1/jobs/{jobKey}/stop": {
    parameters: [param("jobKey")],
    post: operation({
      operationId: "stopJob", tag: "Jobs", summary: "Stop a job",
      description: "A Pending job ends Stopped at once. A running job is asked to stop through its robot: SoftStop moves it to Stopping, Kill to Terminating; it ends Stopped (or finishes first).",
      security: scopes("Jobs", "Write"), checksScope: true, body: { schema: s("StopJob"), required: true },
      badRequest: ["invalid-strategy"], notFound: ["job-not-found"], conflict: ["job-final", "job-busy"],
      responses: { "202": response("The stop is under way (or done): the job as it is now.", { content: jsonContent(s("Job")) }) },
    }),
  },

  // ---- robots
  "/api/v1/robots": {
    get: operation({
      operationId: "listRobots", tag: "Robots", summary: "List the robots (robot keys)", description: "Keys are never shown again after creation.",
      security: scopes("Robots", "Read"), checksScope: true,
      responses: { "200": response("The tenant's robots, revoked ones included.", { content: jsonContent(s("RobotKeyPage")) }) },
    }),
    post: operation({
      operationId: "createRobot", tag: "Robots", summary: "Create a robot and its robot key", security: scopes("Robots", "Write"), checksScope: true,
      body: { schema: s("RobotKeyInput"), required: true }, badRequest: ["invalid-robot"], conflict: ["robot-exists"],
      responses: { "201": response("The robot, with its robot `key`: shown only this once.", { content: jsonContent(s("CreatedRobotKey")) }) },
    }),
  },
  "/api/v1/robots/{id}": {
    parameters: [param("robotId")],
    delete: operation({
      operationId: "revokeRobot", tag: "Robots", summary: "Revoke a robot key",
      description: "Its sessions end: their jobs go back to Pending (or fault, per the retry policy).",
      security: scopes("Robots", "Write"), checksScope: true, notFound: ["robot-not-found"],
      responses: { "204": response("Revoked (also when it already was).") },
    }),
  },
  "/api/v1/robots/sessions": {
    get: operation({
      operationId: "listRobotSessions", tag: "Robots", summary: "List the live robot sessions", security: scopes("Robots", "Read"), checksScope: true,
      responses: { "200": response("The sessions whose lease has not run out.", { content: jsonContent(s("RobotSessionPage")) }) },
    }),
  },

  // ---- tokens
  "/api/v1/tokens": {
    get: operation({
      operationId: "listTokens", tag: "Tokens", summary: "List the tenant's personal access tokens", description: "Secrets are never shown again after creation.",
      security: scopes("Users", "Read"), checksScope: true,
      responses: { "200": response("The tokens, revoked ones included.", { content: jsonContent(s("PersonalAccessTokenPage")) }) },
    }),
    post: operation({
      operationId: "createToken", tag: "Tokens", summary: "Create a personal access token", security: scopes("Users", "Write"), checksScope: true,
      body: { schema: s("CreateToken"), required: true }, badRequest: ["invalid-token", "invalid-scopes"],
      responses: { "201": response("The token, with its secret `token`: shown only this once.", { content: jsonContent(s("CreatedPersonalAccessToken")) }) },
    }),
  },
  "/api/v1/tokens/{id}": {
    parameters: [param("tokenId")],
    delete: operation({
      operationId: "revokeToken", tag: "Tokens", summary: "Revoke a personal access token", security: scopes("Users", "Write"), checksScope: true,
      notFound: ["token-not-found"], responses: { "204": response("Revoked (also when it already was).") },
    }),
  },

  // ---- settings
  "/api/v1/settings": {
    get: operation({
      operationId: "getSettings", tag: "Settings", summary: "The tenant settings", security: scopes("Settings", "Read"), checksScope: true,
      responses: { "200": response("The tenant settings.", { content: jsonContent(s("TenantSettings")) }) },
    }),
    patch: operation({
      operationId: "updateSettings", tag: "Settings", summary: "Change tenant settings", security: scopes("Settings", "Write"), checksScope: true,
      body: { schema: s("TenantSettingsPatch"), required: true }, badRequest: ["invalid-settings"], validation: true,
      responses: { "200": response("All the tenant settings, after the change.", { content: jsonContent(s("TenantSettings")) }) },
    }),
  },

  // ---- audit log
  "/api/v1/audit": {
    get: operation({
      operationId: "listAuditEntries", tag: "Audit", summary: "The audit log, newest first",
      description: "Every change made through the management API and the organization's routes: who (the token), what (action, target, details without secrets), when, " +
        "and from where (address, request id). Written in the request that made the change, once it succeeded; refused changes are not recorded. Invocations are jobs, not audit entries.",
      security: scopes("Audit", "Read"), checksScope: true,
      parameters: [
        queryParameter("action", "Only this action (`trigger.create`), or those of a resource (`trigger.*`).", { type: "string", examples: ["trigger.create", "trigger.*"] }),
        queryParameter("since", "Only entries made at or after this time.", { type: "string", format: "date-time" }),
        param("limit"),
        param("cursor"),
      ],
      badRequest: ["invalid-filter", "invalid-cursor"],
      responses: { "200": response("A page of audit entries.", { content: jsonContent(s("AuditPage")) }) },
    }),
  },

  // ---- the robot protocol (SPEC §3)
  "/api/robot/v1/sessions": {
    post: operation({
      operationId: "openRobotSession", tag: "Robot protocol", summary: "Open a session", security: ROBOT,
      description: "Announces the process names the robot serves and its slots; answers the heartbeat interval and the lease length.",
      body: { schema: s("OpenSession"), required: true }, badRequest: ["invalid-session"],
      responses: { "201": response("The session.", { content: jsonContent(s("OpenedSession")) }) },
    }),
  },
  "/api/robot/v1/sessions/{sessionId}": {
    parameters: [param("sessionId")],
    delete: operation({
      operationId: "closeRobotSession", tag: "Robot protocol", summary: "Close a session", security: ROBOT,
      description: "Its jobs go back to Pending without spending an attempt (stopping ones end Stopped).",
      notFound: ["session-not-found"], responses: { "204": response("Closed.") },
    }),
  },
  "/api/robot/v1/sessions/{sessionId}/claim": {
    parameters: [param("sessionId")],
    post: operation({
      operationId: "claimJobs", tag: "Robot protocol", summary: "Claim jobs (long-poll)", security: ROBOT,
      description: "Up to `max` Pending jobs of the served processes, highest priority first, then oldest; each is given to exactly one session and is Running when answered. " +
        "With none available, waits up to `waitSeconds` for one (returns at once when the node shuts down).",
      body: { schema: s("ClaimRequest"), required: false }, badRequest: ["invalid-claim"], notFound: ["session-not-found"],
      responses: { "200": response("The claimed jobs (maybe none).", { content: jsonContent(s("ClaimedJobs")) }) },
    }),
  },
  "/api/robot/v1/sessions/{sessionId}/heartbeat": {
    parameters: [param("sessionId")],
    post: operation({
      operationId: "heartbeat", tag: "Robot protocol", summary: "Heartbeat", security: ROBOT,
      description: "Extends the session's lease and its jobs'; answers which jobs must soft-stop or be killed, and which are no longer this session's. " +
        "A session whose lease runs out loses its jobs (404 session-not-found afterwards: open a new one).",
      body: { schema: s("HeartbeatRequest"), required: false }, badRequest: ["invalid-heartbeat"], notFound: ["session-not-found"],
      responses: { "200": response("What the robot must do.", { content: jsonContent(s("HeartbeatAnswer")) }) },
    }),
  },
  "/api/robot/v1/sessions/{sessionId}/results": {
    parameters: [param("sessionId")],
    post: operation({
      operationId: "reportResults", tag: "Robot protocol", summary: "Report several results at once", security: ROBOT,
      description: "Up to 100 results (complete, fail, stopped) in one request; each is applied on its own and answered with the status its single route would give (204, or 409 job-not-held, ...).",
      body: { schema: s("ResultsRequest"), required: true }, badRequest: ["invalid-results"], notFound: ["session-not-found"],
      responses: { "200": response("One answer per result.", { content: jsonContent(s("ResultsAnswer")) }) },
    }),
  },
  "/api/robot/v1/sessions/{sessionId}/jobs/{jobKey}/logs": robotJobResult("appendJobLogs", "Append log lines to a job", s("JobLogLines"), true, ["invalid-logs"]),
  "/api/robot/v1/sessions/{sessionId}/jobs/{jobKey}/complete": robotJobResult("completeJob", "Report a job Successful, with its output arguments", s("CompleteJob"), false, ["invalid-output"]),
  "/api/robot/v1/sessions/{sessionId}/jobs/{jobKey}/fail": robotJobResult("failJob", "Report a job Faulted, with its error", s("FailJob"), false, []),
  "/api/robot/v1/sessions/{sessionId}/jobs/{jobKey}/stopped": robotJobResult("reportJobStopped", "Report a job stopped (after a stop or kill request)", { type: "object" }, false, []),

  // ---- discovery
  "/api/v1/openapi.json": {
    get: operation({
      operationId: "getOpenApiDocument", tag: "Discovery", summary: "This document", security: null,
      responses: { "200": response("The OpenAPI 3.1 document, with the server URL of the tenant it was fetched from.", { content: jsonContent({ type: "object" }) }) },
    }),
  },
};

/** `{origin}/{org}/api/v1/…`: the organization's own routes (org administrators). */
const organizationPaths: Record<string, Obj> = {
  "/{org}/api/v1/tenants": {
    parameters: [param("org")],
    get: operation({
      operationId: "listTenants", tag: "Tenants", summary: "List the organization's tenants", level: "organization",
      security: [{ bearerAuth: [] }], description: "For administrators of the organization (403 not-org-admin otherwise).",
      responses: {
        "200": response("The tenants.", { content: jsonContent(s("TenantPage")) }),
        "403": problem("The token's user does not administer the organization.", ["not-org-admin"]),
      },
    }),
    post: operation({
      operationId: "createTenant", tag: "Tenants", summary: "Create a tenant", level: "organization",
      description: "For administrators of the organization. The new tenant has a folder named Shared.",
      security: [{ bearerAuth: [] }], body: { schema: s("TenantInput"), required: true }, badRequest: ["invalid-tenant"], conflict: ["tenant-exists"],
      responses: {
        "201": response("The tenant.", { content: jsonContent(s("Tenant")) }),
        "403": problem("The token's user does not administer the organization.", ["not-org-admin"]),
      },
    }),
  },
};

// ---- external applications and the OAuth 2.0 token endpoint (RFC 6749 §4.4)

const NOT_ORG_ADMIN = problem("The token's user does not administer the organization.", ["not-org-admin"]);
/** RFC 6749 §5.1: token answers, and the answers carrying a client secret, are not cached. */
const NO_STORE: Obj = { "Cache-Control": { required: true, description: "`no-store`.", schema: { type: "string", const: "no-store" } } };
const NO_STORE_NO_CACHE: Obj = { ...NO_STORE, Pragma: { required: true, description: "`no-cache`.", schema: { type: "string", const: "no-cache" } } };
const oauthError = (description: string, errors: string[], headers: Obj = {}): Obj =>
  response(`${description} Errors: ${codeList(errors)}.`, { content: jsonContent(s("OAuthError")), headers: { ...NO_STORE_NO_CACHE, ...headers } });

const externalAppPaths: Record<string, Obj> = {
  "/{org}/api/v1/external-apps": {
    parameters: [param("org")],
    get: operation({
      operationId: "listExternalApps", tag: "External applications", summary: "List the organization's external applications", level: "organization",
      security: [{ bearerAuth: [] }], description: "For administrators of the organization. Revoked applications included; secrets are never shown again.",
      responses: { "200": response("The applications.", { content: jsonContent(s("ExternalAppPage")) }), "403": NOT_ORG_ADMIN },
    }),
    post: operation({
      operationId: "createExternalApp", tag: "External applications", summary: "Create an external application (an OAuth confidential client)", level: "organization",
      description: "For administrators of the organization. The application gets access tokens for its tenant from `{origin}/{org}/identity_/connect/token` with its client id and secret.",
      security: [{ bearerAuth: [] }], body: { schema: s("CreateExternalApp"), required: true }, badRequest: ["invalid-external-app", "invalid-scopes"], conflict: ["external-app-exists"],
      responses: {
        "201": response("The application, with its `clientSecret`: shown only this once.", { content: jsonContent(s("CreatedExternalApp")), headers: NO_STORE }),
        "403": NOT_ORG_ADMIN,
      },
    }),
  },
  "/{org}/api/v1/external-apps/{clientId}/secret": {
    parameters: [param("org"), param("clientId")],
    post: operation({
      operationId: "rotateExternalAppSecret", tag: "External applications", summary: "Rotate an external application's secret", level: "organization",
      description: "For administrators of the organization. The new secret is shown only this once; the old one, and every access token obtained with it, stop working at once.",
      security: [{ bearerAuth: [] }], notFound: ["external-app-not-found"], conflict: ["external-app-revoked"],
      responses: {
        "200": response("The new secret.", { content: jsonContent(s("RotatedExternalAppSecret")), headers: NO_STORE }),
        "403": NOT_ORG_ADMIN,
      },
    }),
  },
  "/{org}/api/v1/external-apps/{clientId}": {
    parameters: [param("org"), param("clientId")],
    delete: operation({
      operationId: "revokeExternalApp", tag: "External applications", summary: "Revoke an external application", level: "organization",
      description: "For administrators of the organization. It gets no more tokens, and the tokens it holds stop working at once.",
      security: [{ bearerAuth: [] }], notFound: ["external-app-not-found"],
      responses: { "204": response("Revoked (also when it already was)."), "403": NOT_ORG_ADMIN },
    }),
  },
  "/{org}/identity_/connect/token": {
    parameters: [param("org")],
    post: {
      operationId: "requestAccessToken",
      tags: ["OAuth"],
      summary: "Get an access token (OAuth 2.0 client credentials)",
      description: [
        "The client-credentials grant of RFC 6749 §4.4 for the organization's external applications. The client authenticates with `client_id` and `client_secret` in the form, " +
          "or with HTTP Basic (RFC 6749 §2.3.1), not both. `scope` (space-separated) narrows the token to some of the application's scopes; without it, the token has all of them.",
        "The access token is a JWT valid for an hour in the application's tenant, accepted wherever a personal access token is (`Authorization: Bearer`). " +
          "Rotating the application's secret or revoking the application ends it at once. There is no refresh token: ask for a new one.",
        "Errors are RFC 6749 §5.2 JSON (`error`, `error_description`), not problem+json; 5xx answers are problems as everywhere else.",
      ].join("\n\n"),
      security: [{}, { clientBasic: [] }],
      requestBody: { required: true, content: { "application/x-www-form-urlencoded": { schema: s("TokenRequest") } } },
      responses: {
        "200": response("The access token.", { content: jsonContent(s("AccessTokenResponse")), headers: NO_STORE_NO_CACHE }),
        "400": oauthError(
          "A missing or repeated parameter, two client authentication methods, or a body that is not `application/x-www-form-urlencoded` (`invalid_request`); " +
            "a grant type other than `client_credentials` (`unsupported_grant_type`); a scope the application does not have (`invalid_scope`).",
          ["invalid_request", "unsupported_grant_type", "invalid_scope"],
        ),
        "401": oauthError("Client authentication failed: no credentials, an unknown client, a wrong secret or a revoked application.", ["invalid_client"], {
          "WWW-Authenticate": { required: false, description: "`Basic realm=\"baton\"`, when the client used HTTP Basic.", schema: { type: "string", pattern: "^Basic" } },
        }),
        "413": oauthError("The body is over 8 KiB.", ["invalid_request"]),
        "500": ref("responses", "InternalError"),
        "503": ref("responses", "StoreUnavailable"),
      },
    },
  },
};

/** `{origin}/…`: each node's operations endpoints, outside any tenant (docs/deployment.md). */
const nodePaths: Record<string, Obj> = {
  "/healthz": {
    get: operation({
      operationId: "getHealth", tag: "Operations", summary: "Liveness: the process is up", level: "node", security: null,
      description: "Answers 200 whenever the process serves HTTP; it does not look at the store (that is `/readyz`). During graceful shutdown, 503 shutting-down.",
      responses: { "200": response("The process is up.", { content: jsonContent({ type: "object", required: ["status"], properties: { status: { const: "ok" } } }) }) },
    }),
  },
  "/readyz": {
    get: operation({
      operationId: "getReadiness", tag: "Operations", summary: "Readiness: the store answers", level: "node", security: null,
      description: "200 when a round trip to the store (`SELECT 1`) succeeds; otherwise 503 store-unavailable with `Retry-After`, and 503 shutting-down during graceful shutdown. " +
        "Load balancers send traffic only to ready nodes.",
      responses: { "200": response("The node can serve requests.", { content: jsonContent({ type: "object", required: ["status"], properties: { status: { const: "ready" } } }) }) },
    }),
  },
  "/metrics": {
    get: operation({
      operationId: "getMetrics", tag: "Operations", summary: "Prometheus metrics", level: "node", security: [{}, { metricsToken: [] }],
      description: "The Prometheus text format: `baton_jobs{state,process}`, `baton_queue_depth{process}`, `baton_robot_sessions`, `baton_robot_slots`, `baton_store_up` " +
        "(counted in the store at scrape time, the same on every node), `baton_waiting_callers`, `baton_invoke_duration_seconds{call_mode}` and " +
        "`baton_claim_latency_seconds` (this node's), and Node's process metrics.",
      responses: { "200": response("The metrics.", { content: { "text/plain": { schema: { type: "string" } } } }) },
    }),
  },
};

const tags = [
  { name: "Invocation", description: "For callers of API triggers: the invoke URL and the status, output and wait URIs of the call modes (SPEC §2)." },
  { name: "Jobs", description: "For operators: list, inspect, start and stop jobs." },
  { name: "Folders", description: "For tenant administrators." },
  { name: "Processes", description: "For tenant administrators: the automations robots can run." },
  { name: "Triggers", description: "For tenant administrators: API triggers and their invoke URLs." },
  { name: "Robots", description: "For tenant administrators and operators: robots, their robot keys, and the sessions connected now." },
  { name: "Robot protocol", description: "For robots (workers), with a robot key: sessions, claims, heartbeats, logs and results (SPEC §3). Any language can speak it." },
  { name: "Tokens", description: "For tenant administrators: personal access tokens." },
  { name: "Settings", description: "For tenant administrators: the tenant settings of SPEC §5." },
  { name: "Audit", description: "For tenant administrators and auditors: who changed what, when and from where." },
  { name: "Tenants", description: "For organization administrators: routes under `{origin}/{org}/api/v1`." },
  { name: "External applications", description: "For organization administrators: OAuth confidential clients of a tenant, under `{origin}/{org}/api/v1`." },
  { name: "OAuth", description: "For external applications: the organization's token endpoint, `{origin}/{org}/identity_/connect/token` (client credentials)." },
  { name: "Discovery", description: "For tools: this document." },
  { name: "Operations", description: "For operators and load balancers: each node's liveness, readiness and Prometheus metrics, under `{origin}`." },
];

const tagGroups = [
  { name: "API trigger callers", tags: ["Invocation", "OAuth"] },
  { name: "Tenant management", tags: ["Jobs", "Folders", "Processes", "Triggers", "Robots", "Tokens", "Settings", "Audit"] },
  { name: "Robots (workers)", tags: ["Robot protocol"] },
  { name: "Organization administration", tags: ["Tenants", "External applications"] },
  { name: "Tools", tags: ["Discovery"] },
  { name: "Operations", tags: ["Operations"] },
];

const headers: Record<string, Obj> = {
  XRequestId: { required: true, description: "The request's id: the caller's `X-Request-Id` when it is 1-128 of `[A-Za-z0-9_.-]`, otherwise a new UUID.", schema: { type: "string" } },
  Location: { required: true, description: "An absolute URI, built from `BATON_PUBLIC_URL` when set, else from the request.", schema: { type: "string", format: "uri" } },
  RetryAfter: { required: true, description: "Seconds.", schema: { type: "integer", minimum: 0 } },
  WWWAuthenticate: { required: true, description: "`Bearer realm=\"baton\"`.", schema: { type: "string", pattern: "^Bearer" } },
  Allow: { required: true, description: "The trigger's verb.", schema: { type: "string", enum: ["GET", "POST", "PUT", "DELETE"] } },
};

const responses: Record<string, Obj> = {
  Unauthorized: problem("No token, or a token (or robot key) that is not valid here: malformed, unknown, expired, revoked, of another tenant; or a wrong or expired wait URI signature.", ["unauthorized"], s("Problem"), {
    "WWW-Authenticate": ref("headers", "WWWAuthenticate"),
  }),
  InsufficientScope: problem("The token lacks the scope.", ["insufficient-scope"], s("InsufficientScopeProblem")),
  RateLimited: problem(
    "The tenant's rate limit is used up on this node: the token's `rateLimitPerTokenPerMinute`, or, for invocations, the trigger's `rateLimitPerTriggerPerMinute`. Retry after `Retry-After` seconds.",
    ["rate-limited"], s("RateLimitedProblem"), { "Retry-After": ref("headers", "RetryAfter") },
  ),
  MethodNotAllowed: problem("The method is not the trigger's verb.", ["method-not-allowed"], s("Problem"), { Allow: ref("headers", "Allow") }),
  PayloadTooLarge: problem("The body is over the limit (1 MiB for the management API).", ["payload-too-large"], s("PayloadTooLargeProblem")),
  UnsupportedMediaType: problem("The body is not JSON.", ["unsupported-media-type"]),
  InternalError: problem("An unexpected error; it has been logged (no details are sent).", ["internal-error"]),
  StoreUnavailable: problem("The job store is unreachable, or this node is shutting down; retry after `Retry-After` seconds.", ["store-unavailable", "shutting-down"], s("Problem"), {
    "Retry-After": ref("headers", "RetryAfter"),
  }),
};

const DESCRIPTION = `Baton turns HTTP calls into jobs that robots run (API triggers), and manages folders, processes, triggers, jobs, tokens and tenant settings.

**Servers.** Tenant routes are relative to the tenant base \`{origin}/{org}/{tenant}/orchestrator_\`; the organization's routes to \`{origin}\`.

**Authentication.** \`Authorization: Bearer <token>\`: a personal access token, or an OAuth access token an external application got from \`{origin}/{org}/identity_/connect/token\` (client credentials); the robot protocol (\`/api/robot/v1\`) takes a robot key instead. Scopes follow UiPath's names: \`OR.X\` grants read and write on X, \`OR.X.Read\` / \`OR.X.Write\` one of them; each operation lists the scopes that let it through (any one is enough). A job the token may not see is answered 404, never 403.

**Errors.** Every error is \`application/problem+json\` (RFC 9457) with a stable \`code\`. 401 carries \`WWW-Authenticate: Bearer\`; 429 and 503 carry \`Retry-After\`.

**Rate limits.** A tenant may limit the requests of each token (\`rateLimitPerTokenPerMinute\`) and the invocations of each trigger (\`rateLimitPerTriggerPerMinute\`); past a limit the answer is 429 \`rate-limited\` with \`Retry-After\`. Each node counts on its own.

**Browsers.** For origins in the tenant's \`corsAllowedOrigins\`, every tenant route answers CORS preflights (\`OPTIONS\`) and sends \`Access-Control-Allow-Origin\` and \`Access-Control-Expose-Headers: Location, Retry-After, WWW-Authenticate, X-Request-Id\`, the 303s and errors included.

**Lists** return \`{ items, nextCursor }\`; pass \`nextCursor\` as \`cursor\` for the next page.`;

function build(base: string): Obj {
  // base: `{origin}/{org}/{tenant}/orchestrator_`, as urls.tenantBase() makes it
  const match = /^(.*)\/([^/]+)\/([^/]+)\/orchestrator_$/.exec(base);
  const [origin, org, tenant] = match ? [match[1]!, match[2]!, match[3]!] : [base, "default", "DefaultTenant"];
  return {
    openapi: OPENAPI_VERSION,
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    info: {
      title: "Baton",
      version: API_VERSION,
      summary: "Job orchestrator: API triggers, jobs, robots.",
      description: DESCRIPTION,
      license: { name: "MIT", identifier: "MIT" },
    },
    servers: [{
      url: `${origin}/{org}/{tenant}/orchestrator_`,
      description: "A tenant; the defaults are the tenant this document was fetched from.",
      variables: {
        org: { default: org, description: "The organization." },
        tenant: { default: tenant, description: "The tenant." },
      },
    }],
    security: [{ bearerAuth: [] }],
    tags,
    "x-tagGroups": tagGroups,
    paths: {
      ...paths,
      ...Object.fromEntries(Object.entries(organizationPaths).map(([path, item]) => [path, { ...item, servers: [{ url: origin, description: "The organization's routes." }] }])),
      ...Object.fromEntries(Object.entries(externalAppPaths).map(([path, item]) => [path, { ...item, servers: [{ url: origin, description: "The organization's routes." }] }])),
      ...Object.fromEntries(Object.entries(nodePaths).map(([path, item]) => [path, { ...item, servers: [{ url: origin, description: "This node's operations endpoints." }] }])),
    },
    components: {
      schemas,
      parameters,
      headers,
      responses,
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          description: "A personal access token (`baton_pat_…`, created with POST /api/v1/tokens, or the BATON_BOOTSTRAP_TOKEN), " +
            "or an OAuth access token (a JWT an external application gets from `{origin}/{org}/identity_/connect/token`, valid for an hour in its tenant).",
        },
        clientBasic: {
          type: "http",
          scheme: "basic",
          description: "An external application's client id and secret (RFC 6749 §2.3.1), for the token endpoint only; or send them as `client_id` and `client_secret` in the form.",
        },
        robotKey: {
          type: "http",
          scheme: "bearer",
          description: "A robot key (`baton_rk_…`, created with POST /api/v1/robots): valid only for the robot protocol of its tenant.",
        },
        metricsToken: {
          type: "http",
          scheme: "bearer",
          description: "The node's `BATON_METRICS_TOKEN`, for `/metrics` when it is set.",
        },
        signedUri: {
          type: "apiKey",
          in: "query",
          name: "sig",
          description: "Wait URIs handed out by LongPolling when the tenant's `syncRedirectsRequireAuth` is false carry `exp` and `sig` (an HMAC over tenant, job key, purpose and expiry) and work without a token. Use them as handed out.",
        },
      },
    },
  };
}

const documents = new Map<string, Obj>();
const MAX_CACHED = 64;

/** The document for a tenant base (`{origin}/{org}/{tenant}/orchestrator_`), built once per base. */
export function openApiDocument(base: string): Obj {
  let doc = documents.get(base);
  if (!doc) {
    // the base comes from the request's Host: keep the cache bounded
    if (documents.size >= MAX_CACHED) documents.delete(documents.keys().next().value!);
    doc = build(base);
    documents.set(base, doc);
  }
  return doc;
}
