import type Database from "better-sqlite3";
import type { Executor, Row } from "../sql/Executor.js";
import type { Sql } from "../sql/sql.js";
import { sqliteDialect } from "./sqliteDialect.js";
import { StoreUnavailable } from "../../core/errors.js";
import { translateSqliteError } from "./driverErrors.js";
import type { WalSync } from "./walSync.js";

/** at most this many prepared statements are kept */
const MAX_STATEMENTS = 2000;

/**
 * A statement read in raw mode (each row an array), and what makes each row the object the
 * driver would have made: `row` builds it from an object literal compiled for the
 * statement's columns (a later column of the same name wins, as in the driver's objects).
 */
export interface RowReader {
  readonly statement: Database.Statement;
  readonly row: (values: unknown[]) => Row;
}

/** A row builder without generated code: the same objects, slower (own properties, a later column of a name wins). */
export function loopRowBuilder(names: readonly string[]): (values: unknown[]) => Row {
  return (v) => {
    const row: Row = {};
    for (let i = 0; i < names.length; i++) Object.defineProperty(row, names[i]!, { value: v[i], enumerable: true, writable: true, configurable: true });
    return row;
  };
}

/** the row builders, one per list of column names (statements of the same columns share one) */
const rowBuilders = new Map<string, (values: unknown[]) => Row>();

function rowBuilder(names: readonly string[]): (values: unknown[]) => Row {
  const signature = names.join("\u0000");
  let build = rowBuilders.get(signature);
  if (!build) {
    // the names are SQLite's column names, quoted as JSON strings: never code; "__proto__"
    // as a computed key, an own property as the driver makes it (quoted, it sets the prototype)
    const member = (n: string, i: number) => `${n === "__proto__" ? `[${JSON.stringify(n)}]` : JSON.stringify(n)}: v[${i}]`;
    try {
      build = new Function("v", `return {${names.map(member).join(", ")}};`) as (values: unknown[]) => Row;
    } catch {
      // code generation from strings refused (node --disallow-code-generation-from-strings)
      build = loopRowBuilder(names);
    }
    if (rowBuilders.size < MAX_STATEMENTS) rowBuilders.set(signature, build);
  }
  return build;
}

/**
 * The row builder of a statement in raw mode. SQLite prepares a statement again by itself
 * when the schema changed: `SELECT *` may then have more columns (a column added), and the
 * builder is made again for them. A change that keeps the count (a column renamed, a table
 * rebuilt in another order) is not seen here: this node's own migrations drop every reader
 * (`exclusiveUnbatched`), and another process changing the schema of a live node's file is
 * not supported (the node's statements name the columns they read).
 */
function rowsOf(statement: Database.Statement): (values: unknown[]) => Row {
  let names = statement.columns().map((c) => c.name);
  let build = rowBuilder(names);
  return (values) => {
    if (values.length !== names.length) {
      names = statement.columns().map((c) => c.name);
      build = rowBuilder(names);
    }
    return build(values);
  };
}

/**
 * What a cache of prepared statements holds for `text`, made by `make` when it has none;
 * kept when the text is fixed. Bounded: lists of many lengths make many texts; past the
 * bound, prepared each time.
 */
function cachedFor<T>(cache: Map<string, T>, text: string, fixed: boolean, make: () => T): T {
  let found = fixed ? cache.get(text) : undefined;
  if (found === undefined) {
    found = make();
    if (fixed && cache.size < MAX_STATEMENTS) cache.set(text, found);
  }
  return found;
}

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
 * **Group commit of every write.** A commit per statement would cap the whole node at a few
 * hundred writes a second. Instead the first write of a turn of the event loop opens a
 * transaction (the *batch*), every write of that turn runs in it at once, and the batch
 * commits right after the turn (`setImmediate`). A write's promise resolves at once; what
 * must not leave the process before it is on disk waits for `durable()` (the HTTP layer
 * awaits it before sending any answer), so no caller, robot or receiver is ever told of a
 * change a power loss could undo. Reads see the batch's writes (one connection), as a
 * single-node store must.
 *
 * **The disk off the event loop.** With a `WalSync` (the default store's), SQLite commits
 * without waiting for the disk, and a batch is durable once an fsync of the WAL that started
 * after its commit returns, on libuv's thread pool (`walSync.ts`): the event loop never stands
 * still for the disk (an fsync is milliseconds on a VM). Without one, `durable()` resolves at
 * the commit (`synchronous=FULL` syncs in it, or NORMAL, which does not sync).
 *
 * A transaction spans awaits (the work is async), so while one is open every other caller's
 * statement waits for it to end instead of running inside it: `turn()` is that queue. It
 * runs as a savepoint of the batch, which commits only once no transaction is open. With no
 * transaction open, a statement runs at once, with no await on the way.
 */
export class SqliteExecutor implements Executor {
  readonly dialect = sqliteDialect;
  readonly inTransaction: boolean = false;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly readers = new Map<string, RowReader>();
  /** resolves when the open transaction ends; null when none is open */
  private open: Promise<void> | null = null;
  /** the open batch (the transaction of this turn's writes) and its commit's outcome; null when none is open */
  private batch: Batch | null = null;
  /** the batch's commit came due while a transaction was open or a hold held it: it commits when they end */
  private commitDue = false;
  /** units of work holding the open batch back from its commit (see `held`) */
  private holds = 0;
  /** the last committed batch whose WAL sync has not returned yet; null when none waits */
  private syncing: Promise<void> | null = null;

  constructor(readonly db: Database.Database, private readonly walSync: WalSync | null = null) {
    let executors = executorsOfFile.get(db.name);
    if (!executors) executorsOfFile.set(db.name, (executors = new Set()));
    executors.add(this);
  }

  /** a prepared statement for this text: cached when the text is fixed */
  statement(text: string, fixed = true): Database.Statement {
    return cachedFor(this.statements, text, fixed, () => this.db.prepare(text));
  }

  /**
   * A prepared statement whose rows are read as arrays and made objects by a compiled
   * literal (`RowReader`), cached when the text is fixed. better-sqlite3 builds each row
   * object a property at a time through V8's API: a job's 27 columns cost ~17 µs a row that
   * way on a small VM, ~8 µs this way (both with the values' own conversion), and every read
   * of a job (a claim, a result's write, a list page of 50) reads rows. A statement that
   * returns no data is prepared as it is (its `get` and `all` refuse, as the driver's do).
   */
  reader(text: string, fixed = true): RowReader {
    return cachedFor(this.readers, text, fixed, () => {
      const statement = this.db.prepare(text);
      return statement.reader ? { statement: statement.raw(true), row: rowsOf(statement) } : { statement, row: (v) => v as unknown as Row };
    });
  }

  /**
   * waits until no transaction is open. Callers check again when it returns (`while`, not
   * `if`): between its end and their next step another caller's transaction may have begun
   */
  async turn(): Promise<void> {
    while (this.open) await this.open;
  }

  /** opens the WAL sync's descriptors (once the WAL exists: after the migrations) */
  openWalSync(): void {
    this.walSync?.open();
  }

  /** the WAL sync's failure, after which no write is acknowledged (null while none failed, or without a WalSync) */
  walSyncFailure(): Error | null {
    return this.walSync?.failure ?? null;
  }

  /**
   * Resolves once every write made so far is on disk (at once when none waits for its
   * commit); rejects when their batch could not commit, and then none of them was kept.
   */
  durable(): Promise<void> | null {
    // batches are told in commit order (WalSync): the last one durable, every one before it is
    if (this.batch) return this.batch.committed;
    // after a failed sync no write is durable, whether or not its batch has committed (WalSync):
    // every answer fails (its batch may have been refused before the answer asked)
    const failure = this.walSync?.failure;
    return failure ? Promise.reject(failure) : this.syncing;
  }

  /**
   * Opens the batch if none is open. Another executor of this process on the same file (two
   * stores in one test) commits its batch first: its write lock would otherwise make this
   * BEGIN wait out busy_timeout with the event loop blocked, and its commit needs that loop.
   */
  private ensureBatch(): void {
    if (this.batch) {
      // a batch with no transaction under it was rolled back (checkBatch dooms it; a rollback
      // no statement of this executor reported is found here): the turn's later writes run in
      // a transaction of their own that its commit rolls back too, never in autocommit
      if (!this.db.inTransaction) {
        this.doom(rolledBack());
        this.begin();
      }
      return;
    }
    this.commitOthers();
    this.begin();
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const committed = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
    // a batch nobody awaits must not be an unhandled rejection
    committed.catch(() => {});
    this.batch = { committed, resolve, reject };
    setImmediate(() => this.commitBatch());
  }

  /** the batch's transaction, taking the write lock at once */
  private begin(): void {
    try {
      this.db.exec("BEGIN IMMEDIATE");
    } catch (err) {
      throw translateSqliteError(err);
    }
  }

  /**
   * Commits the batches of the other executors of this process on this file, so that this
   * one's statements see their writes (and are not locked out by them). Only tests open two
   * stores on one file; a node has one.
   */
  private commitOthers(): void {
    const executors = executorsOfFile.get(this.db.name);
    if (!executors || executors.size < 2) return;
    for (const other of executors) if (other !== this && other.batch && !other.open && other.holds === 0) other.commitBatch();
  }

  /** Commits the open batch, unless a transaction is open or a hold holds it (then it commits when they end). */
  commitBatch(): void {
    const batch = this.batch;
    if (!batch) return;
    if (this.open || this.holds > 0) {
      this.commitDue = true;
      return;
    }
    this.batch = null;
    this.commitDue = false;
    if (!this.db.open) {
      batch.reject(new Error("The SQLite connection closed before its writes were committed."));
      return;
    }
    // a batch with no transaction under it was rolled back, whoever saw it
    if (batch.doomed === undefined && !this.db.inTransaction) batch.doomed = rolledBack();
    if (batch.doomed !== undefined) {
      // a held unit of work failed half-way, or SQLite rolled the batch back: none of it is
      // kept (its callers see a failed commit)
      try {
        if (this.db.inTransaction) this.db.exec("ROLLBACK");
      } finally {
        batch.reject(batch.doomed);
      }
      return;
    }
    try {
      this.db.exec("COMMIT");
      if (!this.walSync) return batch.resolve();
      // on disk once the WAL's next sync returns
      const committed = batch.committed;
      this.syncing = committed;
      const settled = () => { if (this.syncing === committed) this.syncing = null; };
      this.walSync.after({ resolve: () => { settled(); batch.resolve(); }, reject: (err) => { settled(); batch.reject(err); } });
    } catch (err) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      batch.reject(translateSqliteError(err));
    }
  }

  /**
   * After a failed statement: some errors (an I/O error, a full disk, no memory, a busy or
   * interrupted statement) may make SQLite roll back the whole transaction, the batch's other
   * writes with it; only the connection tells (`inTransaction`, sqlite3_get_autocommit). Their callers have been told their write is done (a
   * write's promise resolves at once) and ask `durable()` later in the turn (the HTTP layer,
   * before it answers): the batch stays open, doomed, until its commit is due, and then
   * rejects, so every one of them answers 503 (a batch dropped here left them to the next
   * batch's `durable()`, or to none: 200 for a write that was not kept). The turn's later
   * writes join a new transaction under it (ensureBatch), rolled back with it.
   */
  private checkBatch(err: unknown): void {
    if (this.batch && !this.db.inTransaction) this.doom(err);
  }

  /** the open batch will be rolled back at its commit, its callers told of `err` (the first cause kept) */
  private doom(err: unknown): void {
    if (this.batch && this.batch.doomed === undefined) this.batch.doomed = translateSqliteError(err);
  }

  /**
   * Runs synchronous work on the connection (engine-specific paths: the group commit, the
   * claim) once no async transaction is open, in the batch (its own transactions become
   * savepoints), translating driver errors.
   */
  async exclusive<T>(work: (db: Database.Database) => T): Promise<T> {
    while (this.open) await this.turn();
    this.ensureBatch();
    try {
      return work(this.db);
    } catch (err) {
      this.checkBatch(err);
      throw translateSqliteError(err);
    }
  }

  /**
   * Runs `work`, whose writes must be kept together or not at all (a job's change and the
   * webhook deliveries it causes), without a transaction: its writes, like every other
   * caller's meanwhile, join the open batch, which does not commit until `work` ends. Other
   * callers never wait for it (no gate, no async context to track). If `work` throws, the
   * whole batch is rolled back at its commit, and every write in it fails as a failed commit
   * does (`durable()` rejects: their HTTP answers are 503): nothing half-done is ever kept.
   * `work` must use the store only through this executor's root (no transaction of its own).
   */
  async held<T>(work: () => Promise<T>): Promise<T> {
    while (this.open) await this.turn();
    this.ensureBatch();
    const batch = this.batch!;
    this.holds++;
    try {
      return await work();
    } catch (err) {
      if (this.batch === batch && batch.doomed === undefined) batch.doomed = err;
      throw err;
    } finally {
      this.holds--;
      if (this.holds === 0 && this.commitDue) setImmediate(() => this.commitBatch());
    }
  }

  /** Runs synchronous work outside any batch (the migrations, which manage their own transactions). */
  async exclusiveUnbatched<T>(work: (db: Database.Database) => T): Promise<T> {
    while (this.open) await this.turn();
    this.commitBatch();
    await this.durable();
    this.commitOthers();
    // a migration may change the columns a cached reader's rows are named by
    this.readers.clear();
    try {
      return work(this.db);
    } catch (err) {
      throw translateSqliteError(err);
    }
  }

  /** runs a query synchronously: callers have waited for their turn; a write joins the batch */
  runNow<T>(query: Sql, how: "all" | "get" | "run"): T {
    const { text, values, fixed } = query.compile(this.dialect);
    try {
      if (how === "run") {
        const s = this.statement(text, fixed);
        if (!s.readonly) this.ensureBatch();
        else if (!this.batch) this.commitOthers();
        return s.run(...bind(values)).changes as T;
      }
      const { statement: s, row } = this.reader(text, fixed);
      if (!s.readonly) this.ensureBatch();
      else if (!this.batch) this.commitOthers();
      if (how === "all") return (s.all(...bind(values)) as unknown[][]).map(row) as T;
      const found = s.get(...bind(values)) as unknown[] | undefined;
      return (found === undefined ? undefined : row(found)) as T;
    } catch (err) {
      this.checkBatch(err);
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
    // the batch takes the write lock now (IMMEDIATE), so no other process's write makes this
    // transaction fail half-way with SQLITE_BUSY; the transaction is a savepoint of it
    this.ensureBatch();
    let end!: () => void;
    this.open = new Promise((resolve) => { end = resolve; });
    try {
      try { this.db.exec("SAVEPOINT baton_transaction"); } catch (err) { this.checkBatch(err); throw translateSqliteError(err); }
      try {
        const result = await work(new SqliteTransaction(this));
        try { this.db.exec("RELEASE baton_transaction"); } catch (err) { this.checkBatch(err); throw translateSqliteError(err); }
        return result;
      } catch (err) {
        if (!this.db.inTransaction) this.checkBatch(err);
        else {
          try {
            this.db.exec("ROLLBACK TO baton_transaction");
            this.db.exec("RELEASE baton_transaction");
          } catch (lost) {
            // the savepoint went with a rollback of the whole batch (which the transaction's
            // later statements found doomed and began again): none of it is kept
            this.doom(lost);
          }
        }
        throw err;
      }
    } finally {
      this.open = null;
      end();
      if (this.commitDue && this.holds === 0) setImmediate(() => this.commitBatch());
    }
  }

  /** Commits what waits, once it is on disk forgets this executor (the store closes its connection next). */
  async close(): Promise<void> {
    this.commitBatch();
    await this.walSync?.close();
    executorsOfFile.get(this.db.name)?.delete(this);
  }
}

interface Batch {
  readonly committed: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
  /** set when a held unit of work failed, or SQLite rolled the batch back (checkBatch): the batch is rolled back instead of committed, its callers told of this */
  doomed?: unknown;
}

/** the executors of this process per database file (see ensureBatch) */
const executorsOfFile = new Map<string, Set<SqliteExecutor>>();

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

/** the error a batch's callers get when SQLite rolled the batch back */
function rolledBack(): unknown {
  return StoreUnavailable(new Error("SQLite rolled back the transaction of this turn's writes (an I/O error, a full disk or no memory); none of them was kept."));
}
