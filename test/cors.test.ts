import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { invoke, startTestBaton, type TestBaton } from "./helpers/baton.js";

const ORIGIN = "https://app.example.com";
let b: TestBaton;
beforeAll(async () => {
  b = await startTestBaton();
  await b.patchSettings({ corsAllowedOrigins: [ORIGIN], longPollTimeoutSeconds: 1, syncMaxJobDurationSeconds: 20 });
});
afterAll(async () => { await b.close(); });

function expectCors(res: Response) {
  expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
  expect(res.headers.get("access-control-expose-headers")).toContain("Location");
  expect(res.headers.get("access-control-expose-headers")).toContain("Retry-After");
  expect(res.headers.get("vary")).toContain("Origin");
}

describe("CORS for corsAllowedOrigins", () => {
  it("answers the preflight of the invoke URL without a token", async () => {
    const res = await fetch(b.invokeUrl("echo"), {
      method: "OPTIONS",
      headers: { origin: ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
    });
    expect(res.status).toBe(204);
    expectCors(res);
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")).toBe("authorization,content-type");
    expect(res.headers.get("access-control-max-age")).toBe("600");
  });

  it("sends the headers on the 202, the status 200, the 303 to the output, and the output", async () => {
    const res = await invoke(b, "echo", { a: 1 }, { headers: { origin: ORIGIN } });
    expect(res.status).toBe(202);
    expectCors(res);
    const status = res.headers.get("location")!;
    let poll = await fetch(status, { headers: { origin: ORIGIN, authorization: `Bearer ${b.token}` }, redirect: "manual" });
    while (poll.status === 200) {
      expectCors(poll);
      await new Promise((r) => setTimeout(r, 20));
      poll = await fetch(status, { headers: { origin: ORIGIN, authorization: `Bearer ${b.token}` }, redirect: "manual" });
    }
    expect(poll.status).toBe(303);
    expectCors(poll);
    const output = await fetch(poll.headers.get("location")!, { headers: { origin: ORIGIN, authorization: `Bearer ${b.token}` } });
    expect(output.status).toBe(200);
    expectCors(output);
    expect(await output.json()).toEqual({ a: 1 });
  });

  it("sends the headers on LongPolling's 303 to the wait URI and on the wait URI's answers", async () => {
    const res = await invoke(b, "sleep", { seconds: 1.3, $callMode: "LongPolling" }, { headers: { origin: ORIGIN } });
    expect(res.status).toBe(303);
    expectCors(res);
    const wait = await fetch(res.headers.get("location")!, { headers: { origin: ORIGIN, authorization: `Bearer ${b.token}` }, redirect: "manual" });
    expect([200, 303]).toContain(wait.status);
    expectCors(wait);
  });

  it("sends the headers on errors too (401, 404, 405)", async () => {
    const noToken = await fetch(b.invokeUrl("echo"), { method: "POST", headers: { origin: ORIGIN } });
    expect(noToken.status).toBe(401);
    expectCors(noToken);
    const missing = await invoke(b, "nope", {}, { headers: { origin: ORIGIN } });
    expect(missing.status).toBe(404);
    expectCors(missing);
    const verb = await fetch(b.invokeUrl("echo"), { method: "GET", headers: { origin: ORIGIN, authorization: `Bearer ${b.token}` } });
    expect(verb.status).toBe(405);
    expect(verb.headers.get("allow")).toBe("POST");
    expectCors(verb);
  });

  it("sends nothing for an origin that is not allowed", async () => {
    const pre = await fetch(b.invokeUrl("echo"), { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "POST" } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
    expect(pre.headers.get("access-control-allow-methods")).toBeNull();
    const res = await invoke(b, "echo", {}, { headers: { origin: "https://evil.example" } });
    expect(res.status).toBe(202);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("rejects a malformed origin list with 400 invalid-settings", async () => {
    const res = await b.api("/api/v1/settings", { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ corsAllowedOrigins: ["https://a.example/path"] }) });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
    expect((await res.json()).code).toBe("invalid-settings");
    expect((await b.apiJson("/api/v1/settings")).corsAllowedOrigins).toEqual([ORIGIN]);
  });
});
