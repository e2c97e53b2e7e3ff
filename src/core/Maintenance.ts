import type { Jobs } from "./Jobs.js";
import type { Notifier } from "./notifier.js";
import type { Robots } from "./Robots.js";
import type { Store } from "./store.js";
import type { Tenancy } from "./Tenancy.js";

/**
 * Periodic work that no request triggers: overlong jobs are killed (LongPolling's
 * syncMaxJobDurationSeconds and processes' maxDurationSeconds), lost robot sessions give
 * up their jobs, and final jobs past the retention period are purged. Each step is a
 * conditional update, so running it on several nodes at once does no work twice.
 */
export class Maintenance {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private lastPurge = 0;

  constructor(
    private readonly store: Store,
    private readonly notifier: Notifier,
    private readonly tenancy: Tenancy,
    private readonly jobs: Jobs,
    private readonly robots: Robots,
    private readonly now: () => Date,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
    private readonly org: string,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  tick(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.runOnce().catch(this.onError).finally(() => { this.running = null; });
    return this.running;
  }

  private async runOnce(): Promise<void> {
    await this.enforceDeadlines();
    await this.robots.expireLeases();
    if (this.now().getTime() - this.lastPurge > 3600_000) {
      this.lastPurge = this.now().getTime();
      await this.purge();
    }
  }

  async enforceDeadlines(): Promise<void> {
    for (;;) {
      const overdue = await this.store.jobsPastDeadline(this.now().toISOString(), 500);
      for (const job of overdue) {
        const limit = job.callMode === "LongPolling" ? "the tenant's syncMaxJobDurationSeconds for LongPolling jobs" : "the process's maxDurationSeconds";
        const ended = await this.jobs.finish(job.tenantId, job.key, null, {
          state: "Faulted",
          error: { code: "MaxDurationExceeded", message: `The job ran past ${limit} and was killed.` },
        });
        if (ended && job.sessionId) {
          this.notifier.publish("stopRequested", { tenantId: job.tenantId, jobKey: job.key, sessionId: job.sessionId, strategy: "Kill" });
        }
      }
      if (overdue.length < 500) return;
    }
  }

  async purge(): Promise<number> {
    let purged = 0;
    for (const tenant of await this.store.listTenants(this.org)) {
      const days = (await this.tenancy.getSettings(tenant.id)).jobRetentionDays;
      purged += await this.store.purgeFinalJobs(tenant.id, new Date(this.now().getTime() - days * 86_400_000).toISOString());
    }
    await this.store.deleteExpiredConsoleSessions(this.now().toISOString());
    return purged;
  }
}
