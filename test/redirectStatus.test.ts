/**
 * The tenant setting redirectStatusCode (303 by default, 302 allowed) and the bound between
 * longPollTimeoutSeconds and syncMaxJobDurationSeconds (fetch follows at most 20 redirects).
 *
 * - the setting's validation, and the bound's, through PATCH /settings (socketless);
 * - every redirect of the call modes answers the setting (status URI → output URI,
 *   LongPolling → wait URI, wait URI → wait URI), the long-poll timeouts moved by a
 *   ManualClock (socketless, no robot: the jobs stay Pending, a Kill makes them final);
 * - with the demo robot on a socket: the shipped client follows 302 as it follows 303, and
 *   the seed's C# samples, ported literally (they compare with HttpStatusCode.Redirect, 302),
 *   reach the output once the tenant answers 302.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BatonClient } from "../src/client/index.js";
import { ManualClock } from "../src/core/Clock.js";
import { startSocketlessBaton, startTestBaton, type TestBaton } from "./helpers/baton.js";

async function patch(b: TestBaton, body: unknown): Promise<{ status: number; type: string | null; json: any }> {
  const res = await b.api("/api/v1/settings", { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, type: res.headers.get("content-type"), json: await res.json() };
}

function expectInvalid(answer: { status: number; type: string | null; json: any }, violations: { path: string; message: string | RegExp }[]): void {
  expect(answer.status).toBe(400);
  expect(answer.type).toBe("application/problem+json; charset=utf-8");
  expect(answer.json).toMatchObject({ status: 400, code: "invalid-settings", type: "about:blank", title: "Bad Request" });
  expect(answer.json.violations).toHaveLength(violations.length);
  violations.forEach((v, i) => {
    expect(answer.json.violations[i].path).toBe(v.path);
    if (typeof v.message === "string") expect(answer.json.violations[i].message).toBe(v.message);
    else expect(answer.json.violations[i].message).toMatch(v.message);
  });
}

describe("the settings", () => {
  let b: TestBaton;
  beforeAll(async () => { b = await startSocketlessBaton(); });
  afterAll(async () => { await b?.close(); });

  it("redirectStatusCode: 303 by default; 302 and 303 accepted; anything else 400 invalid-settings", async () => {
    const defaults = await b.apiJson("/api/v1/settings");
    expect(defaults).toMatchObject({ redirectStatusCode: 303, longPollTimeoutSeconds: 50, syncMaxJobDurationSeconds: 900 });

    const to302 = await patch(b, { redirectStatusCode: 302 });
    expect(to302.status).toBe(200);
    expect(to302.json.redirectStatusCode).toBe(302);
    expect((await b.apiJson("/api/v1/settings")).redirectStatusCode).toBe(302);

    for (const wrong of [301, 307, 308, 200, "302", null, 302.5, true]) {
      expectInvalid(await patch(b, { redirectStatusCode: wrong }), [{ path: "/redirectStatusCode", message: "must be 303 or 302" }]);
    }
    expect((await b.apiJson("/api/v1/settings")).redirectStatusCode).toBe(302);
    expect((await patch(b, { redirectStatusCode: 303 })).json.redirectStatusCode).toBe(303);
  });

  it("the defaults fit fetch's 20 redirects (50 × 20 ≥ 900), and so does the console's PATCH of every setting as it is", async () => {
    const current = await b.apiJson("/api/v1/settings");
    const again = await patch(b, current);
    expect(again.status).toBe(200);
    expect(again.json).toEqual(current);
  });

  it("refuses longPollTimeoutSeconds × 20 below syncMaxJobDurationSeconds, naming both fields, the violation on the field changed", async () => {
    // longPollTimeoutSeconds alone: 44 × 20 = 880 < 900
    const longPoll = await patch(b, { longPollTimeoutSeconds: 44 });
    expectInvalid(longPoll, [{ path: "/longPollTimeoutSeconds", message: /^must be at least 45 while syncMaxJobDurationSeconds is 900; longPollTimeoutSeconds × 20 must be at least syncMaxJobDurationSeconds \(44 × 20 = 880 < 900\): fetch follows at most 20 redirects/ }]);
    expect(longPoll.json.detail).toMatch(/^longPollTimeoutSeconds must be at least 45 while syncMaxJobDurationSeconds is 900/);
    // the edge is allowed: 45 × 20 = 900
    expect((await patch(b, { longPollTimeoutSeconds: 45 })).status).toBe(200);

    // syncMaxJobDurationSeconds alone: 901 > 45 × 20
    expectInvalid(await patch(b, { syncMaxJobDurationSeconds: 901 }), [{ path: "/syncMaxJobDurationSeconds", message: /^must be at most 900 while longPollTimeoutSeconds is 45; longPollTimeoutSeconds × 20 must be at least syncMaxJobDurationSeconds \(45 × 20 = 900 < 901\)/ }]);

    // both changed: a violation on each
    expectInvalid(await patch(b, { longPollTimeoutSeconds: 1, syncMaxJobDurationSeconds: 21 }), [
      { path: "/longPollTimeoutSeconds", message: /^must be at least 2 while syncMaxJobDurationSeconds is 21;/ },
      { path: "/syncMaxJobDurationSeconds", message: /^must be at most 20 while longPollTimeoutSeconds is 1;/ },
    ]);
    // one of them sent unchanged: the violation is on the other only
    expectInvalid(await patch(b, { longPollTimeoutSeconds: 45, syncMaxJobDurationSeconds: 1000 }), [{ path: "/syncMaxJobDurationSeconds", message: /^must be at most 900 / }]);

    // a range error is reported alone
    expectInvalid(await patch(b, { longPollTimeoutSeconds: 0 }), [{ path: "/longPollTimeoutSeconds", message: "must be an integer from 1 to 90" }]);

    // nothing was saved; both together within the bound are fine, in either direction
    expect(await b.apiJson("/api/v1/settings")).toMatchObject({ longPollTimeoutSeconds: 45, syncMaxJobDurationSeconds: 900 });
    expect((await patch(b, { longPollTimeoutSeconds: 1, syncMaxJobDurationSeconds: 20 })).status).toBe(200);
    expect((await patch(b, { longPollTimeoutSeconds: 90, syncMaxJobDurationSeconds: 1800 })).status).toBe(200);
    expect((await patch(b, { longPollTimeoutSeconds: 50, syncMaxJobDurationSeconds: 900 })).status).toBe(200);
  });
});

describe("every redirect of the call modes answers the tenant's redirectStatusCode", () => {
  let b: TestBaton;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = new ManualClock();
    b = await startSocketlessBaton({}, { clock, maintenanceIntervalMs: 3_600_000 });
  });
  afterAll(async () => { await b?.close(); });

  const auth = () => ({ authorization: `Bearer ${b.token}` });

  /** Answers a LongPolling request after the tenant's 1 s timeout, moved on the clock. */
  async function afterTimeout(request: Promise<Response>): Promise<Response> {
    await expect.poll(() => b.baton.waiters.size).toBe(1);
    clock.advance(1000);
    return request;
  }

  for (const code of [303, 302] as const) {
    it(`${code}: LongPolling → wait URI, wait URI → wait URI, status URI → output URI`, async () => {
      await b.patchSettings({ redirectStatusCode: code, longPollTimeoutSeconds: 1, syncMaxJobDurationSeconds: 20 });

      const invoked = await afterTimeout(b.fetch(b.invokeUrl("sleep"), {
        method: "POST", headers: { ...auth(), "content-type": "application/json" }, body: JSON.stringify({ seconds: 1, $callMode: "LongPolling" }),
      }));
      expect(invoked.status).toBe(code);
      const wait = invoked.headers.get("location")!;
      expect(wait).toMatch(new RegExp(`^${b.base}/api/v1/jobs/[0-9a-f-]{36}/wait$`));
      expect(invoked.headers.get("retry-after")).toBe("0");
      expect(await invoked.text()).toBe("");

      const again = await afterTimeout(b.fetch(wait, { headers: auth() }));
      expect(again.status).toBe(code);
      expect(again.headers.get("location")).toBe(wait);
      expect(again.headers.get("retry-after")).toBe("0");

      // final (a Pending job killed ends Stopped at once): the status URI redirects to the output URI
      const jobKey = wait.split("/").at(-2)!;
      expect((await b.apiJson(`/api/v1/jobs/${jobKey}/stop`, { method: "POST", json: { strategy: "Kill" } })).state).toBe("Stopped");
      const status = await b.fetch(`${b.base}/api/v1/jobs/${jobKey}/status`, { headers: auth() });
      expect(status.status).toBe(code);
      expect(status.headers.get("location")).toBe(`${b.base}/api/v1/jobs/${jobKey}/output`);
      expect(await status.text()).toBe("");
      const output = await b.fetch(status.headers.get("location")!, { headers: auth() });
      expect(output.status).toBe(409);
      expect(await output.json()).toMatchObject({ code: "job-stopped", jobKey });
    });
  }

  it("302 for signed wait URIs too (syncRedirectsRequireAuth false)", async () => {
    await b.patchSettings({ redirectStatusCode: 302, syncRedirectsRequireAuth: false });
    const invoked = await afterTimeout(b.fetch(b.invokeUrl("sleep"), {
      method: "POST", headers: { ...auth(), "content-type": "application/json" }, body: JSON.stringify({ $callMode: "LongPolling" }),
    }));
    expect(invoked.status).toBe(302);
    const signed = invoked.headers.get("location")!;
    expect(signed).toMatch(/\/wait\?exp=\d+&sig=[A-Za-z0-9_-]+$/);
    const again = await afterTimeout(b.fetch(signed));
    expect(again.status).toBe(302);
    expect(again.headers.get("location")).toBe(signed);
  });
});

// ---- with the demo robot: the shipped client, and the seed's C# samples

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The seed's `new HttpClient(new HttpClientHandler { AllowAutoRedirect = false })` with the
 * bearer token in `DefaultRequestHeaders`: fetch that never follows a redirect.
 */
class HttpClient {
  readonly statuses: number[] = [];
  constructor(private readonly token: string) {}
  private async send(method: string, url: string, body?: string): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers["content-type"] = "application/json; charset=utf-8";
    const res = await fetch(url, { method, headers, body, redirect: "manual" });
    this.statuses.push(res.status);
    return res;
  }
  PostAsJsonAsync(url: string, value: unknown) { return this.send("POST", url, JSON.stringify(value)); }
  GetAsync(url: string) { return this.send("GET", url); }
}

/** System.Net.HttpStatusCode.Redirect: 302, the value the seed's C# samples compare with. */
const HttpStatusCode = { Accepted: 202, Redirect: 302 } as const;

/**
 * Seed, C# AsyncPollingExample, literally: `StatusCode == HttpStatusCode.Redirect`. The
 * seed's loop is `while (true)`; here it gives up after `maxPolls` (null), so that a test can
 * show it never ends against 303s.
 */
async function seedAsyncPollingExample(httpClient: HttpClient, url: string, args: Record<string, unknown>, maxPolls = 100): Promise<string | null> {
  const httpResponseStart = await httpClient.PostAsJsonAsync(url, args);
  const redirectUri = httpResponseStart.headers.get("location");
  if (httpResponseStart.status !== HttpStatusCode.Accepted) throw new Error("Could not invoke workflow");
  for (let i = 0; i < maxPolls; i++) {
    const httpPollingResponse = await httpClient.GetAsync(redirectUri!);
    if (httpPollingResponse.status === HttpStatusCode.Redirect) {
      const outputLocation = httpPollingResponse.headers.get("location");
      const outputResponse = await httpClient.GetAsync(outputLocation!);
      const jobOutput = await outputResponse.text();
      return jobOutput;
    }
    await httpPollingResponse.arrayBuffer();
    await sleep(100); // Task.Delay(1000), shortened
  }
  return null;
}

/** Seed, C# SyncExample, literally: `while (response.StatusCode == HttpStatusCode.Redirect)`. */
async function seedSyncExample(httpClient: HttpClient, url: string, args: Record<string, unknown>): Promise<{ status: number; jobOutput: string }> {
  let response = await httpClient.PostAsJsonAsync(url, args);
  while (response.status === HttpStatusCode.Redirect) {
    // in case of redirection, keep following the latest location in the header
    const location = response.headers.get("location");
    await response.arrayBuffer();
    response = await httpClient.GetAsync(location!);
  }
  // read the job output/error from the last request
  const jobOutput = await response.text();
  return { status: response.status, jobOutput };
}

describe("clients, with the demo robot", () => {
  let b: TestBaton;
  beforeAll(async () => {
    b = await startTestBaton();
    await b.apiJson(`/api/v1/folders/${b.sharedKey}/triggers`, {
      method: "POST", json: { name: "Sleep by PUT", slug: "sleep-put", verb: "PUT", processName: "Sleep", callMode: "LongPolling" },
    });
  });
  afterAll(async () => { await b?.close(); });

  it("the shipped client follows 302 as it follows 303: LongPolling by POST and PUT through the wait loop, AsyncRequestReply, jobs.wait", async () => {
    for (const code of [303, 302] as const) {
      await b.patchSettings({ redirectStatusCode: code, longPollTimeoutSeconds: 1, syncMaxJobDurationSeconds: 20 });
      const statuses: number[] = [];
      const client = new BatonClient({
        url: b.tenantUrl, token: b.token,
        fetch: async (input, init) => { const res = await fetch(input, init); statuses.push(res.status); return res; },
        timeoutMs: 30_000,
      });
      const [post, put, accepted, started] = await Promise.all([
        client.invoke("sleep", { seconds: 2.5 }, { callMode: "LongPolling" }),
        client.invoke("sleep-put", { seconds: 2.5 }, { callMode: "LongPolling" }),
        client.invoke("echo", { code }, { callMode: "AsyncRequestReply" }),
        client.jobs.start({ folderKey: b.sharedKey, processName: "Echo", inputArguments: { started: code } }).then((job) => client.jobs.wait(job.key)),
      ]);
      expect(post, `${code}`).toEqual({ sleptSeconds: 2.5 });
      expect(put, `${code}`).toEqual({ sleptSeconds: 2.5 });
      expect(accepted, `${code}`).toEqual({ code });
      expect(started, `${code}`).toEqual({ started: code });
      // the redirects it followed were all the tenant's
      expect(statuses.filter((s) => s >= 300 && s < 400).length, `${code}`).toBeGreaterThanOrEqual(4);
      expect(statuses.filter((s) => s >= 300 && s < 400 && s !== code), `${code}`).toEqual([]);
    }
  });

  it("the seed's C# samples, comparing with 302, reach the output once redirectStatusCode is 302", async () => {
    await b.patchSettings({ redirectStatusCode: 302, longPollTimeoutSeconds: 1, syncMaxJobDurationSeconds: 20 });
    const sync = new HttpClient(b.token);
    const polling = new HttpClient(b.token);
    const [syncResult, pollingResult] = await Promise.all([
      seedSyncExample(sync, b.invokeUrl("sleep"), { seconds: 2.5, $callMode: "LongPolling" }),
      seedAsyncPollingExample(polling, b.invokeUrl("sleep"), { seconds: 1.5, $callMode: "AsyncRequestReply" }),
    ]);
    expect(syncResult).toEqual({ status: 200, jobOutput: JSON.stringify({ sleptSeconds: 2.5 }) });
    expect(sync.statuses.filter((s) => s === 302).length).toBeGreaterThanOrEqual(2); // it went round the wait loop
    expect(JSON.parse(pollingResult!)).toEqual({ sleptSeconds: 1.5 });
    expect(polling.statuses.at(0)).toBe(202);
    expect(polling.statuses.at(-2)).toBe(302);
    expect(polling.statuses.at(-1)).toBe(200);
  });

  it("against 303 (the default) the same ports stop at the first 303 (SyncExample) or never see the output (AsyncPollingExample)", async () => {
    await b.patchSettings({ redirectStatusCode: 303, longPollTimeoutSeconds: 1, syncMaxJobDurationSeconds: 20 });
    const sync = await seedSyncExample(new HttpClient(b.token), b.invokeUrl("sleep"), { seconds: 1.5, $callMode: "LongPolling" });
    expect(sync).toEqual({ status: 303, jobOutput: "" });
    const polling = new HttpClient(b.token);
    expect(await seedAsyncPollingExample(polling, b.invokeUrl("echo"), { $callMode: "AsyncRequestReply" }, 10)).toBeNull();
    expect(polling.statuses).toContain(303);
  });
});
