import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { invoke, startTestBaton, type TestBaton } from "./helpers/baton.js";

let b: TestBaton;
beforeAll(async () => { b = await startTestBaton(); });
afterAll(async () => { await b.close(); });

describe("smoke", () => {
  it("LongPolling Echo returns the input", async () => {
    const res = await invoke(b, "echo", { a: 1, $callMode: "LongPolling" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ a: 1 });
  });
});
