import type { Catalog } from "./Catalog.js";
import { isLimited } from "./concurrencyLimits.js";
import type { Store } from "./store.js";
import type { Job, JobListItem, PendingReason, Process } from "./types.js";

type Readable = Pick<Job, "key" | "state" | "tenantId" | "folderKey" | "processName" | "concurrencyKey" | "retryAt">;

/**
 * Why each Pending job of `jobs` waits (SPEC §9), computed when the jobs are read: one query
 * for the live sessions, the processes from the catalog's cache, and one count of the running
 * jobs of the limited processes among them, whatever the number of jobs. The first that holds:
 *
 * - `RetryBackoff`: its retryAt (a retry's backoff) is after `now`;
 * - `NoRobot`: no live robot session serves its process name in its folder;
 * - `ConcurrencyLimit`: its process's maxConcurrentJobs jobs are running, or its key's
 *   maxConcurrentJobsPerKey (a job without a key value is held by maxConcurrentJobs only);
 * - `Queued`: otherwise; the next free slot takes it, after older and higher-priority jobs.
 *
 * A snapshot: the claim decides on the store's state of its own moment.
 */
/** the processes (and folders, null: all) that the tenant's live robot sessions serve */
export type SessionScopes = (tenantId: string, now: Date) => Promise<{ processes: string[]; folderKeys: string[] | null }[]>;

export async function pendingReasons(store: Store, catalog: Catalog, sessionScopes: SessionScopes, tenantId: string, jobs: readonly Readable[], now: Date): Promise<Map<string, PendingReason>> {
  const reasons = new Map<string, PendingReason>();
  const pending = jobs.filter((j) => j.state === "Pending");
  if (pending.length === 0) return reasons;
  const nowIso = now.toISOString();
  const sessions = await sessionScopes(tenantId, now);
  const processes = new Map<string, Process | null>();
  for (const j of pending) {
    const id = `${j.folderKey}\n${j.processName}`;
    if (!processes.has(id)) processes.set(id, await catalog.processOrThrow(tenantId, j.folderKey, j.processName).catch(() => null));
  }
  const limited = [...processes.values()].filter((p): p is Process => p !== null && isLimited(p));
  const counts = await store.runningCounts(tenantId, [...new Set(limited.map((p) => p.name))]);
  const running = (folderKey: string, processName: string, key?: string) => counts
    .filter((c) => c.folderKey === folderKey && c.processName === processName && (key === undefined || c.concurrencyKey === key))
    .reduce((n, c) => n + c.count, 0);
  for (const j of pending) {
    const p = processes.get(`${j.folderKey}\n${j.processName}`) ?? null;
    let reason: PendingReason = "Queued";
    if (j.retryAt && j.retryAt > nowIso) reason = "RetryBackoff";
    else if (!sessions.some((s) => s.processes.includes(j.processName) && (s.folderKeys === null || s.folderKeys.includes(j.folderKey)))) reason = "NoRobot";
    else if (p && isLimited(p)) {
      const full = (p.maxConcurrentJobs != null && running(j.folderKey, j.processName) >= p.maxConcurrentJobs) ||
        (p.maxConcurrentJobsPerKey != null && j.concurrencyKey != null && running(j.folderKey, j.processName, j.concurrencyKey) >= p.maxConcurrentJobsPerKey);
      if (full) reason = "ConcurrencyLimit";
    }
    reasons.set(j.key, reason);
  }
  return reasons;
}

/**
 * The jobs with their pendingReason set (null for a job that is not Pending). What the live
 * sessions serve is cached for a second per tenant (a job's reason is a snapshot anyway);
 * `forget` drops it when a session opens or ends on this node.
 */
export class PendingReasons {
  private readonly scopes = new Map<string, { scopes: { processes: string[]; folderKeys: string[] | null }[]; at: number }>();

  constructor(private readonly store: Store, private readonly catalog: Catalog) {}

  forget(tenantId: string): void {
    this.scopes.delete(tenantId);
  }

  private readonly sessionScopes: SessionScopes = async (tenantId, now) => {
    const cached = this.scopes.get(tenantId);
    if (cached && Date.now() - cached.at < 1000) return cached.scopes;
    const scopes = await this.store.liveSessionScopes(tenantId, now.toISOString());
    this.scopes.set(tenantId, { scopes, at: Date.now() });
    return scopes;
  };

  async of<T extends Job | JobListItem>(tenantId: string, jobs: T[], now: Date): Promise<T[]> {
    const reasons = await pendingReasons(this.store, this.catalog, this.sessionScopes, tenantId, jobs, now);
    return jobs.map((j) => ({ ...j, pendingReason: reasons.get(j.key) ?? null }));
  }
}
