import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { TenantSettings } from "../core/types.js";
import type { HttpContext } from "./context.js";

const ALLOWED_HEADERS = "Authorization, Content-Type, Accept, X-Requested-With, Idempotency-Key";
const ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS";

/**
 * Everything under `/{org}/{tenant}/orchestrator_`: resolves the tenant and its settings
 * once per request, and sends CORS headers for the tenant's allowed origins on every
 * answer, the 303s and the errors included (SPEC §2 "Browsers").
 */
export function tenantScope(app: FastifyInstance, ctx: HttpContext): void {
  app.decorateRequest("tenant", null as never);
  app.decorateRequest("settings", null as never);

  app.addHook("onRequest", async (request: FastifyRequest<{ Params: { org: string; tenant: string } }>, reply: FastifyReply) => {
    const tenant = await ctx.baton.tenancy.tenantOrThrow(request.params.org, request.params.tenant);
    request.tenant = tenant;
    request.settings = await ctx.baton.tenancy.getSettings(tenant.id);
    corsHeaders(request, reply, request.settings);
  });

  // Preflight for any path of the tenant; browsers send no Authorization on it.
  app.options("/*", { config: { authBeforeBody: "none" } }, async (request, reply) => {
    // the allowed headers echo the request's
    if (reply.hasHeader("vary")) reply.header("vary", "Origin, Access-Control-Request-Headers");
    const origin = request.headers.origin;
    if (!origin || !allowed(request.settings.corsAllowedOrigins, origin)) return reply.code(204).send();
    return reply
      .code(204)
      .header("access-control-allow-methods", ALLOWED_METHODS)
      .header("access-control-allow-headers", request.headers["access-control-request-headers"] ?? ALLOWED_HEADERS)
      .header("access-control-max-age", "600")
      .send();
  });
}

/**
 * The CORS headers of an answer under a tenant with these settings. They depend on the
 * Origin: a cache must not hand one origin's answer (or a refusal) to another, so every
 * answer that could differ says so (`Vary: Origin`), refusals included.
 */
export function corsHeaders(request: FastifyRequest, reply: FastifyReply, settings: TenantSettings): void {
  const origin = request.headers.origin;
  if (origin !== undefined || settings.corsAllowedOrigins.length > 0) reply.header("vary", "Origin");
  if (origin && allowed(settings.corsAllowedOrigins, origin)) {
    reply.header("access-control-allow-origin", origin);
    reply.header("access-control-expose-headers", "Location, Retry-After, WWW-Authenticate, X-Request-Id, Idempotent-Replayed");
  }
}

function allowed(origins: string[], origin: string): boolean {
  return origins.includes("*") || origins.includes(origin);
}
