import type { FastifyInstance, FastifyRequest } from "fastify";
import { requireScope } from "../../core/scopes.js";
import { notFound } from "../../core/errors.js";
import { requirePermission } from "../../core/permissionChecks.js";
import { ROLE_NAMES, ROLES, type Permission } from "../../core/Permissions.js";
import type { Principal, User } from "../../core/types.js";
import { fieldNames, recordAudit } from "../audit.js";
import { json, principal, type HttpContext, type Params } from "../context.js";

type Req = FastifyRequest<{ Params: Params; Body: unknown }>;

/** Users of the tenant and the roles they can be granted (`OR.Users` and Users.View / Users.Edit). */
export function userRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { users } = ctx.baton;
  const allow = async (request: Req, access: "Read" | "Write", permission: Permission): Promise<Principal> => {
    const who = await principal(ctx, request);
    requireScope(who, "Users", access);
    requirePermission(who, permission, null, access === "Read" && request.params.id ? () => userNotFound(request.params.id!) : undefined);
    return who;
  };

  app.get("/api/v1/roles", async (request: Req, reply) => {
    await principal(ctx, request);
    return json(reply, 200, { items: ROLE_NAMES.map((name) => ({ name, permissions: ROLES[name] })), nextCursor: null });
  });

  app.get("/api/v1/users", async (request: Req, reply) => {
    await allow(request, "Read", "Users.View");
    return json(reply, 200, { items: (await users.list(request.tenant)).map(renderUser), nextCursor: null });
  });
  app.post("/api/v1/users", async (request: Req, reply) => {
    const who = await allow(request, "Write", "Users.Edit");
    // the user and its audit entry: one transaction
    const user = await users.create(request.tenant, request.body,
      (created) => recordAudit(ctx, request, who, { action: "user.create", target: created.id, details: { name: created.name, roles: created.roles } }));
    return json(reply, 201, renderUser(user));
  });
  app.get("/api/v1/users/:id", async (request: Req, reply) => {
    await allow(request, "Read", "Users.View");
    return json(reply, 200, renderUser(await users.getOrThrow(request.tenant, request.params.id!)));
  });
  app.patch("/api/v1/users/:id", async (request: Req, reply) => {
    const who = await allow(request, "Write", "Users.Edit");
    const user = await users.update(request.tenant, request.params.id!, request.body, (updated) => {
      const details: Record<string, unknown> = { name: updated.name, fields: fieldNames(request.body, { password: 1, roles: 1, disabled: 1 }) };
      if ((request.body as { roles?: unknown } | undefined)?.roles !== undefined) details.roles = updated.roles;
      return recordAudit(ctx, request, who, { action: "user.update", target: updated.id, details });
    });
    return json(reply, 200, renderUser(user));
  });
  app.delete("/api/v1/users/:id", async (request: Req, reply) => {
    const who = await allow(request, "Write", "Users.Edit");
    await users.delete(request.tenant, request.params.id!, who, () => recordAudit(ctx, request, who, { action: "user.delete", target: request.params.id! }));
    return reply.code(204).send();
  });
}

export function renderUser(u: User) {
  return {
    id: u.id, name: u.name, orgAdmin: u.orgAdmin, organizationUser: u.tenantId === null, roles: u.roles,
    disabled: u.disabledAt !== null, disabledAt: u.disabledAt, createdAt: u.createdAt,
  };
}

const userNotFound = (id: string) => notFound("user-not-found", `No user with id '${id}' exists in this tenant.`);
