import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { clampedIso } from "../../core/bounds.js";
import { UniqueViolation } from "../../core/errors.js";
import type { DueWork, DueWorkKind, IdempotencyKeyRow, IdempotencyOutcome } from "../../core/store.js";
import type { Job, RobotSession } from "../../core/types.js";
import type { WebhookAttempt, WebhookDeliveryState } from "../../core/webhooks/types.js";
import { dueWorkFromRow } from "../sql/DueWorkSql.js";
import { insertIdempotencyKey, insertJob, insertJobValues, selectIdempotencyKey, storedKeyFromRow } from "../sql/JobsSql.js";
import type { Row } from "../sql/Executor.js";
import { GroupCommit, type Pending } from "../sql/GroupCommit.js";
import { SqlStore } from "../sql/SqlStore.js";
import { endDeliveryWorkSql, recordAttemptSql } from "../sql/WebhooksSql.js";
import { ConcurrencyBudget, candidateFromRow, limitsFromRow, type ProcessLimits } from "../sql/concurrencyBudget.js";
import { jobFromRow } from "../sql/rows.js";
import { sql } from "../sql/sql.js";
import { SqliteExecutor, sqliteConnection } from "./SqliteExecutor.js";
import { translateSqliteError } from "./driverErrors.js";
import { WAL_SYNCS, WalSync, fsyncOf } from "./walSync.js";
import { migrateSqlite } from "./migrate.js";

/** a row's refusal (a unique key, a NOT NULL, a foreign key): the other rows of its batch are fine */
const isConstraintError = (err: unknown): boolean =>
  err instanceof UniqueViolation || String((err as { code?: unknown } | null)?.code).startsWith("SQLITE_CONSTRAINT");

/**
 * The embedded store: one SQLite file in WAL mode, with the queries of src/store/sql. An
 * acknowledged write survives a power loss (`FULL`, the default): the group commit's batches
 * are synced to disk before anything they wrote leaves the process, by an fsync of the WAL
 * off the event loop (SqliteExecutor, walSync.ts); SQLite itself commits without waiting
 * (`synchronous = NORMAL`, safe from corruption in WAL mode). `NORMAL`
 * (BATON_SQLITE_SYNCHRONOUS) skips that sync: it survives only a crash of the process, not of
 * the machine.
 */
export class SqliteStore extends SqlStore {
  readonly engine = "sqlite";
  readonly connection: Database.Database;
  readonly executor: SqliteExecutor;
  /** whether acknowledged writes wait for an fsync of the WAL (FULL on a file) */
  readonly syncsWal: boolean;

  constructor(file: string, options: { synchronous?: "NORMAL" | "FULL" } = {}) {
    if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
    const connection = new Database(file);
    const wal = connection.pragma("journal_mode = WAL", { simple: true }) === "wal";
    const full = (options.synchronous ?? "FULL") === "FULL";
    // FULL with a WAL: SQLite commits without the disk, and the executor syncs the WAL off the
    // event loop before anything is acknowledged; an in-memory database keeps SQLite's own FULL
    connection.pragma(`synchronous = ${full && !wal ? "FULL" : "NORMAL"}`);
    connection.pragma("foreign_keys = ON");
    connection.pragma("busy_timeout = 5000");
    // one descriptor of the WAL per sync slot (WalSync)
    const walSync = full && wal ? new WalSync(Array.from({ length: WAL_SYNCS }, () => fsyncOf(`${connection.name}-wal`))) : null;
    const executor = new SqliteExecutor(connection, walSync);
    super(executor);
    this.connection = connection;
    this.executor = executor;
    this.syncsWal = full && wal;
  }

  async migrate(): Promise<void> {
    await this.executor.exclusiveUnbatched((db) => {
      migrateSqlite(db);
      // statistics for the tables that need them (a first ANALYZE, bounded in time), so the
      // planner picks the job list's indexes by the data (SQLite's advice for long-lived connections)
      db.pragma("optimize=0x10002");
    });
    // the WAL exists now (the migrations wrote, or WAL mode opened it): its sync descriptors open
    // before any batch, so that none misses a writeback error reported meanwhile
    this.executor.openWalSync();
  }

  /** SQLite keeps no statistics by itself: PRAGMA optimize analyzes the tables whose size changed much */
  override async optimize(): Promise<void> {
    await this.executor.exclusiveUnbatched((db) => { db.pragma("optimize"); });
  }

  /** the store answers, and its WAL has never failed a sync (after one, no write is acknowledged: WalSync) */
  override async ping(): Promise<void> {
    const failure = this.executor.walSyncFailure();
    if (failure) throw failure;
    await super.ping();
  }

  async close(): Promise<void> {
    await this.beforeClose();
    await this.executor.close();
    if (this.connection.open) this.connection.close();
  }

  /** the group commit's batch held open until `work` ends (SqliteExecutor.held); inside an open transaction, part of it */
  override writeTogether<T>(work: () => Promise<T>): Promise<T> {
    if (this.db.inTransaction) return work();
    return this.executor.held(work);
  }

  /** SQLite's group commit: the writes of this turn of the event loop commit right after it (SqliteExecutor) */
  override durable(): Promise<void> | null {
    return this.executor.durable();
  }

  /** the group commit's pending inserts: none is lost when the store closes */
  protected async beforeClose(): Promise<void> {
    if (!this.connection.open) return;
    await this.jobInserts.drain();
    await this.keyedInserts.drain();
  }

  /**
   * Runs synchronous work in a write transaction: a savepoint of the caller's open
   * transaction, or a transaction of its own (IMMEDIATE: the write lock is taken at once)
   * when no other is open. Driver errors leave translated.
   */
  private writeNow<T>(work: () => T): Promise<T> {
    const { root, inTransaction } = sqliteConnection(this.db);
    if (!inTransaction) return root.exclusive((db) => db.transaction(work).immediate());
    try {
      return Promise.resolve(root.db.transaction(work)());
    } catch (err) {
      return Promise.reject(translateSqliteError(err));
    }
  }

  /**
   * Due work claimed in one synchronous write (no other claim runs meanwhile): the due rows'
   * ids read in due order, then each leased by its id. SQLite runs an UPDATE whose WHERE holds
   * a `LIMIT`ed subquery of its own table about eight times slower than these two steps (the
   * webhook dispatcher claims as each delivery ends).
   */
  override claimDueWork(kinds: readonly DueWorkKind[], now: string, owner: string, leaseUntil: string, limit: number): Promise<DueWork[]> {
    if (kinds.length === 0 || limit <= 0) return Promise.resolve([]);
    const root = sqliteConnection(this.db).root;
    return this.writeNow(() => {
      const due = root.runNow<Row[]>(sql`
        SELECT id FROM due_work WHERE due_at <= ${now} AND (lease_until IS NULL OR lease_until <= ${now}) AND kind IN ${sql.list(kinds)}
         ORDER BY due_at LIMIT CAST(${limit} AS INTEGER)`, "all");
      const claimed: DueWork[] = [];
      for (const { id } of due) {
        const row = root.runNow<Row | undefined>(sql`UPDATE due_work SET leased_by = ${owner}, lease_until = ${leaseUntil} WHERE id = ${id} RETURNING *`, "get");
        if (row) claimed.push(dueWorkFromRow(row));
      }
      return claimed;
    });
  }

  /** An attempt's end in one synchronous write: the attempt recorded, then the due row ended (WebhooksSql). */
  override endDeliveryAttempt(id: string, attempt: WebhookAttempt, state: WebhookDeliveryState, nextAttemptAt: string | null, work: { id: string; owner: string }): Promise<boolean> {
    const root = sqliteConnection(this.db).root;
    return this.writeNow(() => {
      root.runNow(recordAttemptSql(root.dialect, id, attempt, state, nextAttemptAt), "run");
      return root.runNow<number>(endDeliveryWorkSql(state, nextAttemptAt, work), "run") > 0;
    });
  }

  /**
   * A keyed job and its key, written together with no transaction another caller would wait
   * for and no async context: group-committed like new jobs (the keyed calls of one turn of
   * the event loop in one synchronous pass, one after the other, so a racer with the same key
   * runs after the first and finds its key). Inside an open transaction, at once, as part of it.
   */
  override createJobOnce(job: Job, key: IdempotencyKeyRow): Promise<IdempotencyOutcome> {
    if (this.db.inTransaction) return this.writeNow(() => this.keyedInsert(job, key));
    const item: KeyedJob = { job, key, outcome: null };
    return this.keyedInserts.add(item).then(() => item.outcome!);
  }

  private readonly keyedInserts = new GroupCommit<KeyedJob>((batch) => this.insertKeyedJobs(batch));

  private async insertKeyedJobs(batch: Pending<KeyedJob>[]): Promise<void> {
    await this.executor.exclusive(() => {
      for (const b of batch) {
        try {
          b.item.outcome = this.keyedInsert(b.item.job, b.item.key);
          b.resolve();
        } catch (err) {
          b.reject(translateSqliteError(err));
        }
      }
    });
  }

  /** the key's insert, the job's when the key was new (or expired), else the stored key read; synchronous */
  private keyedInsert(job: Job, key: IdempotencyKeyRow): IdempotencyOutcome {
    const root = this.executor;
    const inserted = root.runNow(insertIdempotencyKey(key), "get");
    if (inserted) {
      try {
        root.runNow(insertJob(job), "run");
      } catch (err) {
        // the job could not be kept: neither is its key (the next call with it is the first)
        root.runNow(sql`DELETE FROM idempotency_keys WHERE tenant_id = ${key.tenantId} AND scope = ${key.scope} AND key = ${key.key} AND job_key = ${key.jobKey}`, "run");
        throw err;
      }
      return { created: true };
    }
    // the key is live (a purge only runs between writes, so it is there)
    return { created: false, existing: storedKeyFromRow(root.runNow<Row>(selectIdempotencyKey(key), "get")) };
  }

  // ---- jobs: the group commit of new jobs

  /**
   * Group commit: the jobs created during one turn of the event loop are inserted in one
   * transaction right after it. Each commit of the WAL costs far more than an insert (~100 µs
   * against ~30 µs on a small VM), so under load this multiplies the invoke rate; alone, a
   * job waits for no more than the current turn. A job that breaks a constraint fails alone
   * (each insert is a statement of its own). Inside an open transaction the job is inserted
   * at once, as part of it.
   */
  private readonly jobInserts = new GroupCommit<Job>((batch) => this.insertJobs(batch));

  override createJob(j: Job): Promise<void> {
    if (this.db.inTransaction) return super.createJob(j);
    return this.jobInserts.add(j);
  }

  private async insertJobs(batch: Pending<Job>[]): Promise<void> {
    const root = this.executor;
    // the prepared insert, run with the job's values as they are (no compile or conversion per job)
    const text = insertJob(batch[0]!.item).compile(root.dialect).text;
    const insert = (j: Job) => root.statement(text).run(...insertJobValues(j));
    // Each job is a statement of its own in the open batch, with no savepoint around the turn's
    // inserts: one that breaks a constraint fails alone (SQLite undoes that statement only). A
    // savepoint over them kept a copy of each existing page they changed (the B-trees' last
    // leaves) in its sub-journal, which SQLite moves to a temporary file past 64 KiB: a file
    // created, written and deleted at every batch, ~30 % of a saturated node's invoke rate.
    let failedAt = 0;
    try {
      await root.exclusive((db) => {
        for (; failedAt < batch.length; failedAt++) {
          const b = batch[failedAt]!;
          try {
            insert(b.item);
          } catch (err) {
            // anything else (an I/O error, a full disk), or a constraint that took the batch
            // with it, fails this job and the turn's next ones; exclusive() dooms the batch
            // if SQLite rolled it back, and durable() then tells the callers of the jobs
            // inserted before it that they were not kept (their answers are 503)
            if (!isConstraintError(err) || !db.inTransaction) throw err;
            b.reject(translateSqliteError(err));
            continue;
          }
          b.resolve();
        }
      });
    } catch (err) {
      for (const b of batch.slice(failedAt)) b.reject(err);
    }
  }

  // ---- jobs: the claim

  /**
   * One write transaction (SQLite has one writer at a time, so no other claim runs
   * meanwhile): the session's free slots, then the pending jobs in claim order, each updated
   * by its seq. Statements are prepared once per number of processes and folders.
   */
  override async claimJobs(session: RobotSession, max: number, now: string, longPollingMaxSeconds: number): Promise<Job[]> {
    if (max <= 0 || session.processes.length === 0) return [];
    const nowMs = Date.parse(now);
    const deadlineFor = (job: Job): string | null => {
      const limits: number[] = [];
      if (job.callMode === "LongPolling") limits.push(Date.parse(job.createdAt) + longPollingMaxSeconds * 1000);
      if (job.maxDurationSeconds) limits.push(nowMs + job.maxDurationSeconds * 1000);
      // clamped: a duration stored before durations were bounded (1e13 s) must not make every claim throw
      return limits.length ? clampedIso(Math.min(...limits)) : null;
    };
    const root = sqliteConnection(this.db).root;
    return this.writeNow(() => {
      // a claim long-poll can outlive its session (a robot cut off from the network keeps its
      // connection open while its lease runs out): jobs claimed for an ended session would
      // stay Running forever, so an ended or expired session gets nothing
      if (!root.statement("SELECT 1 FROM robot_sessions WHERE id = ? AND lease_expires_at > ?").get(session.id, now)) return [];
      // a session never holds more jobs than its slots, however many claims it sends
      const held = (root.statement("SELECT COUNT(*) AS n FROM jobs WHERE session_id = ? AND state IN ('Running', 'Stopping', 'Terminating')").get(session.id) as Row).n as number;
      const room = Math.min(max, session.slots - held);
      if (room <= 0) return [];
      const names = session.processes.map(() => "?").join(", ");
      // a robot key limited to some folders runs only their jobs
      const folders = session.folderKeys ? `AND folder_key IN (${session.folderKeys.map(() => "?").join(", ") || "NULL"})` : "";
      const scope = [session.tenantId, ...session.processes, ...(session.folderKeys ?? [])];
      const claim = root.statement(
        "UPDATE jobs SET state = 'Running', session_id = ?, robot = ?, started_at = ?, attempt = ?, deadline_at = ?, not_before = NULL, info = NULL WHERE seq = ?",
      );
      const claimRow = (row: Row): Job => {
        const job = jobFromRow(row);
        job.state = "Running";
        job.sessionId = session.id;
        job.robot = session.robotName;
        // as PostgreSQL's claim: never before the job was created (nodes' clocks differ a little)
        job.startedAt = now < job.createdAt ? job.createdAt : now;
        job.attempt += 1;
        job.deadlineAt = deadlineFor(job);
        job.info = null;
        job.retryAt = null;
        claim.run(session.id, session.robotName, job.startedAt, job.attempt, job.deadlineAt, row.seq);
        return job;
      };
      // processes with concurrency limits among the session's (a tiny partial index): none, the usual case, is the plain claim
      const limits = (root.statement(
        `SELECT folder_key, name, max_concurrent_jobs, max_concurrent_jobs_per_key FROM processes
          WHERE tenant_id = ? AND name IN (${names}) ${folders} AND (max_concurrent_jobs IS NOT NULL OR max_concurrent_jobs_per_key IS NOT NULL)`,
      ).all(...scope) as Row[]).map(limitsFromRow);
      if (limits.length > 0) return this.claimWithinLimits(session, scope, names, folders, room, now, limits, claimRow);
      // LIMIT CAST(? AS INTEGER), not LIMIT ?: SQLite (3.47+) plans with a bound LIMIT's
      // value, so rebinding it re-prepares the statement on every claim (~40 µs, twice a job).
      // (rows read as arrays, made objects by the reader's literal: SqliteExecutor.reader)
      const pending = root.reader(
        `SELECT * FROM jobs WHERE tenant_id = ? AND state = 'Pending' AND process_name IN (${names}) ${folders}
           AND (not_before IS NULL OR not_before <= ?)
         ORDER BY priority DESC, seq ASC LIMIT CAST(? AS INTEGER)`,
      );
      return (pending.statement.all(...scope, now, room) as unknown[][]).map((values) => claimRow(pending.row(values)));
    });
  }

  /**
   * The claim when some of the session's processes have concurrency limits: inside the one
   * write transaction (no other claim runs meanwhile, so the counts are exact), the running
   * jobs counted, then Pending jobs read in claim order past the full processes and keys,
   * admitted by the budget and claimed, until the room is used or no job is left
   * (src/store/sql/concurrencyBudget.ts).
   */
  private claimWithinLimits(
    session: RobotSession, scope: unknown[], names: string, folders: string, room: number, now: string,
    limits: ProcessLimits[], claimRow: (row: Row) => Job,
  ): Job[] {
    const root = sqliteConnection(this.db).root;
    const limitedNames = [...new Set(limits.map((l) => l.name))];
    const counts = (root.statement(
      `SELECT folder_key, process_name, concurrency_key, COUNT(*) AS n FROM jobs
        WHERE tenant_id = ? AND process_name IN (${limitedNames.map(() => "?").join(", ")}) AND state IN ('Running', 'Stopping', 'Terminating')
        GROUP BY folder_key, process_name, concurrency_key`,
    ).all(session.tenantId, ...limitedNames) as Row[]).map((r) => ({ ...candidateFromRow(r), count: Number(r.n) }));
    const budget = new ConcurrencyBudget(limits, counts);
    const next = root.reader(
      `SELECT * FROM jobs WHERE tenant_id = ? AND state = 'Pending' AND process_name IN (${names}) ${folders}
         AND (not_before IS NULL OR not_before <= ?)
         AND folder_key || '/' || process_name NOT IN (SELECT value FROM json_each(?))
         AND (concurrency_key IS NULL OR folder_key || '/' || process_name || '/' || concurrency_key NOT IN (SELECT value FROM json_each(?)))
       ORDER BY priority DESC, seq ASC LIMIT CAST(? AS INTEGER)`,
    );
    const claimed: Job[] = [];
    for (;;) {
      const want = room - claimed.length;
      const rows = (next.statement.all(...scope, now, JSON.stringify(budget.fullProcesses()), JSON.stringify(budget.fullKeys()), want) as unknown[][]).map(next.row);
      for (const row of rows) if (budget.admit(candidateFromRow(row))) claimed.push(claimRow(row));
      if (rows.length < want || claimed.length >= room) return claimed;
    }
  }
}

/** a keyed job waiting for the group commit, and what its write found */
interface KeyedJob {
  job: Job;
  key: IdempotencyKeyRow;
  outcome: IdempotencyOutcome | null;
}
