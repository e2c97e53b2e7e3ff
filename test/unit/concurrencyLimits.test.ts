import { describe, expect, it } from "vitest";
import { concurrencyKeyOf, pointerProblem, valueAt } from "../../src/core/concurrencyLimits.js";
import { ConcurrencyBudget } from "../../src/store/sql/concurrencyBudget.js";

describe("concurrencyKey: RFC 6901 pointers and the key a job is counted under", () => {
  it("accepts JSON Pointers only", () => {
    for (const ok of ["/a", "/", "/a/b", "/a~0b", "/a~1b", "/0", "/ü/ß", "//"]) expect(pointerProblem(ok), ok).toBeNull();
    for (const bad of ["", "a", "a/b", "/a~", "/a~2", "~0", 1, null, "/x".repeat(257)]) expect(pointerProblem(bad), String(bad)).not.toBeNull();
  });

  it("reads the value at a pointer: escapes, arrays, absent values", () => {
    const input = { "a/b": 1, "m~n": 2, list: [10, { id: "x" }], "": 3, nested: { k: null } };
    expect(valueAt(input, "/a~1b")).toBe(1);
    expect(valueAt(input, "/m~0n")).toBe(2);
    expect(valueAt(input, "/list/1/id")).toBe("x");
    expect(valueAt(input, "/list/01")).toBeUndefined();
    expect(valueAt(input, "/list/-")).toBeUndefined();
    expect(valueAt(input, "/")).toBe(3);
    expect(valueAt(input, "/nested/k")).toBeNull();
    expect(valueAt(input, "/missing/deeper")).toBeUndefined();
    expect(valueAt(input, "/toString")).toBeUndefined();
  });

  it("keys are canonical JSON: types differ, key order does not; long ones hashed; none without a value", () => {
    const p = { concurrencyKey: "/c" };
    expect(concurrencyKeyOf(p, { c: "42" })).toBe('"42"');
    expect(concurrencyKeyOf(p, { c: 42 })).toBe("42");
    expect(concurrencyKeyOf(p, { c: { b: 1, a: 2 } })).toBe(concurrencyKeyOf(p, { c: { a: 2, b: 1 } }));
    expect(concurrencyKeyOf(p, { c: "x".repeat(300) })).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(concurrencyKeyOf(p, { c: null })).toBeNull();
    expect(concurrencyKeyOf(p, {})).toBeNull();
    expect(concurrencyKeyOf({ concurrencyKey: null }, { c: 1 })).toBeNull();
  });
});

describe("ConcurrencyBudget", () => {
  const F = "00000000-0000-4000-8000-000000000001";
  it("admits within the process's and the key's room, counting what runs and what it admits", () => {
    const budget = new ConcurrencyBudget(
      [{ folderKey: F, name: "P", maxConcurrentJobs: 3, maxConcurrentJobsPerKey: 1 }],
      [{ folderKey: F, processName: "P", concurrencyKey: "a", count: 1 }, { folderKey: F, processName: "Other", concurrencyKey: null, count: 9 }],
    );
    expect(budget.fullKeys()).toEqual([`${F}/P/a`]);
    expect(budget.admit({ folderKey: F, processName: "P", concurrencyKey: "a" })).toBe(false);
    expect(budget.admit({ folderKey: F, processName: "P", concurrencyKey: "b" })).toBe(true);
    expect(budget.admit({ folderKey: F, processName: "P", concurrencyKey: "b" })).toBe(false);
    expect(budget.fullProcesses()).toEqual([]);
    expect(budget.admit({ folderKey: F, processName: "P", concurrencyKey: null })).toBe(true);
    expect(budget.fullProcesses()).toEqual([`${F}/P`]);
    expect(budget.admit({ folderKey: F, processName: "P", concurrencyKey: "c" })).toBe(false);
    // a process without limits, or another folder's process of the same name: always
    expect(budget.admit({ folderKey: F, processName: "Other", concurrencyKey: null })).toBe(true);
    expect(budget.admit({ folderKey: "other-folder", processName: "P", concurrencyKey: "a" })).toBe(true);
    expect(budget.fullKeys().sort()).toEqual([`${F}/P/a`, `${F}/P/b`]);
  });
});
