import { randomBytes, randomUUID, scryptSync } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateToken } from "./core/Access.js";
import { Baton } from "./core/Baton.js";
import type { Tenant } from "./core/types.js";
import type { Config } from "./config.js";
import { buildServer } from "./http/server.js";
import { demoCatalog, demoProcesses } from "./robot/demoProcesses.js";
import { InProcessConnection } from "./robot/InProcessConnection.js";
import { RobotRuntime } from "./robot/RobotRuntime.js";
import { SqliteStore } from "./store/sqlite/SqliteStore.js";

export interface RunningBaton {
  baton: Baton;
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  /** the default tenant's base, e.g. http://127.0.0.1:8080/default/DefaultTenant */
  tenantUrl: string;
  tenant: Tenant;
  /** the admin token when this process knows it (bootstrap, first start, or the admin-token file) */
  adminToken: string | null;
  /** printed once on first start when BATON_ADMIN_PASSWORD is unset */
  adminPassword: string | null;
  /** invoke URLs of the demo triggers, when started with the demo */
  demoUrls: { echo: string; sleep: string; fail: string } | null;
  shutdown(): Promise<void>;
}

export interface StartOptions {
  /** create the demo processes and triggers, and run the in-process robot (npm start) */
  demo: boolean;
  migrateOnly?: boolean;
  maintenanceIntervalMs?: number;
}

export function openStore(config: Config): SqliteStore {
  if (config.databaseUrl) {
    throw new Error("BATON_DATABASE_URL is set, but this build of Baton has only the embedded SQLite store; unset it to use SQLite in BATON_DATA_DIR.");
  }
  return new SqliteStore(join(config.dataDir, "baton.db"));
}

/** scrypt from node:crypto; the format keeps its parameters so they can be raised later. */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { N: 16384, r: 8, p: 1 });
  return `scrypt$16384$8$1$${salt.toString("base64url")}$${hash.toString("base64url")}`;
}

function writeSecretFile(path: string, value: string): void {
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
}

export async function startBaton(config: Config, options: StartOptions): Promise<RunningBaton> {
  mkdirSync(config.dataDir, { recursive: true });
  const store = openStore(config);
  const baton = new Baton({
    store,
    org: config.org,
    maintenanceIntervalMs: options.maintenanceIntervalMs,
    session: { heartbeatSeconds: config.heartbeatSeconds, leaseSeconds: config.leaseSeconds },
    onError: (err) => server.app.log.error({ err }, "maintenance failed"),
  });
  const server = buildServer({
    baton,
    config: { publicUrl: config.publicUrl, trustProxy: config.trustProxy },
    logger: config.logLevel === "silent" ? false : { level: config.logLevel },
  });
  await baton.init();

  const { tenant } = await baton.store.ensureTenant(config.org, config.tenant);

  // the first user, admin: administrator of the organization and of every tenant
  let adminPassword: string | null = null;
  const passwordFile = join(config.dataDir, "admin-password");
  const password = config.adminPassword ?? randomBytes(12).toString("base64url");
  const admin = await baton.store.ensureUser({ id: randomUUID(), org: config.org, name: "admin", passwordHash: hashPassword(password), orgAdmin: true });
  if (admin.created && !config.adminPassword) {
    writeSecretFile(passwordFile, password);
    adminPassword = password;
  }

  let adminToken: string | null = null;
  const tokenFile = join(config.dataDir, "admin-token");
  if (config.bootstrapToken) {
    await baton.access.ensureToken(tenant.id, admin.id, "bootstrap", config.bootstrapToken);
    adminToken = config.bootstrapToken;
  } else if (existsSync(tokenFile)) {
    adminToken = readFileSync(tokenFile, "utf8").trim();
  } else if (admin.created) {
    adminToken = generateToken();
    await baton.access.ensureToken(tenant.id, admin.id, "admin (first start)", adminToken);
    writeSecretFile(tokenFile, adminToken);
  }

  let robot: RobotRuntime | null = null;
  let sharedKey: string | null = null;
  if (options.demo) {
    sharedKey = await ensureDemoCatalog(baton, tenant.id);
    robot = new RobotRuntime(new InProcessConnection(baton, tenant.id), {
      name: "in-process-robot",
      slots: config.demoSlots,
      processes: demoProcesses,
      onError: (err) => server.app.log.warn({ err }, "in-process robot"),
    });
  }

  await server.app.listen({ port: config.port, host: config.host });
  const address = server.app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host === "0.0.0.0" ? "127.0.0.1" : config.host;
  const url = config.publicUrl?.replace(/\/+$/, "") ?? `http://${host}:${port}`;
  await robot?.start();

  let stopping: Promise<void> | null = null;
  const tenantUrl = `${url}/${encodeURIComponent(tenant.org)}/${encodeURIComponent(tenant.name)}`;
  const demoUrl = (slug: string) => `${tenantUrl}/orchestrator_/t/${sharedKey}/${slug}`;
  return {
    baton, url, tenant, adminToken, adminPassword, tenantUrl,
    demoUrls: sharedKey ? { echo: demoUrl("echo"), sleep: demoUrl("sleep"), fail: demoUrl("fail") } : null,
    shutdown() {
      // SPEC §7: stop accepting, answer LongPolling callers with their 303, let the robot
      // finish or hand back its jobs, then close the store.
      stopping ??= (async () => {
        const closing = server.app.close();
        server.beginShutdown();
        await robot?.stop(config.shutdownGraceSeconds * 1000);
        // requests still open after the grace period (a stuck client, say) do not hold the exit
        const force = setTimeout(() => server.app.server.closeAllConnections(), config.shutdownGraceSeconds * 1000).unref();
        await closing;
        clearTimeout(force);
        await baton.close();
      })();
      return stopping;
    },
  };
}

async function ensureDemoCatalog(baton: Baton, tenantId: string): Promise<string> {
  const shared = await baton.store.findFolderByName(tenantId, "Shared");
  if (!shared) throw new Error("The Shared folder is missing.");
  for (const p of demoCatalog.processes) {
    if (!(await baton.store.getProcess(tenantId, shared.key, p.name))) await baton.catalog.createProcess(tenantId, shared.key, p);
  }
  for (const t of demoCatalog.triggers) {
    if (!(await baton.store.findTriggerBySlug(tenantId, t.slug))) await baton.catalog.createTrigger(tenantId, shared.key, t);
  }
  return shared.key;
}
