import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Job, RobotSession } from "../src/core/types.js";
import { startSocketlessBaton, type TestBaton } from "./helpers/baton.js";
import { until } from "./helpers/robot.js";

/**
 * A job wakes one sleeping claim of the node, not every one (src/core/claimSleepers.ts): with
 * many robots waiting, a job costs one claim. A claim handed the wake that finds nothing, or
 * fills up, hands it on, so no job is left with a sleeping claim that could take it.
 */
let b: TestBaton;
const tenantId = () => b.tenant.id;
const sleeping = () => (b.baton.robots as unknown as { sleepers: { size: number } }).sleepers.size;

beforeAll(async () => {
  b = await startSocketlessBaton();
});
afterAll(async () => {
  await b.close();
});

async function newProcess(): Promise<string> {
  const name = `Wake-${randomUUID().slice(0, 8)}`;
  await b.apiJson(`/api/v1/folders/${b.sharedKey}/processes`, { method: "POST", json: { name } });
  return name;
}

async function openSession(processName: string, folderKeys: string[] | null = null): Promise<RobotSession> {
  return b.baton.robots.openSession(tenantId(), { robotName: `wake-${randomUUID().slice(0, 8)}`, processes: [processName], slots: 10 }, null, folderKeys);
}

async function startJob(processName: string): Promise<string> {
  return ((await b.apiJson("/api/v1/jobs", { method: "POST", json: { folderKey: b.sharedKey, processName } })) as { key: string }).key;
}

/** a claim's outcome, readable without awaiting it */
function watch(claim: Promise<Job[]>): { jobs: Job[] | null; done: Promise<Job[]> } {
  const w: { jobs: Job[] | null; done: Promise<Job[]> } = { jobs: null, done: claim };
  void claim.then((jobs) => { w.jobs = jobs; });
  return w;
}

describe("claims asleep", () => {
  it("a job wakes one sleeping claim, not all of them: one claim per job", async () => {
    const processName = await newProcess();
    const sessions = [await openSession(processName), await openSession(processName), await openSession(processName)];
    const aborts = sessions.map(() => new AbortController());
    const before = sleeping();
    // one after the other: the first asleep is the first woken
    const claims: ReturnType<typeof watch>[] = [];
    for (const [i, s] of sessions.entries()) {
      claims.push(watch(b.baton.robots.claim(s, 5, 600_000, aborts[i]!.signal)));
      await until(`claim ${i + 1} asleep`, 10_000, async () => (sleeping() === before + i + 1 ? true : null));
    }
    const claimJobs = vi.spyOn(b.baton.store, "claimJobs");
    try {
      const first = await startJob(processName);
      await until("one claim has the job", 10_000, async () => (claims.some((c) => c.jobs) ? true : null));
      await new Promise((r) => setTimeout(r, 50));
      expect(claimJobs).toHaveBeenCalledTimes(1);
      expect(claims.filter((c) => c.jobs).map((c) => c.jobs!.map((j) => j.key))).toEqual([[first]]);
      expect(sleeping()).toBe(before + 2);
      // the one asleep longest went first
      expect(claims[0]!.jobs?.map((j) => j.key)).toEqual([first]);

      const second = await startJob(processName);
      await until("a second claim has it", 10_000, async () => (claims.filter((c) => c.jobs).length === 2 ? true : null));
      expect(claimJobs).toHaveBeenCalledTimes(2);
      expect(claims[1]!.jobs?.map((j) => j.key)).toEqual([second]);
      expect(claims[2]!.jobs).toBeNull();
    } finally {
      claimJobs.mockRestore();
      for (const a of aborts) a.abort();
    }
    expect(await claims[2]!.done).toEqual([]);
    expect(sleeping()).toBe(before);
  });

  it("a claim handed the wake that finds nothing (a session of another folder) hands it on to the next", async () => {
    const processName = await newProcess();
    const elsewhere = (await b.apiJson("/api/v1/folders", { method: "POST", json: { name: `Elsewhere-${randomUUID().slice(0, 8)}` } })) as { key: string };
    const other = await openSession(processName, [elsewhere.key]);
    const shared = await openSession(processName);
    const aborts = [new AbortController(), new AbortController()];
    const before = sleeping();
    const otherClaim = watch(b.baton.robots.claim(other, 5, 600_000, aborts[0]!.signal));
    await until("the other folder's claim asleep first", 10_000, async () => (sleeping() === before + 1 ? true : null));
    const sharedClaim = watch(b.baton.robots.claim(shared, 5, 600_000, aborts[1]!.signal));
    await until("both asleep", 10_000, async () => (sleeping() === before + 2 ? true : null));
    const claimJobs = vi.spyOn(b.baton.store, "claimJobs");
    try {
      const key = await startJob(processName);
      expect((await sharedClaim.done).map((j) => j.key)).toEqual([key]);
      // the first claim woken found nothing it may take, and went back to sleep
      expect(claimJobs).toHaveBeenCalledTimes(2);
      expect(otherClaim.jobs).toBeNull();
      await until("the other asleep again", 10_000, async () => (sleeping() === before + 1 ? true : null));
    } finally {
      claimJobs.mockRestore();
      for (const a of aborts) a.abort();
    }
    expect(await otherClaim.done).toEqual([]);
  });

  it("a claim handed the wake that fills up hands it on: the jobs it left are claimed too", async () => {
    const processName = await newProcess();
    const small = await openSession(processName);
    const next = await openSession(processName);
    const aborts = [new AbortController(), new AbortController()];
    const before = sleeping();
    const smallClaim = watch(b.baton.robots.claim(small, 1, 600_000, aborts[0]!.signal));
    await until("the one-job claim asleep first", 10_000, async () => (sleeping() === before + 1 ? true : null));
    const nextClaim = watch(b.baton.robots.claim(next, 5, 600_000, aborts[1]!.signal));
    await until("both asleep", 10_000, async () => (sleeping() === before + 2 ? true : null));
    try {
      // two jobs written with no event, then one event for both (as PostgreSQL coalesces a turn's)
      const jobs = [await startJobQuietly(processName), await startJobQuietly(processName)];
      b.baton.notifier.publish("jobAvailable", { tenantId: tenantId(), processName });
      expect((await smallClaim.done).map((j) => j.key)).toEqual([jobs[0]]);
      expect((await nextClaim.done).map((j) => j.key)).toEqual([jobs[1]]);
    } finally {
      for (const a of aborts) a.abort();
    }
  });

  it("a claim that fails hands its wake on; missed events wake every claim", async () => {
    const processName = await newProcess();
    const failing = await openSession(processName);
    const next = await openSession(processName);
    const aborts = [new AbortController(), new AbortController()];
    const before = sleeping();
    const failingClaim = b.baton.robots.claim(failing, 5, 600_000, aborts[0]!.signal);
    const failed = failingClaim.then(() => null, (err: Error) => err);
    await until("the failing claim asleep first", 10_000, async () => (sleeping() === before + 1 ? true : null));
    const nextClaim = watch(b.baton.robots.claim(next, 5, 600_000, aborts[1]!.signal));
    await until("both asleep", 10_000, async () => (sleeping() === before + 2 ? true : null));
    const original = b.baton.store.claimJobs.bind(b.baton.store);
    const claimJobs = vi.spyOn(b.baton.store, "claimJobs").mockImplementation(async (session, ...rest) => {
      if (session.id === failing.id) throw new Error("the store is unreachable (test)");
      return original(session, ...rest);
    });
    try {
      const key = await startJob(processName);
      expect((await failed)?.message).toBe("the store is unreachable (test)");
      expect((await nextClaim.done).map((j) => j.key)).toEqual([key]);
    } finally {
      claimJobs.mockRestore();
      for (const a of aborts) a.abort();
    }

    // a listener that reconnected (PostgreSQL) reports missed events: every claim looks again
    const sessions = [await openSession(processName), await openSession(processName)];
    const missedAborts = sessions.map(() => new AbortController());
    const claims = sessions.map((s, i) => watch(b.baton.robots.claim(s, 1, 600_000, missedAborts[i]!.signal)));
    await until("both asleep", 10_000, async () => (sleeping() === before + 2 ? true : null));
    const quiet = [await startJobQuietly(processName), await startJobQuietly(processName)];
    await new Promise((r) => setTimeout(r, 50));
    expect(claims.map((c) => c.jobs)).toEqual([null, null]);
    const sleepers = (b.baton.robots as unknown as { sleepers: { wakeAll(): void } }).sleepers;
    sleepers.wakeAll();
    // each claim takes one job (max 1): both claimed, whichever way round
    const got = (await Promise.all(claims.map((c) => c.done))).flat().map((j) => j.key).sort();
    expect(got).toEqual([...quiet].sort());
    expect(sleeping()).toBe(before);
  });
});

/** a job written without the jobAvailable event its creation publishes */
async function startJobQuietly(processName: string): Promise<string> {
  const publish = vi.spyOn(b.baton.notifier, "publish").mockImplementation(() => {});
  try {
    return await startJob(processName);
  } finally {
    publish.mockRestore();
  }
}
