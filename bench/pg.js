// PostgreSQL for the bench: a fresh schema per orchestrator cluster (Baton creates it at
// start) or per peer, each dropped afterwards (DROP SCHEMA … CASCADE), and read-only
// counters of jobs straight from the database, so that polling for "all jobs done" costs
// the orchestrator's event loop nothing.
import pg from "pg";

/** The machine's PostgreSQL (trust auth); BENCH_DATABASE_URL overrides it. */
export const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";

const created = new Set();
let counter = 0;

/** A schema name no other run uses; it is dropped by dropSchema() or dropAllSchemas(). */
export function freshSchema(prefix) {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  created.add(name);
  return name;
}

/** BENCH_DATABASE_URL with Baton's `schema` parameter. */
export function databaseUrl(schema) {
  const u = new URL(BENCH_DATABASE_URL);
  u.searchParams.set("schema", schema);
  return u.toString();
}

async function withClient(work) {
  const client = new pg.Client({ connectionString: BENCH_DATABASE_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Throws a clear error when PostgreSQL cannot be reached. */
export async function pingPostgres() {
  try {
    await withClient((c) => c.query("SELECT 1"));
  } catch (err) {
    throw new Error(`PostgreSQL at ${BENCH_DATABASE_URL} is unreachable (${err.message}); start it, set BENCH_DATABASE_URL, or run with --stores=sqlite.`);
  }
}

/**
 * Transactions committed or rolled back so far in the bench's database, by every client
 * (PostgreSQL's `pg_stat_database`, updated when a backend reports, at most every 0.5 s and
 * at its idle moments): with autocommit, one per statement outside BEGIN…COMMIT.
 */
export async function databaseTransactions() {
  return withClient(async (c) => {
    // a fresh snapshot of the statistics, not the one this transaction already took
    await c.query("SELECT pg_stat_clear_snapshot()");
    const { rows } = await c.query("SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()");
    return Number(rows[0].n);
  });
}

export async function dropSchema(name) {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad schema name ${name}`);
  await withClient((c) => c.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`));
  created.delete(name);
}

export async function dropAllSchemas() {
  for (const name of [...created]) await dropSchema(name).catch(() => {});
}

/** A one-connection pool whose queries run in `schema`. */
export function schemaPool(schema) {
  const pool = new pg.Pool({ connectionString: BENCH_DATABASE_URL, max: 1, options: `-c search_path=${schema}` });
  pool.on("error", () => {});
  return pool;
}
