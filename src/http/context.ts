import { timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { BatonError } from "../core/errors.js";
import { SESSION_COOKIE } from "../core/Users.js";
import type { Baton } from "../core/Baton.js";
import type { Principal, RobotPrincipal, Tenant, TenantSettings } from "../core/types.js";
import type { Metrics } from "./metrics.js";
import type { UrlConfig } from "./urls.js";

declare module "fastify" {
  interface FastifyRequest {
    tenant: Tenant;
    settings: TenantSettings;
  }
  interface FastifyContextConfig {
    /**
     * How a request with a body is authenticated before the body is read (`authenticateBeforeBody`):
     * `principal` (a token or console session; the default under a tenant), `robot` (a robot
     * key; the default of the routes whose access is `robotKey`), `orgAdmin` (an administrator
     * of the organization), or `none` (the route needs no credential, or checks it itself first).
     */
    authBeforeBody?: "principal" | "robot" | "orgAdmin" | "none";
  }
}

export interface HttpConfig extends UrlConfig {
  /** a hard cap on any body, whatever a tenant allows */
  hardBodyLimit: number;
  /**
   * how long a client has to send a whole request, headers and body (BATON_REQUEST_TIMEOUT_SECONDS);
   * past it, 408 and the connection closes. What the server does after the body (a LongPolling wait) is not counted.
   */
  requestTimeoutMs: number;
  /** when set, GET /metrics requires `Authorization: Bearer <this>` (BATON_METRICS_TOKEN) */
  metricsToken: string | null;
  /** the tenant a browser opening `/` is sent to the console of (BATON_ORG, BATON_TENANT); none: `/` is 404 */
  homeTenant: { org: string; tenant: string } | null;
}

export interface HttpContext {
  baton: Baton;
  config: HttpConfig;
  /** set during graceful shutdown: LongPolling answers its 303 at once */
  shuttingDown: () => boolean;
  /** aborted when graceful shutdown begins: long-polls (robot claims, heartbeats) return at once */
  shutdownSignal: AbortSignal;
  /** this server's Prometheus metrics (a registry of its own) */
  metrics: Metrics;
}

export type Params = Record<string, string>;
export type Query = Record<string, string | undefined>;

/** each request's principal: authenticated (and counted against the token's rate limit) once */
const principals = new WeakMap<FastifyRequest, Promise<Principal>>();

/**
 * Authenticates a request under a tenant (401 otherwise), once per request: its bearer
 * token, or, without an Authorization header, its console session cookie, whose changes
 * (any method but GET, HEAD and OPTIONS; with `csrfOnEveryMethod`, any method: an
 * invocation is a change whatever its verb) must carry the session's `X-CSRF-Token`. Then
 * takes one request from the caller's rate limit (429 past it).
 */
export function principal(ctx: HttpContext, request: FastifyRequest, options: { csrfOnEveryMethod?: boolean } = {}): Promise<Principal> {
  let p = principals.get(request);
  if (!p) {
    const session = request.headers.authorization === undefined ? sessionCookie(request) : null;
    const authenticated = session !== null
      ? ctx.baton.users.authenticateSession(request.tenant, session).then((who) => {
          checkCsrf(request, who, options.csrfOnEveryMethod ?? false);
          return who;
        })
      : ctx.baton.access.authenticate(request.tenant, request.headers.authorization);
    p = authenticated.then((who) => {
      ctx.baton.rateLimits.checkToken(who, request.settings);
      return who;
    });
    principals.set(request, p);
  }
  // a caller that asks for the stricter check after the principal was cached (another hook
  // authenticated the request first) still gets it: CSRF is checked on every method
  if (options.csrfOnEveryMethod && request.headers.authorization === undefined && sessionCookie(request) !== null) {
    return p.then((who) => {
      checkCsrf(request, who, true);
      return who;
    });
  }
  return p;
}

const robots = new WeakMap<FastifyRequest, Promise<RobotPrincipal>>();

/** The robot key of a request under a tenant (401 otherwise), authenticated once per request. */
export function robotPrincipal(ctx: HttpContext, request: FastifyRequest): Promise<RobotPrincipal> {
  let p = robots.get(request);
  if (!p) {
    p = ctx.baton.access.authenticateRobot(request.tenant, request.headers.authorization);
    robots.set(request, p);
  }
  return p;
}

/** whether a request comes with a body (declared, or chunked) */
export function hasBody(request: FastifyRequest): boolean {
  const length = request.headers["content-length"];
  return (length !== undefined && length !== "0") || request.headers["transfer-encoding"] !== undefined;
}

/**
 * Authenticates a request with a body before the body is read (a preParsing hook): a caller
 * without a valid credential is answered 401 at once, without uploading anything, and
 * cannot hold the connection by trickling a body to a route it may not call. The route's
 * `authBeforeBody` says how (the handler then gets the same, memoized, principal); under a
 * tenant, a token or console session by default.
 */
export async function authenticateBeforeBody(ctx: HttpContext, request: FastifyRequest): Promise<void> {
  if (!hasBody(request)) return;
  // a robot key where the route's access says so (routeContract.ts); under a tenant, a token
  // or console session unless the route says otherwise
  const config = request.routeOptions.config;
  const mode = config.authBeforeBody ?? (config.access === "robotKey" ? "robot" : request.tenant ? "principal" : "none");
  if (mode === "principal") await principal(ctx, request);
  else if (mode === "robot") await robotPrincipal(ctx, request);
  else if (mode === "orgAdmin") await ctx.baton.access.authenticateOrgAdmin((request.params as { org: string }).org, request.headers.authorization);
}

/** the value of the console session cookie, if the request has one */
export function sessionCookie(request: FastifyRequest): string | null {
  const header = request.headers.cookie;
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return value === "" ? null : value;
    }
  }
  return null;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function checkCsrf(request: FastifyRequest, who: Principal, everyMethod: boolean): void {
  if (!everyMethod && SAFE_METHODS.has(request.method)) return;
  const sent = request.headers["x-csrf-token"];
  const expected = Buffer.from(who.csrfToken ?? "");
  const given = Buffer.from(typeof sent === "string" ? sent : "");
  if (expected.length === 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new BatonError(403, "csrf-token-invalid", "Forbidden", "A change made with a console session must send the session's csrfToken in the X-CSRF-Token header.");
  }
}

export function json(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type("application/json; charset=utf-8").send(JSON.stringify(body));
}
