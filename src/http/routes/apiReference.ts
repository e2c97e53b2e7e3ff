import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { notFound } from "../../core/errors.js";
import type { Tenant } from "../../core/types.js";
import type { HttpContext } from "../context.js";

/**
 * The interactive API reference beside the OpenAPI document: `…/api/v1/reference`, Swagger UI
 * on this tenant's `…/api/v1/openapi.json`. Like the document, it needs no credential (the
 * tenant must exist). Every file the page loads is served here, from Swagger UI's own build
 * (`swagger-ui-dist`, files only, no plugin: its bundle and stylesheet), so the page works
 * offline and no request leaves for a CDN.
 */

/** the Swagger UI build, found through the package's own folder */
const SWAGGER_UI_STATIC = (): string => dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

/**
 * Starts Swagger UI on the document named by the page (a static script: the page's CSP runs
 * no inline one). "Try it out" sends the token entered under Authorize and never the console's
 * session cookie, so what the page shows is what an API client with that token gets; the
 * validator badge (an image from validator.swagger.io) and `?url=` / `?configUrl=` are off.
 * The document names its schema dialect (JSON Schema 2020-12); Swagger UI supports only the
 * OpenAPI 3.1 default, a superset of it, and shows a warning for any named one: the copy it
 * renders leaves the field out.
 */
const INITIALIZER = `"use strict";
(function () {
  var root = document.getElementById("reference");
  var documentUrl = new URL(root.getAttribute("data-openapi-url"), location.href).href;
  window.ui = SwaggerUIBundle({
    domNode: root,
    url: documentUrl,
    deepLinking: true,
    queryConfigEnabled: false,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    requestInterceptor: function (request) {
      request.credentials = "omit";
      return request;
    },
    responseInterceptor: function (response) {
      if (response.url === documentUrl && response.ok && typeof response.text === "string") {
        var doc = JSON.parse(response.text);
        delete doc.jsonSchemaDialect;
        response.text = JSON.stringify(doc);
        response.body = doc;
      }
      return response;
    }
  });
})();
`;

/** the page's body margin; Swagger UI's own stylesheet assumes its standalone page's */
const STYLE = "body { margin: 0; background: #fafafa; }\n";

interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer;
  /** a short hash of the body, the `?v=` of the page's URLs: a new version is a new URL */
  version: string;
}

const FILES: Record<string, { type: string; load: () => Promise<Buffer> }> = {
  "swagger-ui-bundle.js": { type: "text/javascript; charset=utf-8", load: () => readFile(join(SWAGGER_UI_STATIC(), "swagger-ui-bundle.js")) },
  "swagger-ui.css": { type: "text/css; charset=utf-8", load: () => readFile(join(SWAGGER_UI_STATIC(), "swagger-ui.css")) },
  "reference.js": { type: "text/javascript; charset=utf-8", load: async () => Buffer.from(INITIALIZER) },
  "reference.css": { type: "text/css; charset=utf-8", load: async () => Buffer.from(STYLE) },
};

// on the thread pool: compressing the bundle takes tens of milliseconds, other requests go on meanwhile
const gzip = promisify(gzipCallback);

/** Read and compressed once per process (the bundle is 1.7 MB, 0.5 MB gzipped); a failed read is tried again next time. */
let loaded: Promise<Map<string, Asset>> | null = null;
function assets(): Promise<Map<string, Asset>> {
  loaded ??= (async () => {
    const map = new Map<string, Asset>();
    for (const [name, file] of Object.entries(FILES)) {
      const body = await file.load();
      map.set(name, { type: file.type, body, gzip: await gzip(body), version: createHash("sha256").update(body).digest("hex").slice(0, 12) });
    }
    return map;
  })().catch((err: unknown) => {
    loaded = null;
    throw err;
  });
  return loaded;
}

/** The console's policy (routes/console.ts): the page talks to its own origin only; Swagger UI draws icons with data: SVGs. */
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

export function apiReferenceRoutes(app: FastifyInstance, _ctx: HttpContext): void {
  app.get("/api/v1/reference", {
    schema: {
      operationId: "getApiReference", tags: ["Discovery"], summary: "This document, for people: an interactive reference",
      description: "An HTML page (Swagger UI) that renders this tenant's document. Its scripts and styles are served by Baton under " +
        "`/api/v1/reference/`, never from another host, so it works offline. \"Try it out\" sends the token entered under Authorize, " +
        "never the console's session cookie.",
      // HTML, sent as written (a string is not serialized through a schema)
      response: { 200: { description: "The page.", content: { "text/html": { schema: { type: "string" } } } } },
    },
    config: { access: "public" },
  }, async (request, reply) => {
    const files = await assets();
    const url = (name: string) => `${tenantPath(request.tenant)}/api/v1/reference/${name}?v=${files.get(name)!.version}`;
    const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API reference · ${escapeHtml(request.tenant.org)} / ${escapeHtml(request.tenant.name)} · Baton</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${url("swagger-ui.css")}">
<link rel="stylesheet" href="${url("reference.css")}">
</head>
<body>
<noscript><p>The interactive reference needs JavaScript. The OpenAPI document itself: <a href="${openApiPath(request.tenant)}">openapi.json</a>.</p></noscript>
<div id="reference" data-openapi-url="${openApiPath(request.tenant)}"></div>
<script src="${url("swagger-ui-bundle.js")}"></script>
<script src="${url("reference.js")}"></script>
</body>
</html>
`;
    return reply
      .header("content-security-policy", CSP)
      .header("x-content-type-options", "nosniff")
      .header("referrer-policy", "same-origin")
      .header("x-frame-options", "DENY")
      // it names the current versions of its files
      .header("cache-control", "no-cache")
      .type("text/html; charset=utf-8")
      .send(html);
  });

  app.get("/api/v1/reference/:file", async (request: FastifyRequest<{ Params: { file: string } }>, reply: FastifyReply) => {
    // only the files above, by exact name: nothing else of the package, no path to climb out with
    const asset = Object.hasOwn(FILES, request.params.file) ? (await assets()).get(request.params.file) : undefined;
    if (!asset) throw notFound("asset-not-found", `The API reference has no file '${request.params.file}'.`);
    const gzip = acceptsGzip(request.headers["accept-encoding"]);
    if (gzip) reply.header("content-encoding", "gzip");
    return reply
      // the page names each file with its version (`?v=`)
      .header("cache-control", "public, max-age=31536000, immutable")
      .header("vary", "Accept-Encoding")
      .header("x-content-type-options", "nosniff")
      .type(asset.type)
      .send(gzip ? asset.gzip : asset.body);
  });
}

/** `/{org}/{tenant}/orchestrator_`, encoded as tenantBase (urls.ts) does, without an origin: the page and its files share one */
function tenantPath(tenant: Tenant): string {
  return `/${encodeURIComponent(tenant.org)}/${encodeURIComponent(tenant.name)}/orchestrator_`;
}

function openApiPath(tenant: Tenant): string {
  return `${tenantPath(tenant)}/api/v1/openapi.json`;
}

/** whether Accept-Encoding allows gzip: named without `q=0`, or else `*` without it */
function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  const codings = new Map(header.toLowerCase().split(",").map((part) => {
    const [coding = "", ...params] = part.split(";").map((s) => s.trim());
    const q = params.find((p) => p.startsWith("q="));
    return [coding, q === undefined ? 1 : Number(q.slice(2))] as const;
  }));
  const q = codings.get("gzip") ?? codings.get("*") ?? 0;
  return q > 0;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
