import pg from "pg";
import { SqlStore } from "../sql/SqlStore.js";
import { PostgresExecutor, postgresTypes } from "./PostgresExecutor.js";
import { migratePostgres } from "./migrate.js";

export interface PostgresOptions {
  /** postgres://… ; a `schema` query parameter selects the schema (created if missing) */
  url: string;
  poolSize?: number;
  /**
   * Longest a statement may run, in ms (0: no limit). PostgreSQL cancels it (statement_timeout,
   * 57014) and, should the server not answer at all (frozen, network black hole), the client
   * gives up 2 s later (query_timeout): a frozen store then answers 503 store-unavailable
   * instead of holding requests. Migrations have no limit (a connection of their own).
   */
  statementTimeoutMs?: number;
}

/** statement_timeout's default: 15 s (BATON_DATABASE_STATEMENT_TIMEOUT_SECONDS). */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 15_000;
/** how much longer than statement_timeout the client waits for an answer before it gives up on the connection */
const QUERY_TIMEOUT_MARGIN_MS = 2000;
/** final jobs deleted per purge transaction, so that no purge statement runs long */
const PURGE_BATCH = 1000;

/** Splits Baton's `schema` parameter off a connection string. */
export function parseDatabaseUrl(url: string): { connectionString: string; schema: string } {
  const u = new URL(url);
  const schema = u.searchParams.get("schema") ?? "public";
  u.searchParams.delete("schema");
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`BATON_DATABASE_URL: schema '${schema}' must be a lower-case SQL identifier.`);
  return { connectionString: u.toString(), schema };
}

/**
 * The store for many nodes: PostgreSQL through `pg`, with the queries of src/store/sql.
 * Claims use FOR UPDATE SKIP LOCKED, so concurrent sessions on any node never get the same
 * job and never wait for each other; every state change is one conditional UPDATE.
 */
export class PostgresStore extends SqlStore {
  readonly engine = "postgres";
  readonly pool: pg.Pool;
  readonly schema: string;
  readonly connectionString: string;
  readonly executor: PostgresExecutor;

  constructor(options: PostgresOptions) {
    const { connectionString, schema } = parseDatabaseUrl(options.url);
    const statementTimeout = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
    const pool = new pg.Pool({
      connectionString,
      max: options.poolSize ?? 20,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
      options: `-c search_path=${schema}`,
      types: postgresTypes,
      ...(statementTimeout > 0 ? { statement_timeout: statementTimeout, query_timeout: statementTimeout + QUERY_TIMEOUT_MARGIN_MS } : {}),
    });
    // an idle client that loses its connection must not crash the process; the next query reconnects
    pool.on("error", () => {});
    const executor = new PostgresExecutor(pool);
    super(executor);
    this.pool = pool;
    this.schema = schema;
    this.connectionString = connectionString;
    this.executor = executor;
  }

  async migrate(): Promise<void> {
    await migratePostgres(this.connectionString, this.schema);
  }

  async close(): Promise<void> {
    await this.beforeClose();
    await this.pool.end().catch(() => {});
  }

  /** engine work to finish before the pool closes (the batched inserts of new jobs) */
  protected async beforeClose(): Promise<void> {}
}
