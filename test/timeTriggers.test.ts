import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../src/core/Clock.js";
import { dropSchema, startSocketlessBaton, TEST_STORE, testDatabaseUrl, type TestBaton } from "./helpers/baton.js";

/**
 * Time triggers (SPEC §9, issue 17): the resource, and its firing moved by a ManualClock.
 * The maintenance loop never runs on its own here (an hour's interval): each step moves the
 * clock and then runs the due work itself, so nothing depends on when a timer fires. The
 * clock starts on a Monday, 2027-01-04 10:00:00 UTC.
 */

const START = Date.parse("2027-01-04T10:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();

let nodes: TestBaton[] = [];
let clock: ManualClock;
let b: TestBaton;

async function start(at = START): Promise<void> {
  clock = new ManualClock(at);
  b = await startSocketlessBaton({}, { clock, maintenanceIntervalMs: 3_600_000 });
  nodes = [b];
  await b.apiJson(`/api/v1/folders/${b.sharedKey}/processes`, { method: "POST", json: { name: "Nightly", defaultInputArguments: { from: "process", keep: 1 } } });
}

afterEach(async () => {
  for (const n of nodes.reverse()) await n.close();
  nodes = [];
});

async function send(method: string, path: string, body?: unknown): Promise<{ status: number; type: string | null; json: any }> {
  const res = await b.api(path, { method, headers: body === undefined ? {} : { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type"), json: text ? JSON.parse(text) : null };
}

const folderPath = () => `/api/v1/folders/${b.sharedKey}/time-triggers`;
const create = async (fields: Record<string, unknown>) => {
  const res = await send("POST", folderPath(), { name: "Nightly run", processName: "Nightly", ...fields });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json;
};
const trigger = async (id: string) => (await send("GET", `/api/v1/time-triggers/${id}`)).json;

/** Moves the clock to `at` and runs every node's due work, all at once. */
async function moveTo(at: number): Promise<void> {
  clock.set(at);
  await Promise.all(nodes.map((n) => n.baton.dueWork.runDue()));
}

async function jobsOf(timeTriggerId: string): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: any[]; nextCursor: string | null } = (await send("GET", `/api/v1/jobs?timeTriggerId=${timeTriggerId}&limit=1000${cursor ? `&cursor=${cursor}` : ""}`)).json;
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items.reverse();
}

describe("the resource", () => {
  it("creates with id and nextRunAt, reads, lists, updates, enables, disables and deletes, with exact bodies", async () => {
    await start();
    const created = await create({ cron: "30 2 * * *", timeZone: "Europe/Berlin", arguments: { from: "trigger" }, priority: "High" });
    const expected = {
      id: created.id, folderKey: b.sharedKey, name: "Nightly run", processName: "Nightly", cron: "30 2 * * *", timeZone: "Europe/Berlin",
      description: "At 02:30, every day (Europe/Berlin)", arguments: { from: "trigger" }, priority: "High", enabled: true, missedRunPolicy: "Skip",
      // 02:30 in Berlin (CET, UTC+1) on the 5th
      nextRunAt: "2027-01-05T01:30:00.000Z", createdAt: iso(START), updatedAt: iso(START),
    };
    expect(created).toEqual(expected);
    expect(await trigger(created.id)).toEqual(expected);
    expect((await send("GET", folderPath())).json).toEqual({ items: [expected], nextCursor: null });

    clock.set(START + 60_000);
    const disabled = await send("PATCH", `/api/v1/time-triggers/${created.id}`, { enabled: false });
    expect(disabled).toEqual({ status: 200, type: "application/json; charset=utf-8", json: { ...expected, enabled: false, nextRunAt: null, updatedAt: iso(START + 60_000) } });
    expect(await b.baton.store.getWork(`time-trigger.slot:${created.id}`)).toBeNull();

    const changed = await send("PATCH", `/api/v1/time-triggers/${created.id}`, { enabled: true, cron: "0 0 8 * * 1-5", timeZone: "UTC", missedRunPolicy: "RunOnce" });
    expect(changed.json).toEqual({
      ...expected, cron: "0 0 8 * * 1-5", timeZone: "UTC", description: "At 08:00, on Monday through Friday (UTC)", missedRunPolicy: "RunOnce",
      nextRunAt: "2027-01-05T08:00:00.000Z", updatedAt: iso(START + 60_000),
    });
    expect((await b.baton.store.getWork(`time-trigger.slot:${created.id}`))?.dueAt).toBe("2027-01-05T08:00:00.000Z");

    const audit = (await send("GET", "/api/v1/audit?action=time-trigger.*")).json.items.map((e: any) => [e.action, e.target, e.details]);
    expect(audit).toEqual([
      ["time-trigger.update", created.id, { name: "Nightly run", folderKey: b.sharedKey, processName: "Nightly", fields: ["cron", "enabled", "missedRunPolicy", "timeZone"] }],
      ["time-trigger.update", created.id, { name: "Nightly run", folderKey: b.sharedKey, processName: "Nightly", fields: ["enabled"] }],
      ["time-trigger.create", created.id, { name: "Nightly run", folderKey: b.sharedKey, processName: "Nightly", fields: ["arguments", "cron", "name", "priority", "processName", "timeZone"] }],
    ]);

    expect((await send("DELETE", `/api/v1/time-triggers/${created.id}`)).status).toBe(204);
    expect(await b.baton.store.getWork(`time-trigger.slot:${created.id}`)).toBeNull();
    const gone = await send("GET", `/api/v1/time-triggers/${created.id}`);
    expect(gone.status).toBe(404);
    expect(gone.json.code).toBe("time-trigger-not-found");
    expect((await send("DELETE", `/api/v1/time-triggers/${created.id}`)).status).toBe(404);
    expect((await send("GET", "/api/v1/audit?action=time-trigger.delete")).json.items[0].details).toEqual({ name: "Nightly run", folderKey: b.sharedKey, processName: "Nightly" });
  });

  it("answers 400 listing every violation with its JSON Pointer", async () => {
    await start();
    const bad = await send("POST", folderPath(), {
      name: " padded", cron: "61 * * * *", timeZone: "Mars/Olympus", priority: "Urgent", enabled: "yes", missedRunPolicy: "RunAll", arguments: { $callMode: "x" }, color: "red",
    });
    expect(bad.status).toBe(400);
    expect(bad.type).toBe("application/problem+json; charset=utf-8");
    expect(bad.json.code).toBe("invalid-time-trigger");
    expect(bad.json.violations).toEqual([
      { path: "/processName", message: "is required" },
      { path: "/name", message: "must not start or end with spaces" },
      { path: "/cron", message: "is not a valid cron: Invalid value for minute: 61" },
      { path: "/timeZone", message: "is not a time zone known here ('Mars/Olympus'); use an IANA name such as UTC or Europe/Berlin" },
      { path: "/priority", message: "must be Inherit or one of Low, Normal, High" },
      { path: "/enabled", message: "must be a boolean" },
      { path: "/missedRunPolicy", message: "must be one of Skip, RunOnce" },
      { path: "/arguments", message: "must be a JSON object whose keys do not start with '$'" },
      { path: "/color", message: "is not a field of a time trigger" },
    ]);
    const fields = await send("POST", folderPath(), { name: "x", processName: "Nightly", cron: "* * * *" });
    expect(fields.json.violations).toEqual([
      { path: "/cron", message: "must have 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first); it has 4" },
    ]);
    const seven = await send("POST", folderPath(), { name: "x", processName: "Nightly", cron: "0 0 0 1 1 * 2030" });
    expect(seven.json.violations).toEqual([{ path: "/cron", message: "must have 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first); it has 7" }]);
    const missing = await send("POST", folderPath(), {});
    expect(missing.json.violations).toEqual([
      { path: "/name", message: "is required" }, { path: "/processName", message: "is required" }, { path: "/cron", message: "is required" },
    ]);
    const unknown = await send("POST", folderPath(), { name: "x", processName: "Nope", cron: "* * * * *" });
    expect([unknown.status, unknown.json.code]).toEqual([404, "process-not-found"]);

    await create({ cron: "* * * * *" });
    const taken = await send("POST", folderPath(), { name: "Nightly run", processName: "Nightly", cron: "0 * * * *" });
    expect([taken.status, taken.json.code, taken.json.detail]).toEqual([409, "time-trigger-exists", "A time trigger named 'Nightly run' already exists in this folder."]);
    const other = await create({ name: "Other", cron: "0 * * * *" });
    const renamed = await send("PATCH", `/api/v1/time-triggers/${other.id}`, { name: "Nightly run" });
    expect([renamed.status, renamed.json.code]).toEqual([409, "time-trigger-exists"]);
    const patch = await send("PATCH", `/api/v1/time-triggers/${other.id}`, { cron: "", timeZone: 5 });
    expect(patch.json.violations.map((v: any) => v.path)).toEqual(["/cron", "/timeZone"]);
    // a process a time trigger starts cannot be deleted
    const inUse = await send("DELETE", `/api/v1/folders/${b.sharedKey}/processes/Nightly`);
    expect([inUse.status, inUse.json.code]).toEqual([409, "process-in-use"]);
  });

  it("previews the next runs: 5 by default, at most 100, with local times across a DST change", async () => {
    await start(Date.parse("2027-03-27T12:00:00.000Z"));
    const t = await create({ cron: "30 2 * * *", timeZone: "Europe/Berlin" });
    expect((await send("GET", `/api/v1/time-triggers/${t.id}/preview`)).json).toEqual({
      description: "At 02:30, every day (Europe/Berlin)",
      items: [
        // spring forward: 02:30 does not exist on the 28th; croner fires at 03:00 CEST
        { at: "2027-03-28T01:00:00.000Z", localTime: "2027-03-28T03:00:00+02:00" },
        { at: "2027-03-29T00:30:00.000Z", localTime: "2027-03-29T02:30:00+02:00" },
        { at: "2027-03-30T00:30:00.000Z", localTime: "2027-03-30T02:30:00+02:00" },
        { at: "2027-03-31T00:30:00.000Z", localTime: "2027-03-31T02:30:00+02:00" },
        { at: "2027-04-01T00:30:00.000Z", localTime: "2027-04-01T02:30:00+02:00" },
      ],
    });
    expect((await send("GET", `/api/v1/time-triggers/${t.id}/preview?count=100`)).json.items).toHaveLength(100);
    for (const count of ["0", "101", "x", "1.5"]) {
      const bad = await send("GET", `/api/v1/time-triggers/${t.id}/preview?count=${count}`);
      expect([bad.status, bad.json.code, bad.json.violations]).toEqual([400, "invalid-filter", [{ path: "/count", message: "must be an integer from 1 to 100" }]]);
    }
    // a cron not saved yet (the console's form)
    expect((await send("GET", `/api/v1/time-trigger-preview?cron=${encodeURIComponent("*/20 * * * * *")}&count=2`)).json).toEqual({
      description: "Every 20 seconds (UTC)",
      items: [{ at: "2027-03-27T12:00:20.000Z", localTime: "2027-03-27T12:00:20+00:00" }, { at: "2027-03-27T12:00:40.000Z", localTime: "2027-03-27T12:00:40+00:00" }],
    });
    const bad = await send("GET", "/api/v1/time-trigger-preview?cron=nope&timeZone=Nowhere");
    expect(bad.json.violations.map((v: any) => v.path)).toEqual(["/cron", "/timeZone"]);
  });
});

describe("firing, moved by the clock", () => {
  it("creates one job per slot, recording the trigger and the slot; none twice when the due work runs again", async () => {
    await start();
    const t = await create({ cron: "0 */15 * * * *", arguments: { from: "trigger" }, priority: "Low" });
    expect(t.nextRunAt).toBe("2027-01-04T10:15:00.000Z");
    await moveTo(START + 14 * 60_000);
    expect(await jobsOf(t.id)).toEqual([]);
    const slots: string[] = [];
    for (let i = 1; i <= 4; i++) {
      const slot = START + i * 15 * 60_000;
      slots.push(iso(slot));
      await moveTo(slot);
      await moveTo(slot + 1000);
      expect((await trigger(t.id)).nextRunAt).toBe(iso(slot + 15 * 60_000));
    }
    const jobs = await jobsOf(t.id);
    expect(jobs.map((j) => j.slot)).toEqual(slots);
    const job = (await send("GET", `/api/v1/jobs/${jobs[0].key}`)).json;
    expect(job).toMatchObject({
      source: "TimeTrigger", timeTriggerId: t.id, slot: slots[0], triggerId: null, processName: "Nightly", folderKey: b.sharedKey, state: "Pending",
      priority: "Low", callMode: "AsyncRequestReply", inputArguments: { from: "trigger", keep: 1 }, createdAt: slots[0],
    });
    // the fire records: one per slot
    const other = await b.baton.store.recordTimeTriggerFire(t.id, slots[0]!, null, iso(START));
    expect(other).toBe(false);
  });

  it("the same row run twice at once (a lease that ran out mid-run) fires its slot once", async () => {
    await start();
    const t = await create({ cron: "0 * * * *" });
    clock.set(START + 3600_000);
    const work = (await b.baton.store.getWork(`time-trigger.slot:${t.id}`))!;
    expect(work.dueAt).toBe(iso(START + 3600_000));
    await Promise.all([b.baton.timeTriggers.fire(work), b.baton.timeTriggers.fire(work), b.baton.timeTriggers.fire(work)]);
    expect((await jobsOf(t.id)).map((j) => j.slot)).toEqual([iso(START + 3600_000)]);
    await b.baton.timeTriggers.fire(work);
    expect(await jobsOf(t.id)).toHaveLength(1);
    expect((await trigger(t.id)).nextRunAt).toBe(iso(START + 2 * 3600_000));
  });

  it("fires nothing while disabled, and re-enabling schedules from now (no backlog)", async () => {
    await start();
    const t = await create({ cron: "*/10 * * * *", enabled: false });
    expect(t.nextRunAt).toBeNull();
    expect(await b.baton.store.getWork(`time-trigger.slot:${t.id}`)).toBeNull();
    for (let m = 10; m <= 60; m += 10) await moveTo(START + m * 60_000);
    expect(await jobsOf(t.id)).toEqual([]);
    // enabled at 11:05: the first slot is 11:10, none of the hour before
    clock.set(START + 65 * 60_000);
    const enabled = (await send("PATCH", `/api/v1/time-triggers/${t.id}`, { enabled: true })).json;
    expect(enabled.nextRunAt).toBe(iso(START + 70 * 60_000));
    await moveTo(START + 70 * 60_000);
    expect((await jobsOf(t.id)).map((j) => j.slot)).toEqual([iso(START + 70 * 60_000)]);
    // disabled between a slot's row and its run: nothing fires
    await send("PATCH", `/api/v1/time-triggers/${t.id}`, { enabled: false });
    await moveTo(START + 80 * 60_000);
    expect(await jobsOf(t.id)).toHaveLength(1);
    // deleted: its row goes with it
    await send("PATCH", `/api/v1/time-triggers/${t.id}`, { enabled: true });
    expect(await b.baton.store.getWork(`time-trigger.slot:${t.id}`)).not.toBeNull();
    await send("DELETE", `/api/v1/time-triggers/${t.id}`);
    expect(await b.baton.store.getWork(`time-trigger.slot:${t.id}`)).toBeNull();
  });

  it("after downtime: Skip creates nothing for the missed slots, RunOnce one job for all of them; both continue", async () => {
    await start();
    const skip = await create({ name: "Skip", cron: "0 * * * *" });
    const once = await create({ name: "Once", cron: "0 * * * *", missedRunPolicy: "RunOnce" });
    await moveTo(START + 3600_000);
    expect((await jobsOf(skip.id)).map((j) => j.slot)).toEqual([iso(START + 3600_000)]);
    expect((await jobsOf(once.id)).map((j) => j.slot)).toEqual([iso(START + 3600_000)]);
    // every node down from 11:00 to 15:20: the slots of 12:00 to 15:00 are missed
    await moveTo(START + 5 * 3600_000 + 20 * 60_000);
    expect((await jobsOf(skip.id)).map((j) => j.slot)).toEqual([iso(START + 3600_000)]);
    const onceJobs = await jobsOf(once.id);
    // one job for the four missed slots, recorded with the first of them, created at the restart
    expect(onceJobs.map((j) => [j.slot, j.createdAt])).toEqual([[iso(START + 3600_000), iso(START + 3600_000)], [iso(START + 2 * 3600_000), iso(START + 5 * 3600_000 + 20 * 60_000)]]);
    for (const t of [skip, once]) expect((await trigger(t.id)).nextRunAt).toBe(iso(START + 6 * 3600_000));
    await moveTo(START + 6 * 3600_000);
    expect(await jobsOf(skip.id)).toHaveLength(2);
    expect(await jobsOf(once.id)).toHaveLength(3);
  });

  it("every node stopped, then one started hours later on the same store: Skip and RunOnce apply, no slot fires twice", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "baton-tt-restart-"));
    const pg = TEST_STORE === "postgres" ? testDatabaseUrl() : null;
    const store = { dataDir, ...(pg ? { databaseUrl: pg.url } : {}) };
    try {
      clock = new ManualClock(START);
      b = await startSocketlessBaton(store, { clock, maintenanceIntervalMs: 3_600_000 });
      nodes = [b];
      await b.apiJson(`/api/v1/folders/${b.sharedKey}/processes`, { method: "POST", json: { name: "Nightly" } });
      const skip = await create({ name: "Skip", cron: "0 * * * *" });
      const once = await create({ name: "Once", cron: "0 * * * *", missedRunPolicy: "RunOnce" });
      await moveTo(START + 3600_000);
      await b.close();
      nodes = [];

      // back at 15:20 (the slots of 12:00 to 15:00 passed with no node up): a new node, no timer of the old one
      clock = new ManualClock(START + 5 * 3600_000 + 20 * 60_000);
      b = await startSocketlessBaton({ ...store, bootstrapToken: b.token }, { clock, maintenanceIntervalMs: 3_600_000 });
      nodes = [b];
      await b.baton.maintenance.tick();
      await b.baton.maintenance.tick();
      expect((await jobsOf(skip.id)).map((j) => j.slot)).toEqual([iso(START + 3600_000)]);
      expect((await jobsOf(once.id)).map((j) => j.slot)).toEqual([iso(START + 3600_000), iso(START + 2 * 3600_000)]);
      for (const t of [skip, once]) expect((await trigger(t.id)).nextRunAt).toBe(iso(START + 6 * 3600_000));
    } finally {
      for (const n of nodes) await n.close();
      nodes = [];
      rmSync(dataDir, { recursive: true, force: true });
      if (pg) await dropSchema(pg.schema);
    }
  });

  it("a node merely late (under 10 s past the following slot) catches up on every slot", async () => {
    await start();
    const t = await create({ cron: "* * * * * *" });
    await moveTo(START + 5000);
    expect((await jobsOf(t.id)).map((j) => j.slot)).toEqual([1, 2, 3, 4, 5].map((s) => iso(START + s * 1000)));
  });

  it("daylight saving: spring forward fires once at 03:00, fall back once at the first 02:30 (Europe/Berlin, 30 2 * * *)", async () => {
    await start(Date.parse("2027-03-27T12:00:00.000Z"));
    const t = await create({ cron: "30 2 * * *", timeZone: "Europe/Berlin" });
    const fired: string[] = [];
    for (let day = 0; day < 3; day++) {
      const next = (await trigger(t.id)).nextRunAt as string;
      fired.push(next);
      await moveTo(Date.parse(next));
    }
    expect(fired).toEqual(["2027-03-28T01:00:00.000Z", "2027-03-29T00:30:00.000Z", "2027-03-30T00:30:00.000Z"]);
    expect((await jobsOf(t.id)).map((j) => j.slot)).toEqual(fired);

    // fall back, moving through the repeated hour in 15-minute steps
    await send("PATCH", `/api/v1/time-triggers/${t.id}`, { enabled: false });
    clock.set(Date.parse("2027-10-30T12:00:00.000Z"));
    await send("PATCH", `/api/v1/time-triggers/${t.id}`, { enabled: true });
    const interval = await create({ name: "Half-hourly", cron: "*/30 * * * *", timeZone: "Europe/Berlin" });
    for (let at = Date.parse("2027-10-30T12:00:00.000Z"); at <= Date.parse("2027-11-01T02:00:00.000Z"); at += 15 * 60_000) await moveTo(at);
    const octNov = (await jobsOf(t.id)).map((j) => j.slot).slice(3);
    expect(octNov).toEqual(["2027-10-31T00:30:00.000Z", "2027-11-01T01:30:00.000Z"]);
    // an interval pattern fires through both passes of the repeated hour (02:00 and 02:30 CEST, then CET)
    const repeated = (await jobsOf(interval.id)).map((j) => j.slot).filter((s) => s >= "2027-10-30T23:30:00.000Z" && s <= "2027-10-31T02:00:00.000Z");
    expect(repeated).toEqual([
      "2027-10-30T23:30:00.000Z", "2027-10-31T00:00:00.000Z", "2027-10-31T00:30:00.000Z", "2027-10-31T01:00:00.000Z", "2027-10-31T01:30:00.000Z", "2027-10-31T02:00:00.000Z",
    ]);
  });
});

describe.runIf(TEST_STORE === "postgres")("two nodes sharing PostgreSQL (issue 17's measure)", () => {
  it("an every-second trigger: one job per second for a minute, none twice, none while disabled", async () => {
    await start();
    const second = await startSocketlessBaton({ databaseUrl: b.databaseUrl!, bootstrapToken: b.token }, { clock, maintenanceIntervalMs: 3_600_000, demoCatalog: false });
    nodes.push(second);

    const t = await create({ cron: "* * * * * *" });
    // which node fired each slot: both run the due work each second, and race for it
    const firedBy = [0, 0];
    nodes.forEach((n, i) => {
      const fire = n.baton.timeTriggers.fire.bind(n.baton.timeTriggers);
      n.baton.timeTriggers.fire = async (work) => { firedBy[i]!++; await fire(work); };
    });
    for (let s = 1; s <= 60; s++) await moveTo(START + s * 1000);
    console.log(`time triggers, two nodes: slot rows run by node 1: ${firedBy[0]}, node 2: ${firedBy[1]}`);
    const jobs = await jobsOf(t.id);
    expect(jobs).toHaveLength(60);
    expect(new Set(jobs.map((j) => j.slot)).size).toBe(60);
    expect(jobs.map((j) => j.slot)).toEqual(Array.from({ length: 60 }, (_, i) => iso(START + (i + 1) * 1000)));
    expect(jobs.every((j) => j.source === "TimeTrigger" && j.timeTriggerId === t.id)).toBe(true);
    // disabled from the second node: another minute, nothing
    const disabled = await second.apiJson(`/api/v1/time-triggers/${t.id}`, { method: "PATCH", json: { enabled: false } });
    expect(disabled.nextRunAt).toBeNull();
    for (let s = 61; s <= 120; s++) await moveTo(START + s * 1000);
    expect(await jobsOf(t.id)).toHaveLength(60);

    // the same slot's row run by both nodes at once (a lease that ran out mid-run): one job
    const hourly = await create({ name: "Hourly", cron: "0 * * * *" });
    const work = (await b.baton.store.getWork(`time-trigger.slot:${hourly.id}`))!;
    clock.set(START + 3600_000);
    await Promise.all([...nodes, ...nodes].map((n) => n.baton.timeTriggers.fire(work)));
    await Promise.all(nodes.map((n) => n.baton.dueWork.runDue()));
    expect((await jobsOf(hourly.id)).map((j) => j.slot)).toEqual([iso(START + 3600_000)]);
  }, 120_000);
});
