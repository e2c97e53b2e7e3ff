import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../src/core/Clock.js";
import { LocalNotifier } from "../src/core/notifier.js";
import { BUSY_CONCURRENCY, WebhookDispatcher } from "../src/core/webhooks/WebhookDispatcher.js";
import { WebhookEvents } from "../src/core/webhooks/WebhookEvents.js";
import { dnsResolver } from "../src/core/webhooks/destination.js";
import type { Store } from "../src/core/store.js";
import { PostgresStore } from "../src/store/postgres/PostgresStore.js";
import { SqliteStore } from "../src/store/sqlite/SqliteStore.js";
import { dropSchema, TEST_STORE, testDatabaseUrl } from "./helpers/baton.js";
import { until } from "./helpers/robot.js";

/**
 * Under a load the node cannot keep up with, webhook deliveries yield the CPU to the invoke
 * path (issue 16: "never blocks the invoke path"): at most BUSY_CONCURRENCY in flight while
 * the node is saturated, the full concurrency again as soon as it is not. The saturation
 * signal is a switch here (BusyGauge reads the event loop's utilization in production).
 */
describe("webhook dispatcher under saturation", () => {
  const dir = mkdtempSync(join(tmpdir(), "baton-webhook-yield-"));
  let store: Store;
  const pg = TEST_STORE === "postgres" ? testDatabaseUrl() : null;
  let server: Server;
  let url = "";
  /** requests held open, answered on release */
  const held: ServerResponse[] = [];
  let maxInFlight = 0;
  let received = 0;

  beforeAll(async () => {
    store = pg ? new PostgresStore({ url: pg.url }) : new SqliteStore(join(dir, "baton.db"));
    await store.migrate();
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        received++;
        held.push(res);
        maxInFlight = Math.max(maxInFlight, held.length);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    for (const res of held.splice(0)) res.end("ok");
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await store.close();
    if (pg) await dropSchema(pg.schema);
    rmSync(dir, { recursive: true, force: true });
  });

  const release = () => { for (const res of held.splice(0)) res.writeHead(200).end("ok"); };

  it(`holds at most ${BUSY_CONCURRENCY} deliveries in flight while busy, then the full concurrency, and makes every one`, async () => {
    let busy = true;
    const dispatcher = new WebhookDispatcher(store, systemClock, `node-${randomUUID()}`, {
      allowPrivate: true, resolver: dnsResolver, timeoutMs: 10_000, concurrency: 8, busy: () => busy,
    }, (err) => { throw err; });
    const events = new WebhookEvents(store, systemClock, dispatcher, new LocalNotifier());
    const { tenant } = await store.ensureTenant("yield", "default");
    const now = new Date().toISOString();
    const webhook = { id: `wh_${randomUUID().slice(0, 8)}`, tenantId: tenant.id, url, events: ["*"], folderKeys: null, enabled: true, description: null, createdAt: now, updatedAt: now, secret: "whsec_c2VjcmV0c2VjcmV0c2VjcmV0", previousSecret: null, previousSecretUntil: null };
    await store.createWebhook(webhook);
    for (let i = 0; i < 20; i++) await events.deliver(webhook, "job.completed", null, `{"n":${i}}`);
    await store.durable();
    dispatcher.start(60_000);
    try {
      // busy: two in flight, however long they are held
      await until("two in flight", 10_000, async () => (held.length === BUSY_CONCURRENCY ? true : null));
      for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 5));
      expect(held.length).toBe(BUSY_CONCURRENCY);
      expect(maxInFlight).toBe(BUSY_CONCURRENCY);
      // what GET /metrics shows: yielding, two in flight (the other 18 were claimed from the store, not handed: none waits here)
      expect(dispatcher.stats).toEqual({ yielding: true, inFlight: BUSY_CONCURRENCY, waiting: 0 });
      release();
      await until("two more", 10_000, async () => (received >= 2 * BUSY_CONCURRENCY && held.length === BUSY_CONCURRENCY ? true : null));
      expect(maxInFlight).toBe(BUSY_CONCURRENCY);
      // the load falls: the full concurrency at the next round
      busy = false;
      release();
      await until("eight in flight", 10_000, async () => (held.length === 8 ? true : null));
      expect(maxInFlight).toBe(8);
      expect(dispatcher.stats).toEqual({ yielding: false, inFlight: 8, waiting: 0 });
      // the rest, answered as they come
      await until("all twenty", 10_000, async () => { release(); return received >= 20 && held.length === 0 ? true : null; });
      await until("all recorded Delivered", 10_000, async () => {
        const page = await store.listDeliveries(tenant.id, webhook.id, 100, null);
        return page.items.length === 20 && page.items.every((d) => d.state === "Delivered") ? true : null;
      });
      expect(received).toBe(20);
      expect(dispatcher.attempts).toEqual({ delivered: 20, retrying: 0, failed: 0 });
    } finally {
      release();
      await dispatcher.stop();
    }
  });
});

describe("BATON_WEBHOOKS_YIELD_AT", () => {
  it("defaults to 0.9, takes a number above 0 (1 or more: never), and refuses anything else with the variable named", async () => {
    const { configFromEnv } = await import("../src/config.js");
    expect(configFromEnv({}).webhooksYieldAt).toBe(0.9);
    expect(configFromEnv({ BATON_WEBHOOKS_YIELD_AT: "0.75" }).webhooksYieldAt).toBe(0.75);
    expect(configFromEnv({ BATON_WEBHOOKS_YIELD_AT: "1" }).webhooksYieldAt).toBe(1);
    for (const bad of ["0", "-1", "often", "NaN"]) {
      expect(() => configFromEnv({ BATON_WEBHOOKS_YIELD_AT: bad }), bad).toThrow(`BATON_WEBHOOKS_YIELD_AT must be a number above 0 (1 or more: never), got '${bad}'.`);
    }
  });

  it("at 1 or more the dispatcher never yields: it measures nothing and holds the full concurrency", () => {
    const dispatcher = new WebhookDispatcher({} as Store, systemClock, "node", { allowPrivate: true, resolver: dnsResolver, timeoutMs: 1000, concurrency: 8, yieldAt: 1 }, () => {});
    expect((dispatcher as unknown as { gauge: unknown }).gauge).toBeNull();
    expect((dispatcher as unknown as { busy: () => boolean }).busy()).toBe(false);
    expect(dispatcher.stats.yielding).toBe(false);
  });
});
