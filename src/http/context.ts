import type { FastifyReply, FastifyRequest } from "fastify";
import type { Baton } from "../core/Baton.js";
import type { Principal, Tenant, TenantSettings } from "../core/types.js";
import type { Metrics } from "./metrics.js";
import type { UrlConfig } from "./urls.js";

declare module "fastify" {
  interface FastifyRequest {
    tenant: Tenant;
    settings: TenantSettings;
  }
}

export interface HttpConfig extends UrlConfig {
  /** a hard cap on any body, whatever a tenant allows */
  hardBodyLimit: number;
  /** when set, GET /metrics requires `Authorization: Bearer <this>` (BATON_METRICS_TOKEN) */
  metricsToken: string | null;
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
 * Authenticates the bearer token of a request under a tenant (401 otherwise), once per
 * request, and takes one request from the token's rate limit (429 past it).
 */
export function principal(ctx: HttpContext, request: FastifyRequest): Promise<Principal> {
  let p = principals.get(request);
  if (!p) {
    p = ctx.baton.access.authenticate(request.tenant, request.headers.authorization).then((who) => {
      ctx.baton.rateLimits.checkToken(who, request.settings);
      return who;
    });
    principals.set(request, p);
  }
  return p;
}

export function json(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type("application/json; charset=utf-8").send(JSON.stringify(body));
}
