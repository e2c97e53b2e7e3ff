import { describe, expect, it, vi } from "vitest";
import { systemClock } from "../../src/core/Clock.js";
import { canTransition, statesBefore } from "../../src/core/jobState.js";
import { JobWaiters } from "../../src/core/jobWaiters.js";
import { LocalNotifier } from "../../src/core/notifier.js";
import { sign, verify } from "../../src/core/signedUris.js";
import { decodeCursor, encodeCursor, queryLimit } from "../../src/core/listQuery.js";
import type { Job, Principal } from "../../src/core/types.js";
import type { BatonError } from "../../src/core/errors.js";
import { hasScope, requireScope } from "../../src/core/scopes.js";

describe("job state machine", () => {
  it("never leaves a final state", () => {
    for (const final of ["Successful", "Faulted", "Stopped"] as const) {
      for (const to of ["Pending", "Running", "Stopping", "Terminating", "Successful", "Faulted", "Stopped"] as const) expect(canTransition(final, to)).toBe(false);
    }
  });
  it("stops a Pending job directly and a Running one through Stopping or Terminating", () => {
    expect(canTransition("Pending", "Stopped")).toBe(true);
    expect(canTransition("Running", "Stopping")).toBe(true);
    expect(canTransition("Stopping", "Terminating")).toBe(true);
    expect(canTransition("Terminating", "Successful")).toBe(false);
    expect([...statesBefore("Successful")].sort()).toEqual(["Running", "Stopping"]);
  });
});

describe("signed URIs", () => {
  const now = 1_800_000_000;
  it("verifies its own signature and refuses any change", () => {
    const sig = sign("secret", "t1", "job", "wait", now + 60);
    expect(verify("secret", "t1", "job", "wait", now + 60, sig, now)).toBe("ok");
    expect(verify("secret", "t2", "job", "wait", now + 60, sig, now)).toBe("invalid");
    expect(verify("secret", "t1", "job2", "wait", now + 60, sig, now)).toBe("invalid");
    expect(verify("other", "t1", "job", "wait", now + 60, sig, now)).toBe("invalid");
    expect(verify("secret", "t1", "job", "wait", now + 61, sig, now)).toBe("invalid");
    expect(verify("secret", "t1", "job", "wait", now + 60, sig.slice(1), now)).toBe("invalid");
    expect(verify("secret", "t1", "job", "wait", Number.NaN, sig, now)).toBe("invalid");
    expect(verify("secret", "t1", "job", "wait", now + 60, sig, now + 61)).toBe("expired");
  });
});

describe("cursors", () => {
  it("round-trip and refuse garbage", () => {
    expect(decodeCursor(encodeCursor(12345))).toBe(12345);
    expect(decodeCursor(undefined)).toBeNull();
    expect(() => decodeCursor("bm9wZQ")).toThrow(/cursor/);
  });
});

describe("job waiters", () => {
  const job = (key: string, state: Job["state"]) => ({ key, state }) as Job;

  it("wakes on the finished event, times out with null, and forgets the waiter either way", async () => {
    const notifier = new LocalNotifier();
    const waiters = new JobWaiters(notifier, async () => null);
    const woken = waiters.wait("a", 10_000, async () => null);
    const timedOut = waiters.wait("b", 10, async () => null);
    expect(waiters.size).toBe(2);
    notifier.publish("jobFinished", { tenantId: "t", jobKey: "a", job: job("a", "Successful") });
    expect((await woken)?.state).toBe("Successful");
    expect(await timedOut).toBeNull();
    expect(waiters.size).toBe(0);
  });

  it("reads the job once when the event comes from another node without it", async () => {
    const notifier = new LocalNotifier();
    let loads = 0;
    const waiters = new JobWaiters(notifier, async (_tenant, key) => { loads++; return job(key, "Stopped"); });
    const first = waiters.wait("r", 10_000, async () => null, undefined, "t");
    const second = waiters.wait("r", 10_000, async () => null, undefined, "t");
    notifier.publish("jobFinished", { tenantId: "t", jobKey: "r" });
    expect((await first)?.state).toBe("Stopped");
    expect((await second)?.state).toBe("Stopped");
    expect(loads).toBe(1);
    notifier.publish("jobFinished", { tenantId: "t", jobKey: "nobody-waits" });
    expect(loads).toBe(1);
  });

  it("does not miss a job that ended before the waiter subscribed", async () => {
    const waiters = new JobWaiters(new LocalNotifier(), async () => null);
    expect((await waiters.wait("c", 10_000, async () => job("c", "Faulted")))?.state).toBe("Faulted");
    expect(waiters.size).toBe(0);
  });

  it("releases every waiter on shutdown and on abort", async () => {
    const waiters = new JobWaiters(new LocalNotifier(), async () => null);
    const ctrl = new AbortController();
    const aborted = waiters.wait("d", 10_000, async () => null, ctrl.signal);
    const released = waiters.wait("e", 10_000, async () => null);
    ctrl.abort();
    expect(await aborted).toBeNull();
    waiters.releaseAll();
    expect(await released).toBeNull();
    expect(waiters.size).toBe(0);
  });
});

describe("systemClock", () => {
  it("re-arms a wait past Node's timer limit instead of firing it at once", () => {
    vi.useFakeTimers();
    try {
      let fired = false;
      systemClock.setTimeout(() => { fired = true; }, 2 ** 31 + 5_000);
      vi.advanceTimersByTime(2 ** 31 - 1);
      expect(fired).toBe(false);
      vi.advanceTimersByTime(5_000);
      expect(fired).toBe(false);
      vi.advanceTimersByTime(1_001);
      expect(fired).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("a list's limit", () => {
  it("is decimal digits from 1 to 1000, the fallback when absent", () => {
    expect(queryLimit(undefined, 25)).toBe(25);
    expect(queryLimit("16", 25)).toBe(16);
    expect(queryLimit("1000", 25)).toBe(1000);
    for (const bad of ["0x10", "1e2", " 5", "5 ", "+5", "0", "1001", "", "1.5", "-1"]) {
      expect(() => queryLimit(bad, 25), bad).toThrow(expect.objectContaining({ code: "invalid-filter" }));
    }
  });
});


describe("a route's scopes: [\"Jobs\", \"Any\"] is any one of OR.Jobs, OR.Jobs.Read, OR.Jobs.Write", () => {
  const caller = (...scopes: string[]) => ({ scopes: new Set(scopes) }) as unknown as Principal;

  it("lets through a token with any one of them", () => {
    for (const scope of ["OR.Jobs", "OR.Jobs.Read", "OR.Jobs.Write"]) {
      expect(() => requireScope(caller(scope), "Jobs", "Any")).not.toThrow();
      expect(hasScope(caller(scope), "Jobs", "Any")).toBe(true);
    }
    expect(hasScope(caller("OR.Users"), "Jobs", "Any")).toBe(false);
  });

  it("answers 403 insufficient-scope listing every scope that would do, once each", () => {
    const err = (() => { try { requireScope(caller("OR.Users"), "Jobs", "Any"); } catch (e) { return e as BatonError; } })();
    expect(err).toMatchObject({ status: 403, code: "insufficient-scope", message: "This token lacks the scope OR.Jobs, OR.Jobs.Read or OR.Jobs.Write." });
    expect(err?.extra).toEqual({ requiredScope: ["OR.Jobs", "OR.Jobs.Read", "OR.Jobs.Write"] });
  });

  it("with one level, says what requireScope always said", () => {
    expect(() => requireScope(caller("OR.Jobs.Read"), "Jobs", "Write")).toThrow("This token lacks the scope OR.Jobs or OR.Jobs.Write.");
  });
});
