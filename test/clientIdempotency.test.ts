/**
 * The client's idempotency keys (SPEC §8), with a stub fetch: one key per call, the same on
 * every retry of it; none with `false`; the caller's as given; `Idempotent-Replayed` read;
 * the key on the errors of a failed call.
 */
import { describe, expect, it } from "vitest";
import { BatonApiError, BatonClient, newIdempotencyKey, TimeoutError, type FetchLike } from "../src/index.js";

interface Call { url: string; method: string; key: string | null }
type Handler = (url: string, init: RequestInit, n: number) => Response | Promise<Response>;

const stub = (handler: Handler) => {
  const calls: Call[] = [];
  const fetchStub: FetchLike = async (url, init) => {
    calls.push({ url, method: init.method ?? "GET", key: new Headers(init.headers).get("idempotency-key") });
    return handler(url, init, calls.length);
  };
  return { calls, fetch: fetchStub };
};
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
const unavailable = (status = 503) =>
  json(status, { type: "about:blank", title: "Unavailable", status, detail: "busy", code: status === 503 ? "store-unavailable" : "too-many-requests" }, { "retry-after": "0" });
const A = "https://a.example/default/DefaultTenant";
const invokeA = `${A}/orchestrator_/t/0b8f4c4e-8f59-4a47-9d6b-0c3b0ff3f2c1/echo`;
const jobKey = "5a0d5d3e-2f0b-4c8e-9a53-6f3b1d2a7c10";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const job = { key: jobKey, state: "Pending", processName: "Echo", folderKey: "f" };

describe("invoke: Idempotency-Key", () => {
  it("sends a new key per call, the same on every retry of one call (503, 429), and exposes it", async () => {
    const s = stub((_url, _init, n) => (n === 1 ? unavailable(503) : n === 2 ? unavailable(429) : json(200, { ok: n })));
    const c = new BatonClient({ url: A, token: "t", fetch: s.fetch });
    const first = await c.invokeWithDetails(invokeA, {}, { callMode: "LongPolling" });
    expect(first).toEqual({ output: { ok: 3 }, jobKey: null, idempotencyKey: expect.stringMatching(UUID), replayed: false });
    expect(s.calls.map((x) => [x.method, x.key])).toEqual([["POST", first.idempotencyKey], ["POST", first.idempotencyKey], ["POST", first.idempotencyKey]]);

    const second = await c.invokeWithDetails(invokeA, {}, { callMode: "LongPolling" });
    expect(second.idempotencyKey).toMatch(UUID);
    expect(second.idempotencyKey).not.toBe(first.idempotencyKey);
    expect(s.calls.at(-1)?.key).toBe(second.idempotencyKey);
  });

  it("retries an invocation that failed on the network with the same key", async () => {
    const s = stub((_url, _init, n) => {
      if (n === 1) throw new TypeError("fetch failed");
      return json(200, { ok: true });
    });
    const c = new BatonClient({ url: A, token: "t", fetch: s.fetch });
    await expect(c.invoke(invokeA, {}, { callMode: "LongPolling" })).resolves.toEqual({ ok: true });
    expect(s.calls).toHaveLength(2);
    expect(s.calls[0]?.key).toMatch(UUID);
    expect(s.calls[1]?.key).toBe(s.calls[0]?.key);
  });

  it("false sends no key and does not repeat the invocation", async () => {
    const s = stub(() => unavailable(503));
    const c = new BatonClient({ url: A, token: "t", fetch: s.fetch });
    const err = await c.invokeWithDetails(invokeA, {}, { callMode: "LongPolling", idempotencyKey: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BatonApiError);
    expect(err).toMatchObject({ status: 503, idempotencyKey: null });
    expect(s.calls).toEqual([{ url: invokeA, method: "POST", key: null }]);
  });

  it("sends a given key as is, on the invocation only (not on the polls), and reads Idempotent-Replayed", async () => {
    const status = `${A}/orchestrator_/api/v1/jobs/${jobKey}/status`;
    const s = stub((url) => {
      if (url === invokeA) return json(202, { jobKey, state: "Pending", statusUri: status }, { location: status, "retry-after": "0", "idempotent-replayed": "true" });
      if (url === status) return new Response(null, { status: 303, headers: { location: `${A}/orchestrator_/api/v1/jobs/${jobKey}/output` } });
      return json(200, { done: 1 });
    });
    const c = new BatonClient({ url: A, token: "t", fetch: s.fetch });
    const result = await c.invokeWithDetails(invokeA, { a: 1 }, { callMode: "AsyncRequestReply", idempotencyKey: "order-42" });
    expect(result).toEqual({ output: { done: 1 }, jobKey, idempotencyKey: "order-42", replayed: true });
    expect(s.calls.map((x) => [x.url.replace(/.*\//, ""), x.key])).toEqual([["echo", "order-42"], ["status", null], ["output", null]]);
  });

  it("an answer without Idempotent-Replayed is not a replay", async () => {
    const s = stub(() => json(200, {}, { "idempotent-replayed": "false" }));
    const c = new BatonClient({ url: A, token: "t", fetch: s.fetch });
    expect((await c.invokeWithDetails(invokeA, {}, { callMode: "LongPolling" })).replayed).toBe(false);
  });

  it("a failed call's error carries its key; a key the server would refuse is refused before sending", async () => {
    const s = stub(() => json(422, { type: "about:blank", title: "Unprocessable", status: 422, detail: "another request", code: "idempotency-key-mismatch" }));
    const c = new BatonClient({ url: A, token: "t", fetch: s.fetch });
    await expect(c.invoke(invokeA, {}, { callMode: "LongPolling", idempotencyKey: "k-1" })).rejects.toMatchObject({ code: "idempotency-key-mismatch", idempotencyKey: "k-1" });
    for (const bad of ["", "x".repeat(256), "é", "a\nb"]) {
      await expect(c.invoke(invokeA, {}, { idempotencyKey: bad })).rejects.toBeInstanceOf(TypeError);
    }
    expect(s.calls).toHaveLength(1);
  });

  it("a verb found from 405's Allow goes with a new key of the client's, a caller's key is kept", async () => {
    const s = stub((_url, init) => (init.method === "POST"
      ? new Response(null, { status: 405, headers: { allow: "GET" } })
      : json(200, { ok: 1 })));
    const c = new BatonClient({ url: A, token: "t", fetch: s.fetch });
    const mine = await c.invokeWithDetails(invokeA, {}, { callMode: "LongPolling" });
    expect(s.calls[0]?.key).toMatch(UUID);
    expect(s.calls[1]?.key).toBe(mine.idempotencyKey);
    expect(s.calls[1]?.key).not.toBe(s.calls[0]?.key);
    await c.invoke(invokeA, {}, { callMode: "LongPolling", idempotencyKey: "given" });
    expect(s.calls.slice(2).map((x) => [x.method, x.key])).toEqual([["POST", "given"], ["GET", "given"]]);
  });
});

describe("jobs.start: Idempotency-Key", () => {
  const jobs = `${A}/orchestrator_/api/v1/jobs`;

  it("retries with the same key after 503 and a network error; a new key per call", async () => {
    const s = stub((_url, _init, n) => {
      if (n === 1) return unavailable(503);
      if (n === 2) throw new TypeError("fetch failed");
      return json(201, job);
    });
    const c = new BatonClient({ url: A, token: "t", fetch: s.fetch });
    await expect(c.jobs.start({ folderKey: "f", processName: "Echo" })).resolves.toEqual(job);
    expect(s.calls.map((x) => x.url)).toEqual([jobs, jobs, jobs]);
    const key = s.calls[0]?.key;
    expect(key).toMatch(UUID);
    expect(s.calls.map((x) => x.key)).toEqual([key, key, key]);
    await c.jobs.start({ folderKey: "f", processName: "Echo" });
    expect(s.calls[3]?.key).toMatch(UUID);
    expect(s.calls[3]?.key).not.toBe(key);
  }, 10_000);

  it("false sends none and does not retry; a given key is sent and named by the error", async () => {
    const s = stub(() => unavailable(503));
    const c = new BatonClient({ url: A, token: "t", fetch: s.fetch });
    await expect(c.jobs.start({ folderKey: "f", processName: "Echo" }, { idempotencyKey: false })).rejects.toMatchObject({ status: 503, idempotencyKey: null });
    expect(s.calls.map((x) => x.key)).toEqual([null]);
    const failing = stub(() => { throw new TypeError("fetch failed"); });
    const d = new BatonClient({ url: A, token: "t", fetch: failing.fetch });
    const err = await d.jobs.start({ folderKey: "f", processName: "Echo" }, { idempotencyKey: "batch-7", timeoutMs: 300 }).catch((e: unknown) => e);
    // still retrying (1 s after the first failure) when the call's time runs out
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ idempotencyKey: "batch-7" });
    expect(failing.calls.every((x) => x.key === "batch-7")).toBe(true);
  });

  it("other management calls send no key and are not retried", async () => {
    const s = stub(() => unavailable(503));
    const c = new BatonClient({ url: A, token: "t", fetch: s.fetch });
    await expect(c.jobs.stop(jobKey)).rejects.toBeInstanceOf(BatonApiError);
    expect(s.calls.map((x) => x.key)).toEqual([null]);
  });
});

describe("newIdempotencyKey", () => {
  it("is a UUID v7: its time, then random bits; keys made later sort after", () => {
    const at = Date.parse("2026-12-07T12:34:56.789Z");
    const key = newIdempotencyKey(at);
    expect(key).toMatch(UUID);
    expect(parseInt(key.replace(/-/g, "").slice(0, 12), 16)).toBe(at);
    const keys = Array.from({ length: 50 }, (_, i) => newIdempotencyKey(at + i));
    expect(new Set(keys).size).toBe(50);
    expect([...keys].sort()).toEqual(keys);
    // same millisecond: still distinct
    expect(new Set(Array.from({ length: 50 }, () => newIdempotencyKey(at))).size).toBe(50);
  });

  it("refuses a time that does not fit the 48 bits of a v7 timestamp", () => {
    for (const bad of [-1, 2 ** 48, 1.5, Number.NaN]) expect(() => newIdempotencyKey(bad)).toThrow(RangeError);
    expect(newIdempotencyKey(2 ** 48 - 1)).toMatch(/^ffffffff-ffff-7/);
  });

  it("needs no crypto.randomUUID (a browser page that is not a secure context)", () => {
    const crypto = globalThis.crypto as { randomUUID?: unknown };
    const saved = crypto.randomUUID;
    Object.defineProperty(crypto, "randomUUID", { value: undefined, configurable: true, writable: true });
    try {
      const keys = new Set(Array.from({ length: 50 }, () => newIdempotencyKey()));
      expect(keys.size).toBe(50);
      for (const key of keys) expect(key).toMatch(UUID);
    } finally {
      Object.defineProperty(crypto, "randomUUID", { value: saved, configurable: true, writable: true });
    }
  });
});
