/**
 * The document's operations, generated from the routes (routeContract.ts): `@fastify/swagger`
 * turns each route's schema into an operation (parameters, request body, success answers),
 * and `routeOperation` adds what the route's `config` says (security, the auth and permission
 * prose, the 400/401/403/404/409/429/5xx answers, the answers' links). Every route of the API
 * declares its contract: no operation is written by hand; openapi.ts writes the document's
 * top-level prose (tags, the shared headers and responses, security schemes) around these
 * paths. A route is a tenant's (under the tenant prefix), the organization's (`/:org/…`) or
 * the node's (`/healthz`…); the last two must be registered inside `app.register` (after
 * this plugin has loaded), or the generator does not see them.
 */
import fastifySwagger from "@fastify/swagger";
import type { FastifyContextConfig, FastifyInstance, FastifySchema, RouteOptions } from "fastify";
import type { ErrorCode } from "../core/errorCodes.js";
import { scopesGranting } from "../core/scopes.js";
import type { ErrorAnswer, RouteAccess } from "./routeContract.js";
import { withRefs } from "./schemas/named.js";
import { schemaRef as s, type Schema } from "./schemas/problems.js";

type Obj = { [key: string]: unknown };

// ---- small builders (openapi.ts's shared responses use them too)

export const ref = (kind: "responses" | "headers", name: string): Obj => ({ $ref: `#/components/${kind}/${name}` });
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

export function problem(description: string, codes: ErrorCode[], schema: Schema = s("Problem"), headers: Obj = {}): Obj {
  return response(`${description} Codes: ${codeList(codes)}.`, { content: problemContent(schema), headers });
}

type SecurityRequirement = Record<string, string[]>;

/** What routeOperation reads in a route's config, from which `operation` writes the operation. */
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

/** what the store's 503 says, and its codes: every operation's (components.responses.StoreUnavailable), and the start of a route's own 503 (`errors.unavailable`) */
export const STORE_UNAVAILABLE = { sentence: "The job store is unreachable, or this node is shutting down", codes: ["store-unavailable", "shutting-down"] as ErrorCode[] };

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
  return op;
}

const CHANGES = ["post", "put", "patch", "delete"];

// ---- a route's operation


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
function routeOperation(g: GeneratedOperation): Obj {
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
  if (errors.unavailable) {
    // the store's 503s still apply: the route's own codes come with them
    built.responses = sortResponses({
      ...(built.responses as Obj),
      "503": problem(`${STORE_UNAVAILABLE.sentence}; or ${errors.unavailable.description} Retry after \`Retry-After\` seconds.`,
        [...STORE_UNAVAILABLE.codes, ...errors.unavailable.codes], s("Problem"), { "Retry-After": ref("headers", "RetryAfter") }),
    });
  }
  if (CHANGES.includes(g.method)) {
    const forbidden = forbiddenResponse(spec, true);
    if (forbidden && !given["403"]) built.responses = sortResponses({ ...(built.responses as Obj), "403": forbidden });
  }
  return built;
}

// ---- the operations of the routes registered

let makeOperations: (() => GeneratedOperation[]) | null = null;
let generated: GeneratedOperation[] | null = null;

/**
 * The operations generated from the routes, made by `make` when the document is first built
 * (the app must be ready); set when a server is ready, the same for every server.
 */
function useGeneratedOperations(make: () => GeneratedOperation[]): void {
  if (makeOperations) return;
  makeOperations = make;
}

/** Are the routes' operations known (a server has been ready)? Before, the document has no paths of routes (openapi.ts does not keep it). */
export function generatedOperationsKnown(): boolean {
  return makeOperations !== null;
}

/** The path items of the routes at `level`, by path (relative to the tenant base, or `/{org}/…`, or the node's). */
export function generatedPaths(level: GeneratedOperation["level"]): Record<string, Obj> {
  generated ??= makeOperations ? makeOperations() : null;
  const items: Record<string, Obj> = {};
  for (const g of generated ?? []) if (g.level === level) (items[g.path] ??= {})[g.method] = g.op;
  return items;
}

const TENANT_PREFIX = "/:org/:tenant/orchestrator_";

/** Registers the generator (before the routes: it collects them as they are added); the operations are made when the document is first built, once the app is ready. */
export function registerOpenApiGenerator(app: FastifyInstance): void {
  const configs = new Map<string, RouteOptions["config"]>();
  const levels = new Map<string, GeneratedOperation["level"]>();
  const links = new Map<string, Record<string, Obj>>();
  app.register(fastifySwagger, {
    openapi: { openapi: "3.1.0", info: { title: "Baton", version: "1.0.0" } },
    transform: ({ schema, url, route }) => {
      const operationId = (schema as { operationId?: string } | undefined)?.operationId;
      if (!operationId || route.method === "HEAD") return { schema: { hide: true } as FastifySchema, url };
      configs.set(operationId, route.config);
      // an answer's `links` (the status URI's to the output): fastify-swagger leaves them out
      const answers = Object.entries((schema as { response?: Record<string, { links?: Obj }> }).response ?? {}).filter(([, r]) => r.links);
      if (answers.length) links.set(operationId, Object.fromEntries(answers.map(([status, r]) => [status, withRefs(r.links) as Obj])));
      const tenant = url.startsWith(TENANT_PREFIX);
      levels.set(operationId, tenant ? "tenant" : url.startsWith("/:org/") ? "organization" : "node");
      return { schema: withRefs(schema) as FastifySchema, url: tenant ? url.slice(TENANT_PREFIX.length) : url };
    },
  });
  // the operations are made when the document is first built, after the app is ready
  app.addHook("onReady", async () => useGeneratedOperations(() => {
    const generated = app.swagger() as { paths?: Record<string, Record<string, Obj>> };
    const operations: GeneratedOperation[] = [];
    for (const [path, item] of Object.entries(generated.paths ?? {})) {
      for (const [method, op] of Object.entries(item)) {
        const config = configs.get(op.operationId as string);
        if (!config) continue;
        const id = op.operationId as string;
        operations.push({ path, method, op, config, level: levels.get(id) ?? "tenant", links: links.get(id) });
      }
    }
    return operations.map((o) => ({ ...o, op: routeOperation(o) }));
  }));
}
