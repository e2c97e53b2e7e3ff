import type { FastifyRequest } from "fastify";
import { actorOf, type AuditEvent } from "../core/Audit.js";
import type { Principal } from "../core/types.js";
import { principal, type HttpContext } from "./context.js";

/** an IPv4 or IPv6 address, and nothing a client could use to forge a log line */
const ADDRESS = /^[0-9A-Fa-f:.]{2,45}$/;

/**
 * The caller's address: with BATON_TRUST_PROXY, the last address of X-Forwarded-For (the
 * one the trusted proxy in front appended: whatever the client sent itself comes before
 * it and is not believed), else the connection's peer.
 */
export function clientIp(request: FastifyRequest, trustProxy: boolean): string | null {
  if (trustProxy) {
    const header = request.headers["x-forwarded-for"];
    const joined = Array.isArray(header) ? header.join(",") : header;
    const last = joined?.split(",").pop()?.trim();
    if (last && ADDRESS.test(last)) return last;
  }
  return request.socket.remoteAddress ?? null;
}

/**
 * Records a change in the audit log. Routes call it once the change succeeded, before they
 * answer: a change that answered 2xx is in the log. `tenantId` defaults to the request's
 * tenant (organization routes pass the tenant concerned).
 */
export async function recordAudit(
  ctx: HttpContext, request: FastifyRequest, principal: Principal, event: AuditEvent, tenantId: string | null = principal.tenantId,
): Promise<void> {
  await ctx.baton.audit.record({
    org: principal.org,
    tenantId,
    actor: actorOf(principal),
    sourceIp: clientIp(request, ctx.config.trustProxy),
    requestId: request.id,
  }, event);
}

/** fields a fetched resource carries that a body may send back and that are ignored */
const READ_ONLY = new Set(["id", "key", "tenantId", "folderKey", "createdAt", "updatedAt", "invokeUrl"]);

/** The names of the fields a request body set on the resource: never their values. */
export function fieldNames(body: unknown, resource: object): string[] {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return [];
  // own fields only: `constructor` or `__proto__` in a body are no field of the resource
  return Object.keys(body).filter((k) => Object.hasOwn(resource, k) && !READ_ONLY.has(k)).sort();
}

/**
 * A change and its audit log entry (names and ids, never secrets or argument values), in
 * one transaction: both are kept, or neither is. `entry` null: nothing to record.
 */
export async function audited<T>(
  ctx: HttpContext, request: FastifyRequest, change: () => Promise<T>,
  entry: (result: T) => [action: string, target: string, details?: Record<string, unknown>] | null,
): Promise<T> {
  const p = await principal(ctx, request);
  return ctx.baton.store.transaction(async () => {
    const result = await change();
    const recorded = entry(result);
    if (recorded === null) return result;
    const [action, target, details = {}] = recorded;
    await recordAudit(ctx, request, p, { action, target, details });
    return result;
  });
}
