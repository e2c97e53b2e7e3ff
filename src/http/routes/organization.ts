import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { conflict } from "../../core/errors.js";
import { recordAudit } from "../audit.js";
import type { HttpContext } from "../context.js";
import { accessHook } from "../routeContract.js";
import { answer } from "../schemas/common.js";
import { OrgParams, Tenant, TenantInput, TenantPage } from "../schemas/organization.js";
import { externalAppRoutes } from "./externalApps.js";

const ORG_ADMIN = { access: { scope: null, orgAdmin: true }, authBeforeBody: "orgAdmin" } as const;

/**
 * `{base}/{org}/api/v1`: what belongs to the organization rather than a tenant, for its
 * administrators. Registered as a plugin (`app.register`), after the document's generator,
 * which sees the routes only so; with the one access hook of its own.
 */
export function organizationRoutes(app: FastifyInstance, ctx: HttpContext): void {
  void app.register(async (orgApp) => {
    accessHook(orgApp, ctx);
    tenantRoutes(orgApp, ctx);
    // external applications, and the OAuth token endpoint under /{org}/identity_
    externalAppRoutes(orgApp, ctx);
  });
}

function tenantRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { baton } = ctx;
  api.get("/:org/api/v1/tenants", {
    schema: {
      operationId: "listTenants", tags: ["Tenants"], summary: "List the organization's tenants", description: "For administrators of the organization.",
      params: OrgParams,
      response: { 200: answer("The tenants.", TenantPage) },
    },
    config: ORG_ADMIN,
  }, async (request) => ({ items: (await baton.store.listTenants(request.params.org)).map((t) => ({ id: t.id, name: t.name })), nextCursor: null }));

  api.post("/:org/api/v1/tenants", {
    schema: {
      operationId: "createTenant", tags: ["Tenants"], summary: "Create a tenant", description: "For administrators of the organization. The new tenant has a folder named Shared.",
      params: OrgParams, body: TenantInput,
      response: { 201: answer("The tenant.", Tenant) },
    },
    config: { ...ORG_ADMIN, errors: { invalid: "invalid-tenant", conflict: ["tenant-exists"] } },
  }, async (request, reply) => {
    const who = await baton.access.authenticateOrgAdmin(request.params.org, request.headers.authorization);
    const tenant = await baton.store.transaction(async () => {
      const { tenant, created } = await baton.tenancy.createTenant(request.params.org, request.body.name);
      if (!created) throw conflict("tenant-exists", `A tenant named '${tenant.name}' already exists.`);
      // recorded in the new tenant's audit log, its first entry, in the tenant's transaction
      await recordAudit(ctx, request, who, { action: "tenant.create", target: tenant.id, details: { name: tenant.name } }, tenant.id);
      return tenant;
    });
    reply.code(201);
    return { id: tenant.id, name: tenant.name };
  });
}
