import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { can } from "../../core/permissionChecks.js";
import type { Folder as FolderRecord } from "../../core/types.js";
import { audited, fieldNames } from "../audit.js";
import { principal, type HttpContext } from "../context.js";
import type { RouteAccess } from "../routeContract.js";
import { answer, noContent } from "../schemas/common.js";
import { Folder, FolderInput, FolderKey, FolderPage } from "../schemas/folders.js";

/** who may not see the folder: 404, its existence not revealed */
export const folderHidden: RouteAccess["hidden"] = { code: "folder-not-found", detail: (params) => `No folder with key '${params.folderKey}' exists in this tenant.` };

/** The tenant's folders under `…/api/v1/folders` (`OR.Folders`; Folders.View in the folder, Folders.Edit tenant-wide). */
export function folderRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { catalog } = ctx.baton;

  api.get("/api/v1/folders", {
    schema: {
      operationId: "listFolders", tags: ["Folders"], summary: "List the folders",
      description: "Only the folders in which the user has `Folders.View` are listed.",
      response: { 200: answer("The tenant's folders.", FolderPage) },
    },
    config: { access: { scope: ["Folders", "Read"] } },
  }, async (request) => {
    const p = await principal(ctx, request);
    const items = (await catalog.listFolders(request.tenant.id)).filter((f) => can(p, "Folders.View", f.key));
    return { items: items.map(renderFolder), nextCursor: null };
  });

  api.post("/api/v1/folders", {
    schema: {
      operationId: "createFolder", tags: ["Folders"], summary: "Create a folder",
      description: "`Folders.Edit` is granted tenant-wide only.",
      body: FolderInput,
      response: { 201: answer("The folder.", Folder) },
    },
    config: { access: { scope: ["Folders", "Write"], permission: "Folders.Edit" }, errors: { invalid: "invalid-folder", conflict: ["folder-exists"] } },
  }, async (request, reply) => {
    const folder = await audited(ctx, request, () => catalog.createFolder(request.tenant.id, request.body),
      (created) => ["folder.create", created.key, { name: created.name }]);
    reply.code(201);
    return renderFolder(folder);
  });

  api.get("/api/v1/folders/:folderKey", {
    schema: {
      operationId: "getFolder", tags: ["Folders"], summary: "Get a folder",
      params: FolderKey,
      response: { 200: answer("The folder.", Folder) },
    },
    config: { access: { scope: ["Folders", "Read"], permission: "Folders.View", inFolder: true, hidden: folderHidden }, errors: { notFound: ["folder-not-found"] } },
  }, async (request) => renderFolder(await catalog.folderOrThrow(request.tenant.id, request.params.folderKey)));

  api.patch("/api/v1/folders/:folderKey", {
    schema: {
      operationId: "renameFolder", tags: ["Folders"], summary: "Rename a folder",
      description: "The Shared folder cannot be renamed. `Folders.Edit` is granted tenant-wide only.",
      params: FolderKey,
      body: FolderInput,
      response: { 200: answer("The folder.", Folder) },
    },
    config: {
      access: { scope: ["Folders", "Write"], permission: "Folders.Edit", inFolder: true, hidden: folderHidden },
      errors: { invalid: "invalid-folder", notFound: ["folder-not-found"], conflict: ["folder-exists", "folder-protected"] },
    },
  }, async (request) => {
    const folder = await audited(ctx, request, () => catalog.renameFolder(request.tenant.id, request.params.folderKey, request.body),
      (renamed) => ["folder.update", renamed.key, { name: renamed.name, fields: fieldNames(request.body, renamed) }]);
    return renderFolder(folder);
  });

  api.delete("/api/v1/folders/:folderKey", {
    schema: {
      operationId: "deleteFolder", tags: ["Folders"], summary: "Delete an empty folder",
      description: "The Shared folder cannot be deleted. `Folders.Edit` is granted tenant-wide only.",
      params: FolderKey,
      response: { 204: noContent("Deleted.") },
    },
    config: {
      access: { scope: ["Folders", "Write"], permission: "Folders.Edit", inFolder: true, hidden: folderHidden },
      errors: { notFound: ["folder-not-found"], conflict: ["folder-protected", "folder-not-empty"] },
    },
  }, async (request, reply) => {
    await audited(ctx, request, () => catalog.deleteFolder(request.tenant.id, request.params.folderKey), () => ["folder.delete", request.params.folderKey]);
    return reply.code(204).send(null);
  });
}

export const renderFolder = (f: FolderRecord) => ({ key: f.key, name: f.name, createdAt: f.createdAt });
