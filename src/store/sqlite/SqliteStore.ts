import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { SqlStore } from "../sql/SqlStore.js";
import { SqliteExecutor } from "./SqliteExecutor.js";
import { migrateSqlite } from "./migrate.js";

/**
 * The embedded store: one SQLite file in WAL mode, with the queries of src/store/sql. A
 * committed write survives `kill -9` (WAL with synchronous=NORMAL loses nothing on a process
 * crash, only on power loss; FULL when `synchronous` asks for that too).
 */
export class SqliteStore extends SqlStore {
  readonly engine = "sqlite";
  readonly connection: Database.Database;
  readonly executor: SqliteExecutor;

  constructor(file: string, options: { synchronous?: "NORMAL" | "FULL" } = {}) {
    if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
    const connection = new Database(file);
    connection.pragma("journal_mode = WAL");
    connection.pragma(`synchronous = ${options.synchronous ?? "NORMAL"}`);
    connection.pragma("foreign_keys = ON");
    connection.pragma("busy_timeout = 5000");
    const executor = new SqliteExecutor(connection);
    super(executor);
    this.connection = connection;
    this.executor = executor;
  }

  async migrate(): Promise<void> {
    await this.executor.exclusive((db) => migrateSqlite(db));
  }

  async close(): Promise<void> {
    await this.beforeClose();
    if (this.connection.open) this.connection.close();
  }

  /** engine work to finish before the connection closes (the group commit's pending inserts) */
  protected async beforeClose(): Promise<void> {}
}
