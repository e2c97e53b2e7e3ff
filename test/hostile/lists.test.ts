import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BatonClient } from "../../src/client/index.js";
import { LIST_FIELD_MAX_BYTES } from "../../src/core/types.js";
import { startTestBaton, type TestBaton } from "../helpers/baton.js";

/**
 * Issue 12, finding 9: `GET /jobs?limit=1000` read every job's arguments. 600 jobs of 1 MB
 * inputs blocked a node for seconds and ended in a 500 (Invalid string length) at 1.9 GB RSS,
 * for a read-only token. A list now leaves long inputArguments, outputArguments and error out
 * (flagged), without reading them from the store; GET /jobs/{key} still has them whole.
 */

// as large as POST /jobs takes (its body is at most 1 MiB)
const MB = 1_000_000;
const JOBS = 50;
let b: TestBaton;
const bigKeys: string[] = [];
let smallKey = "";
let finishedKey = "";

beforeAll(async () => {
  b = await startTestBaton({}, { demo: false });
  await b.apiJson(`/api/v1/folders/${b.sharedKey}/processes`, { method: "POST", json: { name: "Big" } });
  const blob = "x".repeat(MB);
  for (let i = 0; i < JOBS; i++) {
    const job = await b.apiJson("/api/v1/jobs", { method: "POST", json: { folderKey: b.sharedKey, processName: "Big", inputArguments: { i, blob } } });
    bigKeys.push(job.key);
  }
  smallKey = (await b.apiJson("/api/v1/jobs", { method: "POST", json: { folderKey: b.sharedKey, processName: "Big", inputArguments: { small: true } } })).key;
  // one job that ends with a long output, one with a long error: a robot session of the core runs them
  const robots = b.baton.robots;
  const session = await robots.openSession(b.tenant.id, { robotName: "lists", processes: ["Out"], slots: 2 });
  await b.apiJson(`/api/v1/folders/${b.sharedKey}/processes`, { method: "POST", json: { name: "Out" } });
  for (let i = 0; i < 2; i++) await b.apiJson("/api/v1/jobs", { method: "POST", json: { folderKey: b.sharedKey, processName: "Out", inputArguments: { i } } });
  const claimed = await robots.claimNow(session, 2);
  expect(claimed).toHaveLength(2);
  finishedKey = (await robots.complete(session, claimed[0]!.key, { out: "o".repeat(MB) })).key;
  await robots.fail(session, claimed[1]!.key, { code: "Big", message: "long details", details: { d: "d".repeat(MB) } });
}, 120_000);

afterAll(async () => {
  await b?.close();
});

describe("GET /jobs leaves long fields out", () => {
  it("answers a page of 1 MB-argument jobs in a bounded body, flagging what it left out", async () => {
    const res = await b.api("/api/v1/jobs?limit=1000");
    const text = await res.text();
    expect(res.status, text.slice(0, 300)).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    // 53 jobs: each item is its short fields only (a few hundred bytes), far from 50 MB
    expect(Buffer.byteLength(text)).toBeLessThan(100_000);
    const { items, nextCursor } = JSON.parse(text) as { items: Record<string, unknown>[]; nextCursor: string | null };
    expect(nextCursor).toBeNull();
    expect(items).toHaveLength(JOBS + 3);
    const byKey = new Map(items.map((j) => [j.key as string, j]));
    for (const key of bigKeys) {
      const item = byKey.get(key)!;
      expect(item).toMatchObject({ key, state: "Pending", processName: "Big", inputArgumentsTruncated: true, outputArguments: null, error: null });
      expect(item).not.toHaveProperty("inputArguments");
      expect(item).not.toHaveProperty("outputArgumentsTruncated");
    }
    const small = byKey.get(smallKey)!;
    expect(small).toMatchObject({ inputArguments: { small: true }, outputArguments: null, error: null });
    expect(small).not.toHaveProperty("inputArgumentsTruncated");
    const finished = byKey.get(finishedKey)!;
    expect(finished).toMatchObject({ state: "Successful", inputArguments: { i: 0 }, outputArgumentsTruncated: true, error: null });
    expect(finished).not.toHaveProperty("outputArguments");
    const failed = items.find((j) => j.state === "Faulted")!;
    expect(failed).toMatchObject({ inputArguments: { i: 1 }, outputArguments: null, errorTruncated: true });
    expect(failed).not.toHaveProperty("error");
  });

  it("keeps a field of exactly the limit, and leaves out one byte more", async () => {
    // {"s":"…"} is 8 bytes around the string
    const at = await b.apiJson("/api/v1/jobs", { method: "POST", json: { folderKey: b.sharedKey, processName: "Big", inputArguments: { s: "a".repeat(LIST_FIELD_MAX_BYTES - 8) } } });
    const over = await b.apiJson("/api/v1/jobs", { method: "POST", json: { folderKey: b.sharedKey, processName: "Big", inputArguments: { s: "a".repeat(LIST_FIELD_MAX_BYTES - 7) } } });
    const { items } = await b.apiJson("/api/v1/jobs?limit=2");
    expect(items.map((j: { key: string }) => j.key)).toEqual([over.key, at.key]);
    expect(items[1].inputArguments.s).toHaveLength(LIST_FIELD_MAX_BYTES - 8);
    expect(items[0]).toMatchObject({ inputArgumentsTruncated: true });
    expect(items[0]).not.toHaveProperty("inputArguments");
  });

  it("GET /jobs/{key} keeps the whole arguments, output and error", async () => {
    const job = await b.apiJson(`/api/v1/jobs/${bigKeys[7]}`);
    expect(job.inputArguments.i).toBe(7);
    expect(job.inputArguments.blob).toHaveLength(MB);
    expect(job).not.toHaveProperty("inputArgumentsTruncated");
    const finished = await b.apiJson(`/api/v1/jobs/${finishedKey}`);
    expect(finished.outputArguments.out).toHaveLength(MB);
  });

  it("the client lists the same items, and gets the whole job", async () => {
    const client = new BatonClient({ url: b.tenantUrl, token: b.token });
    const page = await client.jobs.list({ processName: "Big", limit: 1000 });
    const item = page.items.find((j) => j.key === bigKeys[0])!;
    expect(item.inputArgumentsTruncated).toBe(true);
    expect(item.inputArguments).toBeUndefined();
    const job = await client.jobs.get(bigKeys[0]!);
    expect(job.inputArguments.blob).toHaveLength(MB);
  });
});
