import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSocketlessBaton, type TestBaton } from "../helpers/baton.js";

/**
 * 40 callers creating the same name at once (issue 12: on PostgreSQL 633 of 800 such answers
 * were 500 internal-error, a unique violation nothing translated): exactly one is created,
 * every other caller gets the resource's 409, as a later caller would, and no 500.
 */
let b: TestBaton;
beforeAll(async () => { b = await startSocketlessBaton(); });
afterAll(async () => { await b?.close(); });

async function race(path: string, body: () => unknown, method = "POST"): Promise<Record<string, number>> {
  const answers = await Promise.all(Array.from({ length: 40 }, async () => {
    const res = await b.api(path, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body()) });
    const text = await res.text();
    return res.status >= 400 ? `${res.status} ${JSON.parse(text).code}` : String(res.status);
  }));
  const counts: Record<string, number> = {};
  for (const a of answers) counts[a] = (counts[a] ?? 0) + 1;
  return counts;
}

describe("racing creates of one name", () => {
  it("folders, processes, triggers, robot keys: one 201, 39 × 409, five rounds each", async () => {
    for (let round = 0; round < 5; round++) {
      const folder = `race-${randomUUID().slice(0, 8)}`;
      expect(await race("/api/v1/folders", () => ({ name: folder }))).toEqual({ 201: 1, "409 folder-exists": 39 });
      const process = `Race${randomUUID().slice(0, 8)}`;
      expect(await race(`/api/v1/folders/${b.sharedKey}/processes`, () => ({ name: process }))).toEqual({ 201: 1, "409 process-exists": 39 });
      const slug = `race-${randomUUID().slice(0, 8)}`;
      expect(await race(`/api/v1/folders/${b.sharedKey}/triggers`, () => ({ name: "Race", slug, verb: "POST", processName: process, callMode: "AsyncRequestReply" })))
        .toEqual({ 201: 1, "409 slug-taken": 39 });
      const robot = `race-${randomUUID().slice(0, 8)}`;
      expect(await race("/api/v1/robots", () => ({ name: robot }))).toEqual({ 201: 1, "409 robot-exists": 39 });
    }
  });
});
