import type { FastifyInstance, FastifyRequest } from "fastify";
import { requireScope, type ScopeResource } from "../../core/scopes.js";
import { type BatonError, FolderNotFound, notFound } from "../../core/errors.js";
import { idempotencyKeyOf } from "../../core/idempotency.js";
import { renderJob, renderJobDetail, timeTriggerOf } from "../../core/jobView.js";
import { foldersWith, requirePermission } from "../../core/permissionChecks.js";
import type { Permission } from "../../core/Permissions.js";
import type { JobListItem, Principal, Trigger } from "../../core/types.js";
import { fieldNames, recordAudit } from "../audit.js";
import { json, principal, type HttpContext, type Params, type Query } from "../context.js";
import { invokeUrl, tenantBase } from "../urls.js";

type Req = FastifyRequest<{ Params: Params; Querystring: Query; Body: unknown }>;

/** The management API of SPEC §6 under `…/orchestrator_/api/v1`. Each route: parse, one core call, render. */
export function managementRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { baton, config } = ctx;
  const { catalog, jobs } = baton;
  const who = (request: Req) => principal(ctx, request);
  const base = (request: Req) => tenantBase(request, config, request.tenant);
  const renderTrigger = (request: Req, t: Trigger) => ({ ...omit(t, "tenantId"), invokeUrl: invokeUrl(base(request), t.folderKey, t.slug) });
  /**
   * A change and its audit log entry (names and ids, never secrets or argument values), in
   * one transaction: both are kept, or neither is.
   */
  const audited = async <T>(request: Req, change: () => Promise<T>, entry: (result: T) => [action: string, target: string, details?: Record<string, unknown>] | null): Promise<T> => {
    const p = await who(request);
    return baton.store.transaction(async () => {
      const result = await change();
      const recorded = entry(result);
      if (recorded === null) return result;
      const [action, target, details = {}] = recorded;
      await recordAudit(ctx, request, p, { action, target, details });
      return result;
    });
  };
  /**
   * A call needs the token's scope and the user's permission (in the folder, for folder
   * resources). Who may not see the folder is answered `hidden()` (404), not 403.
   */
  const allow = async (request: Req, resource: ScopeResource, access: "Read" | "Write", permission: Permission, folderKey: string | null = null, hidden?: () => BatonError): Promise<Principal> => {
    const p = await who(request);
    requireScope(p, resource, access);
    requirePermission(p, permission, folderKey, hidden);
    return p;
  };
  const folderHidden = (request: Req) => () => FolderNotFound(request.params.folderKey!);
  /** a trigger by id, with the permission in its folder (404 when the caller may not see it) */
  const triggerAllowed = async (request: Req, access: "Read" | "Write", permission: Permission): Promise<Trigger> => {
    const p = await who(request);
    requireScope(p, "Execution", access);
    const trigger = await catalog.triggerOrThrow(request.tenant.id, request.params.id!);
    requirePermission(p, permission, trigger.folderKey, () => triggerIdNotFound(request.params.id!));
    return trigger;
  };

  // ---- triggers
  app.get("/api/v1/folders/:folderKey/triggers", async (request: Req, reply) => {
    await allow(request, "Execution", "Read", "Triggers.View", request.params.folderKey!, folderHidden(request));
    await catalog.folderOrThrow(request.tenant.id, request.params.folderKey!);
    const items = await catalog.listTriggers(request.tenant.id, request.params.folderKey!);
    return json(reply, 200, { items: items.map((t) => renderTrigger(request, t)), nextCursor: null });
  });
  app.post("/api/v1/folders/:folderKey/triggers", async (request: Req, reply) => {
    await allow(request, "Execution", "Write", "Triggers.Edit", request.params.folderKey!, folderHidden(request));
    const trigger = await audited(request, () => catalog.createTrigger(request.tenant.id, request.params.folderKey!, request.body),
      (trigger) => ["trigger.create", trigger.id, triggerDetails(trigger, request.body)]);
    return json(reply, 201, renderTrigger(request, trigger));
  });
  app.get("/api/v1/triggers", async (request: Req, reply) => {
    const p = await who(request);
    requireScope(p, "Execution", "Read");
    const visible = foldersWith(p, "Triggers.View");
    const items = (await catalog.listTriggers(request.tenant.id, request.query.folderKey ?? null)).filter((t) => visible === null || visible.includes(t.folderKey));
    return json(reply, 200, { items: items.map((t) => renderTrigger(request, t)), nextCursor: null });
  });
  app.get("/api/v1/triggers/:id", async (request: Req, reply) => {
    return json(reply, 200, renderTrigger(request, await triggerAllowed(request, "Read", "Triggers.View")));
  });
  app.patch("/api/v1/triggers/:id", async (request: Req, reply) => {
    await triggerAllowed(request, "Write", "Triggers.Edit");
    const trigger = await audited(request, () => catalog.updateTrigger(request.tenant.id, request.params.id!, request.body),
      (trigger) => ["trigger.update", trigger.id, triggerDetails(trigger, request.body)]);
    return json(reply, 200, renderTrigger(request, trigger));
  });
  app.delete("/api/v1/triggers/:id", async (request: Req, reply) => {
    await triggerAllowed(request, "Write", "Triggers.Edit");
    await audited(request, () => catalog.deleteTrigger(request.tenant.id, request.params.id!),
      () => ["trigger.delete", request.params.id!]);
    return reply.code(204).send();
  });

  // ---- jobs
  app.get("/api/v1/jobs", async (request: Req, reply) => {
    const page = await jobs.list(await who(request), request.query);
    return json(reply, 200, { items: page.items.map(renderJobListItem), nextCursor: page.nextCursor });
  });
  app.post("/api/v1/jobs", async (request: Req, reply) => {
    const p = await who(request);
    const key = idempotencyKeyOf(request.headers, request.raw.rawHeaders);
    // a repeated request (same Idempotency-Key and request) started nothing: no audit entry
    const { job, replayed } = await audited(request, () => jobs.start(p, request.body, key),
      ({ job, replayed }) => (replayed ? null : ["job.start", job.key, { folderKey: job.folderKey, processName: job.processName }]));
    if (replayed) reply.header("idempotent-replayed", "true");
    return json(reply, 201, renderJob(await jobs.withPendingReason(job)));
  });
  app.get("/api/v1/jobs/:jobKey", async (request: Req, reply) => {
    const job = await jobs.describe(await who(request), request.params.jobKey!);
    return json(reply, 200, await renderJobDetail(baton.store, job));
  });
  app.get("/api/v1/jobs/:jobKey/logs", async (request: Req, reply) => {
    return json(reply, 200, await jobs.logs(await who(request), request.params.jobKey!, request.query));
  });
  app.post("/api/v1/jobs/:jobKey/stop", async (request: Req, reply) => {
    const body = (request.body ?? {}) as { strategy?: unknown };
    const p = await who(request);
    const job = await audited(request, () => jobs.stop(p, request.params.jobKey!, body.strategy),
      (job) => ["job.stop", job.key, { strategy: body.strategy as string, processName: job.processName }]);
    return json(reply, 202, renderJob(job));
  });
}

// webhooks (issue 16): the renderer moved to the core, so that deliveries send the job exactly as shown here
export { renderJob };


/** a job in a list: long arguments, output or error are left out (flagged); GET /jobs/{key} has them */
export function renderJobListItem(job: JobListItem) {
  return {
    key: job.key, folderKey: job.folderKey, processName: job.processName, triggerId: job.triggerId, source: job.source, callMode: job.callMode,
    state: job.state, priority: job.priority,
    ...(job.inputArgumentsTruncated ? { inputArgumentsTruncated: true as const } : { inputArguments: job.inputArguments }),
    ...(job.outputArgumentsTruncated ? { outputArgumentsTruncated: true as const } : { outputArguments: job.outputArguments }),
    ...(job.errorTruncated ? { errorTruncated: true as const } : { error: job.error }),
    robot: job.robot, attempt: job.attempt, createdAt: job.createdAt, startedAt: job.startedAt, endedAt: job.endedAt, info: job.info,
    idempotencyKey: job.idempotencyKey, retryAt: job.retryAt, pendingReason: job.pendingReason ?? null, ...timeTriggerOf(job),
  };
}

/** a trigger's audit details: its slug, folder and process, and the names of the fields the request set (never argument values) */
const triggerDetails = (t: Trigger, body: unknown) => ({ slug: t.slug, folderKey: t.folderKey, processName: t.processName, fields: fieldNames(body, t) });
const triggerIdNotFound = (id: string) => notFound("trigger-not-found", `No API trigger with id '${id}' exists in this tenant.`);

function omit<T extends object, K extends keyof T>(value: T, key: K): Omit<T, K> {
  const copy = { ...value };
  delete copy[key];
  return copy;
}
