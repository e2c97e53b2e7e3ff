import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import type { AuditEntry as AuditRecord } from "../../core/Audit.js";
import type { HttpContext } from "../context.js";
import { AuditPage, AuditQuery } from "../schemas/audit.js";
import { answer } from "../schemas/common.js";

/** `GET …/api/v1/audit`: the tenant's audit log, newest first (scope OR.Audit or OR.Audit.Read). */
export function auditRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get("/api/v1/audit", {
    schema: {
      operationId: "listAuditEntries", tags: ["Audit"], summary: "The audit log, newest first",
      description: "Every change made through the management API and the organization's routes: who (the token), what (action, target, details without secrets), when, " +
        "and from where (address, request id). Written in the request that made the change, once it succeeded; refused changes are not recorded. Invocations are jobs, not audit entries.",
      querystring: AuditQuery,
      response: { 200: answer("A page of audit entries.", AuditPage) },
    },
    config: { access: { scope: ["Audit", "Read"], permission: "Audit.View" }, errors: { invalidQuery: "invalid-filter", badRequest: ["invalid-filter", "invalid-cursor", "invalid-query"] } },
  }, async (request) => {
    const page = await ctx.baton.audit.list(request.tenant.id, request.query);
    return { items: page.items.map(renderAuditEntry), nextCursor: page.nextCursor };
  });
}

export function renderAuditEntry(e: AuditRecord) {
  return { seq: e.seq, at: e.at, actor: e.actor, action: e.action, target: e.target, details: e.details, sourceIp: e.sourceIp, requestId: e.requestId };
}
