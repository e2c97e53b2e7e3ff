import type { Clock } from "./Clock.js";
import type { Notifier } from "./notifier.js";

/** a robot's claim asleep until a job of its processes comes */
interface Sleeper {
  tenantId: string;
  processes: ReadonlySet<string>;
  /** ends the sleep: handed a job's wake (its process), or woken for any reason (null) */
  wake(process: string | null): void;
}

/**
 * The claims of this node asleep until a job comes, per tenant, first come first woken. A
 * job announced (`jobAvailable`) wakes **one** claim that serves its process, not all of
 * them: with 50 robots waiting, a job costs one claim, not 50. A claim handed a wake that
 * finds nothing (another claim took the job, or this session may not take it: another
 * folder, an ended session) or that fills up (more jobs may wait) hands it on to the next
 * (`handOn`), so a job is never left with a sleeping claim that could take it. Claims under
 * way when a job comes are not here: they claim again (Robots.claim). Missed events (a
 * PostgreSQL listener that reconnected) wake every claim.
 */
export class ClaimSleepers {
  private readonly byTenant = new Map<string, Set<Sleeper>>();
  private listening = false;

  constructor(
    private readonly notifier: Notifier,
    private readonly clock: Clock,
  ) {}

  /**
   * Sleeps until this claim is handed a job's wake (resolves with its process), or `ms` pass,
   * `signal` aborts or events were missed (resolves with null).
   */
  sleep(tenantId: string, processes: ReadonlySet<string>, ms: number, signal?: AbortSignal): Promise<string | null> {
    this.listen();
    return new Promise((resolve) => {
      let set = this.byTenant.get(tenantId);
      if (!set) this.byTenant.set(tenantId, (set = new Set()));
      const tenantSleepers = set;
      const sleeper: Sleeper = {
        tenantId, processes,
        wake: (process) => {
          cancelTimer();
          signal?.removeEventListener("abort", onAbort);
          tenantSleepers.delete(sleeper);
          if (tenantSleepers.size === 0 && this.byTenant.get(tenantId) === tenantSleepers) this.byTenant.delete(tenantId);
          resolve(process);
        },
      };
      const onAbort = () => sleeper.wake(null);
      const cancelTimer = this.clock.setTimeout(() => sleeper.wake(null), ms);
      tenantSleepers.add(sleeper);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Wakes the claim asleep longest that serves `process` of `tenantId`, if any. */
  handOn(tenantId: string, process: string): void {
    const set = this.byTenant.get(tenantId);
    if (!set) return;
    for (const sleeper of set) {
      if (sleeper.processes.has(process)) {
        sleeper.wake(process);
        return;
      }
    }
  }

  /** how many claims sleep now (metrics and tests) */
  get size(): number {
    let n = 0;
    for (const set of this.byTenant.values()) n += set.size;
    return n;
  }

  private listen(): void {
    if (this.listening) return;
    this.listening = true;
    this.notifier.subscribe("jobAvailable", (e) => this.handOn(e.tenantId, e.processName));
    this.notifier.onMissedEvents(() => this.wakeAll());
  }

  /** Wakes every sleeping claim: events may have been missed, each claim looks again. */
  wakeAll(): void {
    for (const set of [...this.byTenant.values()]) for (const sleeper of [...set]) sleeper.wake(null);
  }
}
