import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { startBaton, type RunningBaton } from "../../src/app.js";
import { configFromEnv, type Config } from "../../src/config.js";

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
  close(): Promise<void>;
}

/** A real Baton on a real socket (port 0), embedded SQLite in a temp folder, the demo robot running. */
export async function startTestBaton(overrides: Partial<Config> = {}, options: { demo?: boolean; maintenanceIntervalMs?: number } = {}): Promise<TestBaton> {
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), "baton-test-"));
  const bootstrap = overrides.bootstrapToken === undefined ? `baton_pat_test_${randomBytes(16).toString("hex")}` : overrides.bootstrapToken;
  const config: Config = {
    ...configFromEnv({}),
    port: 0,
    dataDir,
    bootstrapToken: bootstrap,
    adminPassword: "test-password",
    logLevel: "silent",
    shutdownGraceSeconds: 2,
    ...overrides,
  };
  const running = await startBaton(config, { demo: options.demo ?? true, maintenanceIntervalMs: options.maintenanceIntervalMs ?? 100 });
  const token = bootstrap ?? running.adminToken!;
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
