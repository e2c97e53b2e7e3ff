import { describe, expect, it } from "vitest";
import { argumentsFromQuery, mergeArguments, queryValue, splitControlParameters } from "../../src/core/arguments.js";
import { BatonError } from "../../src/core/errors.js";

describe("query-string arguments", () => {
  it("passes JSON numbers, booleans, arrays and objects as such, anything else as a string", () => {
    expect(queryValue("42")).toBe(42);
    expect(queryValue("-1.5e3")).toBe(-1500);
    expect(queryValue("true")).toBe(true);
    expect(queryValue("false")).toBe(false);
    expect(queryValue("[1,\"a\"]")).toEqual([1, "a"]);
    expect(queryValue("{\"a\":{\"b\":null}}")).toEqual({ a: { b: null } });
    expect(queryValue("null")).toBe("null");
    expect(queryValue("\"quoted\"")).toBe("\"quoted\"");
    expect(queryValue("12abc")).toBe("12abc");
    expect(queryValue("[broken")).toBe("[broken");
    expect(queryValue("")).toBe("");
    expect(queryValue("0x10")).toBe("0x10");
  });

  it("turns a repeated key into an array and keeps $ keys as strings", () => {
    expect(argumentsFromQuery(new URLSearchParams("a=1&a=x&b=true&$callMode=LongPolling"))).toEqual({ a: [1, "x"], b: true, $callMode: "LongPolling" });
  });
});

describe("control parameters", () => {
  it("splits $callMode from the arguments", () => {
    expect(splitControlParameters({ a: 1, $callMode: "FireAndForget" })).toEqual({ args: { a: 1 }, callMode: "FireAndForget" });
    expect(splitControlParameters({ a: 1 })).toEqual({ args: { a: 1 }, callMode: null });
  });

  it("refuses an unknown $ key or a bad call mode with 400", () => {
    const thrown = (f: () => unknown) => { try { f(); } catch (e) { return e as BatonError; } throw new Error("did not throw"); };
    expect(thrown(() => splitControlParameters({ $priority: "High" }))).toMatchObject({ status: 400, code: "unknown-control-parameter" });
    expect(thrown(() => splitControlParameters({ $callMode: "Sync" }))).toMatchObject({ status: 400, code: "invalid-call-mode" });
    expect(thrown(() => splitControlParameters({ $callMode: 1 }))).toMatchObject({ status: 400, code: "invalid-call-mode" });
  });
});

describe("argument defaults", () => {
  it("takes process defaults, then trigger defaults, then the request", () => {
    expect(mergeArguments({ a: 1, b: 1, c: 1 }, { b: 2, c: 2 }, { c: 3 })).toEqual({ a: 1, b: 2, c: 3 });
  });
});
