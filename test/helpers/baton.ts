import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { startBaton, type RunningBaton } from "../../src/app.js";
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
export async function startTestBaton(overrides: Partial<Config> = {}, options: { demo?: boolean; maintenanceIntervalMs?: number; now?: () => Date } = {}): Promise<TestBaton> {
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), "baton-test-"));
  const bootstrap = overrides.bootstrapToken === undefined ? `baton_pat_test_${randomBytes(16).toString("hex")}` : overrides.bootstrapToken;
  const pgSchema = TEST_STORE === "postgres" && overrides.databaseUrl === undefined ? testDatabaseUrl() : null;
  const config: Config = {
    ...configFromEnv({}),
    ...(pgSchema ? { databaseUrl: pgSchema.url } : {}),
    port: 0,
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
  const running = await startBaton(config, { demo: options.demo ?? true, maintenanceIntervalMs: options.maintenanceIntervalMs ?? 100, ...(options.now ? { now: options.now } : {}), logStream: serverLogStream() });
  const token = bootstrap ?? running.adminToken!;
  recordSecret(running.adminToken);
  recordSecret(running.adminPassword);
  const base = `${running.tenantUrl}/orchestrator_`;
  const folders = (await (await fetch(`${base}/api/v1/folders`, { headers: { authorization: `Bearer ${token}` } })).json()) as { items: { key: string; name: string }[] };
  const sharedKey = folders.items.find((f) => f.name === "Shared")!.key;
  const api = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (!headers.has("authorization")) headers.set("authorization", `Bearer ${token}`);
    return fetch(path.startsWith("http") ? path : `${base}${path}`, { ...init, headers });
  };
  return {
    ...running,
    token,
    base,
    sharedKey,
    dataDir,
    invokeUrl: (slug) => `${base}/t/${sharedKey}/${slug}`,
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
  return fetch(b.invokeUrl(slug), { method: "POST", redirect: "manual", ...init, headers, body: JSON.stringify(body) });
}
