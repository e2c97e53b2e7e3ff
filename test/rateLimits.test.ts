import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TokenBuckets } from "../src/core/RateLimits.js";
import { startSocketlessBaton, type TestBaton } from "./helpers/baton.js";

let b: TestBaton;
beforeAll(async () => { b = await startSocketlessBaton(); });
afterAll(async () => { await b?.close(); });
// the admin token is limited too: settings are put back with a fresh bucket's worth of requests to spare
afterEach(async () => { await b.patchSettings({ rateLimitPerTokenPerMinute: 0, rateLimitPerTriggerPerMinute: 0 }); });

async function newToken(name: string, scopes = ["OR.Jobs", "OR.Folders"]): Promise<string> {
  return (await b.apiJson("/api/v1/tokens", { method: "POST", json: { name, scopes } })).token;
}

const listJobs = (token: string) => b.fetch(`${b.base}/api/v1/jobs?limit=1`, { headers: { authorization: `Bearer ${token}` } });
const fireAndForget = (slug: string, token: string) => b.fetch(b.invokeUrl(slug), {
  method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ $callMode: "FireAndForget" }),
});

/** 429, problem+json rate-limited, Retry-After a whole number of seconds from 1 to `atMost` (the body says the same). */
async function expectRateLimited(res: Response, limitedBy: "token" | "trigger", limitPerMinute: number, atMost: number): Promise<void> {
  expect(res.status).toBe(429);
  expect(res.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
  const retryAfter = res.headers.get("retry-after");
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(retryAfter)).toBeLessThanOrEqual(atMost);
  expect(await res.json()).toMatchObject({ status: 429, code: "rate-limited", title: "Too Many Requests", limitedBy, limitPerMinute, retryAfterSeconds: Number(retryAfter) });
}

describe("settings", () => {
  it("default to 0 (unlimited) and accept integers from 0 to 1,000,000", async () => {
    const settings = await b.apiJson("/api/v1/settings");
    expect(settings).toMatchObject({ rateLimitPerTokenPerMinute: 0, rateLimitPerTriggerPerMinute: 0 });
    const patched = await b.apiJson("/api/v1/settings", { method: "PATCH", json: { rateLimitPerTokenPerMinute: 1_000_000, rateLimitPerTriggerPerMinute: 7 } });
    expect(patched).toMatchObject({ rateLimitPerTokenPerMinute: 1_000_000, rateLimitPerTriggerPerMinute: 7 });
    expect(await b.apiJson("/api/v1/settings")).toMatchObject({ rateLimitPerTokenPerMinute: 1_000_000, rateLimitPerTriggerPerMinute: 7 });
  });

  it("refuse negative, fractional, too large and non-numeric values with 400 invalid-settings", async () => {
    for (const value of [-1, 1.5, 1_000_001, "5", null, true]) {
      for (const key of ["rateLimitPerTokenPerMinute", "rateLimitPerTriggerPerMinute"]) {
        const res = await b.api("/api/v1/settings", { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ [key]: value }) });
        expect(res.status, `${key}: ${JSON.stringify(value)}`).toBe(400);
        const body = await res.json();
        expect(body.code).toBe("invalid-settings");
        expect(body.violations).toEqual([{ path: `/${key}`, message: "must be an integer from 0 to 1000000" }]);
      }
    }
    expect(await b.apiJson("/api/v1/settings")).toMatchObject({ rateLimitPerTokenPerMinute: 0, rateLimitPerTriggerPerMinute: 0 });
  });
});

describe("per token", () => {
  it("answers the 6th request within the minute 429 with Retry-After; another token is unaffected", async () => {
    const limited = await newToken("limited");
    const other = await newToken("other");
    await b.patchSettings({ rateLimitPerTokenPerMinute: 5 });
    for (let i = 0; i < 5; i++) expect((await listJobs(limited)).status, `request ${i + 1}`).toBe(200);
    await expectRateLimited(await listJobs(limited), "token", 5, 12);
    // every authenticated request of the tenant counts: invocations and management alike
    await expectRateLimited(await fireAndForget("echo", limited), "token", 5, 12);
    await expectRateLimited(await b.fetch(`${b.base}/api/v1/folders`, { headers: { authorization: `Bearer ${limited}` } }), "token", 5, 12);
    for (let i = 0; i < 5; i++) expect((await listJobs(other)).status, `other ${i + 1}`).toBe(200);
    await expectRateLimited(await listJobs(other), "token", 5, 12);
    // requests without a valid token are 401, and no token's bucket pays for them
    const third = await newToken("third");
    for (let i = 0; i < 10; i++) expect((await listJobs(`${third}x`)).status).toBe(401);
    expect((await listJobs(third)).status).toBe(200);
  });

  it("counts an external application's access tokens together: a new token is no way around the limit", async () => {
    const org = `${b.url}/default`;
    const app = await b.apiJson(`${org}/api/v1/external-apps`, { method: "POST", json: { name: "limited-app", tenant: "DefaultTenant", scopes: ["OR.Jobs"] } });
    const accessToken = async () => {
      const form = new URLSearchParams({ grant_type: "client_credentials", client_id: app.clientId, client_secret: app.clientSecret });
      const res = await b.fetch(`${org}/identity_/connect/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form });
      expect(res.status).toBe(200);
      return (await res.json()).access_token as string;
    };
    const first = await accessToken();
    await b.patchSettings({ rateLimitPerTokenPerMinute: 3 });
    for (let i = 0; i < 3; i++) expect((await listJobs(first)).status).toBe(200);
    await expectRateLimited(await listJobs(first), "token", 3, 20);
    await expectRateLimited(await listJobs(await accessToken()), "token", 3, 20);
  });

  it("0 means unlimited, and applies at once", async () => {
    const token = await newToken("unlimited");
    await b.patchSettings({ rateLimitPerTokenPerMinute: 2 });
    expect((await listJobs(token)).status).toBe(200);
    expect((await listJobs(token)).status).toBe(200);
    expect((await listJobs(token)).status).toBe(429);
    await b.patchSettings({ rateLimitPerTokenPerMinute: 0 });
    const answers = await Promise.all(Array.from({ length: 50 }, () => listJobs(token)));
    expect(answers.map((r) => r.status)).toEqual(Array(50).fill(200));
  });
});

describe("per trigger", () => {
  it("limits the invocations of one trigger, whoever calls, and not another trigger", async () => {
    for (const slug of ["limited-echo", "free-echo"]) {
      await b.apiJson(`/api/v1/folders/${b.sharedKey}/triggers`, { method: "POST", json: { name: slug, slug, verb: "POST", processName: "Echo" } });
    }
    const trigger = (await b.apiJson("/api/v1/triggers")).items.find((t: { slug: string }) => t.slug === "limited-echo");
    const caller = await newToken("caller");
    const another = await newToken("another caller");
    await b.patchSettings({ rateLimitPerTriggerPerMinute: 3 });
    for (let i = 0; i < 3; i++) expect((await fireAndForget("limited-echo", caller)).status, `invocation ${i + 1}`).toBe(200);
    await expectRateLimited(await fireAndForget("limited-echo", caller), "trigger", 3, 20);
    await expectRateLimited(await fireAndForget("limited-echo", another), "trigger", 3, 20);
    // another trigger has a bucket of its own, and the rest of the API is not limited by it
    for (let i = 0; i < 3; i++) expect((await fireAndForget("free-echo", caller)).status).toBe(200);
    expect((await listJobs(caller)).status).toBe(200);
    // the refused invocations created no job
    const jobs = await b.apiJson(`/api/v1/jobs?triggerId=${trigger.id}&limit=100`);
    expect(jobs.items).toHaveLength(3);

    await b.patchSettings({ rateLimitPerTriggerPerMinute: 0 });
    const answers = await Promise.all(Array.from({ length: 20 }, () => fireAndForget("limited-echo", caller)));
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
  });
});

describe("token buckets", () => {
  it("allow a minute's worth at once, then one request per 60/limit seconds; Retry-After counts up to the next one", () => {
    let now = 0;
    const buckets = new TokenBuckets(() => now);
    for (let i = 0; i < 5; i++) expect(buckets.take("a", 5)).toBe(0);
    expect(buckets.take("a", 5)).toBe(12);
    now += 11_500;
    expect(buckets.take("a", 5)).toBe(1);
    now += 1000;
    expect(buckets.take("a", 5)).toBe(0);
    expect(buckets.take("a", 5)).toBe(12);
    // a refused request takes nothing: the bucket fills up to the limit, not beyond
    now += 10 * 60_000;
    for (let i = 0; i < 5; i++) expect(buckets.take("a", 5)).toBe(0);
    expect(buckets.take("a", 5)).toBeGreaterThan(0);
    // keys are independent; a limit of 1 a minute waits up to 60 s
    expect(buckets.take("b", 1)).toBe(0);
    expect(buckets.take("b", 1)).toBe(60);
  });

  it("forget buckets idle for a minute and never hold more than maxBuckets", () => {
    let now = 0;
    const buckets = new TokenBuckets(() => now, 100);
    for (let i = 0; i < 50; i++) buckets.take(`idle-${i}`, 10);
    expect(buckets.size).toBe(50);
    now += 60_000;
    // each call drops up to two idle buckets from the front
    for (let i = 0; i < 30; i++) buckets.take("busy", 1_000_000);
    expect(buckets.size).toBe(1);
    for (let i = 0; i < 1000; i++) buckets.take(`burst-${i}`, 10);
    expect(buckets.size).toBeLessThanOrEqual(101);
    // the most recently used survive
    expect(buckets.take("burst-999", 10)).toBe(0);
  });
});
