import { readFile } from "node:fs/promises";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { BatonError, notFound } from "../../core/errors.js";
import type { HttpContext } from "../context.js";

/**
 * The web console's built files (`npm run build` writes them to `dist/web`), from the package
 * root: this file is `src/http/routes/console.ts` when run from source and
 * `dist/http/routes/console.js` when built, three folders below the root either way.
 */
export const CONSOLE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "dist", "web");

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

/** The console talks to its own origin only; Pico's form controls draw with data: SVGs. */
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/**
 * The console under `…/orchestrator_/`: `index.html` (never cached: it names the current
 * hashed assets) and `assets/*` (content-hashed names: cached for a year). Static files
 * only; the console reads and changes everything through the management API.
 */
export function consoleRoutes(app: FastifyInstance, _ctx: HttpContext, dir: string = CONSOLE_DIR): void {
  // `…/orchestrator_` → `…/orchestrator_/`, so the page's relative asset and API URLs resolve under it
  app.get("", { prefixTrailingSlash: "no-slash" }, async (request, reply) => {
    const [path, query] = splitUrl(request.url);
    return reply.code(308).header("location", `${path}/${query}`).send();
  });

  app.get("/", { prefixTrailingSlash: "slash" }, async (_request, reply) => {
    const html = await readConsoleFile(dir, "index.html");
    if (html === null) throw notBuilt();
    return page(reply).header("cache-control", "no-cache").type("text/html; charset=utf-8").send(html);
  });

  app.get("/assets/*", async (request: FastifyRequest<{ Params: { "*": string } }>, reply) => {
    const name = request.params["*"];
    // one file name of the build, nothing that could climb out of the folder
    const type = TYPES[extname(name)];
    const body = /^[\w.-]+$/.test(name) && !name.startsWith(".") && type ? await readConsoleFile(dir, join("assets", name)) : null;
    if (body === null) {
      if ((await readConsoleFile(dir, "index.html")) === null) throw notBuilt();
      throw notFound("asset-not-found", `The console has no asset '${name}'.`);
    }
    return reply.header("cache-control", "public, max-age=31536000, immutable").header("x-content-type-options", "nosniff").type(type!).send(body);
  });
}

function page(reply: FastifyReply): FastifyReply {
  return reply
    .header("content-security-policy", CSP)
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "same-origin")
    .header("x-frame-options", "DENY");
}

async function readConsoleFile(dir: string, name: string): Promise<Buffer | null> {
  try {
    return await readFile(join(dir, name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "EISDIR") return null;
    throw err;
  }
}

function notBuilt(): BatonError {
  return new BatonError(503, "console-not-built", "Service Unavailable",
    "The web console has not been built on this node: run `npm run build` (npm install runs it) and reload.", { headers: { "retry-after": "60" } });
}

function splitUrl(url: string): [string, string] {
  const q = url.indexOf("?");
  return q === -1 ? [url, ""] : [url.slice(0, q), url.slice(q)];
}
