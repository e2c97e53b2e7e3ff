import { performance } from "node:perf_hooks";

/**
 * Whether this node's event loop is saturated: the share of the last window (250 ms) it spent
 * working rather than waiting (`performance.eventLoopUtilization`) is at least `threshold`.
 * The webhook dispatcher asks it before each round of deliveries, so that under a load the
 * node cannot keep up with, deliveries yield the CPU to invocations and robots (they are
 * made at a trickle meanwhile, and catch up as soon as the load falls).
 */
export class BusyGauge {
  private last = performance.eventLoopUtilization();
  private utilization = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly threshold = 0.9, private readonly windowMs = 250) {}

  start(): void {
    if (this.timer) return;
    this.last = performance.eventLoopUtilization();
    this.timer = setInterval(() => {
      const now = performance.eventLoopUtilization();
      this.utilization = performance.eventLoopUtilization(now, this.last).utilization;
      this.last = now;
    }, this.windowMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.utilization = 0;
  }

  /** the last window's event-loop utilization, 0 to 1 */
  get current(): number {
    return this.utilization;
  }

  busy(): boolean {
    return this.utilization >= this.threshold;
  }
}
