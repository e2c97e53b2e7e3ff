/**
 * The OpenAPI 3.1 document of the HTTP API (SPEC §6), served without a token at
 * `{base}/{org}/{tenant}/orchestrator_/api/v1/openapi.json`.
 *
 * What is written here is the document's top-level prose: its description, tags and tag
 * groups, the shared `components.headers` and `components.responses`, the security schemes.
 * Every operation is generated from its route (openapiRoutes.ts, routeContract.ts); the
 * named shapes come from src/http/schemas/ (the problems: schemas/problems.ts).
 *
 * Paths are relative to the tenant base `{origin}/{org}/{tenant}/orchestrator_`, a server
 * URL whose `org` and `tenant` variables default to the tenant the document was fetched
 * from; the organization-level routes carry their own `servers`. The document is built
 * once per tenant base. test/openapi.test.ts checks it against the routes Fastify
 * registered and against real answers, so a route or field added without documenting it
 * fails the tests.
 */
import { STORE_UNAVAILABLE, generatedOperationsKnown, generatedPaths, problem, ref } from "./openapiRoutes.js";
import { namedComponents } from "./schemas/named.js";
import { enumerationSchemas, problemSchemas, schemaRef as s } from "./schemas/problems.js";

type Obj = { [key: string]: unknown };

const OPENAPI_VERSION = "3.1.0";
const API_VERSION = "1.0.0";

/** The path items' own prose (the operations are the routes'). */
const pathSummaries: Record<string, Obj> = {
  "/t/{folderKey}/{slug}": { summary: "The invoke URL of an API trigger" },
};

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
  StoreUnavailable: problem(`${STORE_UNAVAILABLE.sentence}; retry after \`Retry-After\` seconds.`, STORE_UNAVAILABLE.codes, s("Problem"), {
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
      ...withSummaries(generatedPaths("tenant")),
      ...Object.fromEntries(Object.entries(generatedPaths("organization")).map(([path, item]) => [path, { ...item, servers: [{ url: origin, description: "The organization's routes." }] }])),
      ...Object.fromEntries(Object.entries(generatedPaths("node")).map(([path, item]) => [path, { ...item, servers: [{ url: origin, description: "This node's operations endpoints." }] }])),
    },
    components: {
      schemas: { ...enumerationSchemas, ...problemSchemas, ...namedComponents() },
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

/** The routes' path items with their own prose first (`pathSummaries`). */
function withSummaries(items: Record<string, Obj>): Record<string, Obj> {
  const out: Record<string, Obj> = { ...pathSummaries };
  for (const [path, item] of Object.entries(items)) out[path] = { ...out[path], ...item };
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
    // before a server is ready the routes' operations are not known: such a document is not kept
    if (generatedOperationsKnown()) documents.set(base, doc);
  }
  return doc;
}
