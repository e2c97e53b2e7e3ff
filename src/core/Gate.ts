/**
 * At most `limit` tasks at once; the others wait their turn, first come first served. For
 * work that holds a thread of libuv's pool while it runs (password hashing): the same pool
 * syncs SQLite's WAL, which every acknowledged write waits for.
 */
export class Gate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  /** tasks running now */
  get active(): number {
    return this.running;
  }

  /** tasks waiting for a place */
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
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
