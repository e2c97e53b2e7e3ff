import type { FastifyInstance, FastifyRequest } from "fastify";
import { FolderNotFound, TimeTriggerNotFound } from "../../core/errors.js";
import { invalidFilter } from "../../core/listQuery.js";
import type { Permission } from "../../core/Permissions.js";
import { requirePermission } from "../../core/permissionChecks.js";
import { requireScope } from "../../core/scopes.js";
import { PREVIEW_DEFAULT_COUNT, PREVIEW_MAX_COUNT } from "../../core/TimeTriggers.js";
import type { TimeTrigger } from "../../core/types.js";
import { fieldNames, recordAudit } from "../audit.js";
import { json, principal, type HttpContext, type Params, type Query } from "../context.js";

type Req = FastifyRequest<{ Params: Params; Querystring: Query; Body: unknown }>;

/** A time trigger as the API shows it: with its cron in words, when it has a common shape. */
export function renderTimeTrigger(t: TimeTrigger, description: string | null) {
  return {
    id: t.id, folderKey: t.folderKey, name: t.name, processName: t.processName, cron: t.cron, timeZone: t.timeZone, description,
    arguments: t.arguments, priority: t.priority, enabled: t.enabled, missedRunPolicy: t.missedRunPolicy, nextRunAt: t.nextRunAt,
    createdAt: t.createdAt, updatedAt: t.updatedAt,
  };
}

/** `?count=` of a preview: 1 to PREVIEW_MAX_COUNT, PREVIEW_DEFAULT_COUNT when absent */
function previewCount(value: string | undefined): number {
  if (value === undefined) return PREVIEW_DEFAULT_COUNT;
  const count = /^[0-9]{1,3}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(count) || count < 1 || count > PREVIEW_MAX_COUNT) invalidFilter("/count", `must be an integer from 1 to ${PREVIEW_MAX_COUNT}`);
  return count;
}

/**
 * Time triggers (SPEC §9) under `…/orchestrator_/api/v1`: created and listed in a folder, read,
 * changed and deleted by id (as API triggers are), previewed. Scopes and permissions are API
 * triggers': OR.Execution, and Triggers.View / Triggers.Edit in the trigger's folder.
 */
export function timeTriggerRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { baton } = ctx;
  const { timeTriggers } = baton;
  const render = (t: TimeTrigger) => renderTimeTrigger(t, timeTriggers.describe(t));
  /** a change and its audit entry, in one transaction */
  const audited = async <T>(request: Req, change: () => Promise<T>, entry: (result: T) => [action: string, target: string, details: Record<string, unknown>]): Promise<T> => {
    const p = await principal(ctx, request);
    return baton.store.transaction(async () => {
      const result = await change();
      const [action, target, details] = entry(result);
      await recordAudit(ctx, request, p, { action, target, details });
      return result;
    });
  };
  const inFolder = async (request: Req, access: "Read" | "Write", permission: Permission): Promise<string> => {
    const p = await principal(ctx, request);
    const folderKey = request.params.folderKey!;
    requireScope(p, "Execution", access);
    requirePermission(p, permission, folderKey, () => FolderNotFound(folderKey));
    return folderKey;
  };
  /** a time trigger by id, with the permission in its folder (404 when the caller may not see it) */
  const allowed = async (request: Req, access: "Read" | "Write", permission: Permission): Promise<TimeTrigger> => {
    const p = await principal(ctx, request);
    requireScope(p, "Execution", access);
    const trigger = await timeTriggers.getOrThrow(request.tenant.id, request.params.id!);
    requirePermission(p, permission, trigger.folderKey, () => TimeTriggerNotFound(request.params.id!));
    return trigger;
  };
  const details = (t: TimeTrigger, body: unknown) => ({ name: t.name, folderKey: t.folderKey, processName: t.processName, fields: fieldNames(body, t) });

  app.get("/api/v1/folders/:folderKey/time-triggers", async (request: Req, reply) => {
    const folderKey = await inFolder(request, "Read", "Triggers.View");
    const items = await timeTriggers.list(request.tenant.id, folderKey);
    return json(reply, 200, { items: items.map(render), nextCursor: null });
  });
  app.post("/api/v1/folders/:folderKey/time-triggers", async (request: Req, reply) => {
    const folderKey = await inFolder(request, "Write", "Triggers.Edit");
    const trigger = await audited(request, () => timeTriggers.create(request.tenant.id, folderKey, request.body),
      (t) => ["time-trigger.create", t.id, details(t, request.body)]);
    return json(reply, 201, render(trigger));
  });
  // a cron not saved yet (the console's form)
  app.get("/api/v1/time-trigger-preview", async (request: Req, reply) => {
    requireScope(await principal(ctx, request), "Execution", "Read");
    const count = previewCount(request.query.count);
    return json(reply, 200, timeTriggers.previewCron(request.query.cron, request.query.timeZone, count));
  });
  app.get("/api/v1/time-triggers/:id", async (request: Req, reply) => {
    return json(reply, 200, render(await allowed(request, "Read", "Triggers.View")));
  });
  app.get("/api/v1/time-triggers/:id/preview", async (request: Req, reply) => {
    const trigger = await allowed(request, "Read", "Triggers.View");
    return json(reply, 200, timeTriggers.preview(trigger, previewCount(request.query.count)));
  });
  app.patch("/api/v1/time-triggers/:id", async (request: Req, reply) => {
    await allowed(request, "Write", "Triggers.Edit");
    const trigger = await audited(request, () => timeTriggers.update(request.tenant.id, request.params.id!, request.body),
      (t) => ["time-trigger.update", t.id, details(t, request.body)]);
    return json(reply, 200, render(trigger));
  });
  app.delete("/api/v1/time-triggers/:id", async (request: Req, reply) => {
    const existing = await allowed(request, "Write", "Triggers.Edit");
    await audited(request, () => timeTriggers.delete(request.tenant.id, existing.id),
      () => ["time-trigger.delete", existing.id, { name: existing.name, folderKey: existing.folderKey, processName: existing.processName }]);
    return reply.code(204).send();
  });
}
