/**
 * Time as a port. Everything in the core that reads the time or waits for it (leases, lease
 * expiry, retry backoff, token expiry, long-poll timeouts, signed URIs) goes through a
 * `Clock`, so that tests move time instead of waiting for it (`ManualClock`), and a server
 * runs on the system clock.
 */
export interface Clock {
  /** the current time */
  now(): Date;
  /**
   * Calls `fn` once `ms` of this clock's time have passed; returns a function that cancels it.
   * `unref`: the timer does not keep the process alive (Node's `timer.unref()`).
   */
  setTimeout(fn: () => void, ms: number, options?: { unref?: boolean }): () => void;
}

/** Node's timers wait at most 2^31−1 ms; a longer one would fire at once. */
const MAX_NODE_TIMER_MS = 2 ** 31 - 1;

/** The real time, and Node's timers (a wait past their limit, a retry's backoff of weeks say, is re-armed until it is due). */
export const systemClock: Clock = {
  now: () => new Date(),
  setTimeout(fn, ms, options) {
    let timer: NodeJS.Timeout;
    const arm = (left: number) => {
      timer = left > MAX_NODE_TIMER_MS ? setTimeout(() => arm(left - MAX_NODE_TIMER_MS), MAX_NODE_TIMER_MS) : setTimeout(fn, Math.max(0, left));
      if (options?.unref) timer.unref();
    };
    arm(Number.isFinite(ms) ? ms : 0);
    return () => clearTimeout(timer);
  },
};

interface ManualTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that moves only when told to (`advance`, `set`): its timers fire in order of their
 * due time as it passes them. It starts at the real time unless given another.
 */
export class ManualClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly timers = new Set<ManualTimer>();

  constructor(start: Date | number = Date.now()) {
    this.time = typeof start === "number" ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.time);
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const timer: ManualTimer = { at: this.time + Math.max(0, Number.isFinite(ms) ? ms : 0), seq: this.seq++, fn };
    this.timers.add(timer);
    return () => { this.timers.delete(timer); };
  }

  /** timers not yet fired */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves the clock `ms` forward, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    this.set(this.time + ms);
  }

  /** Moves the clock to `to` (never backwards for timers: a timer fires when its time is reached). */
  set(to: Date | number): void {
    const target = typeof to === "number" ? to : to.getTime();
    for (;;) {
      let next: ManualTimer | null = null;
      for (const t of this.timers) if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (!next) break;
      this.timers.delete(next);
      this.time = Math.max(this.time, next.at);
      next.fn();
    }
    this.time = target;
  }
}
