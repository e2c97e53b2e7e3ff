import type { RequestOptions } from "../Transport.js";
import type { TenantSettings, TenantSettingsPatch } from "../types.js";
import type { ClientContext } from "./context.js";

/** Tenant settings: `…/api/v1/settings`. */
export class SettingsApi {
  constructor(private readonly ctx: ClientContext) {}

  get(options: RequestOptions = {}): Promise<TenantSettings> {
    return this.ctx.transport.request("GET", "/settings", options);
  }

  /** Changes the given settings; the others keep their value. Answers all of them. */
  patch(patch: TenantSettingsPatch, options: RequestOptions = {}): Promise<TenantSettings> {
    return this.ctx.transport.request("PATCH", "/settings", { ...options, body: patch });
  }
}
