import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import type { Process as ProcessRecord } from "../../core/types.js";
import { audited, fieldNames } from "../audit.js";
import type { HttpContext } from "../context.js";
import { bodyCheckedByCore } from "../coreChecked.js";
import { answer, noContent } from "../schemas/common.js";
import { FolderKey } from "../schemas/folders.js";
import { Process, ProcessInput, ProcessPage, ProcessParams, ProcessPatch } from "../schemas/processes.js";
import { folderHidden } from "./folders.js";

const VIEW = "`Processes.View` in the folder (a user who may not see the folder gets 404 folder-not-found; one who sees it but lacks the permission, 403 permission-denied).";
const EDIT = "`Processes.Edit` in the folder (a user who may not see the folder gets 404 folder-not-found; one who sees it but lacks the permission, 403 permission-denied).";
const view = { scope: ["Execution", "Read"], permission: "Processes.View", inFolder: true, hidden: folderHidden, permissionNote: VIEW } as const;
const edit = { scope: ["Execution", "Write"], permission: "Processes.Edit", inFolder: true, hidden: folderHidden, permissionNote: EDIT } as const;

/** A folder's processes under `…/api/v1/folders/{folderKey}/processes` (`OR.Execution`; Processes.View / Processes.Edit in the folder). */
export function processRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { catalog } = ctx.baton;

  api.get("/api/v1/folders/:folderKey/processes", {
    schema: {
      operationId: "listProcesses", tags: ["Processes"], summary: "List a folder's processes",
      params: FolderKey,
      response: { 200: answer("The folder's processes.", ProcessPage) },
    },
    config: { access: view, errors: { notFound: ["folder-not-found"] } },
  }, async (request) => ({ items: (await catalog.listProcesses(request.tenant.id, request.params.folderKey)).map(renderProcess), nextCursor: null }));

  api.post("/api/v1/folders/:folderKey/processes", {
    schema: {
      operationId: "createProcess", tags: ["Processes"], summary: "Create a process",
      params: FolderKey,
      body: ProcessInput,
      response: { 201: answer("The process.", Process) },
    },
    config: { access: edit, errors: { invalid: "invalid-process", badRequest: ["invalid-body", "schema-too-complex"], notFound: ["folder-not-found"], conflict: ["process-exists"] } },
    validatorCompiler: bodyCheckedByCore,
  }, async (request, reply) => {
    const process = await audited(ctx, request, () => catalog.createProcess(request.tenant.id, request.params.folderKey, request.body),
      (created) => ["process.create", created.id, { folderKey: created.folderKey, name: created.name, fields: fieldNames(request.body, created) }]);
    reply.code(201);
    return renderProcess(process);
  });

  api.get("/api/v1/folders/:folderKey/processes/:name", {
    schema: {
      operationId: "getProcess", tags: ["Processes"], summary: "Get a process",
      params: ProcessParams,
      response: { 200: answer("The process.", Process) },
    },
    config: { access: view, errors: { notFound: ["folder-not-found", "process-not-found"] } },
  }, async (request) => {
    await catalog.folderOrThrow(request.tenant.id, request.params.folderKey);
    return renderProcess(await catalog.processOrThrow(request.tenant.id, request.params.folderKey, request.params.name));
  });

  api.patch("/api/v1/folders/:folderKey/processes/:name", {
    schema: {
      operationId: "updateProcess", tags: ["Processes"], summary: "Change a process",
      params: ProcessParams,
      body: ProcessPatch,
      response: { 200: answer("The process.", Process) },
    },
    config: { access: edit, errors: { invalid: "invalid-process", badRequest: ["invalid-body", "schema-too-complex"], notFound: ["folder-not-found", "process-not-found"] } },
    validatorCompiler: bodyCheckedByCore,
  }, async (request) => {
    await catalog.folderOrThrow(request.tenant.id, request.params.folderKey);
    const process = await audited(ctx, request, () => catalog.updateProcess(request.tenant.id, request.params.folderKey, request.params.name, request.body),
      (updated) => ["process.update", updated.id, { folderKey: updated.folderKey, name: updated.name, fields: fieldNames(request.body, updated) }]);
    return renderProcess(process);
  });

  api.delete("/api/v1/folders/:folderKey/processes/:name", {
    schema: {
      operationId: "deleteProcess", tags: ["Processes"], summary: "Delete a process", description: "Refused while API triggers start it.",
      params: ProcessParams,
      response: { 204: noContent("Deleted.") },
    },
    config: { access: edit, errors: { notFound: ["folder-not-found", "process-not-found"], conflict: ["process-in-use"] } },
  }, async (request, reply) => {
    const { folderKey, name } = request.params;
    // the id, for the audit log (a missing process or folder is answered by deleteProcess)
    const id = (await catalog.processOrThrow(request.tenant.id, folderKey, name).catch(() => null))?.id;
    await audited(ctx, request, () => catalog.deleteProcess(request.tenant.id, folderKey, name), () => ["process.delete", id ?? name, { folderKey, name }]);
    return reply.code(204).send(null);
  });
}

/** a process as the API shows it (the schema leaves out what it does not declare: the tenant) */
export const renderProcess = (p: ProcessRecord) => ({
  ...p, maxConcurrentJobs: p.maxConcurrentJobs ?? null, concurrencyKey: p.concurrencyKey ?? null, maxConcurrentJobsPerKey: p.maxConcurrentJobsPerKey ?? null,
});
