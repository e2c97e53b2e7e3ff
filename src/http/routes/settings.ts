import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyInstance } from "fastify";
import { audited, fieldNames } from "../audit.js";
import type { HttpContext } from "../context.js";
import { bodyCheckedByCore } from "../coreChecked.js";
import { answer } from "../schemas/common.js";
import { TenantSettings, TenantSettingsPatch } from "../schemas/settings.js";

/** The tenant settings of SPEC §5 under `…/api/v1/settings` (`OR.Settings`; Settings.View / Settings.Edit). */
export function settingsRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tenancy } = ctx.baton;

  api.get("/api/v1/settings", {
    schema: {
      operationId: "getSettings", tags: ["Settings"], summary: "The tenant settings",
      response: { 200: answer("The tenant settings.", TenantSettings) },
    },
    config: { access: { scope: ["Settings", "Read"], permission: "Settings.View" } },
  }, async (request) => tenancy.getSettings(request.tenant.id));

  api.patch("/api/v1/settings", {
    schema: {
      operationId: "updateSettings", tags: ["Settings"], summary: "Change tenant settings",
      body: TenantSettingsPatch,
      response: { 200: answer("All the tenant settings, after the change.", TenantSettings) },
    },
    config: { access: { scope: ["Settings", "Write"], permission: "Settings.Edit" }, errors: { invalid: "invalid-settings" } },
    validatorCompiler: bodyCheckedByCore,
  }, async (request) => audited(ctx, request, () => tenancy.updateSettings(request.tenant.id, request.body),
    (settings) => ["settings.update", request.tenant.id, { fields: fieldNames(request.body, settings) }]));
}
