import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sign } from "../src/core/signedUris.js";
import { invoke, startTestBaton, type TestBaton } from "./helpers/baton.js";

let b: TestBaton;
beforeAll(async () => { b = await startTestBaton(); });
afterAll(async () => { await b.close(); });

const waitPath = /^http:\/\/127\.0\.0\.1:\d+\/default\/DefaultTenant\/orchestrator_\/api\/v1\/jobs\/([0-9a-f-]{36})\/wait$/;

describe("LongPolling", () => {
  it("answers with the output when the job ends within the timeout", async () => {
    const res = await invoke(b, "echo", { n: 42, s: "x", $callMode: "LongPolling" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await res.json()).toEqual({ n: 42, s: "x" });
  });

  it("answers 500 job-faulted with the job's error", async () => {
    const res = await invoke(b, "fail", { message: "no luck", $callMode: "LongPolling" });
    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
    const body = await res.json();
    expect(body).toMatchObject({ status: 500, code: "job-faulted", state: "Faulted", detail: "no luck", error: { code: "DemoFailure", message: "no luck" } });
    expect(body.jobKey).toMatch(/^[0-9a-f-]{36}$/);
  });

  describe("with a short longPollTimeoutSeconds", () => {
    let c: TestBaton;
    beforeAll(async () => {
      c = await startTestBaton();
      await c.patchSettings({ longPollTimeoutSeconds: 1, syncMaxJobDurationSeconds: 20 });
    });
    afterAll(async () => { await c.close(); });

    it("redirects to the wait URI, which blocks and redirects to itself until the result comes", async () => {
      const started = Date.now();
      let res = await invoke(c, "sleep", { seconds: 2.5, $callMode: "LongPolling" });
      const hops: string[] = [];
      while (res.status === 303) {
        const location = res.headers.get("location")!;
        expect(location).toMatch(waitPath);
        expect(res.headers.get("access-control-allow-origin")).toBeNull();
        hops.push(location);
        res = await fetch(location, { headers: { authorization: `Bearer ${c.token}` }, redirect: "manual" });
      }
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ sleptSeconds: 2.5 });
      expect(hops.length).toBeGreaterThanOrEqual(2);
      expect(new Set(hops).size).toBe(1); // the same wait URI each time
      expect(Date.now() - started).toBeGreaterThanOrEqual(2400);
    });

    it("works with fetch's redirect: follow, the way the seed's browser sample calls it", async () => {
      const res = await fetch(c.invokeUrl("sleep"), {
        method: "POST",
        headers: { authorization: `Bearer ${c.token}`, "content-type": "application/json" },
        body: JSON.stringify({ seconds: 1.5, $callMode: "LongPolling" }),
        redirect: "follow",
      });
      expect(res.status).toBe(200);
      expect(res.redirected).toBe(true);
      expect(res.url).toMatch(waitPath);
      expect(await res.json()).toEqual({ sleptSeconds: 1.5 });
    });

    it("requires a token on the wait URI by default (syncRedirectsRequireAuth: true)", async () => {
      const res = await invoke(c, "sleep", { seconds: 1.5, $callMode: "LongPolling" });
      expect(res.status).toBe(303);
      const location = res.headers.get("location")!;
      expect(location).not.toContain("sig=");
      const anonymous = await fetch(location, { redirect: "manual" });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect((await anonymous.json()).code).toBe("unauthorized");
    });

    it("answers 409 job-stopped when the job is stopped while the caller waits", async () => {
      const res = await invoke(c, "sleep", { seconds: 30, $callMode: "LongPolling" });
      expect(res.status).toBe(303);
      const location = res.headers.get("location")!;
      const jobKey = waitPath.exec(location)![1]!;
      const waiting = fetch(location, { headers: { authorization: `Bearer ${c.token}` }, redirect: "manual" });
      const stop = await c.api(`/api/v1/jobs/${jobKey}/stop`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ strategy: "SoftStop" }) });
      expect(stop.status).toBe(202);
      const result = await waiting;
      expect(result.status).toBe(409);
      expect(await result.json()).toMatchObject({ status: 409, code: "job-stopped", jobKey, state: "Stopped" });
    });
  });

  describe("signed wait URIs (syncRedirectsRequireAuth: false)", () => {
    let c: TestBaton;
    beforeAll(async () => {
      c = await startTestBaton();
      await c.patchSettings({ longPollTimeoutSeconds: 1, syncMaxJobDurationSeconds: 20, syncRedirectsRequireAuth: false });
    });
    afterAll(async () => { await c.close(); });

    async function redirected(seconds: number): Promise<{ location: URL; jobKey: string }> {
      const res = await invoke(c, "sleep", { seconds, $callMode: "LongPolling" });
      expect(res.status).toBe(303);
      const location = new URL(res.headers.get("location")!);
      expect(`${location.origin}${location.pathname}`).toMatch(waitPath);
      expect(location.searchParams.get("sig")).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Number(location.searchParams.get("exp"))).toBeGreaterThan(Date.now() / 1000);
      return { location, jobKey: waitPath.exec(`${location.origin}${location.pathname}`)![1]! };
    }

    it("hands out a signed wait URI that works with no token, looping until the result", async () => {
      const { location } = await redirected(2.2);
      let res = await fetch(location, { redirect: "manual" });
      let hops = 0;
      while (res.status === 303) {
        hops++;
        res = await fetch(res.headers.get("location")!, { redirect: "manual" });
      }
      expect(hops).toBeGreaterThanOrEqual(1);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ sleptSeconds: 2.2 });
    });

    it("refuses a tampered signature, another job's signature and an expired one with 401", async () => {
      const { location, jobKey } = await redirected(5);
      const other = await redirected(5);

      const tampered = new URL(location);
      const sig = tampered.searchParams.get("sig")!;
      tampered.searchParams.set("sig", (sig[0] === "A" ? "B" : "A") + sig.slice(1));
      const swapped = new URL(location);
      swapped.searchParams.set("sig", other.location.searchParams.get("sig")!);
      swapped.searchParams.set("exp", other.location.searchParams.get("exp")!);
      const laterExp = new URL(location);
      laterExp.searchParams.set("exp", String(Number(location.searchParams.get("exp")) + 1));
      const expired = new URL(location);
      const past = Math.floor(Date.now() / 1000) - 10;
      expired.searchParams.set("exp", String(past));
      expired.searchParams.set("sig", sign(c.baton.signingSecret, c.tenant.id, jobKey, "wait", past));

      for (const [url, detail] of [[tampered, /not valid/], [swapped, /not valid/], [laterExp, /not valid/], [expired, /expired/]] as const) {
        const res = await fetch(url, { redirect: "manual" });
        expect(res.status, url.toString()).toBe(401);
        expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
        const body = await res.json();
        expect(body.code).toBe("unauthorized");
        expect(body.detail).toMatch(detail);
      }
      // the job and the other one are untouched
      for (const key of [jobKey, other.jobKey]) expect((await c.apiJson(`/api/v1/jobs/${key}`)).state).toMatch(/Pending|Running/);
    });
  });

  describe("syncMaxJobDurationSeconds", () => {
    let c: TestBaton;
    beforeAll(async () => {
      c = await startTestBaton();
      await c.patchSettings({ syncMaxJobDurationSeconds: 1, longPollTimeoutSeconds: 10 });
    });
    afterAll(async () => { await c.close(); });

    it("kills an overlong LongPolling job: Faulted with MaxDurationExceeded", async () => {
      const started = Date.now();
      const res = await invoke(c, "sleep", { seconds: 30, $callMode: "LongPolling" });
      expect(res.status).toBe(500);
      const body = await res.json();
      // (without the kill the caller would get the long-poll timeout's 303, not this 500)
      expect(body).toMatchObject({ code: "job-faulted", state: "Faulted", error: { code: "MaxDurationExceeded" } });
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      const job = await c.apiJson(`/api/v1/jobs/${body.jobKey}`);
      expect(job).toMatchObject({ state: "Faulted", error: { code: "MaxDurationExceeded" }, callMode: "LongPolling" });
      expect(job.endedAt).not.toBeNull();
    });

    it("does not limit AsyncRequestReply jobs", async () => {
      const res = await invoke(c, "sleep", { seconds: 1.6 });
      expect(res.status).toBe(202);
      const { jobKey } = await res.json();
      const wait = await c.baton.jobs.waitForFinal(await c.baton.jobs.getByKey(c.tenant.id, jobKey), 10_000);
      expect(wait?.state).toBe("Successful");
    });
  });

  it("lets go of a waiter whose caller disconnects", async () => {
    const controller = new AbortController();
    const before = b.baton.waiters.size;
    const pending = invoke(b, "sleep", { seconds: 20, $callMode: "LongPolling" }, { signal: controller.signal }).catch((e: Error) => e);
    await until(() => b.baton.waiters.size === before + 1);
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    await until(() => b.baton.waiters.size === before);
  });
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
