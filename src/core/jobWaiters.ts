import type { Notifier } from "./notifier.js";
import type { Job } from "./types.js";

/**
 * LongPolling callers and wait URIs block here until a job is final. One subscription to
 * the notifier fans out to a map keyed by job, so 10,000 waiters cost 10,000 map entries
 * and timers, and waking one is a map lookup: no store reads, no polling.
 */
export class JobWaiters {
  private readonly waiting = new Map<string, Set<(job: Job | null) => void>>();
  private readonly unsubscribe: () => void;

  constructor(notifier: Notifier) {
    this.unsubscribe = notifier.subscribe("jobFinished", ({ job }) => this.wake(job.key, job));
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
  wait(jobKey: string, timeoutMs: number, check: () => Promise<Job | null>, signal?: AbortSignal): Promise<Job | null> {
    return new Promise((resolve, reject) => {
      let set = this.waiting.get(jobKey);
      if (!set) {
        set = new Set();
        this.waiting.set(jobKey, set);
      }
      const waiters = set;
      let done = false;
      const finish = (job: Job | null) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        waiters.delete(finish);
        if (waiters.size === 0 && this.waiting.get(jobKey) === waiters) this.waiting.delete(jobKey);
        resolve(job);
      };
      const onAbort = () => finish(null);
      const timer = setTimeout(() => finish(null), Math.max(0, timeoutMs));
      signal?.addEventListener("abort", onAbort, { once: true });
      waiters.add(finish);
      check().then(
        (job) => { if (job) finish(job); },
        (err: unknown) => {
          if (done) return;
          finish(null);
          reject(err);
        },
      );
    });
  }

  private wake(jobKey: string, job: Job | null): void {
    const set = this.waiting.get(jobKey);
    if (!set) return;
    for (const finish of [...set]) finish(job);
  }

  /** Graceful shutdown: every waiter returns as if its timeout had passed (callers answer 303). */
  releaseAll(): void {
    for (const set of [...this.waiting.values()]) for (const finish of [...set]) finish(null);
  }

  close(): void {
    this.releaseAll();
    this.unsubscribe();
  }
}
