import { badRequest, TenantNotFound } from "./errors.js";
import type { Notifier } from "./notifier.js";
import type { Store } from "./store.js";
import { DEFAULT_SETTINGS, REDIRECT_STATUS_CODES, type RedirectStatusCode, type Tenant, type TenantSettings } from "./types.js";

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
    const current = await this.store.getSettings(tenantId);
    const next = { ...current, ...validateSettingsPatch(patch, current) };
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
  idempotencyKeyRetentionHours: [1, 720],
  // 0: unlimited
  rateLimitPerTokenPerMinute: [0, 1_000_000],
  rateLimitPerTriggerPerMinute: [0, 1_000_000],
};

/**
 * The redirects a fetch client follows before it gives up (the Fetch standard's limit, which
 * browsers, Node and Deno keep). A LongPolling caller that lets fetch follow the wait URI's
 * redirects makes at most 1 + 20 requests, each blocking longPollTimeoutSeconds: so
 * longPollTimeoutSeconds × 20 must be at least syncMaxJobDurationSeconds; the 21st request
 * then still waits while the deadline sweep kills a job that overran, and answers its result.
 */
export const FETCH_MAX_REDIRECTS = 20;

/**
 * Checks a PATCH /settings body: each setting's type and range, and, when the patch changes
 * longPollTimeoutSeconds or syncMaxJobDurationSeconds, that the two still fit fetch's redirect
 * limit (FETCH_MAX_REDIRECTS); the violation names the fields the patch changes.
 */
export function validateSettingsPatch(patch: unknown, current: TenantSettings = DEFAULT_SETTINGS): Partial<TenantSettings> {
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
    } else if (key === "redirectStatusCode") {
      if (REDIRECT_STATUS_CODES.includes(value as RedirectStatusCode)) out.redirectStatusCode = value as RedirectStatusCode;
      else problems.push({ path: `/${key}`, message: `must be ${REDIRECT_STATUS_CODES.join(" or ")}` });
    } else if (key === "corsAllowedOrigins") {
      if (Array.isArray(value) && value.every(isOrigin)) out.corsAllowedOrigins = [...new Set(value as string[])];
      else problems.push({ path: `/${key}`, message: "must be an array of origins such as https://app.example.com (scheme, host, optional port; no path), or \"*\"" });
    } else {
      const [min, max] = LIMITS[key]!;
      if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) (out as Record<string, number>)[key] = value;
      else problems.push({ path: `/${key}`, message: `must be an integer from ${min} to ${max}` });
    }
  }
  if (!problems.length) problems.push(...redirectBudgetViolations(out, current));
  if (problems.length) throw badRequest("invalid-settings", problems.map((p) => `${p.path.slice(1)} ${p.message}`).join("; "), { violations: problems });
  return out;
}

/** FETCH_MAX_REDIRECTS: longPollTimeoutSeconds × 20 ≥ syncMaxJobDurationSeconds, checked only when the patch changes either. */
function redirectBudgetViolations(out: Partial<TenantSettings>, current: TenantSettings): { path: string; message: string }[] {
  const changed = (["longPollTimeoutSeconds", "syncMaxJobDurationSeconds"] as const).filter((k) => out[k] !== undefined && out[k] !== current[k]);
  if (!changed.length) return [];
  const longPoll = out.longPollTimeoutSeconds ?? current.longPollTimeoutSeconds;
  const syncMax = out.syncMaxJobDurationSeconds ?? current.syncMaxJobDurationSeconds;
  if (longPoll * FETCH_MAX_REDIRECTS >= syncMax) return [];
  const why = `longPollTimeoutSeconds × ${FETCH_MAX_REDIRECTS} must be at least syncMaxJobDurationSeconds (${longPoll} × ${FETCH_MAX_REDIRECTS} = ${longPoll * FETCH_MAX_REDIRECTS} < ${syncMax}): ` +
    `fetch follows at most ${FETCH_MAX_REDIRECTS} redirects, so a LongPolling caller using it would give up before the job's deadline`;
  return changed.map((key) => ({
    path: `/${key}`,
    message: key === "longPollTimeoutSeconds"
      ? `must be at least ${Math.ceil(syncMax / FETCH_MAX_REDIRECTS)} while syncMaxJobDurationSeconds is ${syncMax}; ${why}`
      : `must be at most ${longPoll * FETCH_MAX_REDIRECTS} while longPollTimeoutSeconds is ${longPoll}; ${why}`,
  }));
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
