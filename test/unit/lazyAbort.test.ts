import { describe, expect, it } from "vitest";
import { LazyAbort } from "../../src/robot/RobotRuntime.js";

/** A job's stop and kill signals are made when a process first asks for them (RobotRuntime). */
describe("LazyAbort", () => {
  it("a signal asked for after the abort is aborted, with the first reason", () => {
    const a = new LazyAbort();
    const first = new Error("stop requested");
    a.abort(first);
    a.abort(new Error("handed back"));
    expect(a.signal.aborted).toBe(true);
    expect(a.signal.reason).toBe(first);
    // the same signal every time
    expect(a.signal).toBe(a.signal);
  });

  it("a signal asked for before the abort fires its listeners once, with the first reason", () => {
    const a = new LazyAbort();
    const signal = a.signal;
    const reasons: unknown[] = [];
    signal.addEventListener("abort", () => reasons.push(signal.reason));
    expect(signal.aborted).toBe(false);
    const first = new Error("killed");
    a.abort(first);
    a.abort(new Error("again"));
    expect(reasons).toEqual([first]);
  });

  it("a signal never aborted stays so", () => {
    expect(new LazyAbort().signal.aborted).toBe(false);
  });
});
