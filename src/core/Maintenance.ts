import { isStatementTimeout, isStoreUnavailable } from "./errors.js";
import type { DueWorkRunner } from "./DueWork.js";
import type { Jobs } from "./Jobs.js";
import type { Notifier } from "./notifier.js";
import type { Robots } from "./Robots.js";
import type { Store } from "./store.js";
import type { Tenancy } from "./Tenancy.js";

/**
 * Periodic work that no request triggers: overlong jobs are killed (LongPolling's
 * syncMaxJobDurationSeconds and processes' maxDurationSeconds), lost robot sessions give
 * up their jobs, due work (durable wake-ups) runs, and final jobs and idempotency keys past their retention periods are purged. Each step is a
 * conditional update, so running it on several nodes at once does no work twice.
 *
 * An outage of the store never costs a lease. While the store is unreachable robots cannot
 * heartbeat, yet their leases keep running out; so after the store was last seen unreachable
 * (a failed step here, or a request answered 503 store-unavailable) no lease is expired until
 * the store has been reachable again for a full lease: every live robot has heartbeated by
 * then (it heartbeats several times a lease, and retries a failed heartbeat within a second),
 * and only sessions that are really gone expire, one lease later than without the outage.
 * The node's start counts as such a moment too (robots could not heartbeat while the nodes
 * were down); it delays only sessions opened before the start.
 *
 * Several nodes: each keeps its own account, and that suffices. A store outage (a restart, a
 * failover, a frozen server) is an outage for every node: each node's loop runs every
 * `intervalMs` (1 s) and sees its steps fail, so none expires leases before a lease after the
 * store came back. An outage shorter than the loop's interval may go unseen by a node, but it
 * is also too short to cost a lease (robots heartbeat well inside a lease). What this does not
 * cover is one node cut off from a store the others still reach: robots on that node get 503
 * (and its /readyz fails, so a load balancer moves them); other nodes expire the leases of
 * robots that stay stuck behind it, as they would for any robot they cannot hear from.
 */
export class Maintenance {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private lastPurge = 0;
  /** when the store was last seen unreachable (ms, on the `now` clock); the start counts as such */
  private unreachableAt: number;

  constructor(
    private readonly store: Store,
    private readonly notifier: Notifier,
    private readonly tenancy: Tenancy,
    private readonly jobs: Jobs,
    private readonly robots: Robots,
    private readonly dueWork: DueWorkRunner,
    private readonly now: () => Date,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
    private readonly org: string,
  ) {
    this.unreachableAt = now().getTime();
  }

  /** The store failed a call for being unreachable (a request's 503 store-unavailable, a step here). */
  noteStoreUnavailable(): void {
    this.unreachableAt = Math.max(this.unreachableAt, this.now().getTime());
  }

  /** Whether leases may expire now: the store has been reachable for a full lease since it was last seen unreachable. */
  leasesMayExpire(): boolean {
    return this.now().getTime() - this.unreachableAt >= this.robots.options.leaseSeconds * 1000;
  }

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
    try {
      await this.runSteps();
    } catch (err) {
      // one slow statement (statement_timeout) is no outage
      if (isStoreUnavailable(err) && !isStatementTimeout(err)) this.noteStoreUnavailable();
      throw err;
    }
  }

  /** work of the node's memory run first on every tick (no store): the caches keyed by secrets swept (Baton registers it) */
  readonly everyTick: (() => void)[] = [];

  private async runSteps(): Promise<void> {
    for (const work of this.everyTick) work();
    await this.enforceDeadlines();
    if (this.leasesMayExpire()) await this.robots.expireLeases();
    await this.dueWork.runDue();
    if (this.now().getTime() - this.lastPurge > 3600_000) {
      this.lastPurge = this.now().getTime();
      await this.purge();
      // the statistics the query planner picks indexes by (SQLite's PRAGMA optimize; PostgreSQL's autovacuum does it itself)
      await this.store.optimize();
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
    await this.store.purgeIdempotencyKeys(this.now().toISOString());
    await this.store.deleteExpiredConsoleSessions(this.now().toISOString());
    return purged;
  }
}
