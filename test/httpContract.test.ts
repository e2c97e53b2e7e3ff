import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningBaton } from "../src/app.js";
import { banner, publicUrlWarning } from "../src/cli/banner.js";
import { buildServer } from "../src/http/server.js";
import { injectFetch, startSocketlessBaton, type TestBaton } from "./helpers/baton.js";

/**
 * The HTTP contract around the routes (issue 13, items 2, 4, 6, 12): 405 with Allow for a
 * known path's missing method, 415 for bodies that are not JSON or are compressed, a BOM
 * before JSON accepted, the problem `type`, RFC 6750's challenge, Vary on refused
 * preflights, the 401 of a wait URI without a token, and browsers sent to the console.
 */

const PROBLEM = "application/problem+json; charset=utf-8";
const BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
let b: TestBaton;
/** every route the server registers, as `METHOD url` pairs */
let routes: { method: string; url: string }[];

let robotKey = "";
beforeAll(async () => {
  b = await startSocketlessBaton();
  robotKey = (await b.apiJson("/api/v1/robots", { method: "POST", json: { name: "contract-robot" } })).key;
  const server = buildServer({ baton: b.baton });
  await server.app.ready();
  routes = server.routes;
  await server.app.close();
});
afterAll(async () => { await b.close(); });

async function problem(res: Response, status: number, code: string): Promise<Record<string, unknown>> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toBe(PROBLEM);
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body, text).toMatchObject({ type: "about:blank", status, code });
  return body;
}

/** a route's URL with its parameters filled: this server's tenant, `x` for the others */
function concrete(url: string): string {
  const path = url
    .replace(/^\/:org\/:tenant\//, `/${encodeURIComponent(b.tenant.org)}/${encodeURIComponent(b.tenant.name)}/`)
    .replace(/^\/:org\//, `/${encodeURIComponent(b.tenant.org)}/`)
    .replace(/:\w+/g, "x")
    .replace(/\*$/, "x.js");
  return `${b.url}${path}`;
}

describe("a known path called with a method it lacks: 405 with Allow", () => {
  it("answers POST …/wait, POST …/status and DELETE …/jobs with 405 and the path's methods", async () => {
    for (const [method, path, allow] of [
      ["POST", "/api/v1/jobs/some-job/wait", "GET, HEAD, OPTIONS"],
      ["POST", "/api/v1/jobs/some-job/status", "GET, HEAD, OPTIONS"],
      ["DELETE", "/api/v1/jobs", "GET, HEAD, POST, OPTIONS"],
      ["PUT", "/api/v1/settings", "GET, HEAD, PATCH, OPTIONS"],
      // a static route and a parameter's: DELETE /robots/sessions reaches DELETE /robots/:id
      ["POST", "/api/v1/robots/sessions", "GET, HEAD, DELETE, OPTIONS"],
    ] as const) {
      const res = await b.api(path, { method });
      const body = await problem(res, 405, "method-not-allowed");
      expect(res.headers.get("allow"), `${method} ${path}`).toBe(allow);
      expect(body.detail).toBe(`${method} is not a method of ${new URL(b.base).pathname}${path}; it answers ${allow}.`);
    }
  });

  it("answers 405 outside the tenant too: the operations endpoints, the organization's routes", async () => {
    const health = await b.fetch(`${b.url}/healthz`, { method: "POST" });
    await problem(health, 405, "method-not-allowed");
    expect(health.headers.get("allow")).toBe("GET, HEAD");
    const tenants = await b.fetch(`${b.url}/${b.tenant.org}/api/v1/tenants`, { method: "DELETE" });
    await problem(tenants, 405, "method-not-allowed");
    expect(tenants.headers.get("allow")).toBe("GET, HEAD, POST");
  });

  it("still answers 404 route-not-found for a path no route has, whatever the method", async () => {
    for (const method of ["GET", "POST", "DELETE"]) {
      await problem(await b.api("/api/v1/nothing-here", { method }), 404, "route-not-found");
      await problem(await b.fetch(`${b.url}/nothing/here/at/all`, { method }), 404, "route-not-found");
    }
  });

  it("every registered route: each method its path lacks is 405, and Allow lists the route's own methods", async () => {
    const byUrl = new Map<string, Set<string>>();
    for (const r of routes) byUrl.set(r.url, (byUrl.get(r.url) ?? new Set()).add(r.method));
    const failures: string[] = [];
    let checked = 0;
    for (const [url, methods] of byUrl) {
      // the CORS preflight covers every path of a tenant: it is no path of its own
      if (methods.size === 1 && methods.has("OPTIONS")) continue;
      if (methods.has("GET")) expect(methods.has("HEAD"), url).toBe(true);
      if (url.startsWith("/:org/:tenant/orchestrator_/")) methods.add("OPTIONS");
      for (const method of ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
        if (methods.has(method)) continue;
        // DELETE /robots/sessions is DELETE /robots/:id of a robot named "sessions"
        if (method === "DELETE" && url.endsWith("/api/v1/robots/sessions")) continue;
        const res = await b.fetch(concrete(url), { method });
        const allow = (res.headers.get("allow") ?? "").split(", ");
        checked++;
        if (res.status !== 405 || [...methods].some((m) => !allow.includes(m)) || allow.includes(method)) {
          failures.push(`${method} ${url}: ${res.status} Allow: ${res.headers.get("allow")}`);
        } else if (method !== "HEAD") {
          expect((await res.json()).code).toBe("method-not-allowed");
        }
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  });
});

describe("request bodies: 415 for what is not JSON, a BOM accepted", () => {
  it("PATCH /settings with text/plain is 415 unsupported-media-type, not 400", async () => {
    const res = await b.api("/api/v1/settings", { method: "PATCH", headers: { "content-type": "text/plain" }, body: '{"longPollTimeoutSeconds":5}' });
    const body = await problem(res, 415, "unsupported-media-type");
    expect(body.detail).toBe("Expected Content-Type application/json, got 'text/plain'.");
  });

  it("every route that takes a JSON body answers 415 to text/plain and to a body without a Content-Type", async () => {
    const failures: string[] = [];
    const bodyRoutes = routes.filter((r) => ["POST", "PUT", "PATCH"].includes(r.method)
      // the invoke URL (checked below, after its trigger) and the OAuth token endpoint (a form, RFC 6749 errors)
      && !r.url.endsWith("/t/:folderKey/:slug") && !r.url.endsWith("/identity_/connect/token"));
    expect(bodyRoutes.length).toBeGreaterThan(20);
    for (const r of bodyRoutes) {
      for (const contentType of ["text/plain", "application/x-www-form-urlencoded", null]) {
        // the route's own credential: a body is read (and its type looked at) only from a caller it accepts
        const headers = new Headers({ authorization: `Bearer ${r.url.includes("/api/robot/v1/") ? robotKey : b.token}` });
        if (contentType) headers.set("content-type", contentType);
        const res = await b.fetch(concrete(r.url), { method: r.method, headers, body: Buffer.from('{"name":"x"}') });
        const text = await res.text();
        if (res.status !== 415 || JSON.parse(text).code !== "unsupported-media-type") failures.push(`${r.method} ${r.url} (${contentType}): ${res.status} ${text}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("an invocation with text/plain is 415 too", async () => {
    const res = await b.fetch(b.invokeUrl("echo"), { method: "POST", headers: { authorization: `Bearer ${b.token}`, "content-type": "text/plain" }, body: '{"a":1}' });
    await problem(res, 415, "unsupported-media-type");
  });

  it("a gzip, br or deflate Content-Encoding is 415 unsupported-content-encoding with Accept-Encoding: identity, on every kind of route", async () => {
    const gz = gzipSync(Buffer.from(JSON.stringify({ longPollTimeoutSeconds: 5 })));
    const calls: [string, string][] = [
      ["PATCH", `${b.base}/api/v1/settings`],
      ["POST", `${b.base}/api/v1/folders`],
      ["POST", b.invokeUrl("echo")],
      ["POST", `${b.base}/api/robot/v1/sessions`],
      ["POST", `${b.url}/${b.tenant.org}/api/v1/tenants`],
    ];
    for (const [method, url] of calls) {
      for (const encoding of ["gzip", "br", "deflate", "identity, gzip"]) {
        // each route's own credential (a body is looked at only once its caller is accepted)
        const bearer = url.includes("/api/robot/v1/") ? robotKey : b.token;
        const res = await b.fetch(url, { method, headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json", "content-encoding": encoding }, body: gz });
        const body = await problem(res, 415, "unsupported-content-encoding");
        expect(res.headers.get("accept-encoding")).toBe("identity");
        expect(body.detail).toBe(`The body's Content-Encoding '${encoding}' is not supported: send it uncompressed, without Content-Encoding (or with Content-Encoding: identity).`);
      }
    }
  });

  it("an unauthenticated compressed body is answered 401 first: nothing of it is looked at", async () => {
    const gz = gzipSync(Buffer.from("{}"));
    const res = await b.fetch(`${b.base}/api/v1/folders`, { method: "POST", headers: { "content-type": "application/json", "content-encoding": "gzip" }, body: gz });
    await problem(res, 401, "unauthorized");
  });

  it("Content-Encoding: identity is a plain body", async () => {
    const res = await b.api("/api/v1/settings", { method: "PATCH", headers: { "content-type": "application/json", "content-encoding": "identity" }, body: JSON.stringify({ longPollTimeoutSeconds: 70 }) });
    expect(res.status, await res.text()).toBe(200);
  });

  it("accepts a UTF-8 byte order mark before the JSON of a management body and of an invocation", async () => {
    const patch = await b.api("/api/v1/settings", { method: "PATCH", headers: { "content-type": "application/json" }, body: Buffer.from(`\uFEFF${JSON.stringify({ longPollTimeoutSeconds: 60 })}`, "utf8") });
    expect(patch.status, await patch.text()).toBe(200);
    expect((await b.apiJson("/api/v1/settings")).longPollTimeoutSeconds).toBe(60);
    const folder = await b.api("/api/v1/folders", { method: "POST", headers: { "content-type": "application/json; charset=utf-8" }, body: Buffer.from(`\uFEFF{"name":"bom-folder"}`, "utf8") });
    expect(folder.status, await folder.text()).toBe(201);
    const invoked = await b.fetch(b.invokeUrl("echo"), { method: "POST", headers: { authorization: `Bearer ${b.token}`, "content-type": "application/json" }, body: Buffer.from(`\uFEFF{"hello":"bom"}`, "utf8") });
    expect(invoked.status).toBe(202);
    const job = await b.apiJson(`/api/v1/jobs/${(await invoked.json()).jobKey}`);
    expect(job.inputArguments).toEqual({ hello: "bom" });
  });
});

describe("problems, challenges and CORS refusals", () => {
  it("a problem's type is about:blank: no URI of a domain the project does not own", async () => {
    const res = await b.api("/api/v1/folders", { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
    const body = await problem(res, 400, "invalid-json");
    expect(body.title).toBe("Bad Request");
  });

  it("a 401 says error=\"invalid_token\" (RFC 6750) where a bearer token was sent, and no error where none was", async () => {
    const cases: [string | null, string][] = [
      [null, 'Bearer realm="baton"'],
      ["Bearer baton_pat_not-a-real-token", 'Bearer realm="baton", error="invalid_token"'],
      ["bearer    baton_pat_not-a-real-token", 'Bearer realm="baton", error="invalid_token"'],
      ["Bearer", 'Bearer realm="baton", error="invalid_request"'],
      ["Bearer two words", 'Bearer realm="baton", error="invalid_request"'],
      // another scheme: the client did not try a bearer token (RFC 6750 §3.1)
      ["Basic dXNlcjpwYXNz", 'Bearer realm="baton"'],
    ];
    for (const [authorization, challenge] of cases) {
      for (const url of [`${b.base}/api/v1/folders`, b.invokeUrl("echo"), `${b.url}/${b.tenant.org}/api/v1/tenants`, `${b.base}/api/robot/v1/sessions`]) {
        const res = await b.fetch(url, { method: url.includes("/robot/") ? "POST" : "GET", headers: authorization === null ? {} : { authorization } });
        await problem(res, 401, "unauthorized");
        expect(res.headers.get("www-authenticate"), `${authorization} on ${url}`).toBe(challenge);
      }
    }
  });

  it("a preflight from an origin that is not allowed answers 204 with Vary: Origin and no CORS grant", async () => {
    await b.patchSettings({ corsAllowedOrigins: ["https://app.example.com"] });
    try {
      const res = await b.fetch(b.invokeUrl("echo"), { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "POST" } });
      expect(res.status).toBe(204);
      expect(res.headers.get("vary")).toContain("Origin");
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
      expect(res.headers.get("access-control-allow-methods")).toBeNull();
      // an ordinary answer to that origin, and one without an Origin, vary too
      const refused = await b.api("/api/v1/folders", { headers: { origin: "https://evil.example" } });
      expect(refused.status).toBe(200);
      expect(refused.headers.get("vary")).toBe("Origin");
      expect((await b.api("/api/v1/folders")).headers.get("vary")).toBe("Origin");
      const allowed = await b.fetch(b.invokeUrl("echo"), { method: "OPTIONS", headers: { origin: "https://app.example.com", "access-control-request-method": "POST" } });
      expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
      expect(allowed.headers.get("vary")).toContain("Origin");
      // the 405 and 404 of a path under the tenant carry the CORS headers too: a page can read them
      for (const [method, path, status] of [["POST", "/api/v1/jobs/some-job/wait", 405], ["GET", "/api/v1/nothing-here", 404]] as const) {
        const res = await b.api(path, { method, headers: { origin: "https://app.example.com" } });
        expect(res.status).toBe(status);
        expect(res.headers.get("access-control-allow-origin"), path).toBe("https://app.example.com");
        expect(res.headers.get("access-control-expose-headers"), path).toContain("Location");
        expect(res.headers.get("vary"), path).toBe("Origin");
      }
    } finally {
      await b.patchSettings({ corsAllowedOrigins: [] });
    }
  });
});

describe("redirects to another host drop the token (BATON_PUBLIC_URL)", () => {
  it("the 401 of a wait URI called without a token says how to fix it", async () => {
    const waitUri = `${b.base}/api/v1/jobs/some-job/wait`;
    const res = await b.fetch(waitUri);
    const body = await problem(res, 401, "unauthorized");
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="baton"');
    expect(body.detail).toContain("redirected here by LongPolling's 303 from another host");
    expect(body.detail).toContain("syncRedirectsRequireAuth to false");
    // with a token that is not valid, the usual answer
    const bad = await b.fetch(waitUri, { headers: { authorization: "Bearer baton_pat_nope" } });
    expect((await problem(bad, 401, "unauthorized")).detail).toBe("The token is not valid.");
  });

  it("names BATON_PUBLIC_URL in that 401 when it is set", async () => {
    const other = await startSocketlessBaton({ publicUrl: "https://baton.example.com/" });
    try {
      const res = await injectFetch(other.app, `${new URL(other.listenUrl).origin}/${other.tenant.org}/${other.tenant.name}/orchestrator_/api/v1/jobs/some-job/wait`);
      const body = await problem(res, 401, "unauthorized");
      expect(body.detail).toContain("(BATON_PUBLIC_URL is https://baton.example.com)");
    } finally {
      await other.close();
    }
  });

  it("the start banner warns when BATON_PUBLIC_URL's host is not the one the node listens on", () => {
    expect(publicUrlWarning({ url: "http://127.0.0.1:8080", listenUrl: "http://127.0.0.1:8080" })).toEqual([]);
    expect(publicUrlWarning({ url: "http://127.0.0.1:8080/", listenUrl: "http://127.0.0.1:8080" })).toEqual([]);
    const running = {
      url: "https://baton.example.com", listenUrl: "http://127.0.0.1:8080", tenantUrl: "https://baton.example.com/default/DefaultTenant",
      adminToken: null, adminTokenIsNew: false, adminTokenFile: "/tmp/admin-token", bootstrapToken: null, adminPassword: null, demoUrls: null,
    } as unknown as RunningBaton;
    const printed = banner(running, false);
    expect(printed).toContain("note: BATON_PUBLIC_URL is https://baton.example.com, but this node listens on http://127.0.0.1:8080.");
    expect(printed).toContain("syncRedirectsRequireAuth");
    expect(banner({ ...running, url: "http://127.0.0.1:8080", tenantUrl: "http://127.0.0.1:8080/default/DefaultTenant" } as RunningBaton, false)).not.toContain("note:");
  });
});

describe("a browser on the URLs the banner prints", () => {
  it("GET / and GET /{org}/{tenant} with a browser's Accept are redirected to the console", async () => {
    const tenantUrl = `${b.url}/${encodeURIComponent(b.tenant.org)}/${encodeURIComponent(b.tenant.name)}`;
    for (const url of [`${b.url}/`, tenantUrl, `${tenantUrl}/`]) {
      for (const accept of [BROWSER, "text/html"]) {
        const res = await b.fetch(url, { headers: { accept } });
        expect(res.status, url).toBe(303);
        expect(res.headers.get("location")).toBe(`${b.base}/`);
      }
    }
    // …/orchestrator_ without the slash was already a redirect to the console
    const bare = await b.fetch(b.base, { headers: { accept: BROWSER } });
    expect(bare.status).toBe(308);
    expect(bare.headers.get("location")).toBe(`${new URL(b.base).pathname}/`);
  });

  it("API clients (Accept JSON, */*, or none) still get the 404 problem", async () => {
    const tenantUrl = `${b.url}/${encodeURIComponent(b.tenant.org)}/${encodeURIComponent(b.tenant.name)}`;
    for (const url of [`${b.url}/`, tenantUrl]) {
      for (const accept of ["application/json", "*/*", "application/problem+json, text/html;q=0.5", null]) {
        const res = await b.fetch(url, { headers: accept === null ? {} : { accept } });
        await problem(res, 404, "route-not-found");
      }
    }
  });

  it("a browser on a tenant that does not exist, or with another method, gets the 404 problem", async () => {
    await problem(await b.fetch(`${b.url}/nope/NoSuchTenant`, { headers: { accept: BROWSER } }), 404, "route-not-found");
    await problem(await b.fetch(`${b.url}/`, { method: "POST", headers: { accept: BROWSER } }), 404, "route-not-found");
  });
});

describe("a route's schemas (routeContract.ts): every fault in one 400", () => {
  it("a user body with three faults: 400 invalid-user listing the three, with JSON Pointers", async () => {
    const res = await b.api("/api/v1/users", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: 5, password: "short", roles: [{ role: "Owner" }] }) });
    const body = await problem(res, 400, "invalid-user");
    expect(body).toEqual({
      type: "about:blank", title: "Bad Request", status: 400, code: "invalid-user", instance: "/default/DefaultTenant/orchestrator_/api/v1/users",
      detail: "The body is not valid: 3 violations.",
      violations: [
        { path: "/name", message: "must be string" },
        { path: "/password", message: "must NOT have fewer than 8 characters" },
        { path: "/roles/0/role", message: "must be one of \"Administrator\", \"Automation Developer\", \"Viewer\"" },
      ],
    });
  });

  it("a caller who may not call the route learns nothing from its body: 403 before the 400", async () => {
    const viewer = await b.apiJson("/api/v1/tokens", { method: "POST", json: { name: "schema-viewer", scopes: ["OR.Users.Read"] } });
    const res = await b.fetch(`${b.base}/api/v1/users`, { method: "POST", headers: { authorization: `Bearer ${viewer.token}`, "content-type": "application/json" }, body: JSON.stringify({ name: 5 }) });
    await problem(res, 403, "insufficient-scope");
  });
});
