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
import type { ErrorCode } from "../core/errorCodes.js";
import type { FastifyContextConfig } from "fastify";
import { scopesGranting } from "../core/scopes.js";
import type { ErrorAnswer, RouteAccess } from "./routeContract.js";
import { namedSchemas, withRefs } from "./schemas/named.js";
import { schemaRef as s, schemas, type Schema } from "./openapiSchemas.js";

type Obj = { [key: string]: unknown };

const OPENAPI_VERSION = "3.1.0";
const API_VERSION = "1.0.0";

// ---- small builders

const ref = (kind: "responses" | "headers", name: string): Obj => ({ $ref: `#/components/${kind}/${name}` });
const jsonContent = (schema: Schema): Obj => ({ "application/json": { schema } });
const problemContent = (schema: Schema): Obj => ({ "application/problem+json": { schema } });
const codeList = (codes: readonly string[]) => codes.map((c) => `\`${c}\``).join(", ");

/** Every answer carries X-Request-Id (the caller's own when it sent a valid one). */
function response(description: string, options: { content?: Obj; headers?: Obj; links?: Obj } = {}): Obj {
  return {
    description,
    headers: { "X-Request-Id": ref("headers", "XRequestId"), ...options.headers },
    ...(options.content ? { content: options.content } : {}),
    ...(options.links ? { links: options.links } : {}),
  };
}

function problem(description: string, codes: ErrorCode[], schema: Schema = s("Problem"), headers: Obj = {}): Obj {
  return response(`${description} Codes: ${codeList(codes)}.`, { content: problemContent(schema), headers });
}


type SecurityRequirement = Record<string, string[]>;


interface OperationSpec {
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  /** null: no token needed */
  security: SecurityRequirement[] | null;
  /** the route answers 403 insufficient-scope when the token lacks the scope */
  checksScope?: boolean;
  /**
   * The user's permission the route needs (Permissions.ts), for the description; the route
   * answers 403 permission-denied without it unless `permissionDenied` is false (lists that
   * only leave out what the user may not see, reads that answer 404).
   */
  permission?: string;
  permissionDenied?: boolean;
  /** other 403 codes the route answers */
  forbidden?: ErrorCode[];
  parameters?: Obj[];
  /** a JSON request body (the management API's parser: invalid JSON is 400, another type 415, over 1 MiB 413) */
  body?: { schema: Schema; required: boolean; description?: string };
  responses: Obj;
  badRequest?: ErrorCode[];
  /** 400 answers list `violations` */
  validation?: boolean;
  notFound?: ErrorCode[];
  conflict?: ErrorCode[];
  /** the level the route lives at: a tenant's routes may also answer 404 tenant-not-found */
  level?: "tenant" | "organization" | "node";
}

/** the spec each operation was built from, for the second pass that knows its method (withCsrf) */
const specs = new WeakMap<Obj, OperationSpec>();

/** Does the operation take the credentials of a tenant (a bearer token, and so also a console session cookie)? */
const takesTenantCredentials = (o: OperationSpec): boolean => (o.level ?? "tenant") === "tenant" && (o.security?.some((r) => "bearerAuth" in r) ?? false);

/**
 * 403: insufficient-scope (the token's scope), the route's own codes, permission-denied (the
 * user's permission), and, for changes made with a console session, csrf-token-invalid.
 */
function forbiddenResponse(o: OperationSpec, change: boolean): Obj | undefined {
  const csrf = change && (takesTenantCredentials(o) || (o.security?.some((r) => "cookieAuth" in r) ?? false));
  const permission = o.permission !== undefined && o.permissionDenied !== false;
  const others: ErrorCode[] = [...(o.forbidden ?? []), ...(csrf ? ["csrf-token-invalid" as const] : [])];
  const codes: ErrorCode[] = [...(o.checksScope ? ["insufficient-scope" as const] : []), ...(permission ? ["permission-denied" as const] : []), ...others];
  if (!codes.length) return undefined;
  if (codes.length === 1 && o.checksScope) return ref("responses", "InsufficientScope");
  const schemas: Schema[] = [
    ...(o.checksScope ? [s("InsufficientScopeProblem")] : []),
    ...(permission ? [s("PermissionDeniedProblem")] : []),
    ...(others.length ? [{ allOf: [s("Problem"), { type: "object", properties: { code: { enum: others } } }] }] : []),
  ];
  const why = [
    o.checksScope ? "the token lacks the scope (`insufficient-scope`)" : "",
    permission ? "the user lacks the permission (`permission-denied`)" : "",
    csrf ? "a change made with a console session cookie without its `X-CSRF-Token` (`csrf-token-invalid`)" : "",
  ].filter(Boolean);
  return problem(`Forbidden${why.length ? `: ${why.join("; ")}` : ""}.`, codes, schemas.length === 1 ? schemas[0] : { anyOf: schemas });
}

const sortResponses = (responses: Obj): Obj => Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));

function operation(o: OperationSpec): Obj {
  const responses: Obj = { ...o.responses };
  const badRequest: ErrorCode[] = [...(o.body ? ["invalid-json" as const] : []), ...(o.badRequest ?? [])];
  if (badRequest.length && !responses["400"]) {
    responses["400"] = problem("The request is not valid.", badRequest, s(o.validation ? "ValidationProblem" : "Problem"));
  }
  if (o.security && !responses["401"]) responses["401"] = ref("responses", "Unauthorized");
  if (!responses["403"]) {
    const forbidden = forbiddenResponse(o, false);
    if (forbidden) responses["403"] = forbidden;
  }
  // every request a token makes in a tenant counts against the tenant's rateLimitPerTokenPerMinute
  if ((o.level ?? "tenant") === "tenant" && o.security?.some((r) => "bearerAuth" in r)) responses["429"] ??= ref("responses", "RateLimited");
  const notFound: ErrorCode[] = [...(o.notFound ?? []), ...((o.level ?? "tenant") === "tenant" ? ["tenant-not-found" as const] : [])];
  if (notFound.length && !responses["404"]) responses["404"] = problem("Not found.", notFound);
  if (o.conflict?.length && !responses["409"]) responses["409"] = problem("Conflict.", o.conflict);
  if (o.body) {
    responses["413"] ??= ref("responses", "PayloadTooLarge");
    responses["415"] ??= ref("responses", "UnsupportedMediaType");
  }
  responses["500"] ??= ref("responses", "InternalError");
  responses["503"] ??= ref("responses", "StoreUnavailable");
  const sorted = sortResponses(responses);

  const requiredScopes = o.security?.map((r) => Object.values(r).flat().join(" and ")).filter(Boolean) ?? [];
  const auth = o.security === null
    ? "No token needed."
    : o.security.some((r) => "robotKey" in r)
      ? "Authentication: a robot key of the tenant."
    : o.security.some((r) => "metricsToken" in r)
      ? "Authentication: none, unless the node has `BATON_METRICS_TOKEN` set; then that token as a bearer token."
    : o.security.every((r) => "cookieAuth" in r)
      ? "Authentication: a console session cookie (`baton_session`) only; a bearer token is answered 401."
    : requiredScopes.length
      ? `Token scopes: any one of ${codeList(requiredScopes)}.${o.checksScope ? "" : " Without one, the answer is 404: a job's existence is not revealed."}`
      : "Any valid token.";
  const permission = o.permission ? `Permission: ${o.permission}` : "";
  // a console session is accepted wherever a bearer token of the tenant is (principal() in context.ts)
  const security = o.security && takesTenantCredentials(o) ? [...o.security, { cookieAuth: [] }] : o.security;
  const op: Obj = {
    operationId: o.operationId,
    tags: [o.tag],
    summary: o.summary,
    description: [o.description, auth, permission].filter(Boolean).join("\n\n"),
    ...(security === null ? { security: [] } : { security }),
    ...(o.parameters?.length ? { parameters: o.parameters } : {}),
    ...(o.body
      ? { requestBody: { required: o.body.required, ...(o.body.description ? { description: o.body.description } : {}), content: jsonContent(o.body.schema) } }
      : {}),
    responses: sorted,
  };
  specs.set(op, o);
  return op;
}

const CHANGES = ["post", "put", "patch", "delete"];

/** Changes made with a console session cookie need X-CSRF-Token: their 403 says so. */
function withCsrf(items: Record<string, Obj>): Record<string, Obj> {
  for (const item of Object.values(items)) {
    for (const method of CHANGES) {
      const op = item[method] as Obj | undefined;
      const o = op && specs.get(op);
      if (!op || !o || o.responses["403"]) continue;
      const forbidden = forbiddenResponse(o, true);
      if (forbidden) op.responses = sortResponses({ ...(op.responses as Obj), "403": forbidden });
    }
  }
  return items;
}

// ---- operations generated from the routes (openapiRoutes.ts, routeContract.ts)

export interface GeneratedOperation {
  /** relative to the tenant base, or `/{org}/…` for the organization's routes */
  path: string;
  method: string;
  /** what @fastify/swagger made of the route's schema */
  op: Obj;
  config: FastifyContextConfig | undefined;
  level: "tenant" | "organization" | "node";
  /** the route's response `links`, by status (fastify-swagger leaves them out) */
  links?: Record<string, Obj>;
}

/** Response headers described once in `components.headers`: a route's header of that name is written as a reference, with the route's sentence. */
const HEADER_COMPONENTS: Record<string, string> = { Location: "Location", "Retry-After": "RetryAfter", "Idempotent-Replayed": "IdempotentReplayed" };

function responseHeaders(given: Obj | undefined): Obj | undefined {
  if (!given) return undefined;
  return Object.fromEntries(Object.entries(given).map(([name, h]) => {
    const component = HEADER_COMPONENTS[name];
    const description = (h as { description?: string }).description;
    return [name, component ? { ...ref("headers", component), ...(description ? { description } : {}) } : h];
  }));
}

/** An error answer a route documents itself (routeContract.ts `errors.answers`). */
function errorAnswer(a: ErrorAnswer): Obj {
  if ("response" in a) return ref("responses", a.response);
  const problems = (a.problems ?? ["Problem"]).map((name) => s(name));
  const headers = Object.fromEntries(Object.entries(a.headers ?? {}).map(([name, h]) => [name, typeof h === "string" ? ref("headers", h) : h]));
  return problem(a.description, a.codes, problems.length === 1 ? problems[0] : { anyOf: problems }, headers);
}

/** The permission's prose for the description. */
function permissionProse(access: RouteAccess): string | undefined {
  if (access.permissionNote) return access.permissionNote;
  if (access.orgAdmin) return "an administrator of the organization (403 not-org-admin otherwise).";
  if (!access.permission) return undefined;
  const where = access.inFolder ? " in the folder" : "";
  const hidden = access.hidden ? `; without it the answer is 404 ${access.hidden.code}` : "";
  return `\`${access.permission}\`${where}${hidden}.`;
}

/** The robot protocol: a robot key of the tenant, nothing else. */
const ROBOT: SecurityRequirement[] = [{ robotKey: [] }];

/**
 * A route's answer headers as the document says them: `required: true`, which a route writes
 * in the header's schema (@fastify/swagger copies it there), lifted beside it.
 */
function answerHeaders(headers: Obj | undefined): Obj | undefined {
  if (!headers) return undefined;
  return Object.fromEntries(Object.entries(headers).map(([name, h]) => {
    const { schema, ...rest } = h as { schema?: Obj };
    if (!schema || schema.required !== true) return [name, h];
    const { required: _required, ...plain } = schema;
    return [name, { ...rest, required: true, schema: plain }];
  }));
}

/**
 * The OAuth token endpoint (`clientCredentials`): every answer but the 5xx is the route's own
 * (RFC 6749 JSON, not problem+json), its form body as the route declares it.
 */
function clientCredentialsOperation(op: Obj, responses: Obj): Obj {
  return {
    operationId: op.operationId,
    tags: op.tags,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    // no credential in the Authorization header, or the client's id and secret as HTTP Basic
    security: [{}, { clientBasic: [] }],
    ...(op.parameters ? { parameters: op.parameters } : {}),
    ...(op.requestBody ? { requestBody: op.requestBody } : {}),
    responses: sortResponses({ ...responses, "500": ref("responses", "InternalError"), "503": ref("responses", "StoreUnavailable") }),
  };
}

/** A generated operation with what its route's config says: security, the auth prose, the error answers. */
export function routeOperation(g: GeneratedOperation): Obj {
  const access = g.config?.access;
  const errors = g.config?.errors ?? {};
  const op = g.op;
  const given = (op.responses ?? {}) as Record<string, Obj>;
  const responses: Obj = {};
  for (const [code, r] of Object.entries(given)) {
    responses[code] = response(String(r.description), { content: r.content as Obj | undefined, headers: responseHeaders(answerHeaders(r.headers as Obj | undefined)), links: g.links?.[code] });
  }
  if (access === "clientCredentials") return clientCredentialsOperation(op, responses);
  for (const [code, a] of Object.entries(errors.answers ?? {})) responses[code] = errorAnswer(a);
  const body = op.requestBody as { content?: Record<string, { schema: Schema }>; description?: string } | undefined;
  const tags = op.tags as string[] | undefined;
  const spec: OperationSpec = {
    operationId: String(op.operationId),
    tag: tags?.[0] ?? "",
    summary: String(op.summary ?? ""),
    ...(op.description ? { description: String(op.description) } : {}),
    security: access === undefined || access === "public" ? null : access === "metricsToken" ? [{}, { metricsToken: [] }] : access === "robotKey" ? ROBOT
      : access.cookieOnly ? [{ cookieAuth: [] }]
      : [...(access.scope ? scopesGranting(access.scope[0], access.scope[1]).map((scope) => ({ bearerAuth: [scope] })) : [{ bearerAuth: [] }]), ...(access.signedUri ? [{ signedUri: [] }] : [])],
    // a token without the scope is answered 403, or with hiddenWithoutScope the route's 404
    checksScope: typeof access === "object" && access.scope !== null && !access.hiddenWithoutScope,
    // (a permissionNote alone: the sentence, and nothing refused)
    ...(typeof access === "object" && (access.permission || access.orgAdmin || access.permissionNote)
      ? { permission: permissionProse(access)!, permissionDenied: access.permission !== undefined && !access.hidden && !access.orgAdmin }
      : {}),
    ...(op.parameters ? { parameters: op.parameters as Obj[] } : {}),
    ...(body?.content?.["application/json"]
      ? { body: { schema: body.content["application/json"].schema, required: g.config?.optionalBody !== true, ...(body.description ? { description: body.description } : {}) } }
      : {}),
    responses,
    badRequest: [...(body ? [errors.invalid ?? "invalid-body" as const] : []), ...(errors.badRequest ?? [])],
    validation: true,
    notFound: [...new Set([...(typeof access === "object" && access.hidden ? [access.hidden.code] : []), ...(errors.notFound ?? [])])],
    ...(errors.conflict ? { conflict: errors.conflict } : {}),
    ...(errors.forbidden || (typeof access === "object" && access.orgAdmin) ? { forbidden: [...(typeof access === "object" && access.orgAdmin ? ["not-org-admin" as const] : []), ...(errors.forbidden ?? [])] } : {}),
    level: g.level,
  };
  const built = operation(spec);
  // a query's 400 lists violations too
  if (!(built.responses as Obj)["400"] && (op.parameters as Obj[] | undefined)?.some((p) => p.in === "query")) {
    built.responses = sortResponses({ ...(built.responses as Obj), "400": problem("The request is not valid.", [...new Set([errors.invalidQuery ?? "invalid-query" as const, ...(errors.badRequest ?? [])])], s("ValidationProblem")) });
  }
  if (errors.unauthorized) built.responses = sortResponses({ ...(built.responses as Obj), "401": problem(errors.unauthorized.description, errors.unauthorized.codes) });
  if (errors.unprocessable) built.responses = sortResponses({ ...(built.responses as Obj), "422": problem(errors.unprocessable.description, errors.unprocessable.codes) });
  if (errors.tooMany) {
    built.responses = sortResponses({ ...(built.responses as Obj), "429": problem(errors.tooMany.description, errors.tooMany.codes, s("Problem"), { "Retry-After": ref("headers", "RetryAfter") }) });
  }
  if (CHANGES.includes(g.method)) {
    const forbidden = forbiddenResponse(spec, true);
    if (forbidden && !given["403"]) built.responses = sortResponses({ ...(built.responses as Obj), "403": forbidden });
  }
  return built;
}

let makeOperations: (() => GeneratedOperation[]) | null = null;
let generated: GeneratedOperation[] | null = null;

/**
 * The operations generated from the routes, made by `make` when the document is first built
 * (the app must be ready); set when a server is ready, the same for every server.
 */
export function useGeneratedOperations(make: () => GeneratedOperation[]): void {
  if (makeOperations) return;
  makeOperations = make;
  documents.clear();
}

function generatedPaths(level: GeneratedOperation["level"]): Record<string, Obj> {
  generated ??= makeOperations ? makeOperations() : null;
  const items: Record<string, Obj> = {};
  for (const g of generated ?? []) if (g.level === level) (items[g.path] ??= {})[g.method] = g.op;
  return items;
}

/** The named TypeBox shapes (schemas/), as components: each nested named shape by reference. */
function namedComponents(): Record<string, Schema> {
  return Object.fromEntries([...namedSchemas()].map(([name, schema]) => [name, withRefs(schema, true) as Schema]));
}



const paths: Record<string, Obj> = withCsrf({
  // ---- the invoke URL and the status, output and wait URIs: routes/invocation.ts
  "/t/{folderKey}/{slug}": { summary: "The invoke URL of an API trigger" },

  // ---- jobs: routes/management.ts
  // ---- robots
  // ---- webhooks (issue 16): routes/webhooks.ts

  // ---- audit log

  // ---- console sessions
  // ---- console sessions: routes/session.ts
  // live job events: routes/events.ts

  // ---- discovery: routes/openapiDocument.ts, routes/apiReference.ts
});

/** `{origin}/{org}/api/v1/…`: the organization's own routes (org administrators): routes/organization.ts, routes/externalApps.ts. */
const organizationPaths: Record<string, Obj> = {};

/** `{origin}/…`: each node's operations endpoints, outside any tenant (docs/deployment.md): routes/operations.ts. */
const nodePaths: Record<string, Obj> = {};

const tags = [
  { name: "Invocation", description: "For callers of API triggers: the invoke URL and the status, output and wait URIs of the call modes (SPEC §2)." },
  { name: "Jobs", description: "For operators: list, inspect, start and stop jobs." },
  { name: "Folders", description: "For tenant administrators." },
  { name: "Processes", description: "For tenant administrators: the automations robots can run." },
  { name: "Triggers", description: "For tenant administrators: API triggers and their invoke URLs." },
  { name: "Time triggers", description: "For tenant administrators: cron schedules in a time zone that start a process's jobs (SPEC §9)." },
  { name: "Robots", description: "For tenant administrators and operators: robots, their robot keys, and the sessions connected now." },
  { name: "Robot protocol", description: "For robots (workers), with a robot key: sessions, claims, heartbeats, logs and results (SPEC §3). Any language can speak it." },
  { name: "Tokens", description: "For everyone with a user: personal access tokens (one's own; with Users.View, everyone's)." },
  { name: "Users", description: "For tenant administrators: users, their roles (tenant-wide or per folder), and the roles there are." },
  { name: "Console", description: "For the web console: password logins (a session cookie and a CSRF token) and live job events (Server-Sent Events)." },
  { name: "Settings", description: "For tenant administrators: the tenant settings of SPEC §5." },
  { name: "Webhooks", description: "For tenant administrators: subscriptions to job events, delivered signed (Standard Webhooks), retried for 24 hours (docs/webhooks.md)." },
  { name: "Audit", description: "For tenant administrators and auditors: who changed what, when and from where." },
  { name: "Tenants", description: "For organization administrators: routes under `{origin}/{org}/api/v1`." },
  { name: "External applications", description: "For organization administrators: OAuth confidential clients of a tenant, under `{origin}/{org}/api/v1`." },
  { name: "OAuth", description: "For external applications: the organization's token endpoint, `{origin}/{org}/identity_/connect/token` (client credentials)." },
  { name: "Discovery", description: "For tools: this document; for people: its interactive reference." },
  { name: "Operations", description: "For operators and load balancers: each node's liveness, readiness and Prometheus metrics, under `{origin}`." },
];

const tagGroups = [
  { name: "API trigger callers", tags: ["Invocation", "OAuth"] },
  { name: "Tenant management", tags: ["Jobs", "Folders", "Processes", "Triggers", "Time triggers", "Robots", "Tokens", "Users", "Settings", "Webhooks", "Audit"] },
  { name: "Console", tags: ["Console"] },
  { name: "Robots (workers)", tags: ["Robot protocol"] },
  { name: "Organization administration", tags: ["Tenants", "External applications"] },
  { name: "Tools", tags: ["Discovery"] },
  { name: "Operations", tags: ["Operations"] },
];

const headers: Record<string, Obj> = {
  XRequestId: { required: true, description: "The request's id: the caller's `X-Request-Id` when it is 1-128 of `[A-Za-z0-9_.-]`, otherwise a new UUID.", schema: { type: "string" } },
  Location: { required: true, description: "An absolute URI, built from `BATON_PUBLIC_URL` when set, else from the request.", schema: { type: "string", format: "uri" } },
  RetryAfter: { required: true, description: "Seconds.", schema: { type: "integer", minimum: 0 } },
  IdempotentReplayed: {
    required: false, description: "`true` on the answer to a request repeated with its Idempotency-Key: no job was created, the answer is for the first request's job.",
    schema: { type: "string", const: "true" },
  },
  WWWAuthenticate: { required: true, description: "`Bearer realm=\"baton\"`.", schema: { type: "string", pattern: "^Bearer" } },
  Allow: { required: true, description: "The trigger's verb.", schema: { type: "string", enum: ["GET", "POST", "PUT", "DELETE"] } },
  SetSessionCookie: { required: true, description: "The console session cookie.", schema: { type: "string", pattern: "^baton_session=[^;]*; Path=/[^;]+/orchestrator_; Max-Age=\\d+; HttpOnly; SameSite=Strict(; Secure)?$" } },
};

const responses: Record<string, Obj> = {
  Unauthorized: problem(
    "No token, or a token (or robot key) that is not valid here: malformed, unknown, expired, revoked, of another tenant, of a disabled user; " +
      "a console session that ended, expired or belongs to another tenant; or a wrong or expired wait URI signature.",
    ["unauthorized"], s("Problem"), {
    "WWW-Authenticate": ref("headers", "WWWAuthenticate"),
  }),
  InsufficientScope: problem("The token lacks the scope.", ["insufficient-scope"], s("InsufficientScopeProblem")),
  RateLimited: problem(
    "The tenant's rate limit is used up on this node: the token's `rateLimitPerTokenPerMinute`, or, for invocations, the trigger's `rateLimitPerTriggerPerMinute`. Retry after `Retry-After` seconds.",
    ["rate-limited"], s("RateLimitedProblem"), { "Retry-After": ref("headers", "RetryAfter") },
  ),
  MethodNotAllowed: problem("The method is not the trigger's verb.", ["method-not-allowed"], s("Problem"), { Allow: ref("headers", "Allow") }),
  PayloadTooLarge: problem("The body is over the limit (1 MiB for the management API).", ["payload-too-large"], s("PayloadTooLargeProblem")),
  UnsupportedMediaType: problem("The body is not JSON, or is in a Content-Encoding other than identity.", ["unsupported-media-type", "unsupported-content-encoding"]),
  InternalError: problem("An unexpected error; it has been logged (no details are sent).", ["internal-error"]),
  StoreUnavailable: problem("The job store is unreachable, or this node is shutting down; retry after `Retry-After` seconds.", ["store-unavailable", "shutting-down"], s("Problem"), {
    "Retry-After": ref("headers", "RetryAfter"),
  }),
};

const DESCRIPTION = `Baton turns HTTP calls into jobs that robots run (API triggers), and manages folders, processes, triggers, jobs, tokens and tenant settings.

**Servers.** Tenant routes are relative to the tenant base \`{origin}/{org}/{tenant}/orchestrator_\`; the organization's routes to \`{origin}\`.

**Authentication.** \`Authorization: Bearer <token>\`: a personal access token, or an OAuth access token an external application got from \`{origin}/{org}/identity_/connect/token\` (client credentials); the robot protocol (\`/api/robot/v1\`) takes a robot key instead. Scopes follow UiPath's names: \`OR.X\` grants read and write on X, \`OR.X.Read\` / \`OR.X.Write\` one of them; each operation lists the scopes that let it through (any one is enough). A job the token may not see is answered 404, never 403.

**Users and permissions.** A call needs the token's scope *and* the permission of its user where the resource lives (a role granted tenant-wide or in the folder; see GET /api/v1/roles): without the permission, 403 \`permission-denied\` for a change in a folder the user can see, 404 for something the user may not see. Organization administrators, external applications and signed wait URIs have no such user and are limited by scopes only.

**Console sessions.** Without an Authorization header, the \`baton_session\` cookie of a password login (POST /api/v1/session) authenticates instead; changes made with it need \`X-CSRF-Token\` (403 \`csrf-token-invalid\` otherwise).

**Errors.** Every error is \`application/problem+json\` (RFC 9457) with a stable \`code\`. 401 carries \`WWW-Authenticate: Bearer\`; 429 and 503 carry \`Retry-After\`. Any operation may also answer 400 \`invalid-host\` (a \`Host\` or forwarded host that is not \`host[:port]\`), 405 \`method-not-allowed\` with \`Allow\` (a known path, another method), 408 \`request-timeout\` (the request did not arrive within the node's request timeout; the connection is closed) and 413 \`payload-too-large\` (the connection is closed).

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
      ...mergePaths(paths, generatedPaths("tenant")),
      ...Object.fromEntries(Object.entries(mergePaths(organizationPaths, generatedPaths("organization"))).map(([path, item]) => [path, { ...item, servers: [{ url: origin, description: "The organization's routes." }] }])),
      ...Object.fromEntries(Object.entries(mergePaths(nodePaths, generatedPaths("node"))).map(([path, item]) => [path, { ...item, servers: [{ url: origin, description: "This node's operations endpoints." }] }])),
    },
    components: {
      schemas: { ...schemas, ...namedComponents() },
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
        cookieAuth: {
          type: "apiKey",
          in: "cookie",
          name: "baton_session",
          description: "A console session (POST /api/v1/session), used only when the request has no Authorization header. It has every scope, so only the user's permissions limit it. " +
            "Every change made with it (any method but GET, HEAD and OPTIONS) must send the session's `csrfToken` as `X-CSRF-Token`, else 403 csrf-token-invalid.",
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

/** the hand-written path items with the generated operations added (a path may have both while routes are converted) */
function mergePaths(written: Record<string, Obj>, made: Record<string, Obj>): Record<string, Obj> {
  const out: Record<string, Obj> = { ...written };
  for (const [path, item] of Object.entries(made)) out[path] = { ...out[path], ...item };
  return out;
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
