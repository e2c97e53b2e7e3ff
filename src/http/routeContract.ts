/**
 * A route's contract: what it takes and answers (its `schema`, TypeBox), who may call it and
 * what it may answer besides (its `config`). The schemas validate requests (validation.ts:
 * every fault in one 400 with `violations`), serialize answers (a field not declared never
 * leaves the server), and, with the config, become the route's operation in the OpenAPI
 * document (openapiRoutes.ts). The config's `access` is enforced by the one hook below.
 *
 * ## How to add a route
 *
 * 1. Shapes: declare the body, querystring, params and each success response with TypeBox
 *    (`import { Type } from "typebox"`). A shape that is a named resource of the document
 *    (a `components.schemas` entry the client and console use: `User`, `Job`…) is declared
 *    once in `src/http/schemas/` with `named("User", Type.Object(…))`; use that object
 *    itself in routes, and the document refers to it by name. Close bodies with
 *    `additionalProperties: false` only where an unknown field is a fault today.
 * 2. Register on a typed instance: `const api = app.withTypeProvider<TypeBoxTypeProvider>()`,
 *    then `api.post(url, { schema, config }, handler)`. `schema` holds `operationId`,
 *    `tags: [tag]` (one of openapi.ts `tags`), `summary`, `description` (the prose the
 *    document shows) and `body` / `querystring` / `params` / `response`.
 * 3. `config.access`: `{ scope: ["Users", "Read"], permission: "Users.View" }`, plus
 *    `inFolder: true` when the permission is checked in the route's `:folderKey` folder, and
 *    `hidden: { code, detail }` when a caller without the permission must get that 404
 *    (the resource's existence is not revealed) instead of 403. `scope: null`: any
 *    caller of the tenant. `access: "public"`: no credential. Where the permission is
 *    checked on a resource the handler loads first (a trigger's folder), set
 *    `permission` with `checkedBy: "handler"`: the hook checks only the scope, the
 *    document still says which permission.
 * 4. `config.errors`: the codes of the route's other answers, for the document:
 *    `{ invalid: "invalid-user", notFound: [...], conflict: [...] }`. `invalid` is also the
 *    `code` of the 400 a bad body gets (default `invalid-body`), `invalidQuery` of a bad
 *    querystring's (default `invalid-query`; lists say `invalid-filter`).
 * 5. The handler gets typed `request.body` / `query` / `params`; it returns the answer
 *    object (`reply.code(201); return user;`), never a pre-serialized string, so that the
 *    response schema is applied. Errors are thrown (`BatonError`), the one error handler
 *    answers them as problem+json.
 * 6. Run test/openapi.test.ts (the route must be in the document and its real answers
 *    validate against it) and add the route's row to test/accessMatrix.test.ts (the row's
 *    scope is read from this config).
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ErrorCode } from "../core/errorCodes.js";
import { notFound } from "../core/errors.js";
import { requirePermission } from "../core/permissionChecks.js";
import type { Permission } from "../core/Permissions.js";
import { requireScope, type Access, type ScopeResource } from "../core/scopes.js";
import { principal, type HttpContext } from "./context.js";

export interface RouteAccess {
  /** the token scope the route needs (`OR.{resource}` or `OR.{resource}.{access}`); null: any caller of the tenant */
  scope: readonly [ScopeResource, Access] | null;
  /** the user's permission the route needs */
  permission?: Permission;
  /** the permission is checked in the folder of the route's `:folderKey` (default: tenant-wide) */
  inFolder?: boolean;
  /** "handler": the handler checks the permission on the resource it loads (the hook checks only the scope) */
  checkedBy?: "hook" | "handler";
  /** the permission's sentence in the document, where the generated one would not say it all (own resources exempt…) */
  permissionNote?: string;
  /** a caller without the permission gets this 404 instead of 403 (the resource's existence is not revealed) */
  hidden?: { code: ErrorCode; detail: (params: Record<string, string>) => string };
}

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
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** who may call the route (enforced by accessHook), absent on routes not converted yet */
    access?: RouteAccess | "public";
    /** the route's other answers, for the document; `invalid` is its body's 400 code */
    errors?: RouteErrors;
  }
}

/**
 * The one access check of the routes that declare `config.access`, before their input is
 * validated (a caller who may not call a route learns nothing from its 400s): the caller's
 * credential (401), the token's scope (403 insufficient-scope), the user's permission
 * (403 permission-denied, or the route's `hidden` 404).
 */
export function accessHook(app: FastifyInstance, ctx: HttpContext): void {
  app.addHook("preValidation", async (request: FastifyRequest) => {
    const access = request.routeOptions.config.access;
    if (access === undefined || access === "public") return;
    const who = await principal(ctx, request);
    if (access.scope) requireScope(who, access.scope[0], access.scope[1]);
    if (access.permission === undefined || access.checkedBy === "handler") return;
    const params = request.params as Record<string, string>;
    const hidden = access.hidden;
    requirePermission(who, access.permission, access.inFolder ? params.folderKey ?? null : null, hidden ? () => notFound(hidden.code, hidden.detail(params)) : undefined);
  });
}
