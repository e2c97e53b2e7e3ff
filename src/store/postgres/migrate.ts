import pg from "pg";
import { translatePostgresError } from "./driverErrors.js";
import { loadMigrations, type Migration } from "../migrationFiles.js";

/** any fixed number: the advisory lock that serializes migrations across nodes */
const MIGRATION_LOCK = 7_301_911;

/**
 * Applies the migrations not yet applied (src/store/postgres/migrations/*.sql) in one
 * transaction, under an advisory lock, so nodes starting together migrate once. `migrations`
 * is all of them but for a test that builds a database of an earlier release.
 */
export async function migratePostgres(connectionString: string, schema: string, migrations: readonly Migration[] = loadMigrations("postgres")): Promise<void> {
  try {
    await migrate(connectionString, schema, migrations);
  } catch (err) {
    throw translatePostgresError(err);
  }
}

async function migrate(connectionString: string, schema: string, migrations: readonly Migration[]): Promise<void> {
    // a connection of its own, without statement_timeout: a migration of a large table, or the
    // wait for another node's migration, may take longer than any request should
    const client = new pg.Client({ connectionString: connectionString, connectionTimeoutMillis: 5000, options: `-c search_path=${schema}` });
    client.on("error", () => {});
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`).catch(async (err: { code?: string }) => {
        // two nodes creating the schema at once: one wins, the other sees a unique violation
        if (err.code !== "23505") throw err;
      });
      await client.query("BEGIN");
      try {
        await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
        await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)");
        const applied = new Set((await client.query("SELECT version FROM schema_migrations")).rows.map((r: { version: number }) => r.version));
        for (const m of migrations) {
          if (applied.has(m.version)) continue;
          await client.query(m.sql);
          await client.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())", [m.version, m.name]);
        }
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK").catch(() => {});
        throw err;
      }
    } finally {
      await client.end().catch(() => {});
    }
  }
