import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { loadMigrations, type Engine, type Migration } from "../../src/store/migrationFiles.js";
import { migrateSqlite } from "../../src/store/sqlite/migrate.js";
import { migratePostgres } from "../../src/store/postgres/migrate.js";
import { SqliteStore } from "../../src/store/sqlite/SqliteStore.js";
import { PostgresStore, parseDatabaseUrl } from "../../src/store/postgres/PostgresStore.js";
import { dropSchema, testDatabaseUrl, TEST_STORE } from "../helpers/baton.js";

/**
 * The schema each engine's migrations build, checked in as a dump (schema.sqlite.sql,
 * schema.postgres.sql): a migration's effect shows in review as a diff of that file. After
 * adding a migration, rewrite them with `npx vitest run test/store/schema.test.ts -u` and read
 * the diff. The file runs on the engine of its vitest project (BATON_TEST_STORE), so a plain
 * run of it covers both.
 *
 * Upgrade in place: a database of the previous release (every migration before the last
 * release's first new one) with rows in it, migrated by today's code, keeps its rows and ends
 * with the very schema of a fresh install.
 */

/** the first migration the previous release did not have */
const FIRST_NEW = "due-work";

const HEADER = (engine: Engine) =>
  `-- The schema of a freshly migrated ${engine} store, dumped by test/store/schema.test.ts.\n` +
  "-- Do not edit: after adding a migration, run `npx vitest run test/store/schema.test.ts -u`.\n\n";

function previousRelease(engine: Engine): Migration[] {
  const all = loadMigrations(engine);
  const first = all.findIndex((m) => m.name === FIRST_NEW);
  if (first < 1) throw new Error(`no migration ${FIRST_NEW} among ${engine}'s`);
  return all.slice(0, first);
}

// ---- SQLite

/** every table and index as SQLite keeps its CREATE statement, each table followed by its indexes */
function dumpSqlite(db: Database.Database): string {
  const rows = db.prepare(`
    SELECT type, tbl_name AS tbl, sql FROM sqlite_master
     WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'
     ORDER BY tbl_name, CASE type WHEN 'table' THEN 0 ELSE 1 END, name`).all() as { type: string; tbl: string; sql: string }[];
  const tables = rows.filter((r) => r.type === "table").map((table) =>
    [table, ...rows.filter((r) => r.type !== "table" && r.tbl === table.tbl)].map((r) => `${r.sql};\n`).join(""));
  return HEADER("sqlite") + tables.join("\n");
}

function tempSqliteFile(): { file: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "baton-schema-"));
  return { file: join(dir, "baton.db"), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function freshSqliteDump(): Promise<string> {
  const { file, cleanup } = tempSqliteFile();
  const store = new SqliteStore(file);
  try {
    await store.migrate();
    return dumpSqlite(store.connection);
  } finally {
    await store.close();
    cleanup();
  }
}

// ---- PostgreSQL

/** a client whose search path is the schema, so that definitions name its tables unqualified */
async function pgClient(url: string): Promise<{ client: pg.Client; schema: string }> {
  const { connectionString, schema } = parseDatabaseUrl(url);
  const client = new pg.Client({ connectionString, options: `-c search_path=${schema}` });
  await client.connect();
  return { client, schema };
}

/**
 * Tables with their columns (in column order: what `SELECT *` gives) and constraints, then
 * their indexes other than the constraints' own. NOT NULL is read from the column, never
 * from pg_constraint (PostgreSQL 18 lists it there too), so the dump is the same on every
 * version the suite may meet.
 */
async function dumpPostgres(client: pg.Client, schema: string): Promise<string> {
  const columns = (await client.query(`
    SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
           a.attnotnull AS not_null, a.attidentity AS identity, pg_get_expr(d.adbin, d.adrelid) AS default
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
     ORDER BY c.relname, a.attnum`, [schema])).rows as { table: string; column: string; type: string; not_null: boolean; identity: string; default: string | null }[];
  const constraints = (await client.query(`
    SELECT c.relname AS table, k.conname AS name, pg_get_constraintdef(k.oid) AS def
      FROM pg_constraint k
      JOIN pg_class c ON c.oid = k.conrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND k.contype IN ('p', 'u', 'f', 'c', 'x')
     ORDER BY c.relname, k.conname`, [schema])).rows as { table: string; name: string; def: string }[];
  const indexes = (await client.query(`
    SELECT i.tablename AS table, i.indexdef AS def
      FROM pg_indexes i
     WHERE i.schemaname = $1
       AND NOT EXISTS (SELECT 1 FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace WHERE n.nspname = $1 AND k.conname = i.indexname)
     ORDER BY i.tablename, i.indexname`, [schema])).rows as { table: string; def: string }[];
  // the store's functions (the claim's, migration 000011), whole: a change to one shows as a diff
  const functions = (await client.query(`
    SELECT pg_get_functiondef(p.oid) AS def
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = $1
     ORDER BY p.proname, pg_get_function_identity_arguments(p.oid)`, [schema])).rows as { def: string }[];

  const tables = [...new Set(columns.map((c) => c.table))];
  const unqualified = (text: string) => text.split(`${schema}.`).join("");
  const identity: Record<string, string> = { a: " GENERATED ALWAYS AS IDENTITY", d: " GENERATED BY DEFAULT AS IDENTITY" };
  const out = tables.map((table) => {
    const lines = [
      ...columns.filter((c) => c.table === table).map((c) =>
        `  ${c.column} ${c.type}${c.not_null ? " NOT NULL" : ""}${c.default !== null ? ` DEFAULT ${unqualified(c.default)}` : ""}${identity[c.identity] ?? ""}`),
      ...constraints.filter((k) => k.table === table).map((k) => `  CONSTRAINT ${k.name} ${unqualified(k.def)}`),
    ];
    const own = indexes.filter((i) => i.table === table).map((i) => `${unqualified(i.def)};\n`);
    return `CREATE TABLE ${table} (\n${lines.join(",\n")}\n);\n${own.join("")}`;
  });
  return HEADER("postgres") + out.join("\n") + functions.map((f) => `\n${unqualified(f.def).trimEnd()};\n`).join("");
}

async function freshPostgresDump(): Promise<string> {
  const { url, schema } = testDatabaseUrl();
  const store = new PostgresStore({ url });
  try {
    await store.migrate();
    const { client } = await pgClient(url);
    try {
      return await dumpPostgres(client, schema);
    } finally {
      await client.end();
    }
  } finally {
    await store.close();
    await dropSchema(schema);
  }
}

// ---- the rows a database of the previous release holds

const TENANT = { id: "tenant-1", org: "acme", name: "default", created: "2030-01-01T00:00:00.000Z" };
const FOLDER = { key: "folder-1", name: "Shared" };
const JOB = { key: "job-1", args: '{"text":"Grüße","n":1}' };

const ROW_QUERIES = {
  tenants: "SELECT * FROM tenants ORDER BY id",
  folders: "SELECT * FROM folders ORDER BY key",
  jobs: "SELECT * FROM jobs ORDER BY seq",
};

/** columns the new migrations add to existing tables: the old rows read them as null */
const ADDED_COLUMNS: Partial<Record<keyof typeof ROW_QUERIES, Record<string, null>>> = { jobs: { idempotency_key: null, concurrency_key: null, time_trigger_id: null, time_trigger_slot: null } };
const upgraded = (before: Record<string, unknown[]>) =>
  Object.fromEntries(Object.entries(before).map(([t, rows]) => [t, rows.map((r) => ({ ...(r as object), ...ADDED_COLUMNS[t as keyof typeof ROW_QUERIES] }))]));

/** the new idempotency_keys table takes a key, and a second call with it finds the first */
async function checkIdempotencyKeys(store: SqliteStore | PostgresStore): Promise<void> {
  const row = { tenantId: TENANT.id, scope: "trigger:t", key: "k", fingerprint: "f", jobKey: JOB.key, createdAt: TENANT.created, expiresAt: "2030-01-02T00:00:00.000Z" };
  expect(await store.recordIdempotencyKey(row)).toEqual({ created: true });
  expect(await store.recordIdempotencyKey({ ...row, jobKey: "other" })).toEqual({ created: false, existing: { fingerprint: "f", jobKey: JOB.key } });
}

describe.runIf(TEST_STORE === "sqlite")("schema (sqlite)", () => {
  it("a fresh store's schema is the checked-in one", async () => {
    await expect(await freshSqliteDump()).toMatchFileSnapshot("./schema.sqlite.sql");
  });

  it("a database of the previous release upgrades in place: its rows stay, its schema becomes a fresh install's", async () => {
    const { file, cleanup } = tempSqliteFile();
    let store: SqliteStore | undefined;
    try {
      // the previous release migrates its database and writes to it
      const old = new Database(file);
      migrateSqlite(old, previousRelease("sqlite"));
      old.prepare("INSERT INTO tenants (id, org, name, created_at) VALUES (?, ?, ?, ?)").run(TENANT.id, TENANT.org, TENANT.name, TENANT.created);
      old.prepare("INSERT INTO folders (key, tenant_id, name, created_at) VALUES (?, ?, ?, ?)").run(FOLDER.key, TENANT.id, FOLDER.name, TENANT.created);
      old.prepare(`INSERT INTO jobs (key, tenant_id, folder_key, process_name, source, call_mode, state, priority, input_arguments, created_at)
                   VALUES (?, ?, ?, 'p', 'Manual', 'Async', 'Pending', 20, ?, ?)`).run(JOB.key, TENANT.id, FOLDER.key, JOB.args, TENANT.created);
      const before = Object.fromEntries(Object.entries(ROW_QUERIES).map(([t, q]) => [t, old.prepare(q).all()]));
      old.close();

      store = new SqliteStore(file);
      await store.migrate();
      const db = store.connection;
      expect(Object.fromEntries(Object.entries(ROW_QUERIES).map(([t, q]) => [t, db.prepare(q).all()]))).toEqual(upgraded(before));
      expect(before.jobs).toHaveLength(1);
      expect(db.prepare("SELECT version FROM schema_migrations ORDER BY version").all()).toEqual(loadMigrations("sqlite").map((m) => ({ version: m.version })));
      expect(dumpSqlite(db)).toBe(await freshSqliteDump());
      // the new table is there for today's queries
      await store.scheduleWork({ id: "job.retry:job-1", kind: "job.retry", tenantId: TENANT.id, ref: JOB.key, dueAt: "2030-01-01T00:01:00.000Z", createdAt: TENANT.created });
      expect((await store.getWork("job.retry:job-1"))?.attempts).toBe(0);
      await checkIdempotencyKeys(store);
    } finally {
      await store?.close();
      cleanup();
    }
  });
});

describe.runIf(TEST_STORE === "postgres")("schema (postgres)", () => {
  it("a fresh store's schema is the checked-in one", async () => {
    await expect(await freshPostgresDump()).toMatchFileSnapshot("./schema.postgres.sql");
  });

  it("a database of the previous release upgrades in place: its rows stay, its schema becomes a fresh install's", async () => {
    const { url, schema } = testDatabaseUrl();
    const { client } = await pgClient(url);
    let store: PostgresStore | undefined;
    try {
      // the previous release migrates its database and writes to it
      await migratePostgres(parseDatabaseUrl(url).connectionString, schema, previousRelease("postgres"));
      await client.query("INSERT INTO tenants (id, org, name, created_at) VALUES ($1, $2, $3, $4)", [TENANT.id, TENANT.org, TENANT.name, TENANT.created]);
      await client.query("INSERT INTO folders (key, tenant_id, name, created_at) VALUES ($1, $2, $3, $4)", [FOLDER.key, TENANT.id, FOLDER.name, TENANT.created]);
      await client.query(`INSERT INTO jobs (key, tenant_id, folder_key, process_name, source, call_mode, state, priority, input_arguments, created_at)
                          VALUES ($1, $2, $3, 'p', 'Manual', 'Async', 'Pending', 20, $4, $5)`, [JOB.key, TENANT.id, FOLDER.key, JOB.args, TENANT.created]);
      const rows = async () => {
        const all: Record<string, unknown[]> = {};
        for (const [table, query] of Object.entries(ROW_QUERIES)) all[table] = (await client.query(query)).rows;
        return all;
      };
      const before = await rows();

      store = new PostgresStore({ url });
      await store.migrate();
      expect(await rows()).toEqual(upgraded(before));
      expect(before.jobs).toHaveLength(1);
      expect((await client.query("SELECT version FROM schema_migrations ORDER BY version")).rows).toEqual(loadMigrations("postgres").map((m) => ({ version: m.version })));
      expect(await dumpPostgres(client, schema)).toBe(await freshPostgresDump());
      // the new table is there for today's queries
      await store.scheduleWork({ id: "job.retry:job-1", kind: "job.retry", tenantId: TENANT.id, ref: JOB.key, dueAt: "2030-01-01T00:01:00.000Z", createdAt: TENANT.created });
      expect((await store.getWork("job.retry:job-1"))?.attempts).toBe(0);
      await checkIdempotencyKeys(store);
    } finally {
      await store?.close();
      await client.end();
      await dropSchema(schema);
    }
  });
});
