import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { notFound } from "../../core/errors.js";
import { foldersWith, requirePermission } from "../../core/permissionChecks.js";
import type { Permission } from "../../core/Permissions.js";
import type { Trigger as TriggerRecord } from "../../core/types.js";
import { audited, fieldNames } from "../audit.js";
import { principal, type HttpContext } from "../context.js";
import { bodyCheckedByCore } from "../coreChecked.js";
import { answer, noContent } from "../schemas/common.js";
import { FolderKey } from "../schemas/folders.js";
import { Trigger, TriggerId, TriggerInput, TriggerListQuery, TriggerPage, TriggerPatch } from "../schemas/triggers.js";
import { invokeUrl, tenantBase } from "../urls.js";
import { folderHidden } from "./folders.js";

const inFolder = (permission: string) =>
  `\`${permission}\` in the folder (a user who may not see the folder gets 404 folder-not-found; one who sees it but lacks the permission, 403 permission-denied).`;
const inTriggersFolder = (permission: string) =>
  `\`${permission}\` in the trigger's folder (a user who may not see the folder gets 404 trigger-not-found; one who sees it but lacks the permission, 403 permission-denied).`;
const folderView = { scope: ["Execution", "Read"], permission: "Triggers.View", inFolder: true, hidden: folderHidden, permissionNote: inFolder("Triggers.View") } as const;
const folderEdit = { scope: ["Execution", "Write"], permission: "Triggers.Edit", inFolder: true, hidden: folderHidden, permissionNote: inFolder("Triggers.Edit") } as const;
/** a trigger by id: the permission is checked in its folder, once it is loaded */
const byIdView = { scope: ["Execution", "Read"], permission: "Triggers.View", checkedBy: "handler", permissionNote: inTriggersFolder("Triggers.View") } as const;
const byIdEdit = { scope: ["Execution", "Write"], permission: "Triggers.Edit", checkedBy: "handler", permissionNote: inTriggersFolder("Triggers.Edit") } as const;

/** API triggers under `…/api/v1/folders/{folderKey}/triggers` and `…/api/v1/triggers` (`OR.Execution`; Triggers.View / Triggers.Edit in the trigger's folder). */
export function triggerRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { catalog } = ctx.baton;
  const render = (request: FastifyRequest, t: TriggerRecord) => renderTrigger(tenantBase(request, ctx.config, request.tenant), t);
  /** a trigger by id, with the permission in its folder (404 when the caller may not see it) */
  const allowed = async (request: FastifyRequest, id: string, permission: Permission): Promise<TriggerRecord> => {
    const p = await principal(ctx, request);
    const trigger = await catalog.triggerOrThrow(request.tenant.id, id);
    requirePermission(p, permission, trigger.folderKey, () => triggerIdNotFound(id));
    return trigger;
  };

  api.get("/api/v1/folders/:folderKey/triggers", {
    schema: {
      operationId: "listFolderTriggers", tags: ["Triggers"], summary: "List a folder's API triggers",
      params: FolderKey,
      response: { 200: answer("The folder's API triggers, each with its invoke URL.", TriggerPage) },
    },
    config: { access: folderView, errors: { notFound: ["folder-not-found"] } },
  }, async (request) => {
    await catalog.folderOrThrow(request.tenant.id, request.params.folderKey);
    const items = await catalog.listTriggers(request.tenant.id, request.params.folderKey);
    return { items: items.map((t) => render(request, t)), nextCursor: null };
  });

  api.post("/api/v1/folders/:folderKey/triggers", {
    schema: {
      operationId: "createTrigger", tags: ["Triggers"], summary: "Create an API trigger",
      params: FolderKey,
      body: TriggerInput,
      response: { 201: answer("The API trigger, with its `id` and `invokeUrl`.", Trigger) },
    },
    config: { access: folderEdit, errors: { invalid: "invalid-trigger", badRequest: ["invalid-body"], notFound: ["folder-not-found", "process-not-found"], conflict: ["slug-taken"] } },
    validatorCompiler: bodyCheckedByCore,
  }, async (request, reply) => {
    const trigger = await audited(ctx, request, () => catalog.createTrigger(request.tenant.id, request.params.folderKey, request.body),
      (created) => ["trigger.create", created.id, triggerDetails(created, request.body)]);
    reply.code(201);
    return render(request, trigger);
  });

  api.get("/api/v1/triggers", {
    schema: {
      operationId: "listTriggers", tags: ["Triggers"], summary: "List the tenant's API triggers",
      description: "Only the triggers of folders in which the user has `Triggers.View` are listed.",
      querystring: TriggerListQuery,
      response: { 200: answer("API triggers, each with its invoke URL.", TriggerPage) },
    },
    config: { access: { scope: ["Execution", "Read"] } },
  }, async (request) => {
    const visible = foldersWith(await principal(ctx, request), "Triggers.View");
    const items = (await catalog.listTriggers(request.tenant.id, request.query.folderKey ?? null)).filter((t) => visible === null || visible.includes(t.folderKey));
    return { items: items.map((t) => render(request, t)), nextCursor: null };
  });

  api.get("/api/v1/triggers/:id", {
    schema: {
      operationId: "getTrigger", tags: ["Triggers"], summary: "Get an API trigger",
      params: TriggerId,
      response: { 200: answer("The API trigger.", Trigger) },
    },
    config: { access: byIdView, errors: { notFound: ["trigger-not-found"] } },
  }, async (request) => render(request, await allowed(request, request.params.id, "Triggers.View")));

  api.patch("/api/v1/triggers/:id", {
    schema: {
      operationId: "updateTrigger", tags: ["Triggers"], summary: "Change an API trigger",
      params: TriggerId,
      body: TriggerPatch,
      response: { 200: answer("The API trigger.", Trigger) },
    },
    config: { access: byIdEdit, errors: { invalid: "invalid-trigger", badRequest: ["invalid-body"], notFound: ["trigger-not-found", "process-not-found"], conflict: ["slug-taken"] } },
    validatorCompiler: bodyCheckedByCore,
  }, async (request) => {
    await allowed(request, request.params.id, "Triggers.Edit");
    const trigger = await audited(ctx, request, () => catalog.updateTrigger(request.tenant.id, request.params.id, request.body),
      (updated) => ["trigger.update", updated.id, triggerDetails(updated, request.body)]);
    return render(request, trigger);
  });

  api.delete("/api/v1/triggers/:id", {
    schema: {
      operationId: "deleteTrigger", tags: ["Triggers"], summary: "Delete an API trigger",
      params: TriggerId,
      response: { 204: noContent("Deleted.") },
    },
    config: { access: byIdEdit, errors: { notFound: ["trigger-not-found"] } },
  }, async (request, reply) => {
    await allowed(request, request.params.id, "Triggers.Edit");
    await audited(ctx, request, () => catalog.deleteTrigger(request.tenant.id, request.params.id), () => ["trigger.delete", request.params.id]);
    return reply.code(204).send(null);
  });
}

/** a trigger as the API shows it, with its absolute invoke URL (the schema leaves out the tenant) */
export const renderTrigger = (base: string, t: TriggerRecord) => ({ ...t, invokeUrl: invokeUrl(base, t.folderKey, t.slug) });

/** a trigger's audit details: its slug, folder and process, and the names of the fields the request set (never argument values) */
const triggerDetails = (t: TriggerRecord, body: unknown) => ({ slug: t.slug, folderKey: t.folderKey, processName: t.processName, fields: fieldNames(body, t) });
const triggerIdNotFound = (id: string) => notFound("trigger-not-found", `No API trigger with id '${id}' exists in this tenant.`);
