/**
 * Idempotency keys (SPEC §8): a request repeated with its Idempotency-Key creates no job and
 * is answered for the first request's job, as its call mode answers, with
 * `Idempotent-Replayed: true`; another request with the key is 422; racers with one key
 * create one job; the key is per trigger (or process) and forgotten after the tenant's
 * idempotencyKeyRetentionHours. No socket: the calls go through app.inject(), and the
 * clock is a ManualClock moved by the retention test.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../src/core/Clock.js";
import { startSocketlessBaton, type TestBaton } from "./helpers/baton.js";

let b: TestBaton;
let clock: ManualClock;

beforeAll(async () => {
  clock = new ManualClock();
  // the maintenance loop's own timer never runs during the tests: the retention test purges itself
  b = await startSocketlessBaton({}, { clock, maintenanceIntervalMs: 3_600_000 });
});
afterAll(async () => { await b?.close(); });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** an API trigger of its own slug, of the demo Echo process unless told */
async function trigger(callMode = "AsyncRequestReply", processName = "Echo"): Promise<{ id: string; slug: string }> {
  const slug = `idem-${randomUUID().slice(0, 8)}`;
  const t = await b.apiJson(`/api/v1/folders/${b.sharedKey}/triggers`, { method: "POST", json: { name: slug, slug, verb: "POST", processName, callMode } });
  return { id: t.id, slug };
}

async function call(slug: string, body: unknown, key?: string): Promise<{ res: Response; text: string }> {
  const headers: Record<string, string> = { authorization: `Bearer ${b.token}`, "content-type": "application/json" };
  if (key !== undefined) headers["idempotency-key"] = key;
  const res = await b.fetch(b.invokeUrl(slug), { method: "POST", headers, body: JSON.stringify(body) });
  return { res, text: await res.text() };
}

async function startJob(body: unknown, key?: string): Promise<{ res: Response; json: any }> {
  const res = await b.api("/api/v1/jobs", { method: "POST", headers: { "content-type": "application/json", ...(key === undefined ? {} : { "idempotency-key": key }) }, body: JSON.stringify(body) });
  return { res, json: await res.json() };
}

async function jobsOf(triggerId: string): Promise<{ key: string; idempotencyKey: string | null }[]> {
  return (await b.apiJson(`/api/v1/jobs?triggerId=${triggerId}&limit=1000`)).items;
}

function expectProblem(r: { res: Response; text: string }, status: number, code: string): any {
  expect(r.res.status).toBe(status);
  expect(r.res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(r.text);
  expect(body).toMatchObject({ status, code });
  return body;
}

describe("each call mode: the first call, then the same request again", () => {
  it("AsyncRequestReply: 202 with the same Location and body; the replay says Idempotent-Replayed", async () => {
    const t = await trigger();
    const first = await call(t.slug, { x: 1 }, "order-1");
    expect(first.res.status).toBe(202);
    expect(first.res.headers.get("idempotent-replayed")).toBeNull();
    const location = first.res.headers.get("location")!;
    const body = JSON.parse(first.text);
    expect(body).toEqual({ jobKey: expect.stringMatching(UUID), state: "Pending", statusUri: location });
    expect(location).toBe(`${b.base}/api/v1/jobs/${body.jobKey}/status`);
    expect(first.res.headers.get("retry-after")).toBe("1");

    // the same arguments in another key order are the same request
    const again = await call(t.slug, { x: 1 }, "order-1");
    expect(again.res.status).toBe(202);
    expect(again.res.headers.get("idempotent-replayed")).toBe("true");
    expect(again.res.headers.get("location")).toBe(location);
    expect(again.res.headers.get("retry-after")).toBe("1");
    expect(JSON.parse(again.text)).toEqual(body);

    const jobs = await jobsOf(t.id);
    expect(jobs.map((j) => j.key)).toEqual([body.jobKey]);
    expect(jobs[0]!.idempotencyKey).toBe("order-1");
    expect((await b.apiJson(`/api/v1/jobs/${body.jobKey}`)).idempotencyKey).toBe("order-1");
  });

  it("the fingerprint ignores the order of object keys", async () => {
    const t = await trigger();
    const first = await call(t.slug, { a: 1, b: { c: 2, d: [1, { e: 3, f: 4 }] } }, "k");
    const again = await call(t.slug, { b: { d: [1, { f: 4, e: 3 }], c: 2 }, a: 1 }, "k");
    expect(again.res.status).toBe(202);
    expect(again.res.headers.get("idempotent-replayed")).toBe("true");
    expect(again.res.headers.get("location")).toBe(first.res.headers.get("location"));
  });

  it("a call without a key is never a replay, and its job has no idempotencyKey", async () => {
    const t = await trigger();
    const a = await call(t.slug, {});
    const c = await call(t.slug, {});
    expect([a.res.status, c.res.status]).toEqual([202, 202]);
    expect(a.res.headers.get("idempotent-replayed")).toBeNull();
    expect(c.res.headers.get("idempotent-replayed")).toBeNull();
    const jobs = await jobsOf(t.id);
    expect(jobs).toHaveLength(2);
    expect(jobs.map((j) => j.idempotencyKey)).toEqual([null, null]);
  });

  it("FireAndForget: 200 with no body, the replay too, and one job", async () => {
    const t = await trigger("FireAndForget");
    const first = await call(t.slug, { y: 2 }, "fire-1");
    expect(first.res.status).toBe(200);
    expect(first.text).toBe("");
    expect(first.res.headers.get("idempotent-replayed")).toBeNull();
    const again = await call(t.slug, { y: 2 }, "fire-1");
    expect(again.res.status).toBe(200);
    expect(again.text).toBe("");
    expect(again.res.headers.get("idempotent-replayed")).toBe("true");
    expect(await jobsOf(t.id)).toHaveLength(1);
  });

  it("LongPolling: the replay waits for the first call's job and answers its result", async () => {
    // a process of its own: the robot below claims its job, not the other tests' Echo jobs
    await b.apiJson(`/api/v1/folders/${b.sharedKey}/processes`, { method: "POST", json: { name: "IdemPoll" } });
    const t = await trigger("LongPolling", "IdemPoll");
    const first = call(t.slug, { z: 3 }, "poll-1");
    let jobs: { key: string }[] = [];
    for (let i = 0; i < 200 && jobs.length === 0; i++) {
      jobs = await jobsOf(t.id);
      if (!jobs.length) await sleep(10);
    }
    expect(jobs).toHaveLength(1);
    let replayDone = false;
    const again = call(t.slug, { z: 3 }, "poll-1").finally(() => { replayDone = true; });
    await sleep(100);
    expect(replayDone).toBe(false);

    // a robot (the test, through the robot protocol) runs the job
    const robotKey = (await b.apiJson("/api/v1/robots", { method: "POST", json: { name: `idem-${randomUUID().slice(0, 8)}` } })).key;
    const robot = async (path: string, body: unknown) => {
      const res = await b.fetch(`${b.base}/api/robot/v1${path}`, {
        method: "POST", headers: { authorization: `Bearer ${robotKey}`, "content-type": "application/json" }, body: JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : null };
    };
    const session = (await robot("/sessions", { processes: ["IdemPoll"], slots: 1 })).json.sessionId;
    const claimed = await robot(`/sessions/${session}/claim`, { max: 1, waitSeconds: 0 });
    expect(claimed.json.jobs.map((j: { key: string }) => j.key)).toEqual([jobs[0]!.key]);
    expect((await robot(`/sessions/${session}/jobs/${jobs[0]!.key}/complete`, { outputArguments: { z: 3, done: true } })).status).toBe(204);

    const [a, c] = await Promise.all([first, again]);
    expect(a.res.status).toBe(200);
    expect(JSON.parse(a.text)).toEqual({ z: 3, done: true });
    expect(a.res.headers.get("idempotent-replayed")).toBeNull();
    expect(c.res.status).toBe(200);
    expect(JSON.parse(c.text)).toEqual({ z: 3, done: true });
    expect(c.res.headers.get("idempotent-replayed")).toBe("true");

    // once the job is final, a replay answers its result at once
    const late = await call(t.slug, { z: 3 }, "poll-1");
    expect(late.res.status).toBe(200);
    expect(JSON.parse(late.text)).toEqual({ z: 3, done: true });
    expect(late.res.headers.get("idempotent-replayed")).toBe("true");
    expect(await jobsOf(t.id)).toHaveLength(1);
  });
});

describe("another request with the key, and keys that are not valid", () => {
  it("other arguments or another call mode: 422 idempotency-key-mismatch, and no job", async () => {
    const t = await trigger();
    expect((await call(t.slug, { n: 1 }, "same")).res.status).toBe(202);
    const body = expectProblem(await call(t.slug, { n: 2 }, "same"), 422, "idempotency-key-mismatch");
    expect(body.title).toBe("Unprocessable Content");
    expectProblem(await call(t.slug, { n: 1, $callMode: "FireAndForget" }, "same"), 422, "idempotency-key-mismatch");
    expect(await jobsOf(t.id)).toHaveLength(1);
  });

  it.each([
    ["empty", ""],
    ["256 characters", "k".repeat(256)],
    ["a control character", "a\tb"],
    ["a character past ASCII", "clé"],
  ])("%s: 400 invalid-idempotency-key, and no job", async (_, key) => {
    const t = await trigger();
    const body = expectProblem(await call(t.slug, {}, key), 400, "invalid-idempotency-key");
    expect(body.violations).toEqual([{ path: "/headers/idempotency-key", message: expect.any(String) }]);
    expect(await jobsOf(t.id)).toHaveLength(0);
  });

  it("255 printable characters, spaces included, are a key", async () => {
    const t = await trigger();
    const key = `a b~!"#${"x".repeat(248)}`;
    expect(key).toHaveLength(255);
    const first = await call(t.slug, {}, key);
    expect(first.res.status).toBe(202);
    const again = await call(t.slug, {}, key);
    expect(again.res.headers.get("idempotent-replayed")).toBe("true");
    expect((await jobsOf(t.id)).map((j) => j.idempotencyKey)).toEqual([key]);
  });
});

describe("POST /jobs", () => {
  it("the replay starts no job: 201 with the first job and Idempotent-Replayed; another request is 422; a bad key 400", async () => {
    const processName = "Echo";
    const first = await startJob({ folderKey: b.sharedKey, processName, inputArguments: { p: 1 } }, "start-1");
    expect(first.res.status).toBe(201);
    expect(first.res.headers.get("idempotent-replayed")).toBeNull();
    expect(first.json).toMatchObject({ key: expect.stringMatching(UUID), source: "Api", callMode: "AsyncRequestReply", idempotencyKey: "start-1", inputArguments: { p: 1 } });

    const again = await startJob({ folderKey: b.sharedKey, processName, inputArguments: { p: 1 } }, "start-1");
    expect(again.res.status).toBe(201);
    expect(again.res.headers.get("idempotent-replayed")).toBe("true");
    expect(again.json).toEqual(first.json);

    const other = await startJob({ folderKey: b.sharedKey, processName, inputArguments: { p: 2 } }, "start-1");
    expect(other.res.status).toBe(422);
    expect(other.json.code).toBe("idempotency-key-mismatch");

    const bad = await startJob({ folderKey: b.sharedKey, processName }, "x".repeat(256));
    expect(bad.res.status).toBe(400);
    expect(bad.json).toMatchObject({ code: "invalid-idempotency-key", violations: [{ path: "/headers/idempotency-key" }] });

    const all = (await b.apiJson("/api/v1/jobs?processName=Echo&limit=1000")).items as { idempotencyKey: string | null }[];
    expect(all.filter((j) => j.idempotencyKey === "start-1")).toHaveLength(1);
  });

  it("the key of POST /jobs is per process: the same key on an invocation is another key", async () => {
    const t = await trigger();
    const started = await startJob({ folderKey: b.sharedKey, processName: "Echo" }, "shared-key");
    const invoked = await call(t.slug, {}, "shared-key");
    expect(started.res.status).toBe(201);
    expect(invoked.res.status).toBe(202);
    expect(invoked.res.headers.get("idempotent-replayed")).toBeNull();
    expect(JSON.parse(invoked.text).jobKey).not.toBe(started.json.key);
  });
});

describe("races, scope and retention", () => {
  it("20 racing calls with one key create one job, and all answer for it", async () => {
    const t = await trigger();
    const answers = await Promise.all(Array.from({ length: 20 }, () => call(t.slug, { race: true }, "race-1")));
    const jobs = await jobsOf(t.id);
    expect(jobs).toHaveLength(1);
    for (const a of answers) {
      expect(a.res.status).toBe(202);
      expect(JSON.parse(a.text).jobKey).toBe(jobs[0]!.key);
      expect(a.res.headers.get("location")).toBe(`${b.base}/api/v1/jobs/${jobs[0]!.key}/status`);
    }
    expect(answers.filter((a) => a.res.headers.get("idempotent-replayed") === "true")).toHaveLength(19);
  });

  it("a key is per trigger: the same key on two triggers makes two jobs", async () => {
    const [t1, t2] = [await trigger(), await trigger()];
    const a = await call(t1.slug, { same: 1 }, "per-trigger");
    const c = await call(t2.slug, { same: 1 }, "per-trigger");
    expect([a.res.status, c.res.status]).toEqual([202, 202]);
    expect(c.res.headers.get("idempotent-replayed")).toBeNull();
    expect(JSON.parse(a.text).jobKey).not.toBe(JSON.parse(c.text).jobKey);
    expect(await jobsOf(t1.id)).toHaveLength(1);
    expect(await jobsOf(t2.id)).toHaveLength(1);
  });

  it("after idempotencyKeyRetentionHours the key is forgotten (purged, or expired and not yet purged): a new job", async () => {
    await b.patchSettings({ idempotencyKeyRetentionHours: 1 });
    try {
      const t = await trigger();
      const first = JSON.parse((await call(t.slug, { r: 1 }, "kept")).text).jobKey;
      clock.advance(59 * 60_000);
      const within = await call(t.slug, { r: 1 }, "kept");
      expect(within.res.headers.get("idempotent-replayed")).toBe("true");
      expect(JSON.parse(within.text).jobKey).toBe(first);

      // past the hour, the hourly purge forgets it
      clock.advance(2 * 60_000);
      await b.baton.maintenance.purge();
      const afterPurge = await call(t.slug, { r: 1 }, "kept");
      expect(afterPurge.res.status).toBe(202);
      expect(afterPurge.res.headers.get("idempotent-replayed")).toBeNull();
      const second = JSON.parse(afterPurge.text).jobKey;
      expect(second).not.toBe(first);

      // expired but not purged yet: forgotten too (the new call takes the key over)
      clock.advance(61 * 60_000);
      const afterExpiry = await call(t.slug, { r: 2 }, "kept");
      expect(afterExpiry.res.status).toBe(202);
      expect(afterExpiry.res.headers.get("idempotent-replayed")).toBeNull();
      const third = JSON.parse(afterExpiry.text).jobKey;
      expect(new Set([first, second, third]).size).toBe(3);
      expect((await call(t.slug, { r: 2 }, "kept")).res.headers.get("idempotent-replayed")).toBe("true");
      expect(await jobsOf(t.id)).toHaveLength(3);
    } finally {
      await b.patchSettings({ idempotencyKeyRetentionHours: 24 });
    }
  });

  it("the setting is bounded 1–720", async () => {
    for (const bad of [0, 721, 1.5, "24"]) {
      const res = await b.api("/api/v1/settings", { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ idempotencyKeyRetentionHours: bad }) });
      expect(res.status).toBe(400);
      expect((await res.json()).code).toBe("invalid-settings");
    }
    expect((await b.apiJson("/api/v1/settings")).idempotencyKeyRetentionHours).toBe(24);
  });
});

describe("CORS", () => {
  it("a preflight allows Idempotency-Key, and answers expose Idempotent-Replayed", async () => {
    await b.patchSettings({ corsAllowedOrigins: ["https://app.example"] });
    try {
      const preflight = await b.fetch(b.invokeUrl("echo"), {
        method: "OPTIONS", headers: { origin: "https://app.example", "access-control-request-method": "POST" },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-headers")).toContain("Idempotency-Key");
      const t = await trigger();
      const answer = await b.fetch(b.invokeUrl(t.slug), {
        method: "POST", headers: { origin: "https://app.example", authorization: `Bearer ${b.token}`, "content-type": "application/json", "idempotency-key": "cors" }, body: "{}",
      });
      expect(answer.status).toBe(202);
      expect(answer.headers.get("access-control-expose-headers")).toContain("Idempotent-Replayed");
    } finally {
      await b.patchSettings({ corsAllowedOrigins: [] });
    }
  });
});
