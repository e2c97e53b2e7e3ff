import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

  it("serves the build from memory, looking at index.html at most once a second for a new build (or a missing one)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "baton-web-"));
    let now = 0;
    const app = Fastify();
    app.setErrorHandler((err, request, reply) => sendProblem(request, reply, err));
    app.register(async (scope) => consoleRoutes(scope, null as never, dir, () => now), { prefix: "/:org/:tenant/orchestrator_" });
    try {
      const get = (path: string) => app.inject({ url: `/o/t/orchestrator_/${path}` });
      expect((await get("")).statusCode).toBe(503);
      // built meanwhile: still 503 within the second, then served
      mkdirSync(join(dir, "assets"));
      writeFileSync(join(dir, "index.html"), "<p>v1</p>");
      writeFileSync(join(dir, "assets", "index-v1.js"), "v1()");
      writeFileSync(join(dir, "assets", ".hidden.js"), "secret()");
      writeFileSync(join(dir, "assets", "notes.txt"), "not served");
      now = 999;
      expect((await get("")).statusCode).toBe(503);
      now = 1_000;
      const page = await get("");
      expect([page.statusCode, page.body]).toEqual([200, "<p>v1</p>"]);
      const asset = await get("assets/index-v1.js");
      expect([asset.statusCode, asset.headers["content-type"], asset.body]).toEqual([200, "text/javascript; charset=utf-8", "v1()"]);
      for (const name of [".hidden.js", "notes.txt", "index-v2.js"]) {
        const res = await get(`assets/${name}`);
        expect([res.statusCode, res.json().code], name).toEqual([404, "asset-not-found"]);
      }
      // a new build (the same size: its time tells): the old one, whole, until the next look
      rmSync(join(dir, "assets", "index-v1.js"));
      writeFileSync(join(dir, "assets", "index-v2.js"), "v2()");
      writeFileSync(join(dir, "index.html"), "<p>v2</p>");
      utimesSync(join(dir, "index.html"), new Date(1_000_000), new Date(1_000_000));
      now = 1_999;
      expect((await get("")).body).toBe("<p>v1</p>");
      expect((await get("assets/index-v1.js")).body).toBe("v1()");
      now = 2_000;
      expect((await get("")).body).toBe("<p>v2</p>");
      expect((await get("assets/index-v2.js")).body).toBe("v2()");
      expect((await get("assets/index-v1.js")).statusCode).toBe(404);
      // the build removed: console-not-built at the next look
      rmSync(join(dir, "index.html"));
      now = 3_000;
      expect((await get("")).statusCode).toBe(503);
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
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
