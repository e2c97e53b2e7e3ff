import type { IdempotencyKeyRow, IdempotencyOutcome, JobFilter, JobPatch, JobStateCount, JobStore, RunningCount } from "../../core/store.js";
import type { JobCursor } from "../../core/listQuery.js";
import { LIST_FIELD_MAX_BYTES, isFinal, type Job, type JobAttempt, type JobListItem, type JobLogLine, type JobState, type RobotSession } from "../../core/types.js";
import type { Executor, Row } from "./Executor.js";
import { SqlAggregate } from "./SqlAggregate.js";
import { PRIORITY_NUMBER, attemptFromRow, bool, json, jobFromRow, parse, sessionFromRow, str, strOrNull } from "./rows.js";
import { Sql, sql } from "./sql.js";

/** The columns of `jobs` a list reads besides the three long ones. */
const JOB_LIST_COLUMNS = "seq, key, tenant_id, folder_key, process_name, trigger_id, source, call_mode, state, priority, robot, session_id, attempt, " +
  "created_at, started_at, ended_at, not_before, deadline_at, max_duration_seconds, info, idempotency_key, concurrency_key, time_trigger_id, time_trigger_slot";

/** A job read for a list (its long fields read as null when `truncated` says so) as a list item. */
function toJobListItem(job: Job, truncated: { input: boolean; output: boolean; error: boolean }): JobListItem {
  const { inputArguments, outputArguments, error, ...rest } = job;
  return {
    ...rest,
    ...(truncated.input ? { inputArgumentsTruncated: true as const } : { inputArguments }),
    ...(truncated.output ? { outputArgumentsTruncated: true as const } : { outputArguments }),
    ...(truncated.error ? { errorTruncated: true as const } : { error }),
  };
}

/** The columns of a new job's insert, in the order of `insertJobValues`. */
const INSERT_JOB_COLUMNS = ["key", "tenant_id", "folder_key", "process_name", "trigger_id", "source", "call_mode", "state", "priority", "input_arguments",
  "attempt", "created_at", "deadline_at", "max_duration_seconds", "info", "idempotency_key", "concurrency_key"];
/** the insert's text around its parameters: one array for every call, so its compiled text is cached like a template's */
const INSERT_JOB_TEXT = [`INSERT INTO jobs (${INSERT_JOB_COLUMNS.join(", ")}) VALUES (`, ...INSERT_JOB_COLUMNS.slice(1).map(() => ", "), ")"];

/** A new job's values for its insert, each bindable as it is (JSON as text). */
export function insertJobValues(j: Job): unknown[] {
  return [j.key, j.tenantId, j.folderKey, j.processName, j.triggerId, j.source, j.callMode, j.state, PRIORITY_NUMBER[j.priority],
    json(j.inputArguments), j.attempt, j.createdAt, j.deadlineAt, j.maxDurationSeconds, j.info, j.idempotencyKey, j.concurrencyKey ?? null];
}

/**
 * The insert of one new job: the shared path's, and the engines' group commits' (SQLite
 * runs its compiled text with `insertJobValues` straight away, the hot path of an invocation).
 */
export function insertJob(j: Job): Sql {
  return new Sql(INSERT_JOB_TEXT, insertJobValues(j));
}

/** what a recorded idempotency key holds */
export type StoredIdempotencyKey = { fingerprint: string; jobKey: string };

/**
 * A key's insert, taking over an expired row not yet purged (DO UPDATE ... WHERE) and leaving
 * a live one as it is: a row (`job_key`) only when the key is this call's. Every engine's
 * keyed path uses it (recordIdempotencyKey, SqliteStore and PostgresStore createJobOnce).
 */
export function insertIdempotencyKey(k: IdempotencyKeyRow): Sql {
  return sql`
    INSERT INTO idempotency_keys (tenant_id, scope, key, fingerprint, job_key, created_at, expires_at)
    VALUES (${k.tenantId}, ${k.scope}, ${k.key}, ${k.fingerprint}, ${k.jobKey}, ${k.createdAt}, ${k.expiresAt})
    ON CONFLICT (tenant_id, scope, key) DO UPDATE SET
      fingerprint = excluded.fingerprint, job_key = excluded.job_key, created_at = excluded.created_at, expires_at = excluded.expires_at
      WHERE idempotency_keys.expires_at <= excluded.created_at
    RETURNING job_key`;
}

/** the stored row of a key */
export function selectIdempotencyKey(k: Pick<IdempotencyKeyRow, "tenantId" | "scope" | "key">): Sql {
  return sql`SELECT fingerprint, job_key FROM idempotency_keys WHERE tenant_id = ${k.tenantId} AND scope = ${k.scope} AND key = ${k.key}`;
}

export function storedKeyFromRow(row: Row): StoredIdempotencyKey {
  return { fingerprint: str(row.fingerprint), jobKey: str(row.job_key) };
}

/** A column an update sets, or leaves as it is: [whether to set it, its new value]. */
type Change = readonly [boolean, unknown];
const change = (value: unknown, map: (v: unknown) => unknown = (v) => v): Change => (value === undefined ? [false, null] : [true, map(value)]);

/**
 * The index a list by seq reads when it filters on exactly one column that has one: its
 * (tenant_id, column, seq) order is the page's, from the first row or from the cursor on, so a
 * page costs its own rows whatever the store holds. With a choice, SQLite's planner goes by
 * averages: a rare process (say, 1 job in 10,000) looks as common as the average one, and a
 * deep page (`seq < cursor`) was read by walking the table back from the cursor, 25 ms at
 * 200,000 jobs (bench scenario 7). Two or more such filters: a bounded walk of one index
 * (drivingIndex), or the planner's choice when no bound is asked for.
 */
function listIndex(f: JobFilter): string | null {
  const filters: [boolean, string][] = [
    // as the WHERE clause takes them: an empty name is no filter
    [Boolean(f.processName), "jobs_process_seq"],
    [Boolean(f.triggerId), "jobs_trigger_seq"],
    [Boolean(f.timeTriggerId), "jobs_time_trigger"],
    [Boolean(f.folderKey), "jobs_folder_seq"],
    [f.state?.length === 1, "jobs_state_seq"],
  ];
  const given = filters.filter(([on]) => on);
  if (given.length !== 1 || (f.state?.length ?? 0) > 1 || f.folderKeys) return null;
  return given[0]![1];
}

/** a filter of the job list, named by the JobFilter field it comes from */
type ListFilter = keyof Pick<JobFilter, "state" | "processName" | "triggerId" | "timeTriggerId" | "folderKey" | "folderKeys">;

/**
 * The index a bounded list walks (see listJobs): the first filter that has an index of its
 * own, (tenant_id, column, seq) (a trigger's jobs are fewer than a process's, a process's than
 * a folder's; a user's one folder); null when there is none, and the list walks the
 * tenant's jobs by seq (jobs_tenant_seq).
 */
function drivingIndex(f: JobFilter): { index: string; replaces: ListFilter; column: string; value: unknown } | null {
  if (f.timeTriggerId) return { index: "jobs_time_trigger", replaces: "timeTriggerId", column: "time_trigger_id", value: f.timeTriggerId };
  if (f.triggerId) return { index: "jobs_trigger_seq", replaces: "triggerId", column: "trigger_id", value: f.triggerId };
  if (f.processName) return { index: "jobs_process_seq", replaces: "processName", column: "process_name", value: f.processName };
  if (f.folderKey) return { index: "jobs_folder_seq", replaces: "folderKey", column: "folder_key", value: f.folderKey };
  if (f.folderKeys?.length === 1) return { index: "jobs_folder_seq", replaces: "folderKeys", column: "folder_key", value: f.folderKeys[0] };
  if (f.state?.length === 1) return { index: "jobs_state_seq", replaces: "state", column: "state", value: f.state[0] };
  return null;
}

/**
 * Jobs, their logs and the robot sessions that run them, written once for both engines.
 * The claim is each engine's own (its locking differs), and so is the group commit of
 * `createJob`: the engines override those (src/store/sqlite, src/store/postgres).
 */
export abstract class JobsSql extends SqlAggregate implements JobStore {
  // ---- jobs

  /** One insert. Outside a transaction the engines batch new jobs instead (group commit). */
  async createJob(j: Job): Promise<void> {
    await this.db.run(insertJob(j));
  }

  async getJob(tenantId: string, key: string): Promise<Job | null> {
    const row = await this.db.one(sql`SELECT * FROM jobs WHERE tenant_id = ${tenantId} AND key = ${key}`);
    return row ? jobFromRow(row) : null;
  }

  /**
   * A page of jobs, newest first. One filter reads its own index (listIndex): every job it
   * looks at is on the page. A list no index answers alone (two or more filters, several
   * states, a user's folders; any filter within a time window) checks one index's jobs row
   * by row, and a combination that is rare while each part is common would walk every job
   * of the tenant (milliseconds per 10,000 jobs, with SQLite's event loop, the whole node,
   * blocked meanwhile). So such a page looks at `scanRows` jobs at most, in its own order
   * from its cursor on: when they hold fewer than `limit` matches, the page is short (even
   * empty) and its cursor goes on below the last job looked at. Bounded by a first walk of
   * the index alone (the `scanRows`-th job: its seq, or within a time window its creation
   * time and seq, an ordinary cursor), then the page's range. A user who sees no folder gets
   * one empty page and no cursor.
   */
  async listJobs(tenantId: string, f: JobFilter, limit: number, cursor: JobCursor | null, scanRows = Number.MAX_SAFE_INTEGER): Promise<{ items: JobListItem[]; next: JobCursor | null }> {
    // a user who sees no folder sees no job (and a walk would find none, scanRows jobs a page)
    if (f.folderKeys?.length === 0) return { items: [], next: null };
    // the rows' filters, and the walk's terms (the tenant, the time window, the cursor)
    const filters: [ListFilter, Sql][] = [];
    if (f.state?.length) filters.push(["state", sql`state IN ${sql.list(f.state)}`]);
    if (f.processName) filters.push(["processName", sql`process_name = ${f.processName}`]);
    if (f.triggerId) filters.push(["triggerId", sql`trigger_id = ${f.triggerId}`]);
    if (f.timeTriggerId) filters.push(["timeTriggerId", sql`time_trigger_id = ${f.timeTriggerId}`]);
    if (f.folderKey) filters.push(["folderKey", sql`folder_key = ${f.folderKey}`]);
    if (f.folderKeys) filters.push(["folderKeys", sql`folder_key IN ${sql.list(f.folderKeys)}`]);
    const walk = [sql`tenant_id = ${tenantId}`];
    if (f.createdAfter) walk.push(sql`created_at >= ${f.createdAfter}`);
    if (f.createdBefore) walk.push(sql`created_at < ${f.createdBefore}`);
    // a time window is read from the (tenant_id, created_at) index, newest first: ordered by
    // seq it would be found by scanning back from the newest job to the window
    const byTime = f.createdAfter !== undefined || f.createdBefore !== undefined;
    const bySeqCursor = cursor !== null && !byTime ? walk.push(sql`seq < ${cursor.seq}`) - 1 : -1;
    if (cursor !== null && byTime) {
      // a cursor without the time (handed out for the list by seq) starts after its job's creation
      const at = cursor.createdAt !== undefined ? sql`${cursor.createdAt}` : sql`(SELECT created_at FROM jobs WHERE seq = ${cursor.seq})`;
      // `created_at <= at` alone bounds the index walk (the OR below is a filter to both engines):
      // without it a deep page walked the window from its newest job down to the cursor
      walk.push(sql`created_at <= ${at} AND (created_at < ${at} OR (created_at = ${at} AND seq < ${cursor.seq}))`);
    }
    // the long columns are not read at all when long: the dialect tells long from short by the stored size
    const short = (column: string) => {
      const long = this.db.dialect.longerThan(column, LIST_FIELD_MAX_BYTES);
      return `CASE WHEN ${long} THEN NULL ELSE ${column} END AS ${column}, ${long} AS ${column}_long`;
    };
    let index = byTime ? null : listIndex(f);
    let order = byTime ? "created_at DESC, seq DESC" : "seq DESC";
    // a list checked row by row is bounded: its range ends at the scanRows-th job of its walk
    let floor: JobCursor | null = null;
    if (filters.length > 0 && index === null && scanRows < Number.MAX_SAFE_INTEGER) {
      const nth = sql`LIMIT 1 OFFSET CAST(${Math.max(0, scanRows - 1)} AS INTEGER)`;
      if (byTime) {
        // the window's walk, (tenant_id, created_at) newest first, then seq (jobs may share an
        // instant): the bound is the scanRows-th job's (created_at, seq), an ordinary cursor
        index = "jobs_created";
        const row = await this.db.one(sql`
          SELECT created_at, seq FROM jobs ${sql.raw(this.db.dialect.indexedBy(index))} WHERE ${sql.join(walk, sql` AND `)}
            ORDER BY created_at DESC, seq DESC ${nth}`);
        if (row) {
          const at = str(row.created_at);
          const seq = Number(row.seq);
          walk.push(sql`created_at >= ${at} AND (created_at > ${at} OR seq >= ${seq})`);
          floor = { seq, createdAt: at };
        }
      } else {
        // The page and its bound walk one index, in its order: SQLite told so (INDEXED BY).
        // PostgreSQL takes no hint: there the column is matched as a range of one value, and
        // the cursor and the bound are row values on (column, seq). An equality would make the
        // column a constant to its planner, which could then walk the primary key instead,
        // through every newer job of any process (measured: 50,000 rows for a page bounded at
        // 5,000); the row values start and stop the walk. SQLite, hinted, walks the plain form
        // faster (bench scenario 7, a rare combination at 200,000 jobs: 2.8 against 20 ms a page).
        const drive = drivingIndex(f);
        let bound: (seq: number) => Sql = (seq) => sql`seq >= ${seq}`;
        index = drive?.index ?? "jobs_tenant_seq";
        if (drive && this.db.dialect.indexedBy(drive.index) === "") {
          const column = sql.raw(drive.column);
          order = `${drive.column} DESC, seq DESC`;
          filters[filters.findIndex(([name]) => name === drive.replaces)] = [drive.replaces, sql`${column} >= ${drive.value} AND ${column} <= ${drive.value}`];
          if (bySeqCursor >= 0) walk[bySeqCursor] = sql`(${column}, seq) < (${drive.value}, ${cursor!.seq})`;
          bound = (seq) => sql`(${column}, seq) >= (${drive.value}, ${seq})`;
        }
        const driving = drive ? [filters.find(([name]) => name === drive.replaces)![1]] : [];
        const row = await this.db.one(sql`
          SELECT seq FROM jobs ${sql.raw(this.db.dialect.indexedBy(index))} WHERE ${sql.join([...walk, ...driving], sql` AND `)} ORDER BY ${sql.raw(order)} ${nth}`);
        if (row) {
          const seq = Number(row.seq);
          walk.push(bound(seq));
          floor = { seq };
        }
      }
    }
    const where = [...walk, ...filters.map(([, term]) => term)];
    const rows = await this.db.all(sql`
      SELECT ${sql.raw(JOB_LIST_COLUMNS)}, ${sql.raw(short("input_arguments"))}, ${sql.raw(short("output_arguments"))}, ${sql.raw(short("error"))}
        FROM jobs ${sql.raw(index ? this.db.dialect.indexedBy(index) : "")} WHERE ${sql.join(where, sql` AND `)} ORDER BY ${sql.raw(order)} LIMIT ${limit + 1}`);
    const page = rows.slice(0, limit).map((r) => toJobListItem(jobFromRow(r), { input: bool(r.input_arguments_long), output: bool(r.output_arguments_long), error: bool(r.error_long) }));
    const last = page[page.length - 1];
    const lastSeq = Number(rows[limit - 1]?.seq);
    if (rows.length > limit && last) return { items: page, next: { seq: lastSeq, ...(byTime ? { createdAt: last.createdAt } : {}) } };
    // a short page that ended at its bound: the jobs below it are still to be looked at
    return { items: page, next: floor };
  }

  /** the engine's own: SQLite counts slots in one write transaction, PostgreSQL locks the session and skips locked jobs */
  abstract claimJobs(session: RobotSession, max: number, now: string, longPollingMaxSeconds: number): Promise<Job[]>;

  async updateJob(tenantId: string | null, key: string, from: readonly JobState[], sessionId: string | null, patch: JobPatch): Promise<Job | null> {
    // one text for every patch, so that it is prepared once: a column the patch leaves out
    // keeps its value (CASE), `from` fills seven slots (there are seven states; NULL matches
    // nothing), a null tenant or session is no condition
    const f = [...new Set(from)];
    if (f.length > 7) throw new Error(`updateJob: ${f.length} states in 'from'`);
    const [output, error, endedAt, startedAt, info, session, robot, notBefore, attempt] = [
      change(patch.outputArguments, json), change(patch.error, json), change(patch.endedAt), change(patch.startedAt), change(patch.info),
      change(patch.sessionId), change(patch.robot), change(patch.notBefore), change(patch.attempt),
    ];
    // a final job has no deadline left, whatever the patch says
    const deadline: Change = isFinal(patch.state) ? [true, null] : change(patch.deadlineAt);
    // IS NOT DISTINCT FROM (the same as = for a non-null id) keeps PostgreSQL's planner on the
    // unique key index: with `session_id = $n` and young statistics (a new table, a new
    // session) it picks jobs_session, which holds every job the session ever ran
    const row = await this.db.one(sql`
      UPDATE jobs SET state = ${patch.state},
        output_arguments = CASE WHEN ${output[0]} THEN ${output[1]} ELSE output_arguments END,
        error = CASE WHEN ${error[0]} THEN ${error[1]} ELSE error END,
        ended_at = CASE WHEN ${endedAt[0]} THEN ${endedAt[1]} ELSE ended_at END,
        started_at = CASE WHEN ${startedAt[0]} THEN ${startedAt[1]} ELSE started_at END,
        info = CASE WHEN ${info[0]} THEN ${info[1]} ELSE info END,
        session_id = CASE WHEN ${session[0]} THEN ${session[1]} ELSE session_id END,
        robot = CASE WHEN ${robot[0]} THEN ${robot[1]} ELSE robot END,
        not_before = CASE WHEN ${notBefore[0]} THEN ${notBefore[1]} ELSE not_before END,
        attempt = CASE WHEN ${attempt[0]} THEN ${attempt[1]} ELSE attempt END,
        deadline_at = CASE WHEN ${deadline[0]} THEN ${deadline[1]} ELSE deadline_at END
      WHERE key = ${key} AND state IN (${f[0] ?? null}, ${f[1] ?? null}, ${f[2] ?? null}, ${f[3] ?? null}, ${f[4] ?? null}, ${f[5] ?? null}, ${f[6] ?? null})
        AND (CAST(${tenantId} AS text) IS NULL OR tenant_id = ${tenantId})
        AND (CAST(${sessionId} AS text) IS NULL OR session_id IS NOT DISTINCT FROM ${sessionId})
      RETURNING *`);
    return row ? jobFromRow(row) : null;
  }

  async jobsPastDeadline(now: string, limit: number): Promise<Job[]> {
    // LIMIT CAST(… AS INTEGER), not LIMIT ?: SQLite (3.47+) plans with a bound LIMIT's value
    // and re-prepares the statement whenever it changes
    const rows = await this.db.all(sql`
      SELECT * FROM jobs WHERE deadline_at IS NOT NULL AND deadline_at <= ${now} AND state NOT IN ('Successful', 'Faulted', 'Stopped')
       ORDER BY deadline_at LIMIT CAST(${limit} AS INTEGER)`);
    return rows.map(jobFromRow);
  }

  async expiredSessions(now: string): Promise<RobotSession[]> {
    return (await this.db.all(sql`SELECT * FROM robot_sessions WHERE lease_expires_at <= ${now}`)).map(sessionFromRow);
  }

  async jobsOfSession(sessionId: string): Promise<Job[]> {
    const rows = await this.db.all(sql`SELECT * FROM jobs WHERE session_id = ${sessionId} AND state NOT IN ('Successful', 'Faulted', 'Stopped', 'Pending')`);
    return rows.map(jobFromRow);
  }

  async countJobs(tenantId: string): Promise<number> {
    return Number((await this.db.one(sql`SELECT COUNT(*) AS n FROM jobs WHERE tenant_id = ${tenantId}`))!.n);
  }

  async countJobsByState(): Promise<JobStateCount[]> {
    const rows = await this.db.all(sql`SELECT tenant_id, process_name, state, COUNT(*) AS n FROM jobs GROUP BY tenant_id, process_name, state`);
    return rows.map((r) => ({ tenantId: str(r.tenant_id), processName: str(r.process_name), state: r.state as JobState, count: Number(r.n) }));
  }

  /** In one transaction (PostgreSQL overrides it with batches: a large backlog must not make one long statement). */
  async purgeFinalJobs(tenantId: string, endedBefore: string): Promise<number> {
    return this.atomically(async (db) => {
      await db.run(sql`
        DELETE FROM job_logs WHERE job_key IN (SELECT key FROM jobs WHERE tenant_id = ${tenantId} AND ended_at < ${endedBefore} AND state IN ('Successful', 'Faulted', 'Stopped'))`);
      await db.run(sql`
        DELETE FROM job_attempts WHERE job_key IN (SELECT key FROM jobs WHERE tenant_id = ${tenantId} AND ended_at < ${endedBefore} AND state IN ('Successful', 'Faulted', 'Stopped'))`);
      return db.run(sql`DELETE FROM jobs WHERE tenant_id = ${tenantId} AND ended_at < ${endedBefore} AND state IN ('Successful', 'Faulted', 'Stopped')`);
    });
  }

  // ---- attempts

  async recordAttempt(jobKey: string, a: JobAttempt): Promise<void> {
    // once per attempt: a repeat (a release retried after a failure half-way) keeps the first
    await this.db.run(sql`
      INSERT INTO job_attempts (job_key, attempt, robot, session_id, started_at, ended_at, outcome, error)
      VALUES (${jobKey}, ${a.attempt}, ${a.robot}, ${a.sessionId}, ${a.startedAt}, ${a.endedAt}, ${a.outcome}, ${json(a.error)})
      ON CONFLICT (job_key, attempt) DO NOTHING`);
  }

  async listAttempts(jobKey: string): Promise<JobAttempt[]> {
    return (await this.db.all(sql`SELECT * FROM job_attempts WHERE job_key = ${jobKey} ORDER BY attempt`)).map(attemptFromRow);
  }

  // ---- idempotency keys

  /** the engine's own: SQLite group-commits keyed jobs in one synchronous pass, PostgreSQL in one statement */
  abstract createJobOnce(job: Job, key: IdempotencyKeyRow): Promise<IdempotencyOutcome>;

  /** the stored fingerprint and job of a recorded key, or null when it is gone (purged as it expired) */
  protected async idempotencyKeyOf(k: IdempotencyKeyRow): Promise<StoredIdempotencyKey | null> {
    const row = await this.db.one(selectIdempotencyKey(k));
    return row ? storedKeyFromRow(row) : null;
  }

  async recordIdempotencyKey(k: IdempotencyKeyRow): Promise<IdempotencyOutcome> {
    // On PostgreSQL a racer's insert waits here for the transaction that inserted the same
    // key, then finds its row: the read after it sees the committed row (READ COMMITTED takes
    // a new snapshot per statement)
    if (await this.db.one(insertIdempotencyKey(k))) return { created: true };
    const existing = await this.idempotencyKeyOf(k);
    // gone between the two statements (purged as it expired): this call is the first again
    return existing ? { created: false, existing } : this.recordIdempotencyKey(k);
  }

  async purgeIdempotencyKeys(now: string): Promise<number> {
    return this.db.run(sql`DELETE FROM idempotency_keys WHERE expires_at <= ${now}`);
  }

  // ---- logs

  async appendLogs(jobKey: string, lines: Omit<JobLogLine, "seq">[]): Promise<void> {
    if (lines.length === 0) return;
    await this.atomically(async (db) => {
      // info first: the update takes the job row's lock (PostgreSQL), so concurrent appends to
      // one job take turns, and the next one reads the seq this one wrote
      await db.run(sql`UPDATE jobs SET info = ${lines[lines.length - 1]!.message.slice(0, 1000)} WHERE key = ${jobKey}`);
      const last = Number((await db.one(sql`SELECT COALESCE(MAX(seq), 0) AS s FROM job_logs WHERE job_key = ${jobKey}`))!.s);
      await this.insertLogLines(db, jobKey, last, lines);
    });
  }

  /** Inserts the lines as seq `after + 1`, `after + 2`, …: one insert each (PostgreSQL inserts them all in one statement). */
  protected async insertLogLines(db: Executor, jobKey: string, after: number, lines: Omit<JobLogLine, "seq">[]): Promise<void> {
    let seq = after;
    for (const l of lines) {
      await db.run(sql`INSERT INTO job_logs (job_key, seq, at, level, message) VALUES (${jobKey}, ${++seq}, ${l.at}, ${l.level}, ${l.message})`);
    }
  }

  async listLogs(jobKey: string, afterSeq: number, limit: number): Promise<JobLogLine[]> {
    const rows = await this.db.all(sql`
      SELECT seq, at, level, message FROM job_logs WHERE job_key = ${jobKey} AND seq > ${afterSeq} ORDER BY seq LIMIT CAST(${limit} AS INTEGER)`);
    return rows.map((r) => ({ seq: Number(r.seq), at: str(r.at), level: r.level as JobLogLine["level"], message: str(r.message) }));
  }

  // ---- robot sessions

  async createSession(s: RobotSession): Promise<void> {
    await this.db.run(sql`
      INSERT INTO robot_sessions (id, tenant_id, robot_key_id, robot_name, version, processes, slots, lease_expires_at, created_at, folder_keys)
      VALUES (${s.id}, ${s.tenantId}, ${s.robotKeyId}, ${s.robotName}, ${s.version}, ${json(s.processes)}, ${s.slots}, ${s.leaseExpiresAt}, ${s.createdAt}, ${json(s.folderKeys)})`);
  }

  async getSession(tenantId: string, id: string): Promise<RobotSession | null> {
    const row = await this.db.one(sql`SELECT * FROM robot_sessions WHERE tenant_id = ${tenantId} AND id = ${id}`);
    return row ? sessionFromRow(row) : null;
  }

  async extendSession(id: string, leaseExpiresAt: string): Promise<boolean> {
    return (await this.db.run(sql`UPDATE robot_sessions SET lease_expires_at = ${leaseExpiresAt} WHERE id = ${id}`)) > 0;
  }

  async deleteSession(id: string): Promise<void> {
    await this.db.run(sql`DELETE FROM robot_sessions WHERE id = ${id}`);
  }

  async listSessions(tenantId: string): Promise<(RobotSession & { slotsInUse: number })[]> {
    const rows = await this.db.all(sql`
      SELECT s.*, (SELECT COUNT(*) FROM jobs j WHERE j.session_id = s.id AND j.state IN ('Running', 'Stopping', 'Terminating')) AS slots_in_use
        FROM robot_sessions s WHERE s.tenant_id = ${tenantId} ORDER BY s.created_at`);
    return rows.map((r) => ({ ...sessionFromRow(r), slotsInUse: Number(r.slots_in_use) }));
  }

  async liveSessionScopes(tenantId: string, now: string): Promise<{ processes: string[]; folderKeys: string[] | null }[]> {
    const rows = await this.db.all(sql`SELECT processes, folder_keys FROM robot_sessions WHERE tenant_id = ${tenantId} AND lease_expires_at > ${now}`);
    return rows.map((r) => ({ processes: parse<string[]>(r.processes) ?? [], folderKeys: parse<string[]>(r.folder_keys) }));
  }

  async runningCounts(tenantId: string, processNames: readonly string[]): Promise<RunningCount[]> {
    if (processNames.length === 0) return [];
    const rows = await this.db.all(sql`
      SELECT folder_key, process_name, concurrency_key, COUNT(*) AS n FROM jobs
       WHERE tenant_id = ${tenantId} AND process_name IN ${sql.list(processNames)} AND state IN ('Running', 'Stopping', 'Terminating')
       GROUP BY folder_key, process_name, concurrency_key`);
    return rows.map((r) => ({ folderKey: str(r.folder_key), processName: str(r.process_name), concurrencyKey: strOrNull(r.concurrency_key), count: Number(r.n) }));
  }

  async countRobotSessions(now: string): Promise<{ sessions: number; slots: number }> {
    const r = (await this.db.one(sql`SELECT COUNT(*) AS n, COALESCE(SUM(slots), 0) AS slots FROM robot_sessions WHERE lease_expires_at > ${now}`))!;
    return { sessions: Number(r.n), slots: Number(r.slots) };
  }
}
