import pg from "pg";
import type { IdempotencyKeyRow, IdempotencyOutcome, JobPatch, NewDueWork } from "../../core/store.js";
import { isFinal, type Job, type JobLogLine, type JobState, type RobotSession } from "../../core/types.js";
import type { WebhookAttempt, WebhookDelivery, WebhookDeliveryState } from "../../core/webhooks/types.js";
import { insertIdempotencyKey, insertJob, insertJobValues } from "../sql/JobsSql.js";
import { GroupCommit, type Pending } from "../sql/GroupCommit.js";
import type { Executor, Row } from "../sql/Executor.js";
import { claimCall, claimWithinLimits, limitedAnswer } from "./claimQueries.js";
import { SqlStore } from "../sql/SqlStore.js";
import { endDeliveryWorkSql, recordAttemptSql } from "../sql/WebhooksSql.js";
import { PRIORITY_NUMBER, jobFromRow, json } from "../sql/rows.js";
import { sql } from "../sql/sql.js";
import { PostgresExecutor, postgresTypes } from "./PostgresExecutor.js";
import { translatePostgresError } from "./driverErrors.js";
import { migratePostgres } from "./migrate.js";

/** new jobs inserted by one statement at most */
const INSERT_BATCH = 1000;
/** at most this many works in one shared transaction (their statements take turns on its connection) */
const TOGETHER_BATCH = 64;


/**
 * New jobs as one array per column, unnested into rows: one statement, one round trip, one
 * plan, one commit for a batch. Named: prepared once per connection.
 */
const INSERT_JOBS = {
  name: "baton_insert_jobs",
  text: `INSERT INTO jobs (key, tenant_id, folder_key, process_name, trigger_id, source, call_mode, state, priority, input_arguments,
           attempt, created_at, deadline_at, max_duration_seconds, info, concurrency_key)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::smallint[],
           $10::json[], $11::integer[], $12::timestamptz[], $13::timestamptz[], $14::integer[], $15::text[], $16::text[])`,
};

/**
 * Changes of jobs, a batch in one statement: each row of the JSON array is one `updateJob`
 * (its conditions, and its patch as flags and values: a column whose flag is false keeps its
 * value), and each job changed comes back with its place in the batch. The keys of a batch
 * are distinct (the caller sees to it: one row is changed once in a statement).
 */
const UPDATE_JOBS = {
  name: "baton_update_jobs",
  text: `UPDATE jobs j SET state = p.state,
           output_arguments = CASE WHEN p.set_output THEN CAST(p.output AS json) ELSE j.output_arguments END,
           error = CASE WHEN p.set_error THEN CAST(p.error AS json) ELSE j.error END,
           ended_at = CASE WHEN p.set_ended_at THEN p.ended_at ELSE j.ended_at END,
           started_at = CASE WHEN p.set_started_at THEN p.started_at ELSE j.started_at END,
           info = CASE WHEN p.set_info THEN p.info ELSE j.info END,
           session_id = CASE WHEN p.set_session THEN p.new_session ELSE j.session_id END,
           robot = CASE WHEN p.set_robot THEN p.robot ELSE j.robot END,
           not_before = CASE WHEN p.set_not_before THEN p.not_before ELSE j.not_before END,
           attempt = CASE WHEN p.set_attempt THEN p.attempt ELSE j.attempt END,
           deadline_at = CASE WHEN p.set_deadline_at THEN p.deadline_at ELSE j.deadline_at END
         FROM json_to_recordset($1::json) AS p(i integer, key text, tenant_id text, session_id text, from_states text[], state text,
           set_output boolean, output text, set_error boolean, error text, set_ended_at boolean, ended_at timestamptz,
           set_started_at boolean, started_at timestamptz, set_info boolean, info text, set_session boolean, new_session text,
           set_robot boolean, robot text, set_not_before boolean, not_before timestamptz, set_attempt boolean, attempt integer,
           set_deadline_at boolean, deadline_at timestamptz)
        WHERE j.key = p.key AND j.state = ANY(p.from_states)
          AND (p.tenant_id IS NULL OR j.tenant_id = p.tenant_id)
          AND (p.session_id IS NULL OR j.session_id IS NOT DISTINCT FROM p.session_id)
        RETURNING j.*, p.i AS batch_index`,
};

/** New deliveries, a batch in one statement (in a transaction of works written together). */
const INSERT_DELIVERIES = {
  name: "baton_insert_deliveries",
  text: `INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_type, job_key, payload, state, created_at, next_attempt_at, retry_until, delivered_at, attempts)
         SELECT id, tenant_id, webhook_id, event_type, job_key, payload, state, created_at, next_attempt_at, retry_until, NULL, CAST('[]' AS jsonb)
           FROM json_to_recordset($1::json) AS d(id text, tenant_id text, webhook_id text, event_type text, job_key text, payload text, state text,
                                                 created_at timestamptz, next_attempt_at timestamptz, retry_until timestamptz)`,
};

/** Due work, a batch in one statement, as DueWorkSql.scheduleWork each (the ids of a batch are distinct). */
const INSERT_DUE_WORK = {
  name: "baton_insert_due_work",
  text: `INSERT INTO due_work (id, kind, tenant_id, ref, due_at, attempts, created_at, leased_by, lease_until)
         SELECT id, kind, tenant_id, ref, due_at, 0, created_at, leased_by, lease_until
           FROM json_to_recordset($1::json) AS w(id text, kind text, tenant_id text, ref text, due_at timestamptz, created_at timestamptz, leased_by text, lease_until timestamptz)
         ON CONFLICT (id) DO UPDATE SET due_at = excluded.due_at, leased_by = excluded.leased_by, lease_until = excluded.lease_until`,
};

/**
 * Ends of delivery attempts, a batch in one statement, each as `endDeliveryAttempt`: the
 * attempt appended to its delivery, and the due row, if its owner still leases it, put back
 * (Pending with a next attempt) or deleted; the place in the batch of each due row ended
 * comes back. The deliveries of a batch are distinct.
 */
const END_DELIVERY_ATTEMPTS = {
  name: "baton_end_delivery_attempts",
  text: `WITH e AS (
           SELECT * FROM json_to_recordset($1::json) AS e(i integer, id text, attempt jsonb, state text, next_attempt_at timestamptz, work_id text, owner text)
         ), recorded AS (
           UPDATE webhook_deliveries d SET attempts = d.attempts || jsonb_build_array(e.attempt), state = e.state, next_attempt_at = e.next_attempt_at,
             delivered_at = CASE WHEN e.state = 'Delivered' THEN CAST(e.attempt->>'at' AS timestamptz) ELSE d.delivered_at END
             FROM e WHERE d.id = e.id
         ), put_back AS (
           UPDATE due_work w SET due_at = e.next_attempt_at, leased_by = NULL, lease_until = NULL, attempts = w.attempts + 1
             FROM e WHERE w.id = e.work_id AND w.leased_by = e.owner AND e.state = 'Pending' AND e.next_attempt_at IS NOT NULL
           RETURNING e.i
         ), deleted AS (
           DELETE FROM due_work w USING e
            WHERE w.id = e.work_id AND w.leased_by = e.owner AND NOT (e.state = 'Pending' AND e.next_attempt_at IS NOT NULL)
           RETURNING e.i
         )
         SELECT i FROM put_back UNION ALL SELECT i FROM deleted`,
};

/** `batch` in runs of distinct ids, in order: a second entry of an id goes in a later run (one statement changes a row once) */
function distinctRuns<T>(batch: T[], id: (item: T) => string): T[][] {
  const runs: T[][] = [];
  let rest = batch;
  while (rest.length > 0) {
    const seen = new Set<string>();
    const run: T[] = [];
    const later: T[] = [];
    for (const b of rest) {
      (seen.has(id(b)) ? later : run).push(b);
      seen.add(id(b));
    }
    runs.push(run);
    rest = later;
  }
  return runs;
}

/**
 * A batch's statement (`batched`, which settles every entry), or, when it fails on a row (a
 * data or constraint error, a conflict: SQLSTATE class 22, 23, 40; 0A: a plan prepared before
 * a newer node's migration), each entry on its own (`one`, which settles it), so only a bad
 * entry's caller sees an error. Anything else (the store unreachable, the pool exhausted)
 * fails them all, without piling up more queries.
 */
async function batchedOrAlone<T>(run: Pending<T>[], batched: () => Promise<void>, one: (b: Pending<T>) => Promise<void>): Promise<void> {
  if (run.length === 1) return one(run[0]!);
  try {
    await batched();
  } catch (err) {
    const code = String((err as { code?: unknown }).code ?? "");
    if (!["22", "23", "40", "0A"].some((c) => code.startsWith(c))) {
      const translated = translatePostgresError(err);
      for (const b of run) b.reject(translated);
      return;
    }
    await Promise.all(run.map(one));
  }
}

/** one `updateJob` as a row of UPDATE_JOBS's JSON array */
function updateJobRow(i: number, u: JobUpdate): Record<string, unknown> {
  const { patch } = u;
  const set = (name: string, value: unknown, map: (v: unknown) => unknown = (v) => v) =>
    (value === undefined ? { [`set_${name}`]: false } : { [`set_${name}`]: true, [name]: map(value) });
  return {
    i, key: u.key, tenant_id: u.tenantId, session_id: u.sessionId, from_states: u.from, state: patch.state,
    ...set("output", patch.outputArguments, json), ...set("error", patch.error, json), ...set("ended_at", patch.endedAt),
    ...set("started_at", patch.startedAt), ...set("info", patch.info), ...set("robot", patch.robot), ...set("not_before", patch.notBefore),
    ...set("attempt", patch.attempt),
    // a final job has no deadline left, whatever the patch says (as JobsSql.updateJob)
    ...(isFinal(patch.state) ? { set_deadline_at: true, deadline_at: null } : set("deadline_at", patch.deadlineAt)),
    ...(patch.sessionId === undefined ? { set_session: false } : { set_session: true, new_session: patch.sessionId }),
  };
}

/**
 * Keyed jobs, a batch in one statement: each key inserted (or an expired one taken over),
 * and the jobs of the keys that were inserted. The keys of a batch are distinct (the caller
 * sees to it: ON CONFLICT cannot touch one row twice in a statement).
 */
const INSERT_KEYED_JOBS = {
  name: "baton_insert_keyed_jobs",
  text: `WITH input AS (
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::smallint[],
             $10::json[], $11::integer[], $12::timestamptz[], $13::timestamptz[], $14::integer[], $15::text[], $16::text[], $17::text[],
             $18::text[], $19::text[], $20::timestamptz[], $21::timestamptz[])
             AS i(key, tenant_id, folder_key, process_name, trigger_id, source, call_mode, state, priority, input_arguments, attempt, created_at,
                  deadline_at, max_duration_seconds, info, idempotency_key, concurrency_key, scope, fingerprint, key_created_at, key_expires_at)),
         k AS (
           INSERT INTO idempotency_keys (tenant_id, scope, key, fingerprint, job_key, created_at, expires_at)
           SELECT tenant_id, scope, idempotency_key, fingerprint, key, key_created_at, key_expires_at FROM input
           ON CONFLICT (tenant_id, scope, key) DO UPDATE SET
             fingerprint = excluded.fingerprint, job_key = excluded.job_key, created_at = excluded.created_at, expires_at = excluded.expires_at
             WHERE idempotency_keys.expires_at <= excluded.created_at
           RETURNING job_key)
         INSERT INTO jobs (key, tenant_id, folder_key, process_name, trigger_id, source, call_mode, state, priority, input_arguments,
                           attempt, created_at, deadline_at, max_duration_seconds, info, idempotency_key, concurrency_key)
         SELECT key, tenant_id, folder_key, process_name, trigger_id, source, call_mode, state, priority, input_arguments,
                attempt, created_at, deadline_at, max_duration_seconds, info, idempotency_key, concurrency_key
           FROM input WHERE key IN (SELECT job_key FROM k)
         RETURNING key`,
};

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
/** final jobs deleted per purge statement, so that no purge statement runs long */
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
      // synchronous_commit on whatever the server's default: a 202 is on disk before it is sent
      // read committed whatever the database's default: the claim counts a session's jobs in a
      // statement after it waits for the session's lock, which must see the jobs committed meanwhile
      options: `-c search_path=${schema} -c synchronous_commit=on -c default_transaction_isolation=read\\ committed`,
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

  /** the batched inserts of new jobs: none is lost when the pool closes */
  protected async beforeClose(): Promise<void> {
    await this.jobInserts.drain();
    await this.keyedInserts.drain();
    await this.jobUpdates.drain();
    await this.togethers.drain();
    await this.attemptEnds.drain();
  }

  // ---- jobs: the group commit of new jobs

  /**
   * Group commit, as in the SQLite store: the jobs created in the same event-loop turn are
   * inserted by one statement (one round trip, one plan, one commit instead of one each), in
   * the order they came. Each promise still resolves only once its job is committed. If the
   * batch fails on a bad row, each job is inserted on its own, so only a bad job's caller
   * sees an error. Inside an open transaction the job is inserted at once, as part of it.
   */
  override createJob(j: Job): Promise<void> {
    // the batch's insert (INSERT_JOBS) leaves out idempotency_key: a keyed job, always
    // created in a transaction with its key, is inserted alone anyway
    if (this.db.inTransaction || j.idempotencyKey !== null) return super.createJob(j);
    return this.jobInserts.add(j);
  }

  private readonly jobInserts = new GroupCommit<Job>((batch) => this.insertJobs(batch), INSERT_BATCH);

  /**
   * Keyed jobs, group-committed like new jobs: the keyed calls of one turn of the event loop
   * in one statement (INSERT_KEYED_JOBS: one round trip, atomic as any statement), each
   * key's insert and the job's only when the key was new (or expired). A racer's insert of the
   * same key waits for the first statement's commit, then finds the key taken and reads it;
   * two calls with one key in one batch: the second goes after the batch, and finds the
   * first's. Inside an open transaction, at once, as part of it.
   */
  override createJobOnce(job: Job, key: IdempotencyKeyRow): Promise<IdempotencyOutcome> {
    if (this.db.inTransaction) return this.keyedOne(job, key);
    const item: KeyedJob = { job, key, outcome: null };
    return this.keyedInserts.add(item).then(() => item.outcome!);
  }

  private readonly keyedInserts = new GroupCommit<KeyedJob>((batch) => this.insertKeyedJobs(batch), INSERT_BATCH);

  /**
   * Reads of one job each, as the robot protocol makes one for every result reported (is the
   * job still this session's?): those of one turn of the event loop in one statement, one
   * round trip for the batch instead of one each (a turn under load carries dozens). Inside an
   * open transaction, at once, on its connection.
   */
  override getJob(tenantId: string, key: string): Promise<Job | null> {
    if (this.db.inTransaction) return super.getJob(tenantId, key);
    const item: JobRead = { tenantId, key, job: null };
    return this.jobReads.add(item).then(() => item.job);
  }

  private readonly jobReads = new GroupCommit<JobRead>((batch) => this.readJobs(batch), INSERT_BATCH);

  private async readJobs(batch: Pending<JobRead>[]): Promise<void> {
    if (batch.length === 1) {
      const b = batch[0]!;
      b.item.job = await super.getJob(b.item.tenantId, b.item.key);
      b.resolve();
      return;
    }
    const keys = [...new Set(batch.map((b) => b.item.key))];
    // the keys as one JSON array (the executor sends arrays as JSON)
    const rows = await this.executor.all(sql`SELECT * FROM jobs WHERE key = ANY(ARRAY(SELECT jsonb_array_elements_text(${keys}::jsonb)))`);
    const byKey = new Map(rows.map((r) => [String(r.key), r]));
    for (const b of batch) {
      const row = byKey.get(b.item.key);
      // another tenant's job of the same key is not this caller's
      b.item.job = row && row.tenant_id === b.item.tenantId ? jobFromRow(row) : null;
      b.resolve();
    }
  }

  /**
   * Work written together (a job's change and its event's deliveries, SPEC §8): the works of
   * one turn of the event loop in one transaction, each answered once it commits. One
   * BEGIN and one COMMIT (one WAL flush) for the turn's jobs instead of one pair each, and
   * one connection of the pool instead of one each. If a work fails, its statements have
   * aborted the transaction: nothing of the batch is kept, and each work runs again in a
   * transaction of its own, so only its caller sees the error. Inside an open transaction,
   * part of it.
   */
  override writeTogether<T>(work: () => Promise<T>): Promise<T> {
    if (this.db.inTransaction) return work();
    const item: Together = { work, result: undefined };
    return this.togethers.add(item).then(() => item.result as T);
  }

  private readonly togethers = new GroupCommit<Together>((batch) => this.writeTogethers(batch), TOGETHER_BATCH);

  private async writeTogethers(batch: Pending<Together>[]): Promise<void> {
    const alone = (b: Pending<Together>) => this.inTransaction(b.item.work).then((result) => { b.item.result = result; b.resolve(); }, b.reject);
    if (batch.length === 1) return alone(batch[0]!);
    const workFailed = new Error("a work of the batch failed");
    try {
      const results = await this.inTransaction(async () => {
        this.shared.set(this.db, this.sharedBatches(this.db as PostgresExecutor));
        const settled = await Promise.allSettled(batch.map((b) => b.item.work()));
        if (settled.some((s) => s.status === "rejected")) throw workFailed;
        return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value);
      });
      batch.forEach((b, i) => { b.item.result = results[i]; b.resolve(); });
    } catch (err) {
      // the transaction itself failed (BEGIN or COMMIT: the store unreachable): no second try
      if (err !== workFailed) {
        for (const b of batch) b.reject(err);
        return;
      }
      await Promise.all(batch.map(alone));
    }
  }

  /** the batches of each transaction shared by works written together */
  private readonly shared = new WeakMap<Executor, SharedBatches>();

  /**
   * In a transaction shared by works written together, the works' changes of jobs, new
   * deliveries and due rows of one turn each go in one statement (the works make them in
   * step: a turn's works change their jobs, then record their deliveries): five statements
   * for the turn (BEGIN, three, COMMIT), whatever the number of jobs. A statement that fails
   * fails the works that made it, and so the transaction; each work runs again alone.
   */
  private sharedBatches(tx: PostgresExecutor): SharedBatches {
    return {
      updates: new GroupCommit<JobUpdate>(async (batch) => {
        for (const run of distinctRuns(batch, (b) => b.item.key)) await this.runUpdateJobs(tx, run);
      }),
      deliveries: new GroupCommit<NewDelivery>(async (batch) => {
        await tx.prepared({ ...INSERT_DELIVERIES, values: [JSON.stringify(batch.map(({ item: d }) => ({
          id: d.id, tenant_id: d.tenantId, webhook_id: d.webhookId, event_type: d.type, job_key: d.jobKey, payload: d.payload, state: d.state,
          created_at: d.createdAt, next_attempt_at: d.nextAttemptAt, retry_until: d.retryUntil,
        })))] });
        for (const b of batch) b.resolve();
      }),
      dueWork: new GroupCommit<NewDueWork>(async (batch) => {
        for (const run of distinctRuns(batch, (b) => b.item.id)) {
          await tx.prepared({ ...INSERT_DUE_WORK, values: [JSON.stringify(run.map(({ item: w }) => ({
            id: w.id, kind: w.kind, tenant_id: w.tenantId, ref: w.ref, due_at: w.dueAt, created_at: w.createdAt, leased_by: w.leasedBy ?? null, lease_until: w.leaseUntil ?? null,
          })))] });
          for (const b of run) b.resolve();
        }
      }),
    };
  }

  /** the shared transaction's batches, when this call runs in one */
  private sharedNow(): SharedBatches | undefined {
    const db = this.db;
    return db.inTransaction ? this.shared.get(db) : undefined;
  }

  override createDelivery(d: NewDelivery): Promise<void> {
    const shared = this.sharedNow();
    return shared ? shared.deliveries.add(d) : super.createDelivery(d);
  }

  override scheduleWork(w: NewDueWork): Promise<void> {
    const shared = this.sharedNow();
    return shared ? shared.dueWork.add(w) : super.scheduleWork(w);
  }

  /**
   * Changes of one job each (a result reported, a job stopped, a retry scheduled): those of
   * one turn of the event loop in one statement (UPDATE_JOBS), each answered with its own job
   * or null, as one `updateJob` would be. A second change of the same job in the batch goes
   * after it, and sees the first's. If the statement fails on a row (bad data, a conflict,
   * a deadlock with another node's batch), each change is made on its own, so only a bad
   * one's caller sees an error. Inside an open transaction, at once, on its connection.
   */
  override updateJob(tenantId: string | null, key: string, from: readonly JobState[], sessionId: string | null, patch: JobPatch): Promise<Job | null> {
    const f = [...new Set(from)];
    if (f.length > 7) return super.updateJob(tenantId, key, f, sessionId, patch);
    const item: JobUpdate = { tenantId, key, from: f, sessionId, patch, job: null };
    if (this.db.inTransaction) {
      const shared = this.sharedNow();
      return shared ? shared.updates.add(item).then(() => item.job) : super.updateJob(tenantId, key, f, sessionId, patch);
    }
    return this.jobUpdates.add(item).then(() => item.job);
  }

  private readonly jobUpdates = new GroupCommit<JobUpdate>((batch) => this.updateJobs(batch), INSERT_BATCH);

  private async updateJobs(batch: Pending<JobUpdate>[]): Promise<void> {
    const one = (b: Pending<JobUpdate>) => {
      const u = b.item;
      return super.updateJob(u.tenantId, u.key, u.from, u.sessionId, u.patch).then((job) => { u.job = job; b.resolve(); }, b.reject);
    };
    // a job changed twice in the turn: its second change after the batch, on its own
    const [first, ...later] = distinctRuns(batch, (b) => b.item.key);
    await batchedOrAlone(first!, () => this.runUpdateJobs(this.executor, first!), one);
    for (const b of later.flat()) await one(b);
  }

  /** UPDATE_JOBS for changes of distinct jobs, each answered with its job (or null) */
  private async runUpdateJobs(db: PostgresExecutor, run: Pending<JobUpdate>[]): Promise<void> {
    const result = await db.prepared({ ...UPDATE_JOBS, values: [JSON.stringify(run.map((b, i) => updateJobRow(i, b.item)))] });
    const changed = new Map(result.rows.map(({ batch_index: i, ...row }) => [Number(i), row as Row]));
    run.forEach((b, i) => {
      const row = changed.get(i);
      b.item.job = row ? jobFromRow(row) : null;
      b.resolve();
    });
  }

  private async insertKeyedJobs(batch: Pending<KeyedJob>[]): Promise<void> {
    // one call per key in the statement; a repeated key waits for the batch
    const [first, ...later] = distinctRuns(batch, (b) => `${b.item.key.tenantId}\u0000${b.item.key.scope}\u0000${b.item.key.key}`);
    const one = (b: Pending<KeyedJob>) => this.keyedOne(b.item.job, b.item.key).then((outcome) => { b.item.outcome = outcome; b.resolve(); }, b.reject);
    await batchedOrAlone(first!, async () => {
      const column = <T>(pick: (b: KeyedJob) => T) => first!.map((b) => pick(b.item));
      const v = first!.map((b) => insertJobValues(b.item.job));
      const at = (i: number) => v.map((row) => row[i]);
      const result = await this.pool.query<{ key: string }>({
        ...INSERT_KEYED_JOBS,
        values: [...Array.from({ length: 17 }, (_, i) => at(i)), column((b) => b.key.scope), column((b) => b.key.fingerprint),
          column((b) => b.key.createdAt), column((b) => b.key.expiresAt)],
      });
      const created = new Set(result.rows.map((r) => r.key));
      await Promise.all(first!.map(async (b) => {
        if (created.has(b.item.job.key)) {
          b.item.outcome = { created: true };
          b.resolve();
          return;
        }
        try {
          const existing = await this.idempotencyKeyOf(b.item.key);
          if (existing) {
            b.item.outcome = { created: false, existing };
            b.resolve();
          } else await one(b); // purged as it expired, between the two: this call is the first again
        } catch (err) {
          b.reject(translatePostgresError(err));
        }
      }));
    }, one);
    await Promise.all(later.flat().map(one));
  }

  /** A keyed job and its key in one statement: the key's insert, and the job's only when the key was new (or expired). */
  private async keyedOne(job: Job, key: IdempotencyKeyRow): Promise<IdempotencyOutcome> {
    const [jobKey, tenantId, folderKey, processName, triggerId, source, callMode, state, priority, input, attempt, createdAt, deadlineAt, maxDuration, info, idempotencyKey, concurrencyKey] = insertJobValues(job);
    const inserted = await this.db.one(sql`
      WITH k AS (${insertIdempotencyKey(key)})
      INSERT INTO jobs (key, tenant_id, folder_key, process_name, trigger_id, source, call_mode, state, priority, input_arguments,
                        attempt, created_at, deadline_at, max_duration_seconds, info, idempotency_key, concurrency_key)
      SELECT CAST(${jobKey} AS text), CAST(${tenantId} AS text), CAST(${folderKey} AS text), CAST(${processName} AS text), CAST(${triggerId} AS text),
             CAST(${source} AS text), CAST(${callMode} AS text), CAST(${state} AS text), CAST(${priority} AS smallint), CAST(${input} AS json),
             CAST(${attempt} AS integer), CAST(${createdAt} AS timestamptz), CAST(${deadlineAt} AS timestamptz), CAST(${maxDuration} AS integer),
             CAST(${info} AS text), CAST(${idempotencyKey} AS text), CAST(${concurrencyKey} AS text)
       WHERE EXISTS (SELECT 1 FROM k)
      RETURNING key`);
    if (inserted) return { created: true };
    const existing = await this.idempotencyKeyOf(key);
    // gone between the two statements (purged as it expired): this call is the first again
    return existing ? { created: false, existing } : this.keyedOne(job, key);
  }


  private async insertJobs(batch: Pending<Job>[]): Promise<void> {
    const column = <T>(pick: (j: Job) => T) => batch.map((b) => pick(b.item));
    await batchedOrAlone(batch, async () => {
      await this.pool.query({
        ...INSERT_JOBS,
        values: [column((j) => j.key), column((j) => j.tenantId), column((j) => j.folderKey), column((j) => j.processName), column((j) => j.triggerId),
          column((j) => j.source), column((j) => j.callMode), column((j) => j.state), column((j) => PRIORITY_NUMBER[j.priority]),
          column((j) => json(j.inputArguments)), column((j) => j.attempt), column((j) => j.createdAt), column((j) => j.deadlineAt),
          column((j) => j.maxDurationSeconds), column((j) => j.info), column((j) => j.concurrencyKey ?? null)],
      });
      for (const b of batch) b.resolve();
    }, (b) => this.executor.run(insertJob(b.item)).then(() => b.resolve(), b.reject));
  }

  // ---- jobs: the claim

  /**
   * An attempt's end in one statement (no transaction): the attempt recorded in a
   * data-modifying CTE, then the due row ended. The ends of one turn of the event loop go in
   * one statement (END_DELIVERY_ATTEMPTS), each answered as its own would be; a batch that
   * fails on a row runs again one by one. Inside an open transaction, at once.
   */
  override endDeliveryAttempt(id: string, attempt: WebhookAttempt, state: WebhookDeliveryState, nextAttemptAt: string | null, work: { id: string; owner: string }): Promise<boolean> {
    if (this.db.inTransaction) return this.endDeliveryAttemptNow(id, attempt, state, nextAttemptAt, work);
    const item: AttemptEnd = { id, attempt, state, nextAttemptAt, work, ended: false };
    return this.attemptEnds.add(item).then(() => item.ended);
  }

  private async endDeliveryAttemptNow(id: string, attempt: WebhookAttempt, state: WebhookDeliveryState, nextAttemptAt: string | null, work: { id: string; owner: string }): Promise<boolean> {
    return (await this.db.run(sql`WITH attempt AS (${recordAttemptSql(this.db.dialect, id, attempt, state, nextAttemptAt)}) ${endDeliveryWorkSql(state, nextAttemptAt, work)}`)) > 0;
  }

  private readonly attemptEnds = new GroupCommit<AttemptEnd>((batch) => this.endDeliveryAttempts(batch), INSERT_BATCH);

  private async endDeliveryAttempts(batch: Pending<AttemptEnd>[]): Promise<void> {
    const one = (b: Pending<AttemptEnd>) => {
      const e = b.item;
      return this.endDeliveryAttemptNow(e.id, e.attempt, e.state, e.nextAttemptAt, e.work).then((ended) => { e.ended = ended; b.resolve(); }, b.reject);
    };
    for (const run of distinctRuns(batch, (b) => b.item.id)) {
      await batchedOrAlone(run, async () => {
        const result = await this.executor.prepared({ ...END_DELIVERY_ATTEMPTS, values: [JSON.stringify(run.map(({ item: e }, i) => ({
          i, id: e.id, attempt: e.attempt, state: e.state, next_attempt_at: e.nextAttemptAt, work_id: e.work.id, owner: e.work.owner,
        })))] });
        const ended = new Set(result.rows.map((r) => Number(r.i)));
        run.forEach((b, i) => { b.item.ended = ended.has(i); b.resolve(); });
      }, one);
    }
  }

  /**
   * One round trip: the function baton_claim (migration 000011, `claimCall`) takes the
   * session's row lock (it holds off a concurrent close until this claim is committed, and
   * makes the claims of one session take turns: the next one counts the jobs this one took,
   * so a session never holds more jobs than its slots), then picks the jobs (FOR UPDATE SKIP
   * LOCKED: concurrent sessions never get the same job and never wait for each other) and sets
   * them Running. A session with a limited process (SPEC §9) is answered so, and claims in a
   * transaction: the function again (the session's lock, held now to the end), then the
   * limited claim. Inside the caller's transaction (a job.started subscription), in it.
   */
  override async claimJobs(session: RobotSession, max: number, now: string, longPollingMaxSeconds: number): Promise<Job[]> {
    if (max <= 0 || session.processes.length === 0) return [];
    let rows = await this.db.all(claimCall(session, max, now, longPollingMaxSeconds));
    if (limitedAnswer(rows)) {
      rows = await this.atomically(async (db) => {
        const again = await db.all(claimCall(session, max, now, longPollingMaxSeconds));
        return limitedAnswer(again) ? claimWithinLimits(db, session, max, now, longPollingMaxSeconds) : again;
      });
    }
    return rows.sort((a, b) => Number(b.priority) - Number(a.priority) || Number(a.seq) - Number(b.seq)).map(jobFromRow);
  }

  // ---- purge and logs

  /** In batches: a first purge of a large backlog is many short statements, none near statement_timeout. */
  override async purgeFinalJobs(tenantId: string, endedBefore: string): Promise<number> {
    let purged = 0;
    for (;;) {
      // one statement per batch: the jobs picked (and locked), their logs and themselves deleted
      const n = await this.db.run(sql`
        WITH picked AS (
          SELECT key FROM jobs WHERE tenant_id = ${tenantId} AND ended_at < ${endedBefore} AND state IN ('Successful', 'Faulted', 'Stopped')
           LIMIT ${PURGE_BATCH} FOR UPDATE SKIP LOCKED
        ), logs AS (
          DELETE FROM job_logs WHERE job_key IN (SELECT key FROM picked)
        ), attempts AS (
          DELETE FROM job_attempts WHERE job_key IN (SELECT key FROM picked)
        )
        DELETE FROM jobs WHERE key IN (SELECT key FROM picked)`);
      purged += n;
      if (n < PURGE_BATCH) return purged;
    }
  }

  /** All lines in one statement, numbered by their place in the JSON array. */
  protected override async insertLogLines(db: Executor, jobKey: string, after: number, lines: Omit<JobLogLine, "seq">[]): Promise<void> {
    await db.run(sql`
      INSERT INTO job_logs (job_key, seq, at, level, message)
      SELECT ${jobKey}, CAST(${after} AS integer) + o, CAST(l->>'at' AS timestamptz), l->>'level', l->>'message'
        FROM json_array_elements(CAST(${json(lines.map((l) => ({ at: l.at, level: l.level, message: l.message })))} AS json)) WITH ORDINALITY AS x(l, o)`);
  }
}

/** an attempt's end waiting for the batch, and whether its due row was still its owner's */
interface AttemptEnd {
  id: string;
  attempt: WebhookAttempt;
  state: WebhookDeliveryState;
  nextAttemptAt: string | null;
  work: { id: string; owner: string };
  ended: boolean;
}

/** a new delivery, as the store's createDelivery takes it */
type NewDelivery = Omit<WebhookDelivery, "attempts" | "deliveredAt">;

/** the statements batched in a transaction shared by works written together */
interface SharedBatches {
  updates: GroupCommit<JobUpdate>;
  deliveries: GroupCommit<NewDelivery>;
  dueWork: GroupCommit<NewDueWork>;
}

/** work to write together with the rest of its turn's, and what it returned */
interface Together {
  work: () => Promise<unknown>;
  result: unknown;
}

/** a change of one job waiting for the batch, and the job it changed (null: none) */
interface JobUpdate {
  tenantId: string | null;
  key: string;
  from: JobState[];
  sessionId: string | null;
  patch: JobPatch;
  job: Job | null;
}

/** a read of one job, answered with the batch */
interface JobRead {
  tenantId: string;
  key: string;
  job: Job | null;
}

/** a keyed job waiting for the group commit, and what its write found */
interface KeyedJob {
  job: Job;
  key: IdempotencyKeyRow;
  outcome: IdempotencyOutcome | null;
}
