import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { TimeTriggerNotFound } from "../../core/errors.js";
import { invalidFilter } from "../../core/listQuery.js";
import type { Permission } from "../../core/Permissions.js";
import { requirePermission } from "../../core/permissionChecks.js";
import { PREVIEW_DEFAULT_COUNT, PREVIEW_MAX_COUNT } from "../../core/TimeTriggers.js";
import type { TimeTrigger as TimeTriggerRecord } from "../../core/types.js";
import { audited, fieldNames } from "../audit.js";
import { principal, type HttpContext } from "../context.js";
import { bodyCheckedByCore } from "../coreChecked.js";
import { answer, noContent } from "../schemas/common.js";
import { FolderKey } from "../schemas/folders.js";
import {
  CronPreviewQuery, PreviewQuery, TimeTrigger, TimeTriggerId, TimeTriggerInput, TimeTriggerPage, TimeTriggerPatch, TimeTriggerPreview,
} from "../schemas/timeTriggers.js";
import { folderHidden } from "./folders.js";

/** A time trigger as the API shows it: with its cron in words, when it has a common shape. */
export function renderTimeTrigger(t: TimeTriggerRecord, description: string | null) {
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

const inFolder = (permission: string) =>
  `\`${permission}\` in the folder (a user who may not see the folder gets 404 folder-not-found; one who sees it but lacks the permission, 403 permission-denied).`;
const inTriggersFolder = (permission: string) =>
  `\`${permission}\` in the trigger's folder (a user who may not see the folder gets 404 time-trigger-not-found; one who sees it but lacks the permission, 403 permission-denied).`;
const folderView = { scope: ["Execution", "Read"], permission: "Triggers.View", inFolder: true, hidden: folderHidden, permissionNote: inFolder("Triggers.View") } as const;
const folderEdit = { scope: ["Execution", "Write"], permission: "Triggers.Edit", inFolder: true, hidden: folderHidden, permissionNote: inFolder("Triggers.Edit") } as const;
/** by id: the permission is checked in the trigger's folder, once it is loaded */
const byIdView = { scope: ["Execution", "Read"], permission: "Triggers.View", checkedBy: "handler", permissionNote: inTriggersFolder("Triggers.View") } as const;
const byIdEdit = { scope: ["Execution", "Write"], permission: "Triggers.Edit", checkedBy: "handler", permissionNote: inTriggersFolder("Triggers.Edit") } as const;

/**
 * Time triggers (SPEC §9) under `…/orchestrator_/api/v1`: created and listed in a folder, read,
 * changed and deleted by id (as API triggers are), previewed. Scopes and permissions are API
 * triggers': OR.Execution, and Triggers.View / Triggers.Edit in the trigger's folder.
 */
export function timeTriggerRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { timeTriggers } = ctx.baton;
  const render = (t: TimeTriggerRecord) => renderTimeTrigger(t, timeTriggers.describe(t));
  /** a time trigger by id, with the permission in its folder (404 when the caller may not see it) */
  const allowed = async (request: FastifyRequest, id: string, permission: Permission): Promise<TimeTriggerRecord> => {
    const p = await principal(ctx, request);
    const trigger = await timeTriggers.getOrThrow(request.tenant.id, id);
    requirePermission(p, permission, trigger.folderKey, () => TimeTriggerNotFound(id));
    return trigger;
  };
  const details = (t: TimeTriggerRecord, body: unknown) => ({ name: t.name, folderKey: t.folderKey, processName: t.processName, fields: fieldNames(body, t) });

  api.get("/api/v1/folders/:folderKey/time-triggers", {
    schema: {
      operationId: "listFolderTimeTriggers", tags: ["Time triggers"], summary: "List a folder's time triggers",
      params: FolderKey,
      response: { 200: answer("The folder's time triggers, by name, each with its next run.", TimeTriggerPage) },
    },
    config: { access: folderView, errors: { notFound: ["folder-not-found"] } },
  }, async (request) => ({ items: (await timeTriggers.list(request.tenant.id, request.params.folderKey)).map(render), nextCursor: null }));

  api.post("/api/v1/folders/:folderKey/time-triggers", {
    schema: {
      operationId: "createTimeTrigger", tags: ["Time triggers"], summary: "Create a time trigger",
      description: "Its first slot is the first after now (`nextRunAt`); each slot then starts one job of the process, with source TimeTrigger, on whichever node runs it first.",
      params: FolderKey,
      body: TimeTriggerInput,
      response: { 201: answer("The time trigger, with its `id` and `nextRunAt`.", TimeTrigger) },
    },
    config: {
      access: folderEdit,
      errors: { invalid: "invalid-time-trigger", badRequest: ["invalid-body"], notFound: ["folder-not-found", "process-not-found"], conflict: ["time-trigger-exists"] },
    },
    validatorCompiler: bodyCheckedByCore,
  }, async (request, reply) => {
    const trigger = await audited(ctx, request, () => timeTriggers.create(request.tenant.id, request.params.folderKey, request.body),
      (t) => ["time-trigger.create", t.id, details(t, request.body)]);
    reply.code(201);
    return render(trigger);
  });

  // a cron not saved yet (the console's form)
  api.get("/api/v1/time-trigger-preview", {
    schema: {
      operationId: "previewCron", tags: ["Time triggers"], summary: "Preview a cron not saved yet",
      description: "The next runs of a cron in a time zone, and the cron in words: what a form shows before the trigger is saved.",
      querystring: CronPreviewQuery(PREVIEW_MAX_COUNT, PREVIEW_DEFAULT_COUNT),
      response: { 200: answer("The next runs.", TimeTriggerPreview) },
    },
    config: { access: { scope: ["Execution", "Read"] }, errors: { invalidQuery: "invalid-filter", badRequest: ["invalid-time-trigger", "invalid-filter", "invalid-query"] } },
  }, async (request) => timeTriggers.previewCron(request.query.cron, request.query.timeZone, previewCount(request.query.count)));

  api.get("/api/v1/time-triggers/:id", {
    schema: {
      operationId: "getTimeTrigger", tags: ["Time triggers"], summary: "Get a time trigger",
      params: TimeTriggerId,
      response: { 200: answer("The time trigger.", TimeTrigger) },
    },
    config: { access: byIdView, errors: { notFound: ["time-trigger-not-found"] } },
  }, async (request) => render(await allowed(request, request.params.id, "Triggers.View")));

  api.get("/api/v1/time-triggers/:id/preview", {
    schema: {
      operationId: "previewTimeTrigger", tags: ["Time triggers"], summary: "The next fire times of a time trigger",
      description: "The trigger's next slots from now, as it would fire them enabled, each in UTC and on the wall clock of its time zone.",
      params: TimeTriggerId,
      querystring: PreviewQuery(PREVIEW_MAX_COUNT, PREVIEW_DEFAULT_COUNT),
      response: { 200: answer("The next runs.", TimeTriggerPreview) },
    },
    config: { access: byIdView, errors: { invalidQuery: "invalid-filter", badRequest: ["invalid-filter", "invalid-query"], notFound: ["time-trigger-not-found"] } },
  }, async (request) => {
    const trigger = await allowed(request, request.params.id, "Triggers.View");
    return timeTriggers.preview(trigger, previewCount(request.query.count));
  });

  api.patch("/api/v1/time-triggers/:id", {
    schema: {
      operationId: "updateTimeTrigger", tags: ["Time triggers"], summary: "Change, enable or disable a time trigger",
      description: "`{ \"enabled\": false }` disables it: nothing fires and nothing is due. Enabling it, or a new cron or time zone, schedules from now: slots before are not made up.",
      params: TimeTriggerId,
      body: TimeTriggerPatch,
      response: { 200: answer("The time trigger.", TimeTrigger) },
    },
    config: {
      access: byIdEdit,
      errors: { invalid: "invalid-time-trigger", badRequest: ["invalid-body"], notFound: ["time-trigger-not-found", "process-not-found"], conflict: ["time-trigger-exists"] },
    },
    validatorCompiler: bodyCheckedByCore,
  }, async (request) => {
    await allowed(request, request.params.id, "Triggers.Edit");
    const trigger = await audited(ctx, request, () => timeTriggers.update(request.tenant.id, request.params.id, request.body),
      (t) => ["time-trigger.update", t.id, details(t, request.body)]);
    return render(trigger);
  });

  api.delete("/api/v1/time-triggers/:id", {
    schema: {
      operationId: "deleteTimeTrigger", tags: ["Time triggers"], summary: "Delete a time trigger",
      description: "Its next slot is no longer due. Jobs it started stay.",
      params: TimeTriggerId,
      response: { 204: noContent("Deleted.") },
    },
    config: { access: byIdEdit, errors: { notFound: ["time-trigger-not-found"] } },
  }, async (request, reply) => {
    const existing = await allowed(request, request.params.id, "Triggers.Edit");
    await audited(ctx, request, () => timeTriggers.delete(request.tenant.id, existing.id),
      () => ["time-trigger.delete", existing.id, { name: existing.name, folderKey: existing.folderKey, processName: existing.processName }]);
    return reply.code(204).send(null);
  });
}
