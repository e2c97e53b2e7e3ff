import type Database from "better-sqlite3";
import type { Executor, Row } from "../sql/Executor.js";
import type { Sql } from "../sql/sql.js";
import { sqliteDialect } from "./sqliteDialect.js";
import { translateSqliteError } from "./driverErrors.js";

/** at most this many prepared statements are kept */
const MAX_STATEMENTS = 2000;

/** better-sqlite3 binds numbers, strings, bigints, buffers and null: booleans become 0/1, objects JSON text. */
function bind(values: unknown[]): unknown[] {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === undefined) values[i] = null;
    else if (typeof v === "boolean") values[i] = v ? 1 : 0;
    else if (typeof v === "object" && v !== null && !Buffer.isBuffer(v)) values[i] = JSON.stringify(v);
  }
  return values;
}

/**
 * SQLite through better-sqlite3: synchronous, one connection. Statements of fixed text are
 * prepared once and cached.
 *
 * A transaction spans awaits (the work is async), so while one is open every other caller's
 * statement waits for it to end instead of running inside it: `turn()` is that queue. With no
 * transaction open, a statement runs at once, with no await on the way.
 */
export class SqliteExecutor implements Executor {
  readonly dialect = sqliteDialect;
  readonly inTransaction: boolean = false;
  private readonly statements = new Map<string, Database.Statement>();
  /** resolves when the open transaction ends; null when none is open */
  private open: Promise<void> | null = null;

  constructor(readonly db: Database.Database) {}

  /** a prepared statement for this text: cached when the text is fixed */
  statement(text: string, fixed = true): Database.Statement {
    let s = fixed ? this.statements.get(text) : undefined;
    if (!s) {
      s = this.db.prepare(text);
      // bounded: lists of many lengths make many texts; past the bound, prepared each time
      if (fixed && this.statements.size < MAX_STATEMENTS) this.statements.set(text, s);
    }
    return s;
  }

  /**
   * waits until no transaction is open. Callers check again when it returns (`while`, not
   * `if`): between its end and their next step another caller's transaction may have begun
   */
  async turn(): Promise<void> {
    while (this.open) await this.open;
  }

  /**
   * Runs synchronous work on the connection (engine-specific paths: the group commit, the
   * claim) once no async transaction is open, translating driver errors.
   */
  async exclusive<T>(work: (db: Database.Database) => T): Promise<T> {
    while (this.open) await this.turn();
    try {
      return work(this.db);
    } catch (err) {
      throw translateSqliteError(err);
    }
  }

  /** runs a query synchronously: callers have waited for their turn */
  runNow<T>(query: Sql, how: "all" | "get" | "run"): T {
    const { text, values, fixed } = query.compile(this.dialect);
    try {
      const s = this.statement(text, fixed);
      if (how === "run") return s.run(...bind(values)).changes as T;
      return (how === "all" ? s.all(...bind(values)) : s.get(...bind(values))) as T;
    } catch (err) {
      throw translateSqliteError(err);
    }
  }

  async all<R = Row>(query: Sql): Promise<R[]> {
    while (this.open) await this.turn();
    return this.runNow<R[]>(query, "all");
  }

  async one<R = Row>(query: Sql): Promise<R | undefined> {
    while (this.open) await this.turn();
    return this.runNow<R | undefined>(query, "get");
  }

  async run(query: Sql): Promise<number> {
    while (this.open) await this.turn();
    return this.runNow<number>(query, "run");
  }

  async transaction<T>(work: (tx: Executor) => Promise<T>): Promise<T> {
    while (this.open) await this.turn();
    let end!: () => void;
    this.open = new Promise((resolve) => { end = resolve; });
    try {
      // IMMEDIATE: the write lock is taken now, so no other process's write makes this one
      // fail half-way with SQLITE_BUSY
      try { this.db.exec("BEGIN IMMEDIATE"); } catch (err) { throw translateSqliteError(err); }
      try {
        const result = await work(new SqliteTransaction(this));
        try { this.db.exec("COMMIT"); } catch (err) { throw translateSqliteError(err); }
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec("ROLLBACK");
        throw err;
      }
    } finally {
      this.open = null;
      end();
    }
  }
}

/** The statements of one open transaction: they run at once, never waiting for their own transaction to end. */
class SqliteTransaction implements Executor {
  readonly inTransaction = true;
  constructor(readonly root: SqliteExecutor) {}
  get dialect() { return this.root.dialect; }
  async all<R = Row>(query: Sql): Promise<R[]> { return this.root.runNow<R[]>(query, "all"); }
  async one<R = Row>(query: Sql): Promise<R | undefined> { return this.root.runNow<R | undefined>(query, "get"); }
  async run(query: Sql): Promise<number> { return this.root.runNow<number>(query, "run"); }
  /** a transaction inside a transaction joins it */
  async transaction<T>(work: (tx: Executor) => Promise<T>): Promise<T> { return work(this); }
}

/** The connection under an executor, open transaction or not (for engine-specific synchronous paths). */
export function sqliteConnection(executor: Executor): { root: SqliteExecutor; inTransaction: boolean } {
  if (executor instanceof SqliteExecutor) return { root: executor, inTransaction: false };
  if (executor instanceof SqliteTransaction) return { root: executor.root, inTransaction: true };
  throw new Error("not a SQLite executor");
}
