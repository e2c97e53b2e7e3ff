import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { startBaton, type RunningBaton } from "../../src/app.js";
import type { Clock } from "../../src/core/Clock.js";
import { configFromEnv, type Config } from "../../src/config.js";
import { logDir, recordSecret, serverLogStream } from "./logCapture.js";

export interface TestBaton extends RunningBaton {
  token: string;
  /** `{tenantUrl}/orchestrator_` */
  base: string;
  sharedKey: string;
  dataDir: string;
  /** invoke URL of a trigger in Shared */
  invokeUrl(slug: string): string;
  /**
   * `fetch` for this server: the real one through its socket, or for a socketless server
   * (`socket: false`) a `Response` made by `app.inject()`; absolute URLs of this server only.
   */
  fetch(input: string | URL, init?: RequestInit): Promise<Response>;
  /** fetch under `base` with the admin token, unless headers say otherwise */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** JSON helper: fetch under base and parse; throws on non-2xx */
  apiJson<T = any>(path: string, init?: RequestInit & { json?: unknown }): Promise<T>;
  patchSettings(settings: Record<string, unknown>): Promise<void>;
  /** the PostgreSQL URL (with its schema) when the suite runs on PostgreSQL */
  databaseUrl: string | null;
  /** drops this server's PostgreSQL schema (close() does it too) */
  dropStore(): Promise<void>;
  close(): Promise<void>;
}

/** Which store the suite runs on: BATON_TEST_STORE=postgres runs it on the machine's PostgreSQL. */
export const TEST_STORE = process.env.BATON_TEST_STORE === "postgres" ? "postgres" : "sqlite";
const TEST_DATABASE = process.env.BATON_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** A fresh schema of its own for one test server (dropped again by `dropSchema`). */
export function testDatabaseUrl(): { url: string; schema: string } {
  const schema = `baton_t_${randomBytes(6).toString("hex")}`;
  return { url: `${TEST_DATABASE}${TEST_DATABASE.includes("?") ? "&" : "?"}schema=${schema}`, schema };
}

export async function dropSchema(schema: string): Promise<void> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: TEST_DATABASE });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * A real Baton on a real socket (port 0), the demo robot running, on embedded SQLite in a
 * temp folder, or (BATON_TEST_STORE=postgres) on a schema of its own in PostgreSQL.
 */
export interface TestBatonOptions {
  /** run the in-process demo robot (default true) */
  demo?: boolean;
  /** the demo processes and triggers (echo, sleep, fail) without the robot: jobs stay Pending (socketless default) */
  demoCatalog?: boolean;
  maintenanceIntervalMs?: number;
  /** the core's clock: pass a ManualClock to move time instead of waiting for it */
  clock?: Clock;
  /** the jitter of retries' backoff (a number in [0, 1)): fixed by tests that check it */
  random?: () => number;
  /** false: no socket; every call goes through `app.inject()` (default true) */
  socket?: boolean;
  /** jobs a page of a job list checked row by row looks at (the product's 5,000 unless given) */
  jobListScanRows?: number;
}

/** A Baton without a socket or a robot, driven through `app.inject()`: the fast tier of contract tests. */
export function startSocketlessBaton(overrides: Partial<Config> = {}, options: Omit<TestBatonOptions, "socket"> = {}): Promise<TestBaton> {
  return startTestBaton(overrides, { demo: false, demoCatalog: true, ...options, socket: false });
}

export async function startTestBaton(overrides: Partial<Config> = {}, options: TestBatonOptions = {}): Promise<TestBaton> {
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), "baton-test-"));
  const bootstrap = overrides.bootstrapToken === undefined ? `baton_pat_test_${randomBytes(16).toString("hex")}` : overrides.bootstrapToken;
  const pgSchema = TEST_STORE === "postgres" && overrides.databaseUrl === undefined ? testDatabaseUrl() : null;
  const config: Config = {
    ...configFromEnv({}),
    ...(pgSchema ? { databaseUrl: pgSchema.url } : {}),
    // a socketless server listens nowhere: a port of its own makes its URLs its own
    port: options.socket === false ? 20_000 + Math.floor(Math.random() * 40_000) : 0,
    dataDir,
    bootstrapToken: bootstrap,
    adminPassword: "test-password",
    // at info into the run's log capture, scanned for secrets at the end (test/globalSetup.ts)
    logLevel: logDir() ? "info" : "silent",
    shutdownGraceSeconds: 2,
    ...overrides,
  };
  recordSecret(config.bootstrapToken);
  recordSecret(config.adminPassword);
  const socket = options.socket ?? true;
  const running = await startBaton(config, {
    demo: options.demo ?? true, demoCatalog: options.demoCatalog, maintenanceIntervalMs: options.maintenanceIntervalMs ?? 100, logStream: serverLogStream(), clock: options.clock, random: options.random, listen: socket,
    jobListScanRows: options.jobListScanRows,
  });
  const fetchHere = socket ? (input: string | URL, init?: RequestInit) => fetch(input, init) : (input: string | URL, init?: RequestInit) => {
    if (new URL(String(input)).origin !== new URL(running.url).origin) throw new Error(`${String(input)} is not a URL of this socketless server (${running.url})`);
    return injectFetch(running.app, input, init);
  };
  const token = bootstrap ?? running.adminToken!;
  recordSecret(running.adminToken);
  recordSecret(running.adminPassword);
  const base = `${running.tenantUrl}/orchestrator_`;
  const folders = (await (await fetchHere(`${base}/api/v1/folders`, { headers: { authorization: `Bearer ${token}` } })).json()) as { items: { key: string; name: string }[] };
  const sharedKey = folders.items.find((f) => f.name === "Shared")!.key;
  const api = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (!headers.has("authorization")) headers.set("authorization", `Bearer ${token}`);
    return fetchHere(path.startsWith("http") ? path : `${base}${path}`, { ...init, headers });
  };
  return {
    ...running,
    token,
    base,
    sharedKey,
    dataDir,
    invokeUrl: (slug) => `${base}/t/${sharedKey}/${slug}`,
    fetch: fetchHere,
    databaseUrl: config.databaseUrl,
    async dropStore() {
      if (pgSchema) await dropSchema(pgSchema.schema);
    },
    api,
    async apiJson(path, init = {}) {
      const { json, ...rest } = init as RequestInit & { json?: unknown };
      const headers = new Headers(rest.headers);
      if (json !== undefined) headers.set("content-type", "application/json");
      const res = await api(path, { ...rest, headers, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
      const text = await res.text();
      if (!res.ok) throw new Error(`${rest.method ?? "GET"} ${path}: ${res.status} ${text}`);
      return text ? JSON.parse(text) : undefined;
    },
    async patchSettings(settings) {
      const res = await api("/api/v1/settings", { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify(settings) });
      if (res.status !== 200) throw new Error(`PATCH settings: ${res.status} ${await res.text()}`);
    },
    async close() {
      await running.shutdown();
      if (!overrides.dataDir) rmSync(dataDir, { recursive: true, force: true });
      if (pgSchema) await dropSchema(pgSchema.schema);
    },
  };
}

/** Invokes with a JSON body and the admin token. */
export function invoke(b: TestBaton, slug: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("authorization")) headers.set("authorization", `Bearer ${b.token}`);
  if (!headers.has("content-type")) headers.set("content-type", "application/json");
  return b.fetch(b.invokeUrl(slug), { method: "POST", redirect: "manual", ...init, headers, body: JSON.stringify(body) });
}

/**
 * `fetch` without a socket: the request goes through Fastify's `inject()`, the answer comes
 * back as a standard `Response`. Redirects are never followed (as `redirect: "manual"`). An
 * event stream answers with its headers; its body is not read.
 */
export async function injectFetch(app: FastifyInstance, input: string | URL, init: RequestInit = {}): Promise<Response> {
  const url = new URL(String(input));
  const method = (init.method ?? "GET").toUpperCase();
  const headers: Record<string, string> = { host: url.host };
  new Headers(init.headers).forEach((value, key) => { headers[key] = value; });
  let payload: string | Buffer | undefined;
  const body = init.body;
  if (typeof body === "string") payload = body;
  else if (body instanceof URLSearchParams) {
    payload = body.toString();
    headers["content-type"] ??= "application/x-www-form-urlencoded;charset=UTF-8";
  } else if (body instanceof Uint8Array || body instanceof ArrayBuffer) payload = Buffer.from(body as Uint8Array);
  else if (body != null) throw new Error("injectFetch: unsupported body type");
  if (payload !== undefined && !("content-type" in headers)) headers["content-type"] = "text/plain;charset=UTF-8";
  const res = await app.inject({ method: method as "GET", url: url.pathname + url.search, headers, ...(payload === undefined ? {} : { payload }), payloadAsStream: true });
  const out = new Headers();
  for (const [key, value] of Object.entries(res.headers)) {
    if (Array.isArray(value)) for (const v of value) out.append(key, String(v));
    else if (value !== undefined) out.set(key, String(value));
  }
  const stream = res.stream();
  if ((out.get("content-type") ?? "").startsWith("text/event-stream")) {
    stream.destroy();
    return new Response(null, { status: res.statusCode, headers: out });
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  const nullBody = method === "HEAD" || [101, 204, 205, 304].includes(res.statusCode);
  return new Response(nullBody ? null : Buffer.concat(chunks), { status: res.statusCode, headers: out });
}
