import type { FastifyInstance, FastifyRequest } from "fastify";
import { requireScope } from "../../core/scopes.js";
import { requirePermission } from "../../core/permissionChecks.js";
import type { AuditEntry, AuditQuery } from "../../core/Audit.js";
import { json, principal, type HttpContext } from "../context.js";

/** `GET …/api/v1/audit`: the tenant's audit log, newest first (scope OR.Audit or OR.Audit.Read). */
export function auditRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get("/api/v1/audit", async (request: FastifyRequest<{ Querystring: AuditQuery }>, reply) => {
    const who = await principal(ctx, request);
    requireScope(who, "Audit", "Read");
    requirePermission(who, "Audit.View");
    const page = await ctx.baton.audit.list(request.tenant.id, request.query);
    return json(reply, 200, { items: page.items.map(renderAuditEntry), nextCursor: page.nextCursor });
  });
}

export function renderAuditEntry(e: AuditEntry) {
  return { seq: e.seq, at: e.at, actor: e.actor, action: e.action, target: e.target, details: e.details, sourceIp: e.sourceIp, requestId: e.requestId };
}
