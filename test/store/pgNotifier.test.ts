import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PgNotifier } from "../../src/store/postgres/PgNotifier.js";
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
  sender = new PgNotifier(store.pool, at);
  receiver = new PgNotifier(store.pool, at);
  await sender.start();
  await receiver.start();
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
      (store.pool as unknown as { query: unknown }).query = original;
      unsubscribe();
    }
  });

  it("close() sends what was published before it, after the statement in flight", async () => {
    const closing = new PgNotifier(store.pool, { connectionString: store.connectionString, schema: store.schema });
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
});
