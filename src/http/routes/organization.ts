import type { FastifyInstance, FastifyRequest } from "fastify";
import { conflict } from "../../core/errors.js";
import { recordAudit } from "../audit.js";
import { json, type HttpContext } from "../context.js";
import { externalAppRoutes } from "./externalApps.js";

type Req = FastifyRequest<{ Params: { org: string }; Body: unknown }>;

/** `{base}/{org}/api/v1`: what belongs to the organization rather than a tenant. */
export function organizationRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { baton } = ctx;
  /** the credential is checked before a body is read */
  const byOrgAdmin = { config: { authBeforeBody: "orgAdmin" as const } };
  app.get("/:org/api/v1/tenants", async (request: Req, reply) => {
    await baton.access.authenticateOrgAdmin(request.params.org, request.headers.authorization);
    const items = await baton.store.listTenants(request.params.org);
    return json(reply, 200, { items: items.map((t) => ({ id: t.id, name: t.name })), nextCursor: null });
  });
  app.post("/:org/api/v1/tenants", byOrgAdmin, async (request: Req, reply) => {
    const who = await baton.access.authenticateOrgAdmin(request.params.org, request.headers.authorization);
    const name = (request.body as { name?: unknown } | undefined)?.name;
    const tenant = await baton.store.transaction(async () => {
      const { tenant, created } = await baton.tenancy.createTenant(request.params.org, name);
      if (!created) throw conflict("tenant-exists", `A tenant named '${tenant.name}' already exists.`);
      // recorded in the new tenant's audit log, its first entry, in the tenant's transaction
      await recordAudit(ctx, request, who, { action: "tenant.create", target: tenant.id, details: { name: tenant.name } }, tenant.id);
      return tenant;
    });
    return json(reply, 201, { id: tenant.id, name: tenant.name });
  });
  // external applications, and the OAuth token endpoint under /{org}/identity_
  externalAppRoutes(app, ctx);
}
