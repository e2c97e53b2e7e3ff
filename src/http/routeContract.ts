/**
 * A route's contract: what it takes and answers (its `schema`, TypeBox), who may call it and
 * what it may answer besides (its `config`). The schemas validate requests (validation.ts:
 * every fault in one 400 with `violations`), serialize answers (a field not declared never
 * leaves the server), and, with the config, become the route's operation in the OpenAPI
 * document (openapiRoutes.ts). The config's `access` is enforced by the one hook below.
 *
 * ## How to add a route
 *
 * Look at routes/users.ts (a resource with a hidden 404), routes/folders.ts (a permission in
 * the route's folder), routes/tokens.ts (a permission the handler checks on what it loads),
 * routes/audit.ts (a list with a query), routes/management.ts (jobs: any Jobs scope, a job
 * hidden without one, a list whose core names every filter at fault, a request header) and
 * routes/invocation.ts (free-form input the core checks, `validatorCompiler:
 * invocationCheckedByCore`; answers with headers and links; a signed URI).
 *
 * 1. Shapes (`src/http/schemas/{resource}.ts`, TypeBox: `import { Type } from "typebox"`).
 *    A shape that is a resource of the document (a `components.schemas` entry the client
 *    and console alias: `User`, `Job`…) is declared once with `named("User", Type.Object(…))`;
 *    routes use that object itself and the document refers to it by name (schemas/named.ts).
 *    Enums: `StringEnum(values)`; `T | null`: `Type.Union([T, Type.Null()])`, or `OrNull(T)`
 *    for a T with one `type` in answers that come by the thousand (jobs: no validation of
 *    each value to serialize it); lists: `Page(item, paginated)`. Bodies declare their shape; a rule the core checks with a
 *    clearer message (a name's characters, a folder that must exist, an unknown scope with
 *    its own code) stays in the core: keep the schema at the shape (`Type.String()`) there.
 *    `additionalProperties: true` where unknown fields are ignored today. A body the core already
 *    checks field by field, listing every fault with the route's code (processes, triggers, time
 *    triggers, settings), declares its full schema for the document and sets the route's
 *    `validatorCompiler: bodyCheckedByCore` (coreChecked.ts) so the core's answers stay. A rule
 *    a schema cannot say (a bound set by the server's options, a date format of the core's) is
 *    checked with the schema, its faults in the same 400: `validatorCompiler:
 *    bodyCheckedAlso(check)` (validation.ts; the robot protocol's heartbeat and logs). Path ids
 *    are `Type.String()` (a malformed id is 404 not-found, as before), list limits `Limit` (lists.ts).
 * 2. Routes (`src/http/routes/{resource}.ts`, one function registered in server.ts under the
 *    tenant prefix): `const api = app.withTypeProvider<TypeBoxTypeProvider>()`, then
 *    `api.post(url, { schema, config }, handler)`. `schema`: `operationId`, `tags: [tag]`
 *    (one of openapi.ts `tags`), `summary`, `description` (the prose of the document),
 *    `body` / `querystring` / `params`, and `response: { 201: answer("The user.", User) }`
 *    (`noContent("Deleted.")` for a 204).
 * 3. `config.access`: `{ scope: ["Users", "Read"], permission: "Users.View" }` (`scope` may also list
 *    alternatives, any one of which is enough: `[["Jobs", "Read"], ["Jobs", "Write"]]`); add
 *    `inFolder: true` when the permission is checked in the route's `:folderKey` folder, and
 *    `hidden: { code, detail }` when a caller without the permission must get that 404 (its
 *    existence is not revealed) rather than 403. `scope: ["Jobs", "Any"]`: any of `OR.Jobs`,
 *    `OR.Jobs.Read`, `OR.Jobs.Write` (reading jobs: a caller that may only invoke may read what
 *    it invoked); with `hiddenWithoutScope: true` a token without the scope gets the `hidden`
 *    404 rather than 403 insufficient-scope (a job read by its key). `scope: null`: any caller of the tenant;
 *    `access: "public"`: no credential; `{ scope: null, orgAdmin: true }`: an organization's route
 *    (`/:org/…`, registered inside `app.register` so the generator sees it) for its administrators;
 *    `"metricsToken"`: `/metrics`, which checks its own optional token. `"robotKey"`: the robot
 *    protocol (`…/api/robot/v1`): a robot key of the tenant, not a token or session; the hook
 *    authenticates it (401 otherwise), as the preParsing hook does before a body is read; no
 *    scope, permission or rate limit (the document's security is `robotKey`). `"clientCredentials"`:
 *    the OAuth token endpoint, whose handler checks the client's id and secret (form or HTTP
 *    Basic) and answers RFC 6749 errors: the route declares every answer but the 5xx (its own
 *    400/401/413 with their headers), and the document adds no problem+json to them. A
 *    permission the handler checks on a resource it loads (a trigger's folder, "own tokens
 *    are exempt"): `checkedBy: "handler"` (the hook checks only the scope) and
 *    `permissionNote` for the document's sentence; a `permissionNote` without `permission`:
 *    the document's sentence alone, nothing is refused (a list that leaves out what the user
 *    may not see).
 *    The wait URI, callable with a signature instead of a credential: `signedUri: true` (the
 *    handler authenticates; the hook checks nothing). `optionalBody: true` (beside `access`)
 *    when the body may be left out (the document's `requestBody.required` is then false).
 * 4. `config.errors`: `{ invalid: "invalid-user", badRequest: [...], notFound: [...],
 *    conflict: [...], forbidden: [...] }` (and `unauthorized`, `unprocessable`, `tooMany`, `unavailable`), the codes the route answers besides the ones
 *    access and the framework give. `invalid` is the `code` of the 400 of a body that does not
 *    match (default `invalid-body`), `invalidQuery` of a querystring's (default
 *    `invalid-query`; lists say `invalid-filter`, and their core lists every filter at fault
 *    in one 400: listQuery.ts FilterFaults). A request header is declared in the schema's
 *    `headers` (Fastify matches its name in any case; rules the core checks with its own code
 *    stay the core's, as a body's do); an answer's headers in the response's `headers`.
 *    `answers`: an error answer the route documents itself, with its own sentence and problem
 *    schemas (by name, schemas/problems.ts: the call modes' results), in place of the
 *    generated one; it is the document's only (errors are sent as problems, never through a
 *    response schema).
 * 5. The handler gets typed `request.body` / `query` / `params`, calls the core, and returns
 *    the answer object (`reply.code(201); return renderUser(user);`, `reply.code(204).send(null)`):
 *    never `json(reply, …)` (a string skips the response schema), never `omit(…)` (the schema
 *    leaves out what it does not declare). Errors are thrown (BatonError). Response headers
 *    are declared with the answer (`headers: { Location: … }`); one named as a
 *    `components.headers` entry of openapi.ts (Location, Retry-After, Idempotent-Replayed) is
 *    written as a reference to it, with the answer's sentence; `links` (OpenAPI link objects)
 *    beside an answer's description are copied into the document.
 * 6. Nothing else is written for the document: every route's operation is generated
 *    (openapiRoutes.ts); openapi.ts holds only the document's top-level prose (tags, shared
 *    headers and responses), schemas/problems.ts the problems by name. test/accessMatrix.test.ts
 *    reads the scope from this config. Run `npx tsc -b tsconfig.build.json && npm run gen:api-types`, then
 *    test/openapi.test.ts (in the document, real answers valid), test/accessMatrix.test.ts,
 *    test/unit/apiTypes.test.ts and the route's own tests.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ErrorCode } from "../core/errorCodes.js";
import { notFound } from "../core/errors.js";
import { requirePermission } from "../core/permissionChecks.js";
import type { Permission } from "../core/Permissions.js";
import { hasScope, requireScope, type ScopeLevel, type ScopeResource } from "../core/scopes.js";
import { principal, robotPrincipal, type HttpContext } from "./context.js";

export interface RouteAccess {
  /**
   * the token scope the route needs (`OR.{resource}` or `OR.{resource}.{access}`; `Any`: any of
   * `OR.{resource}`, `OR.{resource}.Read`, `OR.{resource}.Write`); null: any caller of the tenant
   */
  scope: readonly [ScopeResource, ScopeLevel] | null;
  /** a token without the scope gets the `hidden` 404, not 403 insufficient-scope (a job read by its key: its existence is not revealed) */
  hiddenWithoutScope?: true;
  /** also callable without a credential, through a signed URI (`exp` and `sig`: the wait URI): the handler authenticates and checks, the hook does nothing */
  signedUri?: true;
  /** an organization's route (`/:org/…`, scope null): the caller's token must be an administrator's of `:org` (403 not-org-admin) */
  orgAdmin?: true;
  /** the user's permission the route needs */
  permission?: Permission;
  /** the permission is checked in the folder of the route's `:folderKey` (default: tenant-wide) */
  inFolder?: boolean;
  /** "handler": the handler checks the permission on the resource it loads (the hook checks only the scope) */
  checkedBy?: "hook" | "handler";
  /** a console session only (a bearer token is 401; the handler checks it): the document's security is the cookie alone */
  cookieOnly?: true;
  /** the permission's sentence in the document, where the generated one would not say it all (own resources exempt…) */
  permissionNote?: string;
  /** a caller without the permission gets this 404 instead of 403 (the resource's existence is not revealed) */
  hidden?: { code: ErrorCode; detail: (params: Record<string, string>) => string };
}

/**
 * Who may call a route: a caller of the tenant (RouteAccess), no one in particular
 * (`public`), or a credential of its own: `/metrics`'s optional token (`metricsToken`, the
 * route checks it), a robot key (`robotKey`, the robot protocol; the hook checks it), an OAuth
 * client's id and secret (`clientCredentials`, the token endpoint; the handler checks them).
 */
export type AccessConfig = RouteAccess | "public" | "metricsToken" | "robotKey" | "clientCredentials";

export interface RouteErrors {
  /** the code of a 400 for a body that does not match (default invalid-body), and of the core's own 400s */
  invalid?: ErrorCode;
  /** the code of a 400 for a querystring that does not match (default invalid-query) */
  invalidQuery?: ErrorCode;
  /** other 400 codes */
  badRequest?: ErrorCode[];
  notFound?: ErrorCode[];
  conflict?: ErrorCode[];
  forbidden?: ErrorCode[];
  /** a 401 of the route's own (a login's wrong password), with the sentence that says when */
  unauthorized?: { codes: ErrorCode[]; description: string };
  /** a 429 of the route's own, with `Retry-After` (login-throttled), and the sentence that says when */
  tooMany?: { codes: ErrorCode[]; description: string };
  /** a 503 of the route's own besides the store's (webhook-dns-unavailable), with `Retry-After`, and the sentence that says when */
  unavailable?: { codes: ErrorCode[]; description: string };
  /** a 422 of the route's own (idempotency-key-mismatch), and the sentence that says when */
  unprocessable?: { codes: ErrorCode[]; description: string };
  /** error answers the route documents itself, by status, in place of the generated ones (the document's only) */
  answers?: Record<number, ErrorAnswer>;
}

/**
 * An error answer written by the route for the document: a problem with the route's sentence
 * and codes, the problem schemas it may carry (`components.schemas` names, any one of them;
 * Problem by default) and its headers (a `components.headers` name, or a header object);
 * or `{ response }`, one of `components.responses` (MethodNotAllowed).
 */
export type ErrorAnswer =
  | { description: string; codes: ErrorCode[]; problems?: string[]; headers?: Record<string, string | { required: boolean; description: string; schema: object }> }
  | { response: string };

declare module "fastify" {
  interface FastifyContextConfig {
    /** who may call the route (enforced by accessHook), absent on routes not converted yet */
    access?: AccessConfig;
    /** the route's other answers, for the document; `invalid` is its body's 400 code */
    errors?: RouteErrors;
    /** no body is taken as `{}` (the robot protocol's claim, heartbeat, results of one job): the document's request body is not required */
    optionalBody?: true;
  }
}

/**
 * The one access check of the routes that declare `config.access`, before their input is
 * validated (a caller who may not call a route learns nothing from its 400s): the caller's
 * credential (401), the token's scope (403 insufficient-scope, or with `hiddenWithoutScope`
 * the route's `hidden` 404), the user's permission (403 permission-denied, or the route's
 * `hidden` 404); for the robot protocol, the robot key (401).
 */
export function accessHook(app: FastifyInstance, ctx: HttpContext): void {
  app.addHook("preValidation", async (request: FastifyRequest) => {
    const access = request.routeOptions.config.access;
    if (access === "robotKey") {
      await robotPrincipal(ctx, request);
      return;
    }
    if (access === undefined || typeof access === "string" || access.signedUri) return;
    if (access.orgAdmin) {
      await ctx.baton.access.authenticateOrgAdmin((request.params as { org: string }).org, request.headers.authorization);
      return;
    }
    const who = await principal(ctx, request);
    const params = request.params as Record<string, string>;
    const hidden = access.hidden;
    if (access.scope) {
      const [resource, level] = access.scope;
      if (hidden && access.hiddenWithoutScope && !hasScope(who, resource, level)) throw notFound(hidden.code, hidden.detail(params));
      requireScope(who, resource, level);
    }
    if (access.permission === undefined || access.checkedBy === "handler") return;
    requirePermission(who, access.permission, access.inFolder ? params.folderKey ?? null : null, hidden ? () => notFound(hidden.code, hidden.detail(params)) : undefined);
  });
}
