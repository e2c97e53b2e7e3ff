import { createRequire } from "node:module";
import { Type } from "typebox";
import { describe, expect, it } from "vitest";
import { OrNull } from "../../src/http/schemas/common.js";
import { JobError, JobListItem, JobPage, PendingReason } from "../../src/http/schemas/jobs.js";
import { named, withRefs } from "../../src/http/schemas/named.js";

/** the serializer Fastify compiles answers with */
const fastJsonStringify = createRequire(import.meta.url)("fast-json-stringify") as (schema: object) => (value: unknown) => string;

describe("named schemas (schemas/named.ts)", () => {
  it("a name is declared once: a second shape of the same name throws instead of replacing the first in the document", () => {
    expect(() => named("JobState", Type.String())).toThrow(/JobState is declared twice/);
  });

  it("OrNull(T) is `type: [T, null]` to serialize, and `anyOf [$ref, null]` in the document when T is named", () => {
    const reason = OrNull(PendingReason, { description: "why" });
    expect(reason).toMatchObject({ type: ["string", "null"], enum: ["NoRobot", "ConcurrencyLimit", "RetryBackoff", "Queued", null], description: "why" });
    expect(withRefs(reason)).toEqual({ anyOf: [{ $ref: "#/components/schemas/PendingReason" }, { type: "null" }], description: "why" });
    expect(withRefs(OrNull(JobError))).toEqual({ anyOf: [{ $ref: "#/components/schemas/JobError" }, { type: "null" }] });
    expect(withRefs(OrNull(Type.String({ format: "date-time" }), { description: "when" }))).toEqual({ type: ["string", "null"], format: "date-time", description: "when" });
    expect(() => OrNull(Type.Union([Type.String(), Type.Number()]))).toThrow(/one type/);
  });

  it("a page of jobs serializes every declared field, nulls and flags included, and nothing else", () => {
    const stringify = fastJsonStringify(JobPage);
    const item = {
      key: "6f1c1a52-8a4e-4a39-9d0e-0b7d2b8d1f00", folderKey: "6f1c1a52-8a4e-4a39-9d0e-0b7d2b8d1f01", processName: "Echo", triggerId: null, source: "TimeTrigger",
      callMode: "AsyncRequestReply", state: "Faulted", priority: "High", inputArgumentsTruncated: true, outputArguments: null, error: { code: "X", message: "m", details: [1, { a: null }], retryable: false },
      robot: "r", attempt: 2, createdAt: "2025-01-01T00:00:00.000Z", startedAt: "2025-01-01T00:00:01.000Z", endedAt: null, info: null, idempotencyKey: "k", retryAt: null,
      pendingReason: null, timeTriggerId: "6f1c1a52-8a4e-4a39-9d0e-0b7d2b8d1f02", slot: "2025-01-01T00:00:00.000Z",
    };
    const pending = { ...item, inputArgumentsTruncated: undefined, inputArguments: { n: 1 }, outputArgumentsTruncated: true, outputArguments: undefined, state: "Pending", pendingReason: "NoRobot" };
    const parsed = JSON.parse(stringify({ items: [{ ...item, tenantId: "t", sessionId: "s" }, pending], nextCursor: null })) as { items: Record<string, unknown>[] };
    expect(parsed.items[0]).toEqual(item);
    expect(parsed.items[1]).toEqual(JSON.parse(JSON.stringify(pending)));
    expect(Object.keys(JobListItem.properties)).toEqual(expect.arrayContaining(Object.keys(item)));
  });
});
