import { badRequest, TenantNotFound } from "./errors.js";
import type { Notifier } from "./notifier.js";
import type { Store } from "./store.js";
import { DEFAULT_SETTINGS, type Tenant, type TenantSettings } from "./types.js";

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * How long a node keeps a tenant's settings without reading them again: 5 s. A change is
 * seen at once through `settingsChanged` (on every node); this bounds how long a change whose
 * event was lost (another node's, while this node's LISTEN connection was down) can go unseen.
 */
export const SETTINGS_CACHE_TTL_MS = 5000;

/**
 * Tenants and their settings. Both are read on every request, so they are cached here. The
 * settings are dropped when a `settingsChanged` event says so (from this node or another),
 * all of them when events may have been missed, and each after SETTINGS_CACHE_TTL_MS anyway.
 */
export class Tenancy {
  private readonly tenants = new Map<string, Tenant>();
  private readonly settings = new Map<string, { value: TenantSettings; expires: number }>();
  /** counts invalidations: a read that one overtook is not cached (it may be older than the change) */
  private generation = 0;

  constructor(private readonly store: Store, private readonly notifier: Notifier, private readonly now: () => Date = () => new Date()) {
    notifier.subscribe("settingsChanged", ({ tenantId }) => { this.generation++; this.settings.delete(tenantId); });
    notifier.onMissedEvents(() => { this.generation++; this.settings.clear(); });
  }

  async findTenant(org: string, name: string): Promise<Tenant | null> {
    const cacheKey = `${org}/${name}`;
    const cached = this.tenants.get(cacheKey);
    if (cached) return cached;
    const tenant = await this.store.findTenant(org, name);
    if (tenant) this.tenants.set(cacheKey, tenant);
    return tenant;
  }

  async tenantOrThrow(org: string, name: string): Promise<Tenant> {
    const tenant = await this.findTenant(org, name);
    if (!tenant) throw TenantNotFound();
    return tenant;
  }

  async createTenant(org: string, name: unknown): Promise<{ tenant: Tenant; created: boolean }> {
    if (typeof name !== "string" || !NAME.test(name)) {
      throw badRequest("invalid-tenant", "name must be 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit.");
    }
    return this.store.ensureTenant(org, name);
  }

  async getSettings(tenantId: string): Promise<TenantSettings> {
    const cached = this.settings.get(tenantId);
    const at = this.now().getTime();
    if (cached && cached.expires > at) return cached.value;
    const generation = this.generation;
    const value = await this.store.getSettings(tenantId);
    if (generation === this.generation) this.settings.set(tenantId, { value, expires: at + SETTINGS_CACHE_TTL_MS });
    return value;
  }

  async updateSettings(tenantId: string, patch: unknown): Promise<TenantSettings> {
    const next = { ...(await this.store.getSettings(tenantId)), ...validateSettingsPatch(patch) };
    await this.store.saveSettings(tenantId, next);
    this.notifier.publish("settingsChanged", { tenantId });
    return next;
  }
}

const LIMITS: Record<string, [number, number]> = {
  longPollTimeoutSeconds: [1, 90],
  syncMaxJobDurationSeconds: [1, 86_400],
  maxRequestBodyBytes: [1, 64 * 1024 * 1024],
  jobRetentionDays: [1, 3650],
  // 0: unlimited
  rateLimitPerTokenPerMinute: [0, 1_000_000],
  rateLimitPerTriggerPerMinute: [0, 1_000_000],
};

export function validateSettingsPatch(patch: unknown): Partial<TenantSettings> {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) throw badRequest("invalid-settings", "The body must be a JSON object of settings.");
  const out: Partial<TenantSettings> = {};
  const problems: { path: string; message: string }[] = [];
  for (const [key, value] of Object.entries(patch)) {
    // own keys only: `constructor`, `__proto__` or `toString` are no settings
    if (!Object.hasOwn(DEFAULT_SETTINGS, key)) {
      problems.push({ path: `/${key}`, message: `unknown setting; known: ${Object.keys(DEFAULT_SETTINGS).join(", ")}` });
    } else if (key === "syncRedirectsRequireAuth") {
      if (typeof value === "boolean") out.syncRedirectsRequireAuth = value;
      else problems.push({ path: `/${key}`, message: "must be a boolean" });
    } else if (key === "corsAllowedOrigins") {
      if (Array.isArray(value) && value.every(isOrigin)) out.corsAllowedOrigins = [...new Set(value as string[])];
      else problems.push({ path: `/${key}`, message: "must be an array of origins such as https://app.example.com (scheme, host, optional port; no path), or \"*\"" });
    } else {
      const [min, max] = LIMITS[key]!;
      if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) (out as Record<string, number>)[key] = value;
      else problems.push({ path: `/${key}`, message: `must be an integer from ${min} to ${max}` });
    }
  }
  if (problems.length) throw badRequest("invalid-settings", problems.map((p) => `${p.path.slice(1)} ${p.message}`).join("; "), { violations: problems });
  return out;
}

function isOrigin(value: unknown): boolean {
  if (value === "*") return true;
  if (typeof value !== "string") return false;
  try {
    const u = new URL(value);
    return (u.protocol === "http:" || u.protocol === "https:") && u.origin === value;
  } catch {
    return false;
  }
}
