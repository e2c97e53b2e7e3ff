import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { ROLE_NAMES, ROLES } from "../../core/Permissions.js";
import type { User as UserRecord } from "../../core/types.js";
import { fieldNames, recordAudit } from "../audit.js";
import { principal, type HttpContext } from "../context.js";
import type { RouteAccess } from "../routeContract.js";
import { answer, noContent } from "../schemas/common.js";
import { CreateUser, RolePage, UpdateUser, User, UserId, UserPage } from "../schemas/users.js";

/** a user write whose password hash would wait behind too many on this node (Users.ts PASSWORD_CHECKS_QUEUED) */
const HASHING_BUSY = {
  codes: ["password-hashing-busy" as const, "rate-limited" as const],
  description: "The password's hash would wait behind too many on this node (password-hashing-busy: nothing was saved), or the token's rate limit: retry after `Retry-After` seconds.",
};
const hidden: RouteAccess["hidden"] = { code: "user-not-found", detail: (params) => `No user with id '${params.id}' exists in this tenant.` };

/** Users of the tenant and the roles they can be granted (`OR.Users` and Users.View / Users.Edit). */
export function userRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { users } = ctx.baton;

  api.get("/api/v1/roles", {
    schema: {
      operationId: "listRoles", tags: ["Users"], summary: "The roles and their permissions",
      description: "Administrator, Automation Developer and Viewer. A role granted tenant-wide gives all its permissions; granted in a folder, only its folder permissions " +
        "(Folders.View, Processes.*, Triggers.*, Jobs.*), and only in that folder.",
      response: { 200: answer("The roles.", RolePage) },
    },
    config: { access: { scope: null } },
  }, async () => ({ items: ROLE_NAMES.map((name) => ({ name, permissions: [...ROLES[name]] })), nextCursor: null }));

  api.get("/api/v1/users", {
    schema: {
      operationId: "listUsers", tags: ["Users"], summary: "List the users",
      description: "The tenant's users, and the organization's (`organizationUser`: true), which administer every tenant and cannot be changed here.",
      response: { 200: answer("The users.", UserPage) },
    },
    config: { access: { scope: ["Users", "Read"], permission: "Users.View" } },
  }, async (request) => ({ items: (await users.list(request.tenant)).map(renderUser), nextCursor: null }));

  api.post("/api/v1/users", {
    schema: {
      operationId: "createUser", tags: ["Users"], summary: "Create a user",
      description: "A user of this tenant, with a password (for console logins) and roles granted tenant-wide or per folder.",
      body: CreateUser,
      response: { 201: answer("The user.", User) },
    },
    config: { access: { scope: ["Users", "Write"], permission: "Users.Edit" }, errors: { invalid: "invalid-user", conflict: ["user-exists"], tooMany: HASHING_BUSY } },
  }, async (request, reply) => {
    const who = await principal(ctx, request);
    // the user and its audit entry: one transaction
    const user = await users.create(request.tenant, request.body,
      (created) => recordAudit(ctx, request, who, { action: "user.create", target: created.id, details: { name: created.name, roles: created.roles } }));
    reply.code(201);
    return renderUser(user);
  });

  api.get("/api/v1/users/:id", {
    schema: {
      operationId: "getUser", tags: ["Users"], summary: "Get a user",
      params: UserId,
      response: { 200: answer("The user.", User) },
    },
    config: { access: { scope: ["Users", "Read"], permission: "Users.View", hidden }, errors: { notFound: ["user-not-found"] } },
  }, async (request) => renderUser(await users.getOrThrow(request.tenant, request.params.id)));

  api.patch("/api/v1/users/:id", {
    schema: {
      operationId: "updateUser", tags: ["Users"], summary: "Change a user's password, roles or state",
      description: "A new password or `disabled: true` ends the user's console sessions; a disabled user's tokens are refused (401) until it is enabled again. " +
        "Changes reach every node at once. A user of the organization cannot be changed here (409 user-of-organization).",
      params: UserId,
      body: UpdateUser,
      response: { 200: answer("The user, after the change.", User) },
    },
    config: { access: { scope: ["Users", "Write"], permission: "Users.Edit" }, errors: { invalid: "invalid-user", notFound: ["user-not-found"], conflict: ["user-of-organization"], tooMany: HASHING_BUSY } },
  }, async (request) => {
    const who = await principal(ctx, request);
    const user = await users.update(request.tenant, request.params.id, request.body, (updated) => {
      const details: Record<string, unknown> = { name: updated.name, fields: fieldNames(request.body, { password: 1, roles: 1, disabled: 1 }) };
      if (request.body.roles !== undefined) details.roles = updated.roles;
      return recordAudit(ctx, request, who, { action: "user.update", target: updated.id, details });
    });
    return renderUser(user);
  });

  api.delete("/api/v1/users/:id", {
    schema: {
      operationId: "deleteUser", tags: ["Users"], summary: "Delete a user",
      description: "Deletes the user with its personal access tokens and console sessions. Not your own user (409 user-is-you), nor a user of the organization (409 user-of-organization).",
      params: UserId,
      response: { 204: noContent("Deleted.") },
    },
    config: { access: { scope: ["Users", "Write"], permission: "Users.Edit" }, errors: { notFound: ["user-not-found"], conflict: ["user-of-organization", "user-is-you"] } },
  }, async (request, reply) => {
    const who = await principal(ctx, request);
    await users.delete(request.tenant, request.params.id, who, () => recordAudit(ctx, request, who, { action: "user.delete", target: request.params.id }));
    return reply.code(204).send(null);
  });
}

export function renderUser(u: UserRecord) {
  return {
    id: u.id, name: u.name, orgAdmin: u.orgAdmin, organizationUser: u.tenantId === null, roles: u.roles,
    disabled: u.disabledAt !== null, disabledAt: u.disabledAt, createdAt: u.createdAt,
  };
}
