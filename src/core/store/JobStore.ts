import type { JobCursor } from "../listQuery.js";
import type { Job, JobAttempt, JobError, JobListItem, JobLogLine, JobState, JsonObject, RobotSession } from "../types.js";

/** Jobs, their logs, and the robot sessions that run them. */
export interface JobStore {
  // jobs
  createJob(job: Job): Promise<void>;
  getJob(tenantId: string, key: string): Promise<Job | null>;
  /**
   * A page of jobs, newest first: by seq, or, filtered by creation time, by `createdAt` then
   * seq (an index on the time reaches a window deep in the table at once; the cursor then
   * holds the last job's creation time too). inputArguments, outputArguments and error
   * longer than LIST_FIELD_MAX_BYTES are not read from the store at all: the item flags them.
   * A list that checks jobs row by row (two or more filters, several
   * states, a user's folders; any filter within a time window) looks at `scanRows` jobs at
   * most (none: no bound): fewer than `limit` matches among them make a short page, even an
   * empty one, whose `next` goes on below the last job looked at.
   */
  listJobs(tenantId: string, filter: JobFilter, limit: number, cursor: JobCursor | null, scanRows?: number): Promise<{ items: JobListItem[]; next: JobCursor | null }>;
  /**
   * Pending jobs of the session's processes, highest priority first, then oldest; each to
   * one session only. A claimed job's deadline is the earlier of `createdAt +
   * longPollingMaxSeconds` (LongPolling jobs) and `now + maxDurationSeconds`.
   */
  claimJobs(session: RobotSession, max: number, now: string, longPollingMaxSeconds: number): Promise<Job[]>;
  /**
   * Conditional state change: applies `patch` only if the job is in one of `from` (and,
   * when `sessionId` is given, still belongs to that session). Returns the job after the
   * change, or null when the condition did not hold. This is how a final state is written
   * exactly once.
   */
  updateJob(tenantId: string | null, key: string, from: readonly JobState[], sessionId: string | null, patch: JobPatch): Promise<Job | null>;
  /** Non-final jobs whose deadline has passed. */
  jobsPastDeadline(now: string, limit: number): Promise<Job[]>;
  /** Running jobs of sessions whose lease ran out, and the sessions themselves. */
  expiredSessions(now: string): Promise<RobotSession[]>;
  jobsOfSession(sessionId: string): Promise<Job[]>;
  countJobs(tenantId: string): Promise<number>;
  /** jobs of every tenant, counted by tenant, process and state (/metrics, at scrape time) */
  countJobsByState(): Promise<JobStateCount[]>;
  purgeFinalJobs(tenantId: string, endedBefore: string): Promise<number>;

  // attempts (SPEC §8 "Retries")
  /** Keeps an attempt that did not end its job (retried, lost, handed back); write it in the transaction that releases the job. */
  recordAttempt(jobKey: string, attempt: JobAttempt): Promise<void>;
  /** the kept attempts of a job, by attempt number */
  listAttempts(jobKey: string): Promise<JobAttempt[]>;

  // idempotency keys (SPEC §8)
  /**
   * Records a key's first call, unless the key is already recorded and has not expired
   * (`expiresAt` of the stored row after `row.createdAt`): then the stored fingerprint and job.
   * Call it in the transaction that creates the job: racers with the same key wait for it and
   * then find its row.
   */
  recordIdempotencyKey(row: IdempotencyKeyRow): Promise<IdempotencyOutcome>;
  /**
   * Creates `job` unless its idempotency key (`key`, whose jobKey is the job's) is recorded
   * and has not expired; then the stored fingerprint and job, and nothing is written. The key
   * and the job are written together at the least cost the engine allows (one statement on
   * PostgreSQL, one synchronous write on SQLite; no transaction around them); a racer with
   * the same key waits for the first and then finds its row. Inside an open transaction, part of it.
   */
  createJobOnce(job: Job, key: IdempotencyKeyRow): Promise<IdempotencyOutcome>;
  /** forgets the keys that expired at `now`; returns how many */
  purgeIdempotencyKeys(now: string): Promise<number>;

  // logs
  appendLogs(jobKey: string, lines: Omit<JobLogLine, "seq">[]): Promise<void>;
  listLogs(jobKey: string, afterSeq: number, limit: number): Promise<JobLogLine[]>;

  // robot sessions
  createSession(session: RobotSession): Promise<void>;
  getSession(tenantId: string, id: string): Promise<RobotSession | null>;
  extendSession(id: string, leaseExpiresAt: string): Promise<boolean>;
  deleteSession(id: string): Promise<void>;
  /** the tenant's sessions, each with the number of jobs it holds */
  listSessions(tenantId: string): Promise<(RobotSession & { slotsInUse: number })[]>;
  /** robot sessions of every tenant whose lease runs past `now`, and their slots (/metrics) */
  countRobotSessions(now: string): Promise<{ sessions: number; slots: number }>;

  // concurrency limits (SPEC §9)
  /** the processes (and folders, null: all) that the tenant's live sessions serve: pendingReason's NoRobot */
  liveSessionScopes(tenantId: string, now: string): Promise<{ processes: string[]; folderKeys: string[] | null }[]>;
  /** jobs Running, Stopping or Terminating of these process names, counted by folder, process and concurrency key */
  runningCounts(tenantId: string, processNames: readonly string[]): Promise<RunningCount[]>;
}

export interface RunningCount {
  folderKey: string;
  processName: string;
  concurrencyKey: string | null;
  count: number;
}

/** A key's first call (`created`), or the fingerprint and job of the call that recorded it. */
export type IdempotencyOutcome = { created: true } | { created: false; existing: { fingerprint: string; jobKey: string } };

export interface IdempotencyKeyRow {
  tenantId: string;
  /** `trigger:<id>` for an invocation, `process:<folderKey>/<processName>` for POST /jobs */
  scope: string;
  key: string;
  fingerprint: string;
  jobKey: string;
  createdAt: string;
  expiresAt: string;
}

export interface JobStateCount {
  tenantId: string;
  processName: string;
  state: JobState;
  count: number;
}

export interface JobFilter {
  state?: JobState[];
  processName?: string;
  triggerId?: string;
  timeTriggerId?: string;
  folderKey?: string;
  /** only jobs of these folders (a user's visible folders); absent: every folder */
  folderKeys?: string[];
  createdAfter?: string;
  createdBefore?: string;
}

export interface JobPatch {
  state: JobState;
  outputArguments?: JsonObject | null;
  error?: JobError | null;
  endedAt?: string | null;
  startedAt?: string | null;
  info?: string | null;
  sessionId?: string | null;
  robot?: string | null;
  notBefore?: string | null;
  attempt?: number;
  deadlineAt?: string | null;
}
