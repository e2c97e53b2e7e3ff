import { monitorEventLoopDelay, performance, type IntervalHistogram } from "node:perf_hooks";

/** One window's reading of the event loop. */
export interface LoopReading {
  /** the share of the window the loop spent working rather than waiting (0 to 1) */
  utilization: number;
  /** how late, on average, a timer's callback ran in the window (ms): how long work queued */
  delayMs: number;
}

/** the mean callback delay (ms) from which the loop is queueing work, not merely busy */
export const QUEUEING_DELAY_MS = 2.5;
/**
 * the mean callback delay (ms) under which a busy gauge's loop is keeping up again: it says busy
 * until its loop is under the threshold or this, two windows in a row (hysteresis)
 */
export const KEEPING_UP_DELAY_MS = 1;
/** saturated windows in a row before the gauge says busy, and windows keeping up in a row before it says not busy again: a burst (or a lull) of a few hundred milliseconds is not a change of load */
export const SUSTAINED_WINDOWS = 2;
/**
 * the longest the gauge says busy without measuring the loop with deliveries at full speed
 * (20 windows: 5 s): then it says not busy, and is busy again only if two windows in a row are
 * saturated (a node held busy by a burst, whose load it keeps up with even with its deliveries,
 * is let go within 5 s; an overloaded one sends at full speed about half a second in five)
 */
export const MAX_HOLD_WINDOWS = 20;
/** the probe timer's period (ms) */
const PROBE_MS = 2;

/**
 * Whether this node's event loop is saturated. It becomes so when, in each of the last two
 * windows (250 ms each), the loop was working at least `threshold` of the time
 * (`performance.eventLoopUtilization`) **and** callbacks waited `delayAtMs` (2.5 ms) or more on
 * average to run (`monitorEventLoopDelay`). A loop that is busy but runs each callback within a
 * millisecond or two keeps up with its load (1,000 jobs a second with their deliveries,
 * measured here: 0.85–0.98 busy, under 2 ms late); one that is saturated by more calls than it
 * can answer queues them (3–14 ms).
 *
 * It stays saturated until two windows in a row are under `threshold` or under `holdAtMs` (1 ms)
 * late, or for 20 windows (5 s) at most, after which the loop is measured again with the
 * deliveries at full speed. Without that hysteresis the gauge flapped under a steady overload:
 * deliveries held back made the loop's delay fall under 2.5 ms (1.2–2.3 ms measured, the loop
 * still 98 % busy with invocations), the gauge said not busy, every slot sent again, and the
 * delay rose again, so deliveries ran at full speed half of the time (scenario 8 of the bench).
 * Without the bound, a burst could hold busy a node whose load, deliveries included, it keeps
 * up with (0.9–0.95 busy and 1–2 ms late, deliveries held back).
 *
 * The webhook dispatcher asks it before each delivery: while saturated, deliveries yield the
 * CPU to invocations and robots (made at a trickle meanwhile, and catching up as soon as the
 * load falls); while the node keeps up, they are made at once.
 */
export class BusyGauge {
  private reading: LoopReading = { utilization: 0, delayMs: 0 };
  /** saturated windows in a row, up to now (while not busy) */
  private saturatedRun = 0;
  /** windows keeping up in a row, up to now (while busy) */
  private keepingUpRun = 0;
  /** windows since the gauge became busy (while busy) */
  private heldFor = 0;
  private saturated = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly threshold = 0.9,
    private readonly windowMs = 250,
    private readonly delayAtMs = QUEUEING_DELAY_MS,
    private readonly holdAtMs = KEEPING_UP_DELAY_MS,
    /** reads a window of the loop (the real one unless a test passes its own) */
    private readonly sampler: () => LoopSampler = realLoop,
  ) {}

  start(): void {
    if (this.timer) return;
    const sampler = this.sampler();
    this.timer = setInterval(() => this.observe(sampler.read()), this.windowMs);
    this.timer.unref();
    this.stopSampler = () => sampler.stop();
  }

  private stopSampler: () => void = () => {};

  /** one window's reading: saturated after two saturated windows, busy until two windows keep up (or for 20 windows at most) */
  private observe(reading: LoopReading): void {
    this.reading = reading;
    const working = reading.utilization >= this.threshold;
    if (!this.saturated) {
      this.saturatedRun = working && reading.delayMs >= this.delayAtMs ? this.saturatedRun + 1 : 0;
      if (this.saturatedRun >= SUSTAINED_WINDOWS) {
        this.saturated = true;
        this.keepingUpRun = 0;
        this.heldFor = 0;
      }
      return;
    }
    this.heldFor++;
    this.keepingUpRun = working && reading.delayMs >= this.holdAtMs ? 0 : this.keepingUpRun + 1;
    if (this.keepingUpRun >= SUSTAINED_WINDOWS || this.heldFor >= MAX_HOLD_WINDOWS) {
      this.saturated = false;
      this.saturatedRun = 0;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.stopSampler();
    this.reading = { utilization: 0, delayMs: 0 };
    this.saturatedRun = 0;
    this.keepingUpRun = 0;
    this.heldFor = 0;
    this.saturated = false;
  }

  /** the last window's reading */
  get current(): LoopReading {
    return this.reading;
  }

  busy(): boolean {
    return this.saturated;
  }
}

/** Reads the loop window by window: each `read()` covers the time since the previous one. */
export interface LoopSampler {
  read(): LoopReading;
  stop(): void;
}

function realLoop(): LoopSampler {
  let last = performance.eventLoopUtilization();
  // a timer every 2 ms, in C++: its lateness is how long callbacks wait (the histogram holds
  // the time between its runs, the period included)
  const delays: IntervalHistogram = monitorEventLoopDelay({ resolution: PROBE_MS });
  delays.enable();
  return {
    read() {
      const now = performance.eventLoopUtilization();
      const utilization = performance.eventLoopUtilization(now, last).utilization;
      last = now;
      const delayMs = Number.isFinite(delays.mean) ? Math.max(0, delays.mean / 1e6 - PROBE_MS) : 0;
      delays.reset();
      return { utilization, delayMs };
    },
    stop() { delays.disable(); },
  };
}
