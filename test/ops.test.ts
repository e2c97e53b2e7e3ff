import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServer } from "../src/http/server.js";
import { invoke, startTestBaton, type TestBaton } from "./helpers/baton.js";

/** One sample of the Prometheus text format: `name{labels} value`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    expect(m, `not a sample line: ${line}`).not.toBeNull();
    const labels: Record<string, string> = {};
    for (const [, k, v] of m![2]?.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g) ?? []) labels[k!] = v!;
    samples.push({ name: m![1]!, labels, value: Number(m![3]) });
  }
  return samples;
}

/** The value of the one sample with that name and exactly those labels (undefined if absent). */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = samples.filter((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === JSON.stringify(Object.entries(labels).sort()));
  expect(hits.length, `${name}${JSON.stringify(labels)}`).toBeLessThanOrEqual(1);
  return hits[0]?.value;
}

async function scrape(url: string, init: RequestInit = {}): Promise<Sample[]> {
  const res = await fetch(`${url}/metrics`, init);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(await res.text());
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let b: TestBaton;
beforeAll(async () => { b = await startTestBaton(); });
afterAll(async () => { await b?.close(); });

describe("health and readiness", () => {
  it("/healthz: the process is up, no token needed", async () => {
    const res = await fetch(`${b.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ status: "ok" });
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("/readyz: 200 while the store answers", async () => {
    const res = await fetch(`${b.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ready" });
  });

  it("/readyz: 503 store-unavailable with Retry-After once the store is gone; /healthz stays 200, /metrics says baton_store_up 0", async () => {
    const c = await startTestBaton({}, { demo: false });
    try {
      expect((await fetch(`${c.url}/readyz`)).status).toBe(200);
      // a real failure: the SQLite file closed, or the PostgreSQL pool ended
      await c.baton.store.close();
      const res = await fetch(`${c.url}/readyz`);
      expect(res.status).toBe(503);
      expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await res.json()).toMatchObject({ status: 503, code: "store-unavailable", instance: "/readyz" });

      const health = await fetch(`${c.url}/healthz`);
      expect(health.status).toBe(200);

      const samples = await scrape(c.url);
      expect(value(samples, "baton_store_up")).toBe(0);
      expect(samples.some((s) => s.name === "baton_jobs")).toBe(false);
      // served (a number) while the store is gone; prom-client counts the CPU since the registry
      // was made, which a short test can leave at 0 on a kernel that accounts CPU by ticks
      expect(value(samples, "process_cpu_user_seconds_total")).toBeGreaterThanOrEqual(0);
    } finally {
      await c.close();
    }
  });
});

describe("/metrics", () => {
  it("counts jobs by state and process, queue depth, invocations, claims, robot sessions and waiting callers", async () => {
    // a process no robot serves: its jobs stay Pending (the queue)
    await b.apiJson(`/api/v1/folders/${b.sharedKey}/processes`, { method: "POST", json: { name: "Nobody" } });
    await b.apiJson(`/api/v1/folders/${b.sharedKey}/triggers`, {
      method: "POST", json: { name: "Nobody", slug: "nobody", verb: "POST", processName: "Nobody", callMode: "AsyncRequestReply" },
    });

    const N = 5;
    const keys: string[] = [];
    for (let i = 0; i < N; i++) {
      const res = await invoke(b, "echo", { i });
      expect(res.status).toBe(202);
      keys.push(((await res.json()) as { jobKey: string }).jobKey);
    }
    expect((await invoke(b, "echo", { $callMode: "FireAndForget" })).status).toBe(200);
    expect((await invoke(b, "echo", { x: 1, $callMode: "LongPolling" })).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await invoke(b, "nobody", {})).status).toBe(202);
    // not an invocation that created a job: not observed
    expect((await invoke(b, "echo", {}, { headers: { authorization: "Bearer nope" } })).status).toBe(401);

    // a LongPolling caller waiting on this node shows in baton_waiting_callers while it waits
    const waiting = invoke(b, "sleep", { seconds: 1, $callMode: "LongPolling" });
    await until("a waiting caller", async () => (value(await scrape(b.url), "baton_waiting_callers") === 1 ? true : undefined));
    expect((await waiting).status).toBe(200);
    expect(value(await scrape(b.url), "baton_waiting_callers")).toBe(0);

    // every Echo job done (the FireAndForget one has no key to poll: count them)
    const samples = await until("the Echo jobs to end", async () => {
      const s = await scrape(b.url);
      return value(s, "baton_jobs", { state: "Successful", process: "Echo" }) === N + 2 ? s : undefined;
    });
    for (const state of ["Pending", "Running", "Stopping", "Terminating", "Faulted", "Stopped"]) {
      expect(value(samples, "baton_jobs", { state, process: "Echo" }), state).toBe(0);
    }
    expect(value(samples, "baton_jobs", { state: "Successful", process: "Sleep" })).toBe(1);
    expect(value(samples, "baton_jobs", { state: "Pending", process: "Nobody" })).toBe(2);
    expect(value(samples, "baton_queue_depth", { process: "Nobody" })).toBe(2);
    expect(value(samples, "baton_queue_depth", { process: "Echo" })).toBe(0);

    // invoke latency: one observation per invocation that created a job, by call mode
    expect(value(samples, "baton_invoke_duration_seconds_count", { call_mode: "AsyncRequestReply" })).toBe(N + 2);
    expect(value(samples, "baton_invoke_duration_seconds_count", { call_mode: "FireAndForget" })).toBe(1);
    expect(value(samples, "baton_invoke_duration_seconds_count", { call_mode: "LongPolling" })).toBe(2);
    // the LongPolling Sleep took its second
    expect(value(samples, "baton_invoke_duration_seconds_sum", { call_mode: "LongPolling" })).toBeGreaterThanOrEqual(0.9);
    expect(value(samples, "baton_invoke_duration_seconds_bucket", { call_mode: "LongPolling", le: "+Inf" })).toBe(2);

    // claim latency: one observation per claimed job (the demo robot claims through this node's core)
    expect(value(samples, "baton_claim_latency_seconds_count")).toBe(N + 3);
    expect(value(samples, "baton_claim_latency_seconds_sum")).toBeGreaterThanOrEqual(0);

    // the demo robot's session, its 100 slots
    expect(value(samples, "baton_robot_sessions")).toBe(1);
    expect(value(samples, "baton_robot_slots")).toBe(100);
    expect(value(samples, "baton_store_up")).toBe(1);

    // webhook deliveries: none made (no subscription), none in flight or waiting; yielding is
    // 0, or 1 while this process's event loop is saturated (the gauge reads the real loop)
    for (const outcome of ["delivered", "retrying", "failed"]) expect(value(samples, "baton_webhook_delivery_attempts_total", { outcome }), outcome).toBe(0);
    expect(value(samples, "baton_webhook_deliveries_in_flight")).toBe(0);
    expect(value(samples, "baton_webhook_deliveries_waiting")).toBe(0);
    expect([0, 1]).toContain(value(samples, "baton_webhook_deliveries_yielding"));

    // cross-node events: a PostgreSQL node is alone (no other node on its schema; its first look,
    // at its start, went before the requests above on its pool); never on SQLite
    expect(value(samples, "baton_notifier_alone")).toBe(b.baton.store.engine === "sqlite" ? 0 : 1);

    // Node's own process metrics
    // (CPU since the registry was made: a number, possibly 0 on a kernel that accounts CPU by ticks)
    expect(value(samples, "process_cpu_user_seconds_total")).toBeGreaterThanOrEqual(0);
    expect(samples.some((s) => s.name === "nodejs_eventloop_lag_seconds")).toBe(true);
    expect(samples.some((s) => s.name === "nodejs_heap_size_used_bytes")).toBe(true);
  });

  it("keeps each server's metrics apart (a registry per server)", async () => {
    const other = buildServer({ baton: b.baton });
    await other.app.listen({ port: 0, host: "127.0.0.1" });
    try {
      const address = other.app.server.address() as { port: number };
      const samples = await scrape(`http://127.0.0.1:${address.port}`);
      expect(value(samples, "baton_invoke_duration_seconds_count", { call_mode: "AsyncRequestReply" })).toBe(0);
      // the store's counts are the cluster's, the same on every server
      expect(value(samples, "baton_queue_depth", { process: "Nobody" })).toBe(2);
    } finally {
      await other.app.close();
    }
  });

  describe("with BATON_METRICS_TOKEN", () => {
    let c: TestBaton;
    beforeAll(async () => { c = await startTestBaton({ metricsToken: "metrics-secret-123" }, { demo: false }); });
    afterAll(async () => { await c?.close(); });

    it("answers 401 without the token, with a wrong one or with a PAT, and 200 with it", async () => {
      for (const authorization of [undefined, "Bearer wrong", `Bearer ${c.token}`, "metrics-secret-123", "Basic metrics-secret-123"]) {
        const res = await fetch(`${c.url}/metrics`, { headers: authorization ? { authorization } : {} });
        expect(res.status, authorization).toBe(401);
        expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
        expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
        expect(await res.json()).toMatchObject({ code: "unauthorized" });
      }
      const samples = await scrape(c.url, { headers: { authorization: "Bearer metrics-secret-123" } });
      expect(value(samples, "baton_store_up")).toBe(1);
    });

    it("leaves /healthz and /readyz open", async () => {
      expect((await fetch(`${c.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${c.url}/readyz`)).status).toBe(200);
    });
  });
});

describe("structured logs", () => {
  it("are JSON lines with the request id of X-Request-Id, and no tokens or signatures", async () => {
    const lines: string[] = [];
    // the server assembly app.ts uses with BATON_LOG_LEVEL=info, its lines captured
    const server = buildServer({ baton: b.baton, logger: { level: "info", stream: { write: (line) => { lines.push(line); } } } });
    await server.app.listen({ port: 0, host: "127.0.0.1" });
    try {
      const url = `http://127.0.0.1:${(server.app.server.address() as { port: number }).port}`;
      const base = `${url}/default/DefaultTenant/orchestrator_`;
      const reqId = "ops-test-7f3a.1";
      const invoked = await fetch(`${base}/t/${b.sharedKey}/echo`, {
        method: "POST",
        headers: { authorization: `Bearer ${b.token}`, "content-type": "application/json", "x-request-id": reqId },
        body: JSON.stringify({ hello: "logs" }),
      });
      expect(invoked.status).toBe(202);
      expect(invoked.headers.get("x-request-id")).toBe(reqId);
      const { jobKey } = (await invoked.json()) as { jobKey: string };

      // a signed wait URI's signature stays out of the logs (a wrong one: 401 either way)
      const signature = "c2lnbmF0dXJlLXNlY3JldC12YWx1ZQ";
      const waited = await fetch(`${base}/api/v1/jobs/${jobKey}/wait?exp=9999999999&sig=${signature}`, { headers: { "x-request-id": "ops-test-wait" } });
      expect(waited.status).toBe(401);

      // no or an unusable X-Request-Id: a new UUID, in the header and the logs alike
      const fresh = await fetch(`${url}/healthz`, { headers: { "x-request-id": "not a valid id" } });
      const freshId = fresh.headers.get("x-request-id")!;
      expect(freshId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

      const wanted = [reqId, "ops-test-wait", freshId];
      const records = await until("the response log lines", async () => {
        const parsed = lines.map((l) => JSON.parse(l) as Record<string, any>);
        return wanted.every((id) => parsed.some((r) => r.reqId === id && r.msg === "request completed")) ? parsed : undefined;
      });
      for (const line of lines) expect(line.endsWith("\n")).toBe(true);
      for (const r of records) {
        expect(typeof r.level).toBe("number");
        expect(typeof r.time).toBe("number");
        expect(typeof r.msg).toBe("string");
      }

      const incoming = records.find((r) => r.reqId === reqId && r.msg === "incoming request")!;
      expect(incoming.req).toMatchObject({ method: "POST", url: `/default/DefaultTenant/orchestrator_/t/${b.sharedKey}/echo` });
      const completed = records.find((r) => r.reqId === reqId && r.msg === "request completed")!;
      expect(completed.res).toMatchObject({ statusCode: 202 });
      expect(typeof completed.responseTime).toBe("number");
      expect(records.find((r) => r.reqId === "ops-test-wait" && r.msg === "incoming request")!.req.url).toContain("sig=[redacted]");
      expect(records.find((r) => r.reqId === freshId && r.msg === "incoming request")!.req.url).toBe("/healthz");

      const all = lines.join("");
      expect(all).not.toContain(b.token);
      expect(all).not.toContain(signature);
      expect(all.toLowerCase()).not.toContain("authorization");
    } finally {
      await server.app.close();
    }
  });
});
