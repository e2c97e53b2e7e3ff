import { readFile, readdir, stat } from "node:fs/promises";
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
export function consoleRoutes(app: FastifyInstance, _ctx: HttpContext, dir: string = CONSOLE_DIR, clock: () => number = () => performance.now()): void {
  const build = consoleBuild(dir, clock);
  // `…/orchestrator_` → `…/orchestrator_/`, so the page's relative asset and API URLs resolve under it
  app.get("", { prefixTrailingSlash: "no-slash" }, async (request, reply) => {
    const [path, query] = splitUrl(request.url);
    return reply.code(308).header("location", `${path}/${query}`).send();
  });

  app.get("/", { prefixTrailingSlash: "slash" }, async (_request, reply) => {
    const { index } = await build();
    return page(reply).header("cache-control", "no-cache").type("text/html; charset=utf-8").send(index);
  });

  app.get("/assets/*", async (request: FastifyRequest<{ Params: { "*": string } }>, reply) => {
    const name = request.params["*"];
    // one file of the build as it was read, nothing else (no path reaches the disk)
    const asset = (await build()).assets.get(name);
    if (!asset) throw notFound("asset-not-found", `The console has no asset '${name}'.`);
    return reply.header("cache-control", "public, max-age=31536000, immutable").header("x-content-type-options", "nosniff").type(asset.type).send(asset.body);
  });
}

/** The console's build as the node serves it: `index.html` and the files of `assets/`. */
interface ConsoleBuild {
  index: Buffer;
  assets: Map<string, { type: string; body: Buffer }>;
}

/** how often, at most, the node looks at `index.html` for a new build (or for one that was missing): 1 s */
const BUILD_CHECK_MS = 1_000;

/**
 * The console's files, read whole into memory (~0.5 MB) and served from there. Read per
 * request, every page and asset (public: no credential is needed for them), and every name
 * the build does not have, took several of the thread pool's tasks, the pool whose fsyncs of
 * the WAL every acknowledged write waits for. Now a request touches the disk at most once a
 * second, to look at `index.html` (its time and size): a new build (`npm run build:web` on a
 * running node) is read whole then, and a missing one is `console-not-built` until it is
 * there. A failed look is tried again at the next request.
 */
function consoleBuild(dir: string, clock: () => number): () => Promise<ConsoleBuild> {
  /** what was read, and the stamp of `index.html` it was read under (null: missing; CHANGING: it changed while read) */
  let current: { build: ConsoleBuild | null; stamp: string | null } | null = null;
  let checking: Promise<void> | null = null;
  let checkedAt = Number.NEGATIVE_INFINITY;
  const check = async () => {
    const stamp = await indexStamp(dir);
    if (current && current.stamp === stamp) return;
    const build = stamp === null ? null : await readConsoleBuild(dir);
    // index.html changed while the build was read (a build being written): read again at the next look
    current = { build, stamp: build && (await indexStamp(dir)) !== stamp ? CHANGING : stamp };
  };
  return async () => {
    if (checking === null && clock() - checkedAt >= BUILD_CHECK_MS) {
      checkedAt = clock();
      checking = check().catch((err: unknown) => {
        // the disk failed a look: the build read before is served on (looked at again in a second); with none, the error
        if (!current?.build) {
          checkedAt = Number.NEGATIVE_INFINITY;
          throw err;
        }
      }).finally(() => { checking = null; });
    }
    if (checking) await checking;
    if (!current?.build) throw notBuilt();
    return current.build;
  };
}

/** a stamp no look ever gives: the build is read again at the next look */
const CHANGING = "changing";

/** `index.html`'s modification time and size, null when there is none */
async function indexStamp(dir: string): Promise<string | null> {
  try {
    const s = await stat(join(dir, "index.html"));
    return s.isFile() ? `${s.mtimeMs}:${s.size}` : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return null;
    throw err;
  }
}

async function readConsoleBuild(dir: string): Promise<ConsoleBuild | null> {
  const index = await readConsoleFile(dir, "index.html");
  if (index === null) return null;
  const assets = new Map<string, { type: string; body: Buffer }>();
  let names: string[] = [];
  try {
    names = await readdir(join(dir, "assets"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  for (const name of names) {
    // the build's files of the types it serves (no hidden file, no folder)
    const type = TYPES[extname(name)];
    if (!type || !/^[\w.-]+$/.test(name) || name.startsWith(".")) continue;
    const body = await readConsoleFile(dir, join("assets", name));
    if (body !== null) assets.set(name, { type, body });
  }
  return { index, assets };
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
