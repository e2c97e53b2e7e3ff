import type { FastifyRequest } from "fastify";
import { isIPv6 } from "node:net";
import { badRequest } from "../core/errors.js";
import type { Tenant } from "../core/types.js";

export interface UrlConfig {
  publicUrl: string | null;
  trustProxy: boolean;
}

/** a DNS name (labels of letters, digits, '-' and, as container names have them, '_') or an IPv4 address */
const HOST_NAME = /^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/**
 * Host values found valid lately: every request's Host is checked (twice: on arrival and for
 * its Locations), and a node sees few distinct ones; the two regular expressions were ~1.5 %
 * of a saturated node's loop. Bounded (emptied when full): a caller sending a new Host on
 * every request only costs the check.
 */
const validHosts = new Set<string>();
const VALID_HOSTS_MAX = 1000;

/** `host[:port]` as a Host header may carry it: a DNS name, an IPv4 address or a [IPv6] address, and a numeric port */
export function isValidHost(value: string): boolean {
  if (validHosts.has(value)) return true;
  const valid = checkHost(value);
  if (valid) {
    if (validHosts.size >= VALID_HOSTS_MAX) validHosts.clear();
    validHosts.add(value);
  }
  return valid;
}

function checkHost(value: string): boolean {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(value);
  if (!m) return false;
  const [, host, port] = m as unknown as [string, string, string | undefined];
  if (port !== undefined && Number(port) > 65535) return false;
  return host.startsWith("[") ? isIPv6(host.slice(1, -1)) : HOST_NAME.test(host);
}

const invalidHost = (header: string) =>
  badRequest("invalid-host", `The ${header} header must be host[:port] (a DNS name, an IPv4 address or a [bracketed] IPv6 address, and a numeric port).`);

/**
 * The absolute origin every Location is built from (SPEC §2 "URIs"): BATON_PUBLIC_URL, or
 * the request's Host (X-Forwarded-Host and -Proto behind a trusted proxy). What the request
 * says is checked, never reflected as sent: anything but `host[:port]` (and http or https)
 * is 400 invalid-host. The server checks it as every request arrives (`checkOrigin`).
 */
export function origin(request: FastifyRequest, config: UrlConfig): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, "");
  const header = (name: string) => {
    const v = request.headers[name];
    return (Array.isArray(v) ? v[0] : v)?.split(",")[0]?.trim();
  };
  const forwardedProto = config.trustProxy ? header("x-forwarded-proto") : undefined;
  if (forwardedProto && forwardedProto !== "http" && forwardedProto !== "https") {
    throw badRequest("invalid-host", "The X-Forwarded-Proto header must be http or https.");
  }
  const forwardedHost = config.trustProxy ? header("x-forwarded-host") : undefined;
  const [name, host] = forwardedHost ? ["X-Forwarded-Host", forwardedHost] : ["Host", header("host") || "localhost"];
  if (!isValidHost(host)) throw invalidHost(name);
  return `${forwardedProto || "http"}://${host}`;
}

/** 400 invalid-host when the request's Host (or forwarded host) could not be a Location's origin */
export function checkOrigin(request: FastifyRequest, config: UrlConfig): void {
  origin(request, config);
}

export function tenantBase(request: FastifyRequest, config: UrlConfig, tenant: Tenant): string {
  return `${origin(request, config)}/${encodeURIComponent(tenant.org)}/${encodeURIComponent(tenant.name)}/orchestrator_`;
}

export const invokeUrl = (base: string, folderKey: string, slug: string) => `${base}/t/${folderKey}/${encodeURIComponent(slug)}`;
export const statusUri = (base: string, jobKey: string) => `${base}/api/v1/jobs/${jobKey}/status`;
export const outputUri = (base: string, jobKey: string) => `${base}/api/v1/jobs/${jobKey}/output`;
export const waitUri = (base: string, jobKey: string) => `${base}/api/v1/jobs/${jobKey}/wait`;
