import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { BatonClient } from "../src/client/index.js";
import { ManualClock } from "../src/core/Clock.js";
import { timeOrderedUuid } from "../src/core/identifiers.js";
import { renderJob } from "../src/core/jobView.js";
import type { RobotSession } from "../src/core/types.js";
import { startSocketlessBaton, type TestBaton } from "./helpers/baton.js";
import { until } from "./helpers/robot.js";

interface Received { headers: IncomingHttpHeaders; body: string; path: string }

/** A local receiver: records every request, answers as `answer` says (200 by default). */
class Receiver {
  readonly received: Received[] = [];
  answer: (r: Received, res: ServerResponse) => void = (_r, res) => res.writeHead(200).end("ok");
  private waiters: (() => void)[] = [];
  private readonly server: Server;
  url = "";
  constructor() {
    this.server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => { body += c.toString("utf8"); });
      req.on("end", () => {
        const r = { headers: req.headers, body, path: req.url ?? "" };
        this.received.push(r);
        for (const w of this.waiters.splice(0)) w();
        this.answer(r, res);
      });
    });
  }
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }
  /** waits for the n-th request (1-based) */
  async nth(n: number): Promise<Received> {
    while (this.received.length < n) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.received[n - 1]!;
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** the Standard Webhooks check, written here independently of Baton's code */
function verify(secret: string, r: Received): void {
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const id = r.headers["webhook-id"] as string;
  const ts = r.headers["webhook-timestamp"] as string;
  const expected = createHmac("sha256", key).update(`${id}.${ts}.${r.body}`).digest("base64");
  expect((r.headers["webhook-signature"] as string).split(" ")).toContain(`v1,${expected}`);
  expect(r.headers["x-uipath-signature"]).toBe(createHmac("sha256", Buffer.from(secret, "utf8")).update(r.body).digest("base64"));
}

let b: TestBaton;
let clock: ManualClock;
let receiver: Receiver;
const tenantId = () => b.tenant.id;

async function subscribe(body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const res = await b.api("/api/v1/webhooks", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; secret: string };
}

async function deliveries(id: string): Promise<any[]> {
  return ((await b.apiJson(`/api/v1/webhooks/${id}/deliveries`)) as { items: any[] }).items;
}

async function session(processes: string[]): Promise<RobotSession> {
  return b.baton.robots.openSession(tenantId(), { robotName: "hooks", processes, slots: 10 });
}

async function startJob(processName: string, folderKey = b.sharedKey): Promise<string> {
  return ((await b.apiJson("/api/v1/jobs", { method: "POST", json: { folderKey, processName } })) as { key: string }).key;
}

beforeAll(async () => {
  clock = new ManualClock();
  b = await startSocketlessBaton({ webhooksAllowPrivate: true }, { clock, maintenanceIntervalMs: 50 });
  receiver = await new Receiver().start();
});
afterAll(async () => {
  await b.close();
  await receiver.close();
});
afterEach(async () => {
  for (const w of (await b.apiJson("/api/v1/webhooks")).items) await b.api(`/api/v1/webhooks/${w.id}`, { method: "DELETE" });
  receiver.received.length = 0;
  receiver.answer = (_r, res) => res.writeHead(200).end("ok");
});

describe("webhooks", () => {
  it("delivers every job event with the job as GET /jobs/{key} shows it, signed", async () => {
    const { id, secret } = await subscribe({ url: `${receiver.url}/hook`, events: ["*"] });
    const key = await startJob("Echo");
    let n = 1;
    const next = async (type: string) => {
      const r = await receiver.nth(n++);
      verify(secret, r);
      const body = JSON.parse(r.body);
      expect(body.type).toBe(type);
      expect(r.path).toBe("/hook");
      return body;
    };
    const created = await next("job.created");
    expect(created).toEqual({ type: "job.created", timestamp: clock.now().toISOString(), data: { job: { ...renderJob(await b.baton.store.getJob(tenantId(), key).then((j) => ({ ...j!, state: "Pending" as const }))), pendingReason: "NoRobot", attempts: [] } } });
    const s = await session(["Echo"]);
    const [claimed] = await b.baton.robots.claimNow(s, 1);
    const started = await next("job.started");
    expect(started.data.job).toEqual({
      ...renderJob(claimed!),
      attempts: [{ attempt: 1, robot: claimed!.robot, sessionId: s.id, startedAt: claimed!.startedAt, endedAt: null, outcome: "Running", error: null }],
    });
    await b.baton.robots.complete(s, key, { ok: 1 });
    const completed = await next("job.completed");
    expect(completed.data.job).toEqual(await b.apiJson(`/api/v1/jobs/${key}`));
    // faulted, stopped
    const k2 = await startJob("Echo");
    await next("job.created");
    await b.baton.robots.claimNow(s, 1);
    await next("job.started");
    await b.baton.robots.fail(s, k2, { code: "X", message: "no" });
    expect((await next("job.faulted")).data.job.error).toEqual({ code: "X", message: "no" });
    const k3 = await startJob("Echo");
    await next("job.created");
    await b.apiJson(`/api/v1/jobs/${k3}/stop`, { method: "POST", json: { strategy: "SoftStop" } });
    expect((await next("job.stopped")).data.job.state).toBe("Stopped");
    await b.baton.robots.closeSession(s, "closed");
    const listed = await until("all recorded", 10_000, async () => { const l = await deliveries(id); return l.every((d) => d.state === "Delivered") ? l : null; });
    expect(listed.every((d) => d.state === "Delivered" && d.attempts.length === 1 && d.attempts[0].statusCode === 200)).toBe(true);
    expect(listed.map((d) => d.type)).toEqual(["job.stopped", "job.created", "job.faulted", "job.started", "job.created", "job.completed", "job.started", "job.created"]);
  });

  it("sends job.retrying when a lost robot's job goes back to Pending", async () => {
    const { secret } = await subscribe({ url: receiver.url, events: ["job.retrying"] });
    const proc = (await b.apiJson(`/api/v1/folders/${b.sharedKey}/processes/Echo`)) as Record<string, unknown>;
    await b.apiJson(`/api/v1/folders/${b.sharedKey}/processes/Echo`, { method: "PATCH", json: { retry: { maxAttempts: 3, backoffSeconds: 0 } } });
    try {
      const key = await startJob("Echo");
      const s = await session(["Echo"]);
      await b.baton.robots.claimNow(s, 1);
      await b.baton.robots.closeSession(s, "lost");
      const r = await receiver.nth(1);
      verify(secret, r);
      const body = JSON.parse(r.body);
      expect(body.type).toBe("job.retrying");
      expect(body.data.job).toEqual(await b.apiJson(`/api/v1/jobs/${key}`));
    } finally {
      await b.apiJson(`/api/v1/folders/${b.sharedKey}/processes/Echo`, { method: "PATCH", json: { retry: proc.retry } });
    }
  });

  it("filters by event and folder", async () => {
    const other = (await b.apiJson("/api/v1/folders", { method: "POST", json: { name: `Other${Date.now()}` } })) as { key: string };
    await b.apiJson(`/api/v1/folders/${other.key}/processes`, { method: "POST", json: { name: "Echo" } });
    const { id } = await subscribe({ url: receiver.url, events: ["job.created"], folderKeys: [other.key] });
    await startJob("Echo");
    const key = await startJob("Echo", other.key);
    const r = await receiver.nth(1);
    expect(JSON.parse(r.body).data.job.key).toBe(key);
    expect((await deliveries(id)).map((d) => d.jobKey)).toEqual([key]);
  });

  /** this node's delivery metrics, as GET /metrics shows them */
  async function deliveryMetrics(): Promise<{ delivered: number; retrying: number; failed: number; yielding: number; inFlight: number; waiting: number }> {
    const res = await b.fetch(`${b.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const read = (sample: string) => {
      const line = text.split("\n").find((l) => l.startsWith(`${sample} `));
      expect(line, sample).toBeDefined();
      return Number(line!.slice(sample.length + 1));
    };
    return {
      delivered: read('baton_webhook_delivery_attempts_total{outcome="delivered"}'),
      retrying: read('baton_webhook_delivery_attempts_total{outcome="retrying"}'),
      failed: read('baton_webhook_delivery_attempts_total{outcome="failed"}'),
      yielding: read("baton_webhook_deliveries_yielding"),
      inFlight: read("baton_webhook_deliveries_in_flight"),
      waiting: read("baton_webhook_deliveries_waiting"),
    };
  }

  it("retries a failing receiver with backoff, lists the attempts, and fails after 24 hours; redeliver", async () => {
    // the attempts of the tests before counted (their receivers answered; their ends may still be on the way)
    await until("the dispatcher idle", 10_000, async () => (b.baton.webhooks.dispatcher.idle ? true : null));
    const before = await deliveryMetrics();
    const { id } = await subscribe({ url: receiver.url, events: ["job.created"] });
    let status = 500;
    receiver.answer = (_r, res) => res.writeHead(status).end();
    const key = await startJob("Echo");
    await receiver.nth(1);
    const first = await until("attempt recorded", 10_000, async () => (await deliveries(id)).find((d) => d.attempts.length === 1));
    expect(first).toMatchObject({ state: "Pending", jobKey: key });
    expect(first.attempts[0]).toMatchObject({ statusCode: 500, error: "The receiver answered 500." });
    const wait = Date.parse(first.nextAttemptAt) - clock.now().getTime();
    expect(wait).toBeGreaterThanOrEqual(2500);
    expect(wait).toBeLessThanOrEqual(5000);
    status = 200;
    clock.set(Date.parse(first.nextAttemptAt));
    await receiver.nth(2);
    const done = await until("delivered", 10_000, async () => (await deliveries(id)).find((d) => d.state === "Delivered"));
    expect(done.attempts.map((a: any) => a.statusCode)).toEqual([500, 200]);
    expect(receiver.received[0]!.headers["webhook-id"]).toBe(receiver.received[1]!.headers["webhook-id"]);
    expect(receiver.received[0]!.body).toBe(receiver.received[1]!.body);

    // a receiver that keeps failing: retried until 24 hours have passed, then Failed
    status = 503;
    receiver.received.length = 0;
    await startJob("Echo");
    const created = Date.parse((await until("new delivery", 10_000, async () => (await deliveries(id)).find((d) => d.state === "Pending" && d.attempts.length === 1))).createdAt);
    let d: any;
    for (let i = 2; ; i++) {
      d = (await deliveries(id))[0];
      if (d.state !== "Pending") break;
      clock.set(Date.parse(d.nextAttemptAt));
      await receiver.nth(i);
      await until("attempt recorded", 10_000, async () => ((await deliveries(id))[0].attempts.length === i ? true : null));
    }
    expect(d.state).toBe("Failed");
    expect(Date.parse(d.attempts.at(-1).at) - created).toBeLessThanOrEqual(24 * 3600_000);
    expect(d.attempts.length).toBeGreaterThan(10);
    expect(d.attempts.length).toBeLessThan(60);
    // still enabled: never disabled behind the operator's back
    expect((await b.apiJson(`/api/v1/webhooks/${id}`)).enabled).toBe(true);
    status = 204;
    const res = await b.api(`/api/v1/webhooks/${id}/deliveries/${d.id}/redeliver`, { method: "POST" });
    expect(res.status).toBe(202);
    const n = receiver.received.length;
    await receiver.nth(n + 1);
    const again = await until("redelivered", 10_000, async () => (await deliveries(id)).find((x) => x.id === d.id && x.state === "Delivered"));
    expect(again.attempts.at(-1).statusCode).toBe(204);
    // /metrics counts this node's attempts by what they left the delivery in: 500 then 200;
    // 503 until Failed; the redelivery's 204
    const after = await until("the last attempt counted, its slot free", 10_000, async () => {
      const m = await deliveryMetrics();
      return m.delivered - before.delivered === 2 && m.inFlight === 0 && m.waiting === 0 ? m : undefined;
    });
    expect(after.failed - before.failed).toBe(1);
    expect(after.retrying - before.retrying).toBe(1 + d.attempts.length - 1);
    // 0, or 1 while this process's event loop is saturated (BusyGauge reads the real loop)
    expect([0, 1]).toContain(after.yielding);
    const pending = await b.api(`/api/v1/webhooks/${id}/deliveries/msg_nope/redeliver`, { method: "POST" });
    expect(pending.status).toBe(404);
  });

  it("does not follow redirects", async () => {
    const target = await new Receiver().start();
    try {
      const { id } = await subscribe({ url: receiver.url, events: ["job.created"] });
      receiver.answer = (_r, res) => res.writeHead(302, { location: target.url }).end();
      await startJob("Echo");
      const d = await until("attempt", 10_000, async () => (await deliveries(id)).find((x) => x.attempts.length === 1));
      expect(d.attempts[0]).toMatchObject({ statusCode: 302, error: "The receiver answered 302 (redirects are not followed)." });
      expect(d.state).toBe("Pending");
      expect(target.received).toEqual([]);
    } finally {
      await target.close();
    }
  });

  it("a receiver that hangs does not hold up the others", async () => {
    const hanging = await new Receiver().start();
    hanging.answer = () => { /* never answers */ };
    try {
      await subscribe({ url: hanging.url, events: ["job.created"] });
      await startJob("Echo");
      await hanging.nth(1);
      await subscribe({ url: receiver.url, events: ["job.created"] });
      const key = await startJob("Echo");
      expect(JSON.parse((await receiver.nth(1)).body).data.job.key).toBe(key);
    } finally {
      await hanging.close();
    }
  });

  it("an attempt without an answer within the timeout is a failure, retried", async () => {
    const hanging = await new Receiver().start();
    hanging.answer = () => { /* never answers */ };
    const options = b.baton.webhooks.dispatcher.options;
    options.timeoutMs = 200;
    try {
      const { id } = await subscribe({ url: hanging.url, events: ["job.created"] });
      await startJob("Echo");
      const d = await until("attempt", 10_000, async () => (await deliveries(id)).find((x) => x.attempts.length === 1));
      expect(d.attempts[0]).toMatchObject({ statusCode: null, error: "No answer within 0.2 s." });
      expect(d.state).toBe("Pending");
    } finally {
      options.timeoutMs = 10_000;
      await hanging.close();
    }
  });

  it("test ping, rotation (both secrets sign during the grace), and the secret shown once", async () => {
    const { id, secret } = await subscribe({ url: receiver.url, events: ["job.completed"], description: "ci" });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const shown = await b.apiJson(`/api/v1/webhooks/${id}`);
    expect(shown).toEqual({
      id, url: receiver.url, events: ["job.completed"], folderKeys: null, enabled: true, description: "ci",
      createdAt: clock.now().toISOString(), updatedAt: clock.now().toISOString(), secretRotatedAt: null,
    });
    const ping = await b.api(`/api/v1/webhooks/${id}/test`, { method: "POST" });
    expect(ping.status).toBe(202);
    const r = await receiver.nth(1);
    verify(secret, r);
    expect(JSON.parse(r.body)).toEqual({ type: "webhook.test", timestamp: clock.now().toISOString(), data: { webhook: { id, url: receiver.url } } });
    const rotated = await b.apiJson(`/api/v1/webhooks/${id}/rotate-secret`, { method: "POST" });
    expect(rotated.secret).not.toBe(secret);
    await b.api(`/api/v1/webhooks/${id}/test`, { method: "POST" });
    const r2 = await receiver.nth(2);
    verify(rotated.secret, r2);
    expect((r2.headers["webhook-signature"] as string).split(" ")).toHaveLength(2);
    const old = { ...r2, headers: { ...r2.headers, "x-uipath-signature": createHmac("sha256", Buffer.from(secret, "utf8")).update(r2.body).digest("base64") } };
    verify(secret, old);
    clock.advance(24 * 3600_000 + 1);
    await b.api(`/api/v1/webhooks/${id}/test`, { method: "POST" });
    const r3 = await receiver.nth(3);
    expect((r3.headers["webhook-signature"] as string).split(" ")).toHaveLength(1);
    verify(rotated.secret, r3);
  });

  it("refuses bad and private URLs at creation, and private addresses at delivery", async () => {
    const post = (body: unknown) => b.api("/api/v1/webhooks", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    // the shapes (the route's schema): every fault at once
    const shape = await post({ url: 5, events: ["nope"], enabled: "yes" });
    expect(shape.status).toBe(400);
    expect(await shape.json()).toMatchObject({
      code: "invalid-webhook",
      violations: [
        { path: "/url", message: "must be string" },
        { path: "/events/0", message: "must be one of \"job.created\", \"job.started\", \"job.completed\", \"job.faulted\", \"job.stopped\", \"job.retrying\", \"*\"" },
        { path: "/enabled", message: "must be boolean" },
      ],
    });
    // the rules (the core's), once the shapes match: every fault at once, the same code
    const bad = await post({ url: "ftp://example.com/x", events: ["job.created"], folderKeys: ["x"], surprise: 1 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      code: "invalid-webhook",
      violations: [
        { path: "/url", message: "must be an http or https URL, not ftp" },
        { path: "/folderKeys/0", message: "is not the key of a folder of this tenant" },
        { path: "/surprise", message: "is not a field of a webhook; fields are url, events, folderKeys, enabled, description" },
      ],
    });
    const creds = await post({ url: "https://u:p@example.com/", events: ["*"] });
    expect((await creds.json()).violations).toEqual([{ path: "/url", message: "must not carry credentials (user:password@); authenticate the deliveries by their signature" }]);
    // private destinations refused (the installation does not allow them): resolved by an injected DNS
    const options = b.baton.webhooks.dispatcher.options;
    const resolver = b.baton.webhooks.resolver;
    const dns = new Map<string, string>([["hooks.example.com", "93.184.216.34"], ["inside.example.com", "10.1.2.3"]]);
    options.allowPrivate = false;
    b.baton.webhooks.resolver = async (host) => { const a = dns.get(host); if (!a) throw Object.assign(new Error("nx"), { code: "ENOTFOUND" }); return [{ address: a, family: 4 }]; };
    try {
      for (const [url, why] of [
        ["http://127.0.0.1:9/", "127.0.0.1 is a loopback, private, link-local or reserved address"],
        ["http://169.254.169.254/latest", "169.254.169.254 is a loopback, private, link-local or reserved address"],
        ["http://[::ffff:10.0.0.1]/", "::ffff:a00:1 carries the loopback, private, link-local or reserved address 10.0.0.1"],
        ["http://[fd00::1]/", "fd00::1 is a loopback, unique-local, link-local or reserved address"],
        ["http://100.64.0.1/", "100.64.0.1 is a loopback, private, link-local or reserved address"],
        ["http://0.0.0.0/", "0.0.0.0 is a loopback, private, link-local or reserved address"],
        ["http://inside.example.com/", "inside.example.com resolves to 10.1.2.3 is a loopback, private, link-local or reserved address"],
      ]) {
        const res = await post({ url, events: ["*"] });
        expect(res.status, url).toBe(400);
        expect((await res.json()).violations, url).toEqual([{ path: "/url", message: `is refused: ${why}; set BATON_WEBHOOKS_ALLOW_PRIVATE=true to allow private destinations` }]);
      }
      // allowed at creation; its DNS then changes to a private address: the delivery is refused, not sent
      const { id } = await subscribe({ url: "http://hooks.example.com/", events: ["job.created"] });
      dns.set("hooks.example.com", "127.0.0.1");
      await startJob("Echo");
      const d = await until("attempt", 10_000, async () => (await deliveries(id)).find((x) => x.attempts.length === 1));
      expect(d.attempts[0]).toMatchObject({ statusCode: null, error: "Refused: hooks.example.com resolves to 127.0.0.1 is a loopback, private, link-local or reserved address; set BATON_WEBHOOKS_ALLOW_PRIVATE=true to allow private destinations." });
    } finally {
      options.allowPrivate = true;
      b.baton.webhooks.resolver = resolver;
    }
  });

  it("a subscription's DNS lookup runs before its transaction: a slow name server holds no other write of the node", async () => {
    const resolver = b.baton.webhooks.resolver;
    let release!: () => void;
    let asked = false;
    b.baton.webhooks.resolver = async () => {
      asked = true;
      await new Promise<void>((r) => { release = r; });
      return [{ address: "127.0.0.1", family: 4 }];
    };
    try {
      const created = b.api("/api/v1/webhooks", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ url: "http://slow-dns.example.com/", events: ["job.created"] }) });
      await until("the lookup", 5_000, async () => asked);
      // a write meanwhile (a job started: a transaction of its own) is not held by the lookup
      // (on SQLite the subscription's transaction, open around it, held every write until it ended)
      // (bounded, so that without the change the test fails instead of holding the file's other tests)
      const key = await Promise.race([startJob("Echo"), new Promise<never>((_, fail) => setTimeout(() => fail(new Error("the job's write waited for the lookup")), 5_000))]);
      expect((await b.apiJson(`/api/v1/jobs/${key}`)).state).toBe("Pending");
      release();
      const res = await created;
      expect(res.status).toBe(201);
      expect((await res.json()).url).toBe("http://slow-dns.example.com/");
    } finally {
      release?.();
      b.baton.webhooks.resolver = resolver;
    }
  }, 15_000);

  it("a host whose DNS fails for now is 503 webhook-dns-unavailable with Retry-After, nothing saved; a body with faults of its own is still 400; a host that does not exist is 400", async () => {
    const resolver = b.baton.webhooks.resolver;
    const post = (body: unknown) => b.api("/api/v1/webhooks", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const count = async () => (await b.apiJson("/api/v1/webhooks")).items.length as number;
    b.baton.webhooks.resolver = async (host) => {
      if (host === "flaky.example.com") throw Object.assign(new Error("temporary failure in name resolution"), { code: "EAI_AGAIN" });
      throw Object.assign(new Error("nx"), { code: "ENOTFOUND" });
    };
    try {
      const before = await count();
      const res = await post({ url: "https://flaky.example.com/in", events: ["job.completed"] });
      expect(res.status).toBe(503);
      expect(res.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
      expect(res.headers.get("retry-after")).toBe("5");
      expect(await res.json()).toMatchObject({
        status: 503, code: "webhook-dns-unavailable",
        detail: "The webhook's URL could not be checked: the host flaky.example.com could not be looked up now; retry shortly (EAI_AGAIN). Nothing was saved; retry shortly.",
      });
      // a change to a subscription's URL: the same, and the subscription unchanged
      const { id } = await subscribe({ url: "http://127.0.0.1:9/", events: ["job.created"] });
      const patched = await b.api(`/api/v1/webhooks/${id}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ url: "https://flaky.example.com/in" }) });
      expect(patched.status).toBe(503);
      expect((await patched.json()).code).toBe("webhook-dns-unavailable");
      expect((await b.apiJson(`/api/v1/webhooks/${id}`)).url).toBe("http://127.0.0.1:9/");
      // a body bad on its own: its faults, whatever the DNS
      const bad = await post({ url: "https://flaky.example.com/in", events: ["job.completed"], surprise: 1 });
      expect(bad.status).toBe(400);
      expect((await bad.json()).violations).toEqual([{ path: "/surprise", message: "is not a field of a webhook; fields are url, events, folderKeys, enabled, description" }]);
      // a host with no such name is the URL's fault
      const missing = await post({ url: "https://nowhere.example.com/in", events: ["job.completed"] });
      expect(missing.status).toBe(400);
      expect((await missing.json()).violations).toEqual([{ path: "/url", message: "is refused: the host nowhere.example.com could not be resolved (ENOTFOUND)" }]);
      expect(await count()).toBe(before + 1);
      await b.api(`/api/v1/webhooks/${id}`, { method: "DELETE" });
    } finally {
      b.baton.webhooks.resolver = resolver;
    }
  });

  it("the client manages subscriptions and their deliveries", async () => {
    const client = new BatonClient({ url: b.tenantUrl, token: b.token, fetch: (url, init) => b.fetch(url, init) });
    const created = await client.webhooks.create({ url: receiver.url, events: ["job.completed"], description: "client" });
    expect(created.secret).toMatch(/^whsec_/);
    expect((await client.webhooks.list()).items.map((w) => w.id)).toEqual([created.id]);
    expect(await client.webhooks.update(created.id, { events: ["*"] })).toMatchObject({ id: created.id, events: ["*"] });
    const ping = await client.webhooks.test(created.id);
    verify(created.secret, await receiver.nth(1));
    const delivered = await until("delivered", 10_000, async () => (await client.webhooks.deliveries(created.id)).items.find((d) => d.id === ping.id && d.state === "Delivered"));
    expect(delivered.attempts).toHaveLength(1);
    expect((await client.webhooks.redeliver(created.id, ping.id)).state).toBe("Pending");
    verify(created.secret, await receiver.nth(2));
    const rotated = await client.webhooks.rotateSecret(created.id);
    expect(rotated.secret).not.toBe(created.secret);
    await client.webhooks.delete(created.id);
    expect((await client.webhooks.list()).items).toEqual([]);
  });

  it("answers 404 for an unknown webhook and audits changes", async () => {
    const res = await b.api("/api/v1/webhooks/00000000-0000-4000-8000-000000000000");
    expect(res.status).toBe(404);
    expect((await res.json()).code).toBe("webhook-not-found");
    const { id } = await subscribe({ url: receiver.url, events: ["job.created"] });
    const patched = await b.apiJson(`/api/v1/webhooks/${id}`, { method: "PATCH", json: { enabled: false } });
    expect(patched.enabled).toBe(false);
    await startJob("Echo");
    expect(await deliveries(id)).toEqual([]);
    const audit = (await b.apiJson("/api/v1/audit?action=webhook.*")).items.map((e: any) => e.action);
    expect(audit.slice(0, 2)).toEqual(["webhook.update", "webhook.create"]);
  });

  it("a delivery recorded on this node is handed to its dispatcher: its due row is written leased to the node, made with no claim, and ended in one write", async () => {
    const { id } = await subscribe({ url: receiver.url, events: ["job.created"] });
    const store = b.baton.store;
    const owner = b.baton.dueWork.owner;
    const scheduled: { id: string; leasedBy?: string | null; leaseUntil?: string | null }[] = [];
    let claims = 0;
    let ends = 0;
    const original = { scheduleWork: store.scheduleWork.bind(store), claimDueWork: store.claimDueWork.bind(store), endDeliveryAttempt: store.endDeliveryAttempt.bind(store) };
    const schedule = vi.spyOn(store, "scheduleWork").mockImplementation(async (w) => {
      if (w.kind === "webhook.delivery") scheduled.push(w);
      return original.scheduleWork(w);
    });
    // the dispatcher's rounds (every interval) claim nothing of it: it is leased already
    const claim = vi.spyOn(store, "claimDueWork").mockImplementation(async (kinds, ...rest) => {
      const claimed = await original.claimDueWork(kinds, ...rest);
      claims += claimed.filter((w) => w.kind === "webhook.delivery").length;
      return claimed;
    });
    const end = vi.spyOn(store, "endDeliveryAttempt").mockImplementation(async (...args) => {
      ends++;
      return original.endDeliveryAttempt(...args);
    });
    try {
      await startJob("Echo");
      const [d] = await until("delivered", 10_000, async () => { const l = await deliveries(id); return l[0]?.state === "Delivered" ? l : null; });
      expect(scheduled).toEqual([expect.objectContaining({ id: `webhook.delivery:${d.id}`, leasedBy: owner, leaseUntil: new Date(clock.now().getTime() + 60_000).toISOString() })]);
      expect(claims).toBe(0);
      expect(ends).toBe(1);
      expect(await store.getWork(`webhook.delivery:${d.id}`)).toBeNull();
      expect(receiver.received).toHaveLength(1);
    } finally {
      schedule.mockRestore();
      claim.mockRestore();
      end.mockRestore();
    }
  });

  it("an attempt's slot is free once the receiver has answered; its end is written meanwhile, and the dispatcher is idle (and stops) only once it is", async () => {
    const { id } = await subscribe({ url: receiver.url, events: ["job.created"] });
    const store = b.baton.store;
    const dispatcher = b.baton.webhooks.dispatcher;
    const original = store.endDeliveryAttempt.bind(store);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    let held = 0;
    const end = vi.spyOn(store, "endDeliveryAttempt").mockImplementation(async (...args) => {
      held++;
      await gate;
      return original(...args);
    });
    try {
      await startJob("Echo");
      await until("sent, its end held", 10_000, async () => (held === 1 ? true : null));
      expect(receiver.received).toHaveLength(1);
      // the slot is free (nothing in flight), the end still being written: not idle
      expect((dispatcher as unknown as { inFlight: Map<string, unknown> }).inFlight.size).toBe(0);
      expect(dispatcher.idle).toBe(false);
      expect((await deliveries(id))[0].state).toBe("Pending");
      release();
      await until("idle", 10_000, async () => (dispatcher.idle ? true : null));
      expect((await deliveries(id))[0].state).toBe("Delivered");
    } finally {
      release();
      end.mockRestore();
    }
  });

  it("a handed delivery takes a slot only once its own commit is on disk; when that commit's sync fails it is never sent from here, and the lease brings it back", async () => {
    const { id } = await subscribe({ url: receiver.url, events: ["job.created"] });
    const store = b.baton.store;
    const dispatcher = b.baton.webhooks.dispatcher;
    const inFlight = () => (dispatcher as unknown as { inFlight: Map<string, unknown> }).inFlight.size;
    const original = store.durable.bind(store);
    // the first durable() after the job's commit is the dispatcher's (the answer's comes after it)
    let settle!: { resolve: () => void; reject: (err: Error) => void };
    let armed = false;
    const durable = vi.spyOn(store, "durable").mockImplementation(() => {
      if (!armed) return original();
      armed = false;
      return new Promise<void>((resolve, reject) => { settle = { resolve, reject }; });
    });
    try {
      armed = true;
      await startJob("Echo");
      expect(armed).toBe(false);
      await new Promise((r) => setTimeout(r, 50));
      // waiting for the disk: nothing sent, no slot taken, and the dispatcher not idle
      expect(receiver.received).toHaveLength(0);
      expect(inFlight()).toBe(0);
      expect(dispatcher.idle).toBe(false);
      settle.resolve();
      await until("delivered", 10_000, async () => { const l = await deliveries(id); return l[0]?.state === "Delivered" ? l : null; });
      expect(receiver.received).toHaveLength(1);

      armed = true;
      await startJob("Echo");
      expect(armed).toBe(false);
      settle.reject(new Error("the WAL sync failed"));
      await until("idle", 10_000, async () => (dispatcher.idle ? true : null));
      await new Promise((r) => setTimeout(r, 50));
      expect(receiver.received).toHaveLength(1);
      // (here the commit did reach the disk: once the lease runs out, any node makes it)
      clock.advance(60_001);
      dispatcher.wake();
      await until("the second delivered", 10_000, async () => { const l = await deliveries(id); return l.length === 2 && l.every((d) => d.state === "Delivered") ? l : null; });
      expect(receiver.received).toHaveLength(2);
    } finally {
      durable.mockRestore();
    }
  });

  it("a delivery leased to a node that died before making it is made by this one once the lease runs out", async () => {
    const { id } = await subscribe({ url: receiver.url, events: ["job.created"] });
    const store = b.baton.store;
    const now = clock.now().getTime();
    const at = new Date(now).toISOString();
    const deliveryId = `msg_${timeOrderedUuid(now).replaceAll("-", "")}`;
    await store.createDelivery({ id: deliveryId, tenantId: tenantId(), webhookId: id, type: "job.created", jobKey: null, payload: JSON.stringify({ type: "job.created", timestamp: at, data: {} }), state: "Pending", createdAt: at, nextAttemptAt: at, retryUntil: new Date(now + 86_400_000).toISOString() });
    await store.scheduleWork({ id: `webhook.delivery:${deliveryId}`, kind: "webhook.delivery", tenantId: tenantId(), ref: deliveryId, dueAt: at, createdAt: at, leasedBy: "node-dead", leaseUntil: new Date(now + 60_000).toISOString() });
    b.baton.webhooks.dispatcher.wake();
    await new Promise((r) => setTimeout(r, 100));
    expect(receiver.received).toHaveLength(0);
    clock.advance(60_001);
    b.baton.webhooks.dispatcher.wake();
    const [d] = await until("delivered", 10_000, async () => { const l = await deliveries(id); return l[0]?.state === "Delivered" ? l : null; });
    expect(d.id).toBe(deliveryId);
    expect(receiver.received).toHaveLength(1);
    expect(await store.getWork(`webhook.delivery:${deliveryId}`)).toBeNull();
  });
});
