import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { KEPT_MAX, PgNotifier } from "../../src/store/postgres/PgNotifier.js";
import { PostgresStore } from "../../src/store/postgres/PostgresStore.js";
import { dropSchema, testDatabaseUrl } from "../helpers/baton.js";

/**
 * The cross-node notifier on the machine's PostgreSQL: one NOTIFY statement in flight at a
 * time, the events of the turns meanwhile sent together after it, and every event delivered
 * to the other node's listeners.
 */

const { url, schema } = testDatabaseUrl();
let store: PostgresStore;
let sender: PgNotifier;
let receiver: PgNotifier;

beforeAll(async () => {
  store = new PostgresStore({ url });
  await store.migrate();
  const at = { connectionString: store.connectionString, schema: store.schema };
  // no timer of their own: the tests look for listeners when they choose
  sender = new PgNotifier(store.pool, at, () => {}, { pollTimer: false });
  receiver = new PgNotifier(store.pool, at, () => {}, { pollTimer: false });
  await sender.start();
  await receiver.start();
  // each sees the other listening (the sender's look at its start may have come before the
  // receiver listened: the first poll() awaits that look, the second looks again)
  for (const n of [sender, receiver]) {
    await n.poll();
    await n.poll();
  }
  expect([sender.alone, receiver.alone]).toEqual([false, false]);
});

afterAll(async () => {
  await sender?.close();
  await receiver?.close();
  await store?.close();
  await dropSchema(schema);
});

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("PgNotifier", () => {
  it("sends one statement at a time: the events of the turns while one is in flight leave together after it, none lost", async () => {
    const received: string[] = [];
    const unsubscribe = receiver.subscribe("jobFinished", (e) => received.push(e.jobKey));
    // hold the first NOTIFY statement until released, as a slow round trip would
    const statements: unknown[][] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const query = store.pool.query.bind(store.pool) as (...args: unknown[]) => Promise<unknown>;
    const original = store.pool.query;
    (store.pool as unknown as { query: unknown }).query = async (...args: unknown[]) => {
      const q = args[0] as { text?: string; values?: unknown[] };
      if (typeof q === "object" && q.text?.includes("pg_notify")) {
        statements.push(q.values![1] as unknown[]);
        if (statements.length === 1) await held;
      }
      return query(...args);
    };
    try {
      sender.publish("jobFinished", { tenantId: "t", jobKey: "k0" });
      await turn();
      await turn();
      expect(statements).toHaveLength(1);
      // five more turns, one event each, while the first statement is held
      for (let i = 1; i <= 5; i++) {
        sender.publish("jobFinished", { tenantId: "t", jobKey: `k${i}` });
        await turn();
      }
      expect(statements).toHaveLength(1);
      release();
      const end = Date.now() + 5000;
      while (received.length < 6 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      expect(received).toEqual(["k0", "k1", "k2", "k3", "k4", "k5"]);
      // the five held events in one statement
      expect(statements.map((s) => s.length)).toEqual([1, 5]);
    } finally {
      release();
      (store.pool as unknown as { query: unknown }).query = original;
      unsubscribe();
    }
  });

  it("close() sends what was published before it, after the statement in flight", async () => {
    const closing = new PgNotifier(store.pool, { connectionString: store.connectionString, schema: store.schema }, () => {}, { pollTimer: false });
    await closing.start();
    const received: string[] = [];
    const unsubscribe = receiver.subscribe("jobFinished", (e) => received.push(e.jobKey));
    const query = store.pool.query.bind(store.pool) as (...args: unknown[]) => Promise<unknown>;
    let held = 0;
    const spy = vi.spyOn(store.pool, "query").mockImplementation((async (...args: unknown[]) => {
      const q = args[0] as { text?: string };
      if (typeof q === "object" && q.text?.includes("pg_notify") && held++ === 0) await new Promise((r) => setTimeout(r, 50));
      return query(...args);
    }) as never);
    try {
      closing.publish("jobFinished", { tenantId: "t", jobKey: "c0" });
      await turn();
      await turn();
      closing.publish("jobFinished", { tenantId: "t", jobKey: "c1" });
      await turn();
      closing.publish("jobFinished", { tenantId: "t", jobKey: "c2" });
      await closing.close();
      const end = Date.now() + 5000;
      while (received.length < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      expect(received).toEqual(["c0", "c1", "c2"]);
    } finally {
      spy.mockRestore();
      unsubscribe();
    }
  });

  it("an event alone leaves at once", async () => {
    const received: string[] = [];
    const unsubscribe = receiver.subscribe("sessionEnded", (e) => received.push(e.sessionId));
    try {
      sender.publish("sessionEnded", { tenantId: "t", sessionId: "s1" });
      const end = Date.now() + 5000;
      while (received.length < 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
      expect(received).toEqual(["s1"]);
    } finally {
      unsubscribe();
    }
  });

  it("a node no other session listens with sends nothing; one that comes is told to read again what it missed, as are the others after a NOTIFY that failed", async () => {
    // a channel of its own: the other tests' notifiers do not listen on it
    const at = { connectionString: store.connectionString, schema: `alone_${process.pid}` };
    const channel = `baton_${at.schema}`;
    const sent: string[] = [];
    let failNext = false;
    const query = store.pool.query.bind(store.pool) as (...args: unknown[]) => Promise<unknown>;
    const spy = vi.spyOn(store.pool, "query").mockImplementation((async (...args: unknown[]) => {
      const q = args[0] as { text?: string; values?: unknown[] };
      if (typeof q === "object" && q.text?.includes("pg_notify") && q.values?.[0] === channel) {
        if (failNext) {
          failNext = false;
          throw new Error("connection lost (test)");
        }
        for (const p of q.values[1] as string[]) { const m = JSON.parse(p) as { k: string; e?: { jobKey?: string } }; sent.push(m.e?.jobKey ?? m.k); }
      }
      return query(...args);
    }) as never);
    const until = async (what: string, done: () => boolean | Promise<boolean>) => {
      const end = Date.now() + 5000;
      while (!(await done())) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const a = new PgNotifier(store.pool, at, () => {}, { pollTimer: false });
    const b = new PgNotifier(store.pool, at, () => {}, { pollTimer: false });
    let aMissed = 0;
    let bMissed = 0;
    a.onMissedEvents(() => aMissed++);
    b.onMissedEvents(() => bMissed++);
    const atA: string[] = [];
    const atB: string[] = [];
    a.subscribe("jobFinished", (e) => atA.push(e.jobKey));
    b.subscribe("jobFinished", (e) => atB.push(e.jobKey));
    try {
      await a.start();
      await a.poll();
      expect(a.alone).toBe(true);
      // alone: its listeners are told, no statement leaves; a look that finds nobody drops what was kept before it began
      a.publish("jobFinished", { tenantId: "t", jobKey: "alone-1" });
      await a.poll();
      await a.idle();
      expect([atA, sent]).toEqual([["alone-1"], []]);
      // b comes: it sees a listening at its first look; a, until its next look, keeps its events
      await b.start();
      await b.poll();
      await b.poll();
      expect([a.alone, b.alone]).toEqual([true, false]);
      a.publish("jobFinished", { tenantId: "t", jobKey: "alone-2" });
      await a.idle();
      expect(sent).toEqual([]);
      // a's look finds b: what it kept since its last look began leaves, as it was published (a node of any version reads it)
      await a.poll();
      expect(a.alone).toBe(false);
      await until("a's kept event at b", () => atB.includes("alone-2"));
      a.publish("jobFinished", { tenantId: "t", jobKey: "together-1" });
      await until("a's event at b", () => atB.includes("together-1"));
      await a.idle();
      expect(sent).toEqual(["alone-2", "together-1"]);
      expect([atB, bMissed]).toEqual([["alone-2", "together-1"], 0]);
      // a NOTIFY that fails: its event is lost, and b is told at a's next look (and reads again)
      failNext = true;
      a.publish("jobFinished", { tenantId: "t", jobKey: "lost-1" });
      await a.idle();
      expect(bMissed).toBe(0);
      await a.poll();
      await until("b to be told of the lost event", () => bMissed === 1);
      await a.poll();
      await a.idle();
      expect(sent).toEqual(["alone-2", "together-1", "missed"]);
      expect([aMissed, atB]).toEqual([0, ["alone-2", "together-1"]]);
      // b goes: a is alone at a look after b's session has ended
      await b.close();
      await until("a alone again", async () => { await a.poll(); return a.alone; });
      // a listener that drops is not alone, nor once back until a look finds nobody
      a.dropListener();
      expect(a.alone).toBe(false);
      await until("a's listener back (its missed-events listeners run)", () => aMissed === 1);
      await until("a alone once more", async () => { await a.poll(); return a.alone; });
    } finally {
      spy.mockRestore();
      await a.close();
      await b.close();
    }
  });

  it("an alone node keeps 10,000 events at most (past them a listener that comes is told to read again), and what it kept leaves when it closes", async () => {
    const at = { connectionString: store.connectionString, schema: `kept_${process.pid}` };
    const a = new PgNotifier(store.pool, at, () => {}, { pollTimer: false });
    const b = new PgNotifier(store.pool, at, () => {}, { pollTimer: false });
    let changes = 0;
    let bMissed = 0;
    b.subscribe("jobsChanged", () => changes++);
    b.onMissedEvents(() => bMissed++);
    const until = async (what: string, done: () => boolean) => {
      const end = Date.now() + 10_000;
      while (!done()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    try {
      await a.start();
      await a.poll();
      expect(a.alone).toBe(true);
      await b.start();
      // kept one by one (alone, nothing is coalesced): 10,000, then one more, lost
      for (let i = 0; i <= KEPT_MAX; i++) a.publish("jobsChanged", { tenantId: `t${i}` });
      await a.poll();
      await until("the kept events and the notice at b", () => changes === KEPT_MAX && bMissed === 1);
      // alone again once b has gone; what it keeps then leaves when it closes (a listener may have come since its last look)
      await b.close();
      const end = Date.now() + 5000;
      while (!a.alone && Date.now() < end) await a.poll();
      expect(a.alone).toBe(true);
      const c = new PgNotifier(store.pool, at, () => {}, { pollTimer: false });
      let atC = 0;
      c.subscribe("jobsChanged", () => atC++);
      try {
        await c.start();
        a.publish("jobsChanged", { tenantId: "last" });
        expect(a.alone).toBe(true);
        await a.close();
        await until("a's last event at c", () => atC === 1);
      } finally {
        await c.close();
      }
    } finally {
      await a.close();
      await b.close();
    }
  });
});
