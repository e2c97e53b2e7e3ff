import { resolve } from "node:path";
import { LOG_FORMATS, type LogFormat } from "./http/humanLog.js";

/** Configuration by environment (SPEC §7). */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | null;
  databasePoolSize: number;
  /**
   * BATON_SQLITE_SYNCHRONOUS: `FULL` (default) makes an acknowledged write survive a power
   * loss, not only a process crash; `NORMAL` is faster and survives a crash of Baton but may
   * lose the last commits if the machine itself dies.
   */
  sqliteSynchronous: SqliteSynchronous;
  /** PostgreSQL: longest a statement may run before it is cancelled and the request answers 503 store-unavailable (0: no limit) */
  databaseStatementTimeoutSeconds: number;
  publicUrl: string | null;
  trustProxy: boolean;
  org: string;
  tenant: string;
  bootstrapToken: string | null;
  adminPassword: string | null;
  logLevel: string;
  /** BATON_LOG_FORMAT: `json` (pino lines) or `human` (one short line per request); null: the command's default (`start` human, `serve` json) */
  logFormat: LogFormat | null;
  /** when set, GET /metrics requires `Authorization: Bearer <this>` */
  metricsToken: string | null;
  demoSlots: number;
  shutdownGraceSeconds: number;
  /** robot sessions: how often robots heartbeat, and how long a session lives without one */
  heartbeatSeconds: number;
  leaseSeconds: number;
  /** a whole request, headers and body, must arrive within this (408 and the connection closed otherwise) */
  requestTimeoutSeconds: number;
  /** BATON_WEBHOOKS_ALLOW_PRIVATE: webhooks may reach loopback, link-local and private addresses (issue 16) */
  webhooksAllowPrivate: boolean;
  /**
   * BATON_WEBHOOKS_YIELD_AT: the event-loop utilization (0–1, default 0.9) from which, with
   * callbacks queueing (BusyGauge), webhook deliveries yield to invocations (docs/webhooks.md);
   * 1 or more: never
   */
  webhooksYieldAt: number;
}

export const SQLITE_SYNCHRONOUS = ["FULL", "NORMAL"] as const;
export type SqliteSynchronous = (typeof SQLITE_SYNCHRONOUS)[number];

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const int = (name: string, fallback: number) => {
    const v = env[name];
    if (v === undefined || v === "") return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${v}'.`);
    return n;
  };
  const config: Config = {
    port: int("BATON_PORT", 8080),
    host: env.BATON_HOST || "127.0.0.1",
    dataDir: resolve(env.BATON_DATA_DIR || "./data"),
    databaseUrl: env.BATON_DATABASE_URL || null,
    databasePoolSize: int("BATON_DATABASE_POOL_SIZE", 20),
    sqliteSynchronous: sqliteSynchronous(env.BATON_SQLITE_SYNCHRONOUS),
    databaseStatementTimeoutSeconds: int("BATON_DATABASE_STATEMENT_TIMEOUT_SECONDS", 15),
    publicUrl: env.BATON_PUBLIC_URL || null,
    trustProxy: env.BATON_TRUST_PROXY === "true" || env.BATON_TRUST_PROXY === "1",
    webhooksAllowPrivate: env.BATON_WEBHOOKS_ALLOW_PRIVATE === "true" || env.BATON_WEBHOOKS_ALLOW_PRIVATE === "1",
    webhooksYieldAt: ratioFrom(env.BATON_WEBHOOKS_YIELD_AT, 0.9, "BATON_WEBHOOKS_YIELD_AT"),
    org: env.BATON_ORG || "default",
    tenant: env.BATON_TENANT || "DefaultTenant",
    bootstrapToken: env.BATON_BOOTSTRAP_TOKEN || null,
    adminPassword: env.BATON_ADMIN_PASSWORD || null,
    logLevel: env.BATON_LOG_LEVEL || "info",
    logFormat: null,
    metricsToken: env.BATON_METRICS_TOKEN || null,
    demoSlots: int("BATON_DEMO_SLOTS", 100),
    shutdownGraceSeconds: int("BATON_SHUTDOWN_GRACE_SECONDS", 10),
    heartbeatSeconds: int("BATON_HEARTBEAT_SECONDS", 5),
    leaseSeconds: int("BATON_LEASE_SECONDS", 15),
    requestTimeoutSeconds: int("BATON_REQUEST_TIMEOUT_SECONDS", 30),
  };
  if (config.requestTimeoutSeconds < 1) throw new Error("BATON_REQUEST_TIMEOUT_SECONDS must be at least 1.");
  const format = env.BATON_LOG_FORMAT;
  if (format) {
    if (!(LOG_FORMATS as readonly string[]).includes(format)) throw new Error(`BATON_LOG_FORMAT must be ${LOG_FORMATS.join(" or ")}, got '${format}'.`);
    config.logFormat = format as LogFormat;
  }
  if (config.heartbeatSeconds < 1 || config.leaseSeconds < 2 * config.heartbeatSeconds) {
    throw new Error("BATON_HEARTBEAT_SECONDS must be at least 1 and BATON_LEASE_SECONDS at least twice it.");
  }
  return config;
}

function sqliteSynchronous(value: string | undefined): SqliteSynchronous {
  if (value === undefined || value === "") return "FULL";
  const upper = value.toUpperCase();
  if ((SQLITE_SYNCHRONOUS as readonly string[]).includes(upper)) return upper as SqliteSynchronous;
  throw new Error(`BATON_SQLITE_SYNCHRONOUS must be ${SQLITE_SYNCHRONOUS.join(" or ")}, got '${value}'.`);
}

/** A ratio from the environment: a number from 0 (not included) up; unset or empty: `fallback`. */
function ratioFrom(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a number above 0 (1 or more: never), got '${value}'.`);
  return n;
}
