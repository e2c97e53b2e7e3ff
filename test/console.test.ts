import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendProblem } from "../src/http/problem.js";
import { consoleRoutes } from "../src/http/routes/console.js";
import { startTestBaton, type TestBaton } from "./helpers/baton.js";

/** The console's files as the orchestrator serves them (the pages themselves: test/browser). */
let b: TestBaton;
beforeAll(async () => { b = await startTestBaton({}, { demo: false }); });
afterAll(async () => { await b?.close(); });

describe("the web console's files", () => {
  it("redirects …/orchestrator_ to …/orchestrator_/ (308), keeping the query", async () => {
    const res = await fetch(`${b.base}?x=1`, { redirect: "manual" });
    expect(res.status).toBe(308);
    expect(res.headers.get("location")).toBe("/default/DefaultTenant/orchestrator_/?x=1");
  });

  it("serves index.html without caching, with relative asset URLs and a strict CSP", async () => {
    const res = await fetch(`${b.base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    const html = await res.text();
    expect(html).toMatch(/src="\.\/assets\/index-[\w-]+\.js"/);

    const js = html.match(/src="\.\/(assets\/[^"]+\.js)"/)![1];
    const asset = await fetch(`${b.base}/${js}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const css = html.match(/href="\.\/(assets\/[^"]+\.css)"/)![1];
    expect((await fetch(`${b.base}/${css}`)).headers.get("content-type")).toBe("text/css; charset=utf-8");
  });

  it("answers 404 problem+json for an unknown asset, and never leaves the assets folder", async () => {
    for (const path of ["assets/nope-123.js", "assets/..%2F..%2Fpackage.json", "assets/%2E%2E/index.html", "assets/.hidden.js"]) {
      const res = await fetch(`${b.base}/${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type"), path).toMatch(/^application\/problem\+json/);
      expect((await res.json()).code, path).toMatch(/^(asset-not-found|route-not-found)$/);
    }
  });

  it("is under every tenant, and an unknown tenant is 404", async () => {
    expect((await fetch(`${b.url}/default/NoSuchTenant/orchestrator_/`)).status).toBe(404);
  });

  it("answers 503 console-not-built when dist/web is missing", async () => {
    const app = Fastify();
    app.setErrorHandler((err, request, reply) => sendProblem(request, reply, err));
    app.register(async (scope) => consoleRoutes(scope, null as never, "/nonexistent/baton-web"), { prefix: "/:org/:tenant/orchestrator_" });
    try {
      for (const url of ["/o/t/orchestrator_/", "/o/t/orchestrator_/assets/index-abc.js"]) {
        const res = await app.inject({ url });
        expect(res.statusCode, url).toBe(503);
        expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
        expect(res.headers["retry-after"]).toBe("60");
        const body = res.json();
        expect(body.code).toBe("console-not-built");
        expect(body.detail).toContain("npm run build");
      }
    } finally {
      await app.close();
    }
  });
});
