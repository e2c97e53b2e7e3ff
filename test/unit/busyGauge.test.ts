import { afterEach, describe, expect, it, vi } from "vitest";
import { BusyGauge, KEEPING_UP_DELAY_MS, MAX_HOLD_WINDOWS, QUEUEING_DELAY_MS, type LoopReading } from "../../src/core/webhooks/busyGauge.js";

describe("BusyGauge: saturated means busy and queueing", () => {
  afterEach(() => { vi.useRealTimers(); });

  /** a gauge over readings the test gives, one per 250 ms window */
  function gaugeOver(readings: LoopReading[]) {
    vi.useFakeTimers();
    let stopped = false;
    const gauge = new BusyGauge(0.9, 250, QUEUEING_DELAY_MS, KEEPING_UP_DELAY_MS, () => ({ read: () => readings.shift()!, stop: () => { stopped = true; } }));
    gauge.start();
    return { gauge, next: () => vi.advanceTimersByTime(250), stopped: () => stopped };
  }

  it("says busy once the loop worked at least the threshold with callbacks waiting 2.5 ms or more, two windows in a row", () => {
    const { gauge, next, stopped } = gaugeOver([
      { utilization: 0.97, delayMs: 1.8 }, // busy, keeping up (1,000 jobs/s with their deliveries)
      { utilization: 1, delayMs: 9.5 }, // saturated: calls queue
      { utilization: 0.6, delayMs: 12 }, // a long callback on a quiet loop: the run is broken
      { utilization: 0.9, delayMs: 2.5 }, // both at their bounds
      { utilization: 0.99, delayMs: 6 }, // a second saturated window in a row: busy
      { utilization: 1, delayMs: 7 },
      { utilization: 0.95, delayMs: 0.8 }, // keeping up: one window is a lull, not yet a change
      { utilization: 0.8, delayMs: 3 }, // under the threshold: a second window in a row, not busy
    ]);
    expect(gauge.busy()).toBe(false);
    next();
    expect(gauge.current).toEqual({ utilization: 0.97, delayMs: 1.8 });
    expect(gauge.busy()).toBe(false);
    next();
    // one saturated window is a burst, not yet a load
    expect(gauge.busy()).toBe(false);
    next();
    expect(gauge.busy()).toBe(false);
    next();
    expect(gauge.busy()).toBe(false);
    next();
    expect(gauge.busy()).toBe(true);
    next();
    expect(gauge.busy()).toBe(true);
    next();
    expect(gauge.busy()).toBe(true);
    next();
    expect(gauge.busy()).toBe(false);
    gauge.stop();
    expect(stopped()).toBe(true);
    expect(gauge.busy()).toBe(false);
  });

  it("stays busy while the loop works at the threshold with callbacks 1 ms late or more, though under 2.5 ms (no flapping)", () => {
    // measured under a steady overload: deliveries held back, the loop still 98 % busy with
    // invocations and callbacks 1.2-2.3 ms late; before, every such window ended the saturation
    const { gauge, next } = gaugeOver([
      { utilization: 0.99, delayMs: 3.2 },
      { utilization: 1, delayMs: 4.2 }, // saturated
      { utilization: 0.98, delayMs: 2.25 },
      { utilization: 0.99, delayMs: 1.53 },
      { utilization: 0.93, delayMs: 0.9 }, // one window keeping up
      { utilization: 0.98, delayMs: 1.2 }, // the run is broken: still busy
      { utilization: 0.89, delayMs: 6 }, // under the threshold
      { utilization: 0.95, delayMs: 0.5 }, // a second window keeping up in a row: not busy
      { utilization: 0.98, delayMs: 2.2 }, // not saturated (under 2.5 ms): stays not busy
      { utilization: 0.99, delayMs: 2.6 }, // saturated once
      { utilization: 0.97, delayMs: 1.8 }, // not twice in a row
    ]);
    const seen: boolean[] = [];
    for (let i = 0; i < 11; i++) {
      next();
      seen.push(gauge.busy());
    }
    expect(seen).toEqual([false, true, true, true, true, true, true, false, false, false, false]);
    gauge.stop();
  });

  /** busy() after each of the readings, one window at a time */
  function busyAfter(readings: LoopReading[]): boolean[] {
    const { gauge, next } = gaugeOver([...readings]);
    const seen: boolean[] = [];
    for (let i = 0; i < readings.length; i++) {
      next();
      seen.push(gauge.busy());
    }
    gauge.stop();
    return seen;
  }

  it("counts each run afresh from a change: one saturated window after letting go, or one keeping up after becoming busy again, changes nothing", () => {
    const saturated = { utilization: 1, delayMs: 5 };
    const keepingUp = { utilization: 0.5, delayMs: 0.1 };
    expect(busyAfter([saturated, saturated, keepingUp, keepingUp, saturated, saturated, keepingUp]))
      .toEqual([false, true, true, false, false, true, true]);
  });

  it(`says busy for ${MAX_HOLD_WINDOWS} windows at most, then measures the loop with deliveries at full speed: busy again after two saturated windows`, () => {
    const saturated = { utilization: 1, delayMs: 5 };
    const seen = busyAfter(Array.from({ length: MAX_HOLD_WINDOWS + 4 }, () => saturated));
    expect(seen).toEqual([false, ...Array.from({ length: MAX_HOLD_WINDOWS }, () => true), false, false, true]);
  });

  it("reads the real loop: a window of idle waiting is neither busy nor queueing", async () => {
    const gauge = new BusyGauge(0.9, 20);
    gauge.start();
    await new Promise((r) => setTimeout(r, 70));
    expect(gauge.busy()).toBe(false);
    expect(gauge.current.utilization).toBeGreaterThanOrEqual(0);
    expect(gauge.current.utilization).toBeLessThanOrEqual(1);
    expect(gauge.current.delayMs).toBeGreaterThanOrEqual(0);
    gauge.stop();
  });
});
