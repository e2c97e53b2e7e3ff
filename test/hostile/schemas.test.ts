import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBaton, type TestBaton } from "../helpers/baton.js";

/**
 * Issue 12, finding 1: a process schema stalled or killed the node. A `pattern` with
 * catastrophic backtracking held the event loop for minutes; 24 nested `anyOf`s over `$ref`s
 * (1.7 KB) ran for 75 s and then ran out of heap collecting every error. Patterns now run on
 * RE2 (linear), schemas are measured when saved, and validation is bounded by the size of
 * what is validated.
 */

const PROBLEM = "application/problem+json; charset=utf-8";
const REDOS = "^(a+)+$";
const EVIL = `${"a".repeat(33)}!`;

let b: TestBaton;
beforeAll(async () => { b = await startTestBaton({}, { demo: false }); });
afterAll(async () => { await b.close(); });

const send = (method: string, path: string, body: unknown) =>
  b.api(path, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

async function problem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe(PROBLEM);
  const body = await res.json();
  expect(body).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  return body;
}

async function processWith(fields: Record<string, unknown>): Promise<string> {
  const name = unique("P");
  const res = await send("POST", `/api/v1/folders/${b.sharedKey}/processes`, { name, ...fields });
  expect(res.status, await res.clone().text()).toBe(201);
  return name;
}

const createJob = (processName: string, inputArguments: unknown) => send("POST", "/api/v1/jobs", { folderKey: b.sharedKey, processName, inputArguments });

/** 2^depth paths: each level an anyOf of two $refs to the next; the last requires a property the argument lacks. */
function nestedAnyOf(depth: number) {
  const $defs: Record<string, unknown> = {};
  for (let i = 0; i < depth; i++) $defs[`d${i}`] = { anyOf: [{ $ref: `#/$defs/d${i + 1}` }, { $ref: `#/$defs/d${i + 1}` }] };
  $defs[`d${depth}`] = { type: "object", required: ["t"], properties: { t: { type: "string" } } };
  return { $ref: "#/$defs/d0", $defs };
}

/** A large schema of the ordinary kind: 400 described, patterned string fields (about 60 KB). */
function bigLegalSchema() {
  const properties: Record<string, unknown> = {};
  for (let i = 0; i < 400; i++) properties[`field${i}`] = { type: "string", maxLength: 100, pattern: "^[A-Za-z0-9 _.-]*$", description: "d".repeat(60) };
  return { type: "object", properties, required: ["field0", "field1"], additionalProperties: false };
}

describe("patterns run on RE2", () => {
  it("a catastrophic-backtracking pattern answers at once, and the node keeps serving meanwhile", async () => {
    const name = await processWith({ inputSchema: { type: "object", properties: { s: { type: "string", pattern: REDOS } } } });
    const [job, folders] = await Promise.all([createJob(name, { s: EVIL }), b.api("/api/v1/folders")]);
    const body = await problem(job, 400, "invalid-arguments");
    expect(body.violations).toEqual([{ path: "/s", message: `must match pattern "${REDOS}"` }]);
    expect(body).toMatchObject({ violationCount: 1, truncated: false });
    expect(folders.status).toBe(200);
    expect((await folders.json()).items.length).toBeGreaterThan(0);
    // and the pattern still means what it says
    expect((await createJob(name, { s: "aaaa" })).status).toBe(201);
  });

  it("refuses patterns RE2 cannot run (backreferences, lookaround) when the schema is saved, naming the pattern", async () => {
    const backref = await problem(await send("POST", `/api/v1/folders/${b.sharedKey}/processes`, {
      name: unique("P"), inputSchema: { type: "object", properties: { s: { type: "string", pattern: "^(a)\\1$" } } },
    }), 400, "invalid-process");
    expect(backref.violations).toEqual([{ path: "/inputSchema/properties/s/pattern", message: expect.stringMatching(/^is not a pattern Baton can match in linear time \(RE2 syntax: no backreferences, no lookahead or lookbehind\)/) }]);

    const name = await processWith({});
    const lookahead = await problem(await send("PATCH", `/api/v1/folders/${b.sharedKey}/processes/${name}`, {
      outputSchema: { type: "object", patternProperties: { "^x(?=y)": { type: "string" } } },
    }), 400, "invalid-process");
    expect(lookahead.violations).toEqual([{ path: "/outputSchema/patternProperties/^x(?=y)", message: expect.stringContaining("no lookahead or lookbehind") }]);
  });

  it("accepts JavaScript pattern syntax RE2 can run (\\u escapes, named groups, \\d)", async () => {
    const name = await processWith({ inputSchema: { type: "object", properties: { s: { type: "string", pattern: "^(?<year>\\d{4})-\\u0041$" } } } });
    expect((await createJob(name, { s: "2024-A" })).status).toBe(201);
    const body = await problem(await createJob(name, { s: "2024-B" }), 400, "invalid-arguments");
    expect(body.violations).toEqual([{ path: "/s", message: expect.stringContaining("must match pattern") }]);
  });

  it("bounds the pattern matching of one validation: a huge string against a large pattern is refused, not matched", async () => {
    const name = await processWith({ inputSchema: { type: "object", properties: { s: { type: "string", pattern: "^[a-z]{0,300}$" } } } });
    const body = await problem(await createJob(name, { s: "a".repeat(200_000) }), 400, "invalid-arguments");
    expect(body.violations).toEqual([{ path: "/", message: expect.stringMatching(/^holds strings too long to match against this schema's patterns/) }]);
    expect(body).toMatchObject({ violationCount: 1, truncated: true });
  });
});

describe("schemas are measured when saved", () => {
  it("refuses 24 nested anyOfs over $refs (the 1.7 KB attack) with schema-too-complex and the pointer", async () => {
    const schema = nestedAnyOf(24);
    expect(JSON.stringify(schema).length).toBeLessThan(2048);
    const body = await problem(await send("POST", `/api/v1/folders/${b.sharedKey}/processes`, { name: unique("P"), inputSchema: schema }), 400, "schema-too-complex");
    expect(body).toMatchObject({ limit: "maxChecksPerValue", max: 5000 });
    expect(body.violations).toEqual([{ path: expect.stringMatching(/^\/inputSchema\/\$defs\/d\d+$/), message: expect.stringContaining("keyword checks on one value") }]);

    // the same through PATCH, and for an output schema
    const name = await processWith({});
    const patched = await problem(await send("PATCH", `/api/v1/folders/${b.sharedKey}/processes/${name}`, { outputSchema: nestedAnyOf(20) }), 400, "schema-too-complex");
    expect(patched.violations[0].path).toMatch(/^\/outputSchema\/\$defs\/d\d+$/);
    expect((await b.apiJson(`/api/v1/folders/${b.sharedKey}/processes/${name}`)).outputSchema).toBeNull();
  });

  it("refuses recursion that multiplies with depth, and $ref cycles that never reach a child value", async () => {
    // both branches follow the same property: 2^depth checks on a value nested that deep
    const doubling = { $defs: { e: { anyOf: [{ properties: { a: { $ref: "#/$defs/e" } } }, { properties: { a: { $ref: "#/$defs/e" } } }] } }, $ref: "#/$defs/e" };
    const body = await problem(await send("POST", `/api/v1/folders/${b.sharedKey}/processes`, { name: unique("P"), inputSchema: doubling }), 400, "schema-too-complex");
    expect(body).toMatchObject({ limit: "maxChecksPerValue", violations: [{ path: "/inputSchema", message: expect.stringContaining("levels deep") }] });

    const cycle = await problem(await send("POST", `/api/v1/folders/${b.sharedKey}/processes`, { name: unique("P"), inputSchema: { anyOf: [{ $ref: "#" }] } }), 400, "invalid-process");
    expect(cycle.violations).toEqual([{ path: "/inputSchema", message: expect.stringContaining("validation would never end") }]);
  });

  it("answers each limit with its name, its value and a pointer", async () => {
    const deep: Record<string, unknown> = { type: "string" };
    let nested = deep;
    for (let i = 0; i < 40; i++) nested = { type: "object", properties: { a: nested } };
    const many: Record<string, unknown> = {};
    for (let i = 0; i < 1001; i++) many[`p${i}`] = {};
    const refs = Array.from({ length: 257 }, () => ({ $ref: "#/$defs/s" }));
    const cases: [unknown, string, number, string][] = [
      [{ type: "object", description: "x".repeat(70_000) }, "maxBytes", 65536, "/inputSchema"],
      [nested, "maxDepth", 32, `/inputSchema${"/properties/a".repeat(32)}`],
      [{ type: "object", properties: many }, "maxSubschemas", 1000, ""],
      [{ $defs: { s: { type: "string" } }, allOf: refs }, "maxRefs", 256, ""],
      [{ type: "object", properties: { s: { type: "string", pattern: "^[a-z]{1000}[0-9]{1000}$" } } }, "maxPatternProgramSize", 2000, "/inputSchema/properties/s/pattern"],
    ];
    for (const [schema, limit, max, path] of cases) {
      const body = await problem(await send("POST", `/api/v1/folders/${b.sharedKey}/processes`, { name: unique("P"), inputSchema: schema }), 400, "schema-too-complex");
      expect(body, limit).toMatchObject({ limit, max });
      expect(body.violations).toHaveLength(1);
      if (path) expect(body.violations[0].path, limit).toBe(path);
      else expect(body.violations[0].path, limit).toMatch(/^\/inputSchema\//);
    }
  });

  it("accepts a big schema of the ordinary kind, and recursive schemas whose cost does not grow with depth", async () => {
    const schema = bigLegalSchema();
    expect(JSON.stringify(schema).length).toBeGreaterThan(50_000);
    const name = await processWith({ inputSchema: schema });
    expect((await createJob(name, { field0: "a", field1: "b", field399: "c" })).status).toBe(201);
    const bad = await problem(await createJob(name, { field0: "a b!", field1: 3 }), 400, "invalid-arguments");
    expect(bad.violations).toEqual([{ path: "/field0", message: expect.stringContaining("must match pattern") }, { path: "/field1", message: "must be string" }]);

    // a filter language: and/or lists of filters, as deep as arguments may nest
    const filter = {
      $defs: {
        f: {
          anyOf: [
            { type: "object", required: ["and"], properties: { and: { type: "array", items: { $ref: "#/$defs/f" } } } },
            { type: "object", required: ["or"], properties: { or: { type: "array", items: { $ref: "#/$defs/f" } } } },
            { type: "object", required: ["eq"], properties: { eq: { type: "string" } } },
          ],
        },
      },
      type: "object", properties: { where: { $ref: "#/$defs/f" } },
    };
    const filtered = await processWith({ inputSchema: filter });
    let where: unknown = { eq: "x" };
    for (let i = 0; i < 30; i++) where = i % 2 ? { and: [where] } : { or: [where, { eq: "y" }] };
    expect((await createJob(filtered, { where })).status).toBe(201);
  });
});

describe("violations are bounded", () => {
  it("lists at most 20, with how many were found", async () => {
    const name = await processWith({ inputSchema: { type: "object", properties: { a: { type: "array", items: { type: "string" } } } } });
    const body = await problem(await createJob(name, { a: Array.from({ length: 100 }, (_, i) => i) }), 400, "invalid-arguments");
    expect(body.violations).toHaveLength(20);
    expect(body.violations[0]).toEqual({ path: "/a/0", message: "must be string" });
    expect(body).toMatchObject({ violationCount: 100, truncated: true });
  });

  it("stops at the first violation when collecting every one would cost too much", async () => {
    const name = await processWith({ inputSchema: { type: "object", properties: { a: { type: "array", items: { type: "string" } } } } });
    const body = await problem(await createJob(name, { a: Array.from({ length: 100_000 }, () => 1) }), 400, "invalid-arguments");
    expect(body.violations).toEqual([{ path: "/a/0", message: "must be string" }]);
    expect(body).toMatchObject({ violationCount: 1, truncated: true });
  });

  it("refuses arguments too large for the schema's cost before validating them", async () => {
    const checks = Array.from({ length: 50 }, (_, i) => ({ minimum: -i }));
    const name = await processWith({ inputSchema: { type: "object", properties: { a: { type: "array", items: { allOf: checks } } } } });
    const body = await problem(await createJob(name, { a: Array.from({ length: 250_000 }, () => 0) }), 400, "invalid-arguments");
    expect(body.violations).toEqual([{ path: "/", message: expect.stringMatching(/^is too large to validate against this schema/) }]);
  });

  it("uniqueItems compares items as JSON values (key order does not matter)", async () => {
    const name = await processWith({ inputSchema: { type: "object", properties: { a: { type: "array", uniqueItems: true } } } });
    expect((await createJob(name, { a: [{ x: 1, y: [1, 2] }, { x: 1, y: [2, 1] }] })).status).toBe(201);
    const body = await problem(await createJob(name, { a: [{ x: 1, y: { p: 1, q: 2 } }, 3, { y: { q: 2, p: 1 }, x: 1 }] }), 400, "invalid-arguments");
    expect(body.violations).toEqual([{ path: "/a", message: "must NOT have duplicate items (items ## 0 and 2 are identical)" }]);
  });
});

describe("the output schema on complete is bounded the same way", () => {
  const robotBase = () => `${b.base}/api/robot/v1`;
  const rp = (key: string, path: string, body: unknown) =>
    fetch(`${robotBase()}${path}`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });

  async function completeWith(outputSchema: unknown, outputArguments: unknown) {
    const name = await processWith({ outputSchema });
    const robot = await b.apiJson("/api/v1/robots", { method: "POST", json: { name: unique("robot") } });
    const opened = await rp(robot.key, "/sessions", { processes: [name], slots: 1 });
    expect(opened.status).toBe(201);
    const { sessionId } = await opened.json();
    const job = await b.apiJson("/api/v1/jobs", { method: "POST", json: { folderKey: b.sharedKey, processName: name } });
    const claimed = await (await rp(robot.key, `/sessions/${sessionId}/claim`, { max: 1, waitSeconds: 0 })).json();
    expect(claimed.jobs.map((j: { key: string }) => j.key)).toEqual([job.key]);
    const [completed, folders] = await Promise.all([rp(robot.key, `/sessions/${sessionId}/jobs/${job.key}/complete`, { outputArguments }), b.api("/api/v1/folders")]);
    expect(completed.status).toBe(204);
    expect(folders.status).toBe(200);
    return b.apiJson(`/api/v1/jobs/${job.key}`);
  }

  it("faults the job at once on a catastrophic-backtracking pattern", async () => {
    const job = await completeWith({ type: "object", properties: { s: { type: "string", pattern: REDOS } } }, { s: EVIL });
    expect(job).toMatchObject({
      state: "Faulted",
      error: { code: "OutputSchemaViolation", details: { violations: [{ path: "/s", message: `must match pattern "${REDOS}"` }], violationCount: 1, truncated: false } },
    });
  });

  it("lists at most 20 output violations", async () => {
    const job = await completeWith({ type: "object", properties: { a: { type: "array", items: { type: "string" } } } }, { a: Array.from({ length: 50 }, () => 0) });
    expect(job.state).toBe("Faulted");
    expect(job.error.details.violations).toHaveLength(20);
    expect(job.error.details).toMatchObject({ violationCount: 50, truncated: true });
  });
});
