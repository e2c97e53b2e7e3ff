/** A gate's places are taken and its queue is full: the task was not run. */
export class GateFull extends Error {
  constructor(readonly limit: number, readonly queued: number) {
    super(`${limit} tasks are running and ${queued} waiting.`);
    this.name = "GateFull";
  }
}

/**
 * At most `limit` tasks at once; the others wait their turn, first come first served. For
 * work that holds a thread of libuv's pool while it runs (password hashing): the same pool
 * syncs SQLite's WAL, which every acknowledged write waits for.
 */
export class Gate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`A gate lets at least 1 task run at once, not ${limit}.`);
  }

  /** tasks running now */
  get active(): number {
    return this.running;
  }

  /** tasks waiting for a place */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Runs `task` once a place is free; with `maxQueued` tasks waiting already, refuses at once
   * (GateFull) instead of waiting behind them.
   */
  async run<T>(task: () => Promise<T>, maxQueued = Number.POSITIVE_INFINITY): Promise<T> {
    if (this.running >= this.limit && this.waiting.length >= maxQueued) throw new GateFull(this.limit, this.waiting.length);
    if (this.running < this.limit) this.running++;
    // a place is handed over by the task that ends (running stays as it is)
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
