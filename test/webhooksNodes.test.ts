import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSocketlessBaton, TEST_STORE, type TestBaton } from "./helpers/baton.js";
import { until } from "./helpers/robot.js";

/** A receiver that counts each webhook-id, and how many requests of one id were open at once. */
class CountingReceiver {
  readonly count = new Map<string, number>();
  private readonly open = new Map<string, number>();
  maxOpenPerId = 0;
  private server: Server;
  url = "";
  constructor(delayMs: number) {
    this.server = createServer((req, res) => {
      const id = req.headers["webhook-id"] as string;
      this.count.set(id, (this.count.get(id) ?? 0) + 1);
      this.open.set(id, (this.open.get(id) ?? 0) + 1);
      this.maxOpenPerId = Math.max(this.maxOpenPerId, this.open.get(id)!);
      req.resume();
      req.on("end", () => setTimeout(() => { this.open.set(id, this.open.get(id)! - 1); res.writeHead(200).end(); }, delayMs));
    });
  }
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const startJob = async (b: TestBaton) => ((await b.apiJson("/api/v1/jobs", { method: "POST", json: { folderKey: b.sharedKey, processName: "Echo" } })) as { key: string }).key;

describe("webhook deliveries across restarts and nodes", () => {
  let receiver: CountingReceiver;
  beforeAll(async () => { receiver = await new CountingReceiver(0).start(); });
  afterAll(async () => { await receiver.close(); });

  it("a delivery recorded by a node that stopped before making it is made by the next one", async () => {
    const a = await startSocketlessBaton({ webhooksAllowPrivate: true });
    let b: TestBaton | null = null;
    try {
      await a.baton.webhooks.dispatcher.stop();
      const hook = await a.apiJson("/api/v1/webhooks", { method: "POST", json: { url: receiver.url, events: ["job.created"] } });
      await startJob(a);
      const [d] = (await a.apiJson(`/api/v1/webhooks/${hook.id}/deliveries`)).items;
      expect(d.state).toBe("Pending");
      expect(receiver.count.has(d.id)).toBe(false);
      await a.shutdown();
      b = await startSocketlessBaton({ webhooksAllowPrivate: true, dataDir: a.dataDir, databaseUrl: a.databaseUrl, bootstrapToken: a.token });
      await until("delivered after the restart", 10_000, async () => ((await b!.apiJson(`/api/v1/webhooks/${hook.id}/deliveries`)).items[0].state === "Delivered" ? true : null));
      expect(receiver.count.get(d.id)).toBe(1);
    } finally {
      await b?.shutdown();
      await a.close().catch(() => {});
    }
  });

  it("more deliveries at once than the node's pool: every one is made (a full pool's claim round must not stall the next)", async () => {
    const b = await startSocketlessBaton({ webhooksAllowPrivate: true });
    try {
      const before = receiver.count.size;
      await b.apiJson("/api/v1/webhooks", { method: "POST", json: { url: receiver.url, events: ["job.created"] } });
      await Promise.all(Array.from({ length: 100 }, () => startJob(b)));
      await until("every delivery made", 20_000, () => (receiver.count.size - before >= 100 ? true : null));
      expect(receiver.count.size - before).toBe(100);
    } finally {
      await b.close();
    }
  });

  it.runIf(TEST_STORE === "postgres")("two nodes on one store never send one delivery twice at once", async () => {
    const slow = await new CountingReceiver(20).start();
    const a = await startSocketlessBaton({ webhooksAllowPrivate: true });
    const b = await startSocketlessBaton({ webhooksAllowPrivate: true, databaseUrl: a.databaseUrl, bootstrapToken: a.token });
    try {
      await a.apiJson("/api/v1/webhooks", { method: "POST", json: { url: slow.url, events: ["job.created", "job.stopped"] } });
      // node b learns of the subscription through the notifier; it records deliveries too
      const keys: string[] = [];
      for (let i = 0; i < 30; i++) keys.push(await startJob(i % 2 ? a : b));
      await Promise.all(keys.map((k) => (keys.indexOf(k) % 2 ? a : b).apiJson(`/api/v1/jobs/${k}/stop`, { method: "POST", json: { strategy: "Kill" } })));
      await until("every delivery made", 20_000, () => (slow.count.size >= 60 ? true : null));
      expect(slow.maxOpenPerId).toBe(1);
      expect([...slow.count.values()].every((n) => n === 1)).toBe(true);
    } finally {
      await b.shutdown();
      await a.close();
      await slow.close();
    }
  });
});
