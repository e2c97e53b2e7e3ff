import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { configFromEnv } from "../../src/config.js";
import { PostgresStore } from "../../src/store/postgres/PostgresStore.js";
import { SqliteStore } from "../../src/store/sqlite/SqliteStore.js";

/** Issue 18: an acknowledged write survives a power loss by default, on both engines. */
describe("durability of acknowledged writes", () => {
  const dir = mkdtempSync(join(tmpdir(), "baton-durability-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("BATON_SQLITE_SYNCHRONOUS defaults to FULL, takes NORMAL as an opt-in, and refuses anything else", () => {
    expect(configFromEnv({}).sqliteSynchronous).toBe("FULL");
    expect(configFromEnv({ BATON_SQLITE_SYNCHRONOUS: "normal" }).sqliteSynchronous).toBe("NORMAL");
    expect(configFromEnv({ BATON_SQLITE_SYNCHRONOUS: "FULL" }).sqliteSynchronous).toBe("FULL");
    expect(() => configFromEnv({ BATON_SQLITE_SYNCHRONOUS: "OFF" })).toThrow("BATON_SQLITE_SYNCHRONOUS must be FULL or NORMAL, got 'OFF'.");
  });

  it("SQLite runs WAL; FULL syncs the WAL before anything is acknowledged (off the event loop), NORMAL does not", async () => {
    const full = new SqliteStore(join(dir, "full.db"));
    const normal = new SqliteStore(join(dir, "normal.db"), { synchronous: "NORMAL" });
    try {
      expect(full.connection.pragma("journal_mode", { simple: true })).toBe("wal");
      // PRAGMA synchronous: 1 is NORMAL, 2 is FULL. SQLite commits without the disk in both;
      // with FULL the executor syncs the WAL after each commit, and durable() waits for it
      // (test/store/groupCommit.test.ts, "the WAL synced off the event loop")
      expect(full.connection.pragma("synchronous", { simple: true })).toBe(1);
      expect(normal.connection.pragma("synchronous", { simple: true })).toBe(1);
      expect(full.syncsWal).toBe(true);
      expect(normal.syncsWal).toBe(false);
    } finally {
      await full.close();
      await normal.close();
    }
  });

  it("an in-memory SQLite database (no WAL) keeps SQLite's own synchronous=FULL", async () => {
    const memory = new SqliteStore(":memory:");
    try {
      expect(memory.connection.pragma("synchronous", { simple: true })).toBe(2);
      expect(memory.syncsWal).toBe(false);
    } finally {
      await memory.close();
    }
  });

  it("PostgreSQL sessions run with synchronous_commit on and read committed, whatever the server's defaults", async () => {
    // a database of its own whose default would lose the last commits on a crash of the machine
    const database = `baton_durability_${process.pid}`;
    const admin = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:5432/postgres" });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.query(`ALTER DATABASE ${database} SET synchronous_commit = off`);
    // and whose default isolation would make the claim count a session's jobs from before its lock wait
    await admin.query(`ALTER DATABASE ${database} SET default_transaction_isolation = 'repeatable read'`);
    const plain = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${database}` });
    const store = new PostgresStore({ url: `postgres://postgres@127.0.0.1:5432/${database}?schema=durability` });
    try {
      await plain.connect();
      expect((await plain.query("SHOW synchronous_commit")).rows[0].synchronous_commit).toBe("off");
      expect((await store.executor.pool.query("SHOW synchronous_commit")).rows[0].synchronous_commit).toBe("on");
      expect((await plain.query("SHOW default_transaction_isolation")).rows[0].default_transaction_isolation).toBe("repeatable read");
      expect((await store.executor.pool.query("SHOW default_transaction_isolation")).rows[0].default_transaction_isolation).toBe("read committed");
    } finally {
      await plain.end();
      await store.close();
      await admin.query(`DROP DATABASE IF EXISTS ${database}`);
      await admin.end();
    }
  });
});
