import type { FastifyRequest } from "fastify";
import type { Tenant } from "../core/types.js";

export interface UrlConfig {
  publicUrl: string | null;
  trustProxy: boolean;
}

/** The absolute origin every Location is built from (SPEC §2 "URIs"). */
export function origin(request: FastifyRequest, config: UrlConfig): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, "");
  const header = (name: string) => {
    const v = request.headers[name];
    return (Array.isArray(v) ? v[0] : v)?.split(",")[0]?.trim();
  };
  const proto = (config.trustProxy && header("x-forwarded-proto")) || "http";
  const host = (config.trustProxy && header("x-forwarded-host")) || header("host") || "localhost";
  return `${proto}://${host}`;
}

export function tenantBase(request: FastifyRequest, config: UrlConfig, tenant: Tenant): string {
  return `${origin(request, config)}/${encodeURIComponent(tenant.org)}/${encodeURIComponent(tenant.name)}/orchestrator_`;
}

export const invokeUrl = (base: string, folderKey: string, slug: string) => `${base}/t/${folderKey}/${encodeURIComponent(slug)}`;
export const statusUri = (base: string, jobKey: string) => `${base}/api/v1/jobs/${jobKey}/status`;
export const outputUri = (base: string, jobKey: string) => `${base}/api/v1/jobs/${jobKey}/output`;
export const waitUri = (base: string, jobKey: string) => `${base}/api/v1/jobs/${jobKey}/wait`;
