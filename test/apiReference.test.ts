import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSocketlessBaton, type TestBaton } from "./helpers/baton.js";

/**
 * The interactive API reference beside the OpenAPI document (routes/apiReference.ts): its
 * page and every file it loads come from Baton, nothing from another host. The page in a
 * browser: test/browser/apiReference.test.ts.
 */
let b: TestBaton;
beforeAll(async () => { b = await startSocketlessBaton(); });
afterAll(async () => { await b?.close(); });

const page = (base = b.base) => b.fetch(`${base}/api/v1/reference`);
/** every src and href of the page */
const references = (html: string) => [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]!.replace(/&amp;/g, "&"));

describe("the API reference", () => {
  it("is an HTML page on this tenant's openapi.json, without a credential, with the console's strict CSP", async () => {
    const res = await page();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    const csp = res.headers.get("content-security-policy")!;
    for (const directive of ["default-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "object-src 'none'"]) expect(csp).toContain(directive);
    // no inline script may run: every script is a file of the server
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await res.text();
    expect(html).toContain(`data-openapi-url="${new URL(b.base).pathname}/api/v1/openapi.json"`);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it("names no other host: every file it loads is a path of this server", async () => {
    const html = await (await page()).text();
    expect(html).not.toMatch(/https?:\/\//);
    const refs = references(html);
    expect(refs.length).toBeGreaterThanOrEqual(4);
    for (const ref of refs) {
      // a path of this origin (not `//host/…`), or the empty data: favicon
      expect(ref, ref).toMatch(/^(\/(?!\/)|data:,$)/);
    }
  });

  it("serves each script and stylesheet it names, with a JS or CSS type, cached by version", async () => {
    const html = await (await page()).text();
    const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
    const styles = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBe(2);
    expect(styles.length).toBe(2);
    for (const path of [...scripts, ...styles]) {
      const res = await b.fetch(`${new URL(b.base).origin}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toBe(scripts.includes(path) ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8");
      expect(res.headers.get("cache-control"), path).toBe("public, max-age=31536000, immutable");
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      const body = await res.text();
      expect(body.length, path).toBeGreaterThan(20);
      // a stylesheet pulls nothing in from elsewhere (fonts, images): data: URLs only
      if (styles.includes(path)) {
        for (const [, url] of body.matchAll(/url\(\s*["']?([^"')]*)/g)) expect(url, path).toMatch(/^data:/);
        expect(body).not.toMatch(/@import/);
      }
    }
    const bundle = await (await b.fetch(`${new URL(b.base).origin}${scripts[0]}`)).text();
    expect(bundle).toContain("SwaggerUIBundle");
  });

  it("sends the files gzipped to a client that accepts it", async () => {
    const html = await (await page()).text();
    const bundle = html.match(/<script src="([^"]+swagger-ui-bundle\.js[^"]*)"/)![1]!;
    const url = `${new URL(b.base).origin}${bundle}`;
    const plain = Buffer.from(await (await b.fetch(url)).arrayBuffer());
    const res = await b.fetch(url, { headers: { "accept-encoding": "br, gzip;q=0.8" } });
    expect(res.headers.get("content-encoding")).toBe("gzip");
    expect(res.headers.get("vary")).toContain("Accept-Encoding");
    const gzipped = Buffer.from(await res.arrayBuffer());
    expect(gzipped.length).toBeLessThan(plain.length / 2);
    expect(gunzipSync(gzipped).equals(plain)).toBe(true);
    // gzip refused: the plain file
    expect((await b.fetch(url, { headers: { "accept-encoding": "gzip;q=0, *" } })).headers.get("content-encoding")).toBeNull();
  });

  it("answers 404 for any other file, the package's own included, and never leaves its list", async () => {
    for (const name of ["index.html", "swagger-ui.js", "package.json", "..%2F..%2Fpackage.json", "%2E%2E", "constructor", "__proto__"]) {
      const res = await b.fetch(`${b.base}/api/v1/reference/${name}`);
      expect(res.status, name).toBe(404);
      expect(res.headers.get("content-type"), name).toMatch(/^application\/problem\+json/);
      expect((await res.json()).code, name).toMatch(/^(asset-not-found|route-not-found)$/);
    }
  });

  it("is under every tenant, each with its own document; an unknown tenant is 404", async () => {
    const org = new URL(b.tenantUrl).pathname.split("/")[1]!;
    const created = await b.fetch(`${new URL(b.base).origin}/${org}/api/v1/tenants`, {
      method: "POST", headers: { authorization: `Bearer ${b.token}`, "content-type": "application/json" }, body: JSON.stringify({ name: "ReferenceTwo" }),
    });
    expect(created.status).toBe(201);
    const res = await page(`${new URL(b.base).origin}/${org}/ReferenceTwo/orchestrator_`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`data-openapi-url="/${org}/ReferenceTwo/orchestrator_/api/v1/openapi.json"`);

    const missing = await page(`${new URL(b.base).origin}/${org}/NoSuchTenant/orchestrator_`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).code).toBe("tenant-not-found");
  });
});
