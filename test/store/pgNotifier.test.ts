import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ALONE_AFTER_MS, ANSWER_WAIT_MS, PRESENCE_MS, PgNotifier } from "../../src/store/postgres/PgNotifier.js";
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
  // no presence timer: a presence in the middle of a test would join its statements
  sender = new PgNotifier(store.pool, at, () => {}, { presenceTimer: false });
  receiver = new PgNotifier(store.pool, at, () => {}, { presenceTimer: false });
  await sender.start();
  await receiver.start();
  // each heard the other (the receiver asked who was there, the sender answered), and their
  // presences are gone: the tests count statements of their own
  const end = Date.now() + 5000;
  while ((sender.nodesHeard < 1 || receiver.nodesHeard < 1) && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  expect([sender.nodesHeard, receiver.nodesHeard]).toEqual([1, 1]);
  await sender.idle();
  await receiver.idle();
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
    const closing = new PgNotifier(store.pool, { connectionString: store.connectionString, schema: store.schema }, () => {}, { presenceTimer: false });
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

  it("a node that has heard no other for 15 s sends nothing; a node that appears is told it was alone and reads again what it missed; events flow again", async () => {
    let t = 1_000_000;
    const now = () => t;
    // a channel of its own: the other tests' notifiers are not heard
    const at = { connectionString: store.connectionString, schema: `alone_${process.pid}` };
    const sent: string[] = [];
    const query = store.pool.query.bind(store.pool) as (...args: unknown[]) => Promise<unknown>;
    const spy = vi.spyOn(store.pool, "query").mockImplementation((async (...args: unknown[]) => {
      const q = args[0] as { text?: string; values?: unknown[] };
      if (typeof q === "object" && q.text?.includes("pg_notify") && q.values?.[0] === `baton_${at.schema}`) {
        for (const p of q.values[1] as string[]) { const m = JSON.parse(p) as { k: string; e?: { jobKey?: string } }; sent.push(m.e?.jobKey ?? m.k); }
      }
      return query(...args);
    }) as never);
    const until = async (what: string, done: () => boolean) => {
      const end = Date.now() + 5000;
      while (!done()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const a = new PgNotifier(store.pool, at, () => {}, { now, presenceTimer: false });
    const b = new PgNotifier(store.pool, at, () => {}, { now, presenceTimer: false });
    try {
      await a.start();
      // it asks who is there: no answer within a second, it is alone
      await until("a's question", () => sent.length === 1);
      expect(sent).toEqual(["presence"]);
      t += ANSWER_WAIT_MS - 1;
      expect(a.alone).toBe(false);
      t += 1;
      expect(a.alone).toBe(true);
      const atA: string[] = [];
      a.subscribe("jobFinished", (e) => atA.push(e.jobKey));
      a.publish("jobFinished", { tenantId: "t", jobKey: "alone-1" });
      await turn();
      await turn();
      expect(atA).toEqual(["alone-1"]);
      // its presence goes on, every 5 s of silence
      t += PRESENCE_MS - ANSWER_WAIT_MS;
      a.tick();
      await until("a's second presence", () => sent.length === 2);
      t += PRESENCE_MS - 1;
      a.tick();
      await turn();
      expect(sent).toEqual(["presence", "presence"]);
      // another node appears and asks: a, alone, answers at once that it was alone, and b, told so, runs its
      // missed-events listeners (a's events since it was alone never left); b, new, sent every event of its own: a runs none
      let aMissed = 0;
      let bMissed = 0;
      a.onMissedEvents(() => aMissed++);
      b.onMissedEvents(() => bMissed++);
      await b.start();
      await until("b to hear that a was alone", () => bMissed === 1);
      expect([a.alone, b.alone]).toEqual([false, false]);
      const atB: string[] = [];
      b.subscribe("jobFinished", (e) => atB.push(e.jobKey));
      a.publish("jobFinished", { tenantId: "t", jobKey: "together-1" });
      await until("a's event at b", () => atB.length === 1);
      expect(atB).toEqual(["together-1"]);
      expect([aMissed, bMissed]).toEqual([0, 1]);
      expect(sent).toEqual(["presence", "presence", "presence", "presence", "together-1"]);
      await b.close();
      // a node heard before and then silent for 15 s (its events may have been lost) is read again for when it speaks
      const ghost = (n: number) => store.pool.query("SELECT pg_notify($1, $2)", [`baton_${at.schema}`, JSON.stringify({ o: "ghost", k: "jobFinished", e: { tenantId: "t", jobKey: `ghost-${n}` } })]);
      await ghost(1);
      await until("the ghost's first event", () => atA.includes("ghost-1"));
      t += ALONE_AFTER_MS - 1;
      await ghost(2);
      await until("the ghost's second event", () => atA.includes("ghost-2"));
      expect(aMissed).toBe(0);
      t += ALONE_AFTER_MS;
      await ghost(3);
      await until("the ghost's third event", () => atA.includes("ghost-3"));
      expect(aMissed).toBe(1);
      // alone 15 s after it last heard anyone
      t += ALONE_AFTER_MS;
      expect(a.alone).toBe(true);
      // a listener that drops is not alone, nor once back until it has listened for 15 s
      a.dropListener();
      expect(a.alone).toBe(false);
      await until("a's listener back (its missed-events listeners run)", () => aMissed === 2);
      expect(a.alone).toBe(false);
      t += ALONE_AFTER_MS;
      expect(a.alone).toBe(true);
    } finally {
      spy.mockRestore();
      await a.close();
      await b.close();
    }
  });
});
