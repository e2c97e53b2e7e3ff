import { systemClock, type Clock } from "./Clock.js";
import type { Notifier } from "./notifier.js";
import { isFinal, type Job } from "./types.js";

interface Waiter {
  tenantId: string;
  finish: (job: Job | null) => void;
}

/**
 * LongPolling callers and wait URIs block here until a job is final. One subscription to
 * the notifier fans out to a map keyed by job, so 10,000 waiters cost 10,000 map entries
 * and timers, and waking one is a map lookup: no polling. An event from this node carries
 * the final job; one from another node carries only the key, and the job is read once for
 * all its waiters.
 */
export class JobWaiters {
  private readonly waiting = new Map<string, Set<Waiter>>();
  private readonly unsubscribe: (() => void)[];

  constructor(notifier: Notifier, private readonly load: (tenantId: string, jobKey: string) => Promise<Job | null>, private readonly clock: Clock = systemClock) {
    this.unsubscribe = [
      notifier.subscribe("jobFinished", ({ tenantId, jobKey, job }) => {
        if (job) this.wake(jobKey, job);
        else if (this.waiting.has(jobKey)) void this.reload(tenantId, jobKey);
      }),
      // after missed events, every waited-for job is read again
      notifier.onMissedEvents(() => {
        for (const [key, set] of this.waiting) {
          const first = set.values().next().value;
          if (first) void this.reload(first.tenantId, key);
        }
      }),
    ];
  }

  get size(): number {
    let n = 0;
    for (const set of this.waiting.values()) n += set.size;
    return n;
  }

  /**
   * Resolves with the final job, or null on timeout or release. `check` is called after
   * subscribing, so a job that ends between the caller's read and the subscription is not missed.
   */
  wait(jobKey: string, timeoutMs: number, check: () => Promise<Job | null>, signal?: AbortSignal, tenantId = ""): Promise<Job | null> {
    return new Promise((resolve, reject) => {
      let set = this.waiting.get(jobKey);
      if (!set) {
        set = new Set();
        this.waiting.set(jobKey, set);
      }
      const waiters = set;
      let done = false;
      const waiter: Waiter = {
        tenantId,
        finish: (job: Job | null) => {
          if (done) return;
          done = true;
          cancelTimer();
          signal?.removeEventListener("abort", onAbort);
          waiters.delete(waiter);
          if (waiters.size === 0 && this.waiting.get(jobKey) === waiters) this.waiting.delete(jobKey);
          resolve(job);
        },
      };
      const onAbort = () => waiter.finish(null);
      const cancelTimer = this.clock.setTimeout(() => waiter.finish(null), Math.max(0, timeoutMs));
      signal?.addEventListener("abort", onAbort, { once: true });
      waiters.add(waiter);
      check().then(
        (job) => { if (job) waiter.finish(job); },
        (err: unknown) => {
          if (done) return;
          waiter.finish(null);
          reject(err);
        },
      );
    });
  }

  private async reload(tenantId: string, jobKey: string): Promise<void> {
    try {
      const job = await this.load(tenantId, jobKey);
      if (job && isFinal(job.state)) this.wake(jobKey, job);
    } catch {
      // the store is unreachable: the waiters time out and answer their 303 as usual
    }
  }

  private wake(jobKey: string, job: Job): void {
    const set = this.waiting.get(jobKey);
    if (!set) return;
    for (const waiter of [...set]) waiter.finish(job);
  }

  /** Graceful shutdown: every waiter returns as if its timeout had passed (callers answer 303). */
  releaseAll(): void {
    for (const set of [...this.waiting.values()]) for (const waiter of [...set]) waiter.finish(null);
  }

  close(): void {
    this.releaseAll();
    for (const u of this.unsubscribe) u();
  }
}
