import { randomUUID } from "node:crypto";
import { unstorable } from "./arguments.js";
import { boundedInteger, clampedIso, isoAfter, MAX_SESSION_PROCESSES, unsafeNameCharacter } from "./bounds.js";
import { nameProblem } from "./catalogInput.js";
import type { Clock } from "./Clock.js";
import { BatonError, badRequest, committed, conflict, isStoreUnavailable, notFound, type Violation } from "./errors.js";
import { HELD_STATES } from "./jobState.js";
import type { Jobs } from "./Jobs.js";
import { truncateLine } from "./logLines.js";
import type { Notifier } from "./notifier.js";
import type { Retries } from "./Retries.js";
import { validateAgainst } from "./schemas.js";
import type { Store } from "./store.js";
import type { Tenancy } from "./Tenancy.js";
import { TtlCache } from "./TtlCache.js";
import type { Catalog } from "./Catalog.js";
import type { Job, JobError, JobState, JsonObject, RobotSession, RobotSessionView, StopStrategy } from "./types.js";

export interface SessionOptions {
  heartbeatSeconds: number;
  leaseSeconds: number;
}

/**
 * The states from which a robot's complete or fail is recorded as such: not Terminating,
 * since after a Kill whatever the robot reports is recorded as Stopped (docs/robot-protocol.md).
 */
const RESULT_FROM: readonly JobState[] = ["Running", "Stopping"];

export const DEFAULT_SESSION_OPTIONS: SessionOptions = { heartbeatSeconds: 5, leaseSeconds: 15 };

/**
 * How long a node keeps a robot session it read (every robot request names one). A session's
 * fields never change once opened; it only ends, and the node that ends it tells every node
 * (`sessionEnded`), so this only bounds how long a missed event matters.
 */
export const SESSION_CACHE_MS = 5_000;

/** the most slots a robot session may offer */
export const MAX_SESSION_SLOTS = 100_000;

export interface HeartbeatAnswer {
  leaseExpiresAt: string;
  stop: string[];
  kill: string[];
  /** jobs the robot reported that are no longer this session's: it must drop them */
  lost: string[];
}

/**
 * The orchestrator's side of the robot protocol (SPEC §3): sessions, claims, heartbeats and
 * results. The in-process robot calls it directly; external robots reach it over HTTP.
 */
export class Robots {
  constructor(
    private readonly store: Store,
    private readonly notifier: Notifier,
    private readonly tenancy: Tenancy,
    private readonly catalog: Catalog,
    private readonly jobs: Jobs,
    private readonly clock: Clock,
    private readonly retries: Retries,
    readonly options: SessionOptions = DEFAULT_SESSION_OPTIONS,
    /** where a failure that must not stop the work around it goes (a session that could not be closed) */
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    notifier.subscribe("sessionEnded", (e) => this.forgetSession(e.tenantId, e.sessionId));
    notifier.onMissedEvents(() => { this.sessionReads += 1; this.sessions.clear(); });
  }

  /**
   * Sessions as read by `sessionOrThrow`, so that a robot's requests (claims, results, logs)
   * cost no read of their session each. Nothing relies on the copy for a session being alive:
   * the claim checks the session in its own statement, a result or log is refused unless the
   * job is the session's, and an answer that would rest on the copy alone (an empty claim, a
   * refusal, a close) reads the session again first (`confirmSession`).
   */
  private readonly sessions = new TtlCache<RobotSession>(SESSION_CACHE_MS);
  /** bumped whenever a session ends here or events were missed: a read begun before it is not cached */
  private sessionReads = 0;

  /**
   * The jobs this node's claims handed out, by key: what of a job never changes (its tenant,
   * folder and process) and the session it was handed to, so that the robot's `complete` needs
   * no read of the job. The result's write checks what may have changed (still Running or
   * Stopping, still this session's) and, when it matches nothing, the job is read to say why
   * (killed meanwhile: Stopped; else refused), as before. Entries go when the result is
   * written; a job whose result never comes (its session lost) leaves a stale entry, which is
   * only ever a hint: past CLAIMED_MAX entries the map starts again.
   */
  private readonly claimed = new Map<string, ClaimedJob>();

  private forgetSession(tenantId: string, id: string): void {
    this.sessionReads += 1;
    this.sessions.delete(`${tenantId}\n${id}`);
  }

  private sessionEnded(session: RobotSession): void {
    this.forgetSession(session.tenantId, session.id);
    this.notifier.publish("sessionEnded", { tenantId: session.tenantId, sessionId: session.id });
  }

  private now(): Date {
    return this.clock.now();
  }

  async openSession(
    tenantId: string,
    input: { robotName?: unknown; processes?: unknown; slots?: unknown; version?: unknown },
    robotKeyId: string | null = null,
    folderKeys: string[] | null = null,
  ): Promise<RobotSession> {
    const { robotName, processes, slots, version } = input;
    const problems: Violation[] = [];
    if (typeof robotName !== "string" || robotName.length === 0 || robotName.length > 200) problems.push({ path: "/robotName", message: "must be a string of 1 to 200 characters" });
    else {
      const unsafe = unsafeNameCharacter(robotName);
      if (unsafe) problems.push({ path: "/robotName", message: unsafe });
    }
    if (!Array.isArray(processes) || processes.length > MAX_SESSION_PROCESSES) {
      problems.push({ path: "/processes", message: `must be an array of at most ${MAX_SESSION_PROCESSES} process names` });
    } else {
      processes.forEach((p, i) => {
        const problem = nameProblem(p);
        if (problem !== null) problems.push({ path: `/processes/${i}`, message: `is not a process name: ${problem}` });
      });
    }
    if (boundedInteger(slots, 1, MAX_SESSION_SLOTS) === null) problems.push({ path: "/slots", message: `must be an integer from 1 to ${MAX_SESSION_SLOTS}` });
    if (version !== undefined && version !== null && (typeof version !== "string" || version.length > 100 || unsafeNameCharacter(version))) {
      problems.push({ path: "/version", message: "must be a string of at most 100 characters without control, bidirectional or zero-width characters" });
    }
    if (problems.length) throw badRequest("invalid-session", problems.map((p) => `${p.path.slice(1)} ${p.message}`).join("; "), { violations: problems });
    const at = this.now();
    const session: RobotSession = {
      id: randomUUID(), tenantId, robotKeyId, folderKeys, robotName: robotName as string, version: typeof version === "string" ? version : null,
      processes: [...new Set(processes as string[])], slots: slots as number,
      leaseExpiresAt: this.leaseFrom(at), createdAt: at.toISOString(),
    };
    await this.store.createSession(session);
    this.jobs.forgetServedProcesses(tenantId);
    return session;
  }

  async sessionOrThrow(tenantId: string, id: string): Promise<RobotSession> {
    const key = `${tenantId}\n${id}`;
    const cached = this.sessions.get(key);
    if (cached) return cached;
    const reads = this.sessionReads;
    const session = await this.store.getSession(tenantId, id);
    if (!session) throw sessionGone();
    if (reads === this.sessionReads) this.sessions.set(key, session);
    return session;
  }

  /**
   * Throws 404 session-not-found unless the store still has the session: for the answers that
   * would otherwise rest on a cached copy only (an empty claim, a refused result, a close),
   * so that a session ended on another node is told as ended even before its event arrives.
   */
  async confirmSession(session: RobotSession): Promise<void> {
    if (await this.store.getSession(session.tenantId, session.id)) return;
    this.forgetSession(session.tenantId, session.id);
    throw sessionGone();
  }

  /**
   * Claims up to `max` jobs for the session, waiting up to `waitMs` for one to become
   * available. The wait is woken by `jobAvailable` events for the session's processes.
   */
  async claim(session: RobotSession, max: number, waitMs: number, signal?: AbortSignal): Promise<Job[]> {
    const deadline = this.now().getTime() + waitMs;
    for (;;) {
      let wake: (() => void) | null = null;
      let woken = false;
      const served = new Set(session.processes);
      const onEvent = () => { woken = true; wake?.(); };
      const unsubscribeAvailable = this.notifier.subscribe("jobAvailable", (e) => {
        if (e.tenantId === session.tenantId && served.has(e.processName)) onEvent();
      });
      const unsubscribeMissed = this.notifier.onMissedEvents(onEvent);
      const unsubscribe = () => { unsubscribeAvailable(); unsubscribeMissed(); };
      try {
        const jobs = await this.claimNow(session, max);
        if (jobs.length > 0) return jobs;
        const remaining = deadline - this.now().getTime();
        if (remaining <= 0 || signal?.aborted) return [];
        if (!woken) await this.wakeable(remaining, signal, (done) => { wake = done; });
      } finally {
        unsubscribe();
      }
      if (signal?.aborted) return [];
    }
  }

  async claimNow(session: RobotSession, max: number): Promise<Job[]> {
    const syncMax = (await this.tenancy.getSettings(session.tenantId)).syncMaxJobDurationSeconds;
    // webhooks (issue 16): job.started recorded in the claim's transaction, when the tenant has such a subscription
    const jobs = await this.jobs.webhooks.aroundAll(session.tenantId, "job.started", () => this.store.claimJobs(session, max, this.now().toISOString(), syncMax));
    if (jobs.length > 0) {
      if (this.claimed.size + jobs.length > CLAIMED_MAX) this.claimed.clear();
      for (const j of jobs) this.claimed.set(j.key, { sessionId: session.id, tenantId: j.tenantId, folderKey: j.folderKey, processName: j.processName });
      this.notifier.publish("jobsChanged", { tenantId: session.tenantId });
      for (const listener of this.claimListeners) {
        try { listener(jobs); } catch { /* metrics must never lose a claimed job */ }
      }
    }
    return jobs;
  }

  private readonly claimListeners = new Set<(jobs: readonly Job[]) => void>();

  /** Metrics: `listener` sees every batch of claimed jobs, on the claim path (keep it cheap). Returns the unsubscribe. */
  onClaimed(listener: (jobs: readonly Job[]) => void): () => void {
    this.claimListeners.add(listener);
    return () => { this.claimListeners.delete(listener); };
  }

  /**
   * Extends the lease; tells the robot which of its jobs to stop, kill, or drop. With
   * `waitMs`, and nothing to tell yet, it waits up to that long for a stop or kill request
   * of this session, so stops reach a robot at once rather than at its next heartbeat.
   */
  async heartbeat(session: RobotSession, jobInfo: Record<string, string | undefined> = {}, waitMs = 0, signal?: AbortSignal): Promise<HeartbeatAnswer> {
    if (waitMs <= 0) return this.heartbeatNow(session, jobInfo);
    // listen before looking, so a stop requested between the look and the wait is not missed
    let requested = false;
    let wake: (() => void) | null = null;
    const onStop = () => { requested = true; wake?.(); };
    const unsubscribeStop = this.notifier.subscribe("stopRequested", (e) => { if (e.sessionId === session.id) onStop(); });
    // after a gap in cross-node events, a stop may have been missed: look again
    const unsubscribeMissed = this.notifier.onMissedEvents(onStop);
    const unsubscribe = () => { unsubscribeStop(); unsubscribeMissed(); };
    try {
      let answer = await this.heartbeatNow(session, jobInfo);
      if (hasNews(answer)) return answer;
      // the lease, the info lines and any release just written are committed before the wait:
      // its answer leaves in a later turn, after their batch, whose failure it would not see
      // (a 200 for a lease SQLite rolled back); a failed commit answers 503 at once
      await committed(this.store);
      const deadline = this.now().getTime() + Math.min(waitMs, this.options.leaseSeconds * 500);
      // answer about the same jobs (a job killed for its deadline is no longer held: it is `lost`), without logging their info twice
      const sameJobs = Object.fromEntries(Object.keys(jobInfo).map((k) => [k, undefined]));
      for (;;) {
        const remaining = deadline - this.now().getTime();
        if (!requested && remaining > 0 && !signal?.aborted) await this.wakeable(remaining, signal, (done) => { wake = done; });
        if (!requested) return answer;
        requested = false;
        const again = await this.heartbeatNow(session, sameJobs);
        // the lease it wrote is committed before it is answered or waited on (as the first look's)
        await committed(this.store);
        // woken with nothing to tell (a gap in cross-node events, or a stop already answered):
        // the wait goes on, so that a stop requested later still reaches the robot at once (a
        // heartbeat answered early leaves the robot without one until its next period)
        if (hasNews(again) || signal?.aborted || deadline - this.now().getTime() <= 0) return again;
        answer = again;
      }
    } finally {
      unsubscribe();
    }
  }

  /**
   * Waits `ms` on the core's clock, or until `signal` aborts, or until the function handed to
   * `onWake` is called (a claim's or heartbeat's event), whichever comes first.
   */
  private wakeable(ms: number, signal: AbortSignal | undefined, onWake: (wake: () => void) => void): Promise<void> {
    return new Promise<void>((resolve) => {
      const cancelTimer = this.clock.setTimeout(() => done(), ms);
      const done = () => { cancelTimer(); signal?.removeEventListener("abort", done); resolve(); };
      onWake(done);
      signal?.addEventListener("abort", done, { once: true });
      if (signal?.aborted) done();
    });
  }

  private async heartbeatNow(session: RobotSession, jobInfo: Record<string, string | undefined>): Promise<HeartbeatAnswer> {
    const leaseExpiresAt = this.leaseFrom(this.now());
    if (!(await this.store.extendSession(session.id, leaseExpiresAt))) {
      this.forgetSession(session.tenantId, session.id);
      throw sessionGone();
    }
    const held = new Map((await this.store.jobsOfSession(session.id)).map((j) => [j.key, j]));
    const answer: HeartbeatAnswer = { leaseExpiresAt, stop: [], kill: [], lost: [] };
    for (const [key, info] of Object.entries(jobInfo)) {
      const job = held.get(key);
      if (!job) answer.lost.push(key);
      else if (info) {
        await this.store.appendLogs(key, [{ at: this.now().toISOString(), level: "info", message: truncateLine(info).replaceAll("\u0000", "\ufffd") }]);
        this.notifier.publish("jobsChanged", { tenantId: session.tenantId });
      }
    }
    const now = this.now().getTime();
    for (const job of held.values()) {
      // A job the session holds but the robot does not list, well after it was claimed, is no
      // longer the robot's: its claim's answer was lost with a node or a connection, or the
      // robot ran it and then dropped it (a result it could not deliver). Which one cannot be
      // told from here, so it is treated as lost: retried per the process's retry policy, the
      // attempt counted, rather than left Running under a live session forever.
      if (!(job.key in jobInfo) && job.startedAt && now - Date.parse(job.startedAt) > this.options.leaseSeconds * 1000) {
        // the release and its retry's wake-up: one transaction
        await this.store.transaction(() => this.releaseJob(job, "unlisted"));
        continue;
      }
      if (job.state === "Stopping") answer.stop.push(job.key);
      if (job.state === "Terminating") answer.kill.push(job.key);
    }
    return answer;
  }

  async log(session: RobotSession, jobKey: string, lines: { level?: "info" | "error"; message: string; at?: string }[]): Promise<void> {
    await this.heldOrThrow(session, jobKey);
    const at = this.now().toISOString();
    // NUL cannot be stored (PostgreSQL text); a log line is kept with U+FFFD in its place.
    // `at` was checked by the caller (parseInstant): here it is only normalized, never trusted to parse
    await this.store.appendLogs(jobKey, lines.map((l) => ({ at: l.at === undefined ? at : clampedIso(Date.parse(l.at)), level: l.level ?? "info", message: truncateLine(l.message).replaceAll("\u0000", "\ufffd") })));
    this.notifier.publish("jobsChanged", { tenantId: session.tenantId });
  }

  async complete(session: RobotSession, jobKey: string, outputArguments: unknown): Promise<Job> {
    // a job this node handed to this session: known without a read (the write below checks it is still held)
    const known = this.claimed.get(jobKey);
    const handedHere = known !== undefined && known.sessionId === session.id;
    const job = handedHere ? known : await this.heldOrThrow(session, jobKey);
    const invalid = invalidOutput(outputArguments);
    if (invalid) {
      // a job no longer held is refused first, as when it is read first
      if (handedHere) await this.heldOrThrow(session, jobKey);
      throw invalid;
    }
    // killed: what the robot reports is recorded as Stopped (a job known here that was killed
    // meanwhile fails the write below, and is stopped by killedMeanwhile)
    if ("state" in job && job.state === "Terminating") return this.stopped(session, jobKey);
    const process = await this.catalog.processOrThrow(job.tenantId, job.folderKey, job.processName).catch(() => null);
    const error = process?.outputSchema ? outputProblem(process.outputSchema, outputArguments as JsonObject) : null;
    const finished = error
      ? await this.jobs.finish(job.tenantId, jobKey, session.id, { state: "Faulted", from: RESULT_FROM, error })
      : await this.jobs.finish(job.tenantId, jobKey, session.id, { state: "Successful", from: RESULT_FROM, outputArguments: outputArguments as JsonObject });
    this.claimed.delete(jobKey);
    return finished ?? this.killedMeanwhile(session, jobKey);
  }

  async fail(session: RobotSession, jobKey: string, error: unknown): Promise<Job> {
    this.claimed.delete(jobKey);
    const job = await this.heldOrThrow(session, jobKey);
    const e = (typeof error === "object" && error !== null ? error : {}) as Partial<JobError>;
    // what cannot be kept, every fault listed (the rest is read leniently: a code that is not a string is ProcessFailed)
    const problems: Violation[] = [];
    const sentences: string[] = [];
    const bad = unstorable(e);
    if (bad) {
      const path = `/error${bad.path === "/" ? "" : bad.path}`;
      problems.push({ path, message: bad.message });
      sentences.push(`${path.slice(1)} ${bad.message}.`);
    }
    const flag: unknown = (e as { retryable?: unknown }).retryable;
    if (flag !== undefined && typeof flag !== "boolean" && !problems.some((p) => p.path === "/error/retryable")) {
      problems.push({ path: "/error/retryable", message: "must be a boolean" });
      sentences.push("error.retryable must be a boolean.");
    }
    if (problems.length) throw badRequest("invalid-error", sentences.join(" "), { violations: problems });
    if (job.state === "Terminating") return this.stopped(session, jobKey);
    const code = typeof e.code === "string" && e.code ? e.code.slice(0, 200) : "ProcessFailed";
    const message = typeof e.message === "string" ? e.message.slice(0, 10_000) : "The process failed.";
    // retried per the process's policy, unless the robot says trying again cannot help
    const { job: ended } = await this.retries.endAttempt(job, {
      error: { code, message, ...(e.details === undefined ? {} : { details: e.details }) },
      retryable: flag !== false,
      cause: `Attempt ${job.attempt} failed with ${code}: ${truncateLine(message).slice(0, 200)}`,
      from: RESULT_FROM,
    });
    return ended ?? this.killedMeanwhile(session, jobKey);
  }

  async stopped(session: RobotSession, jobKey: string): Promise<Job> {
    this.claimed.delete(jobKey);
    const job = await this.heldOrThrow(session, jobKey);
    const finished = await this.jobs.finish(job.tenantId, jobKey, session.id, { state: "Stopped" });
    return finished ?? this.refuse(session, jobKey);
  }

  /**
   * Ends a session: its jobs go back to Pending, or fault, per the process's retry policy.
   * One transaction: the session is gone and every job it held released, or nothing changed
   * (a store failing half-way leaves the session, whose lease then runs out and is closed
   * again); no job stays Running under a session that no longer exists (SPEC §3).
   */
  async closeSession(session: RobotSession, reason: "closed" | "lost" = "closed"): Promise<void> {
    await this.store.transaction(async (tx) => {
      // the session goes first: a claim racing with this close then either sees no session (and
      // claims nothing) or committed before, and its jobs are among those released below
      await tx.deleteSession(session.id);
      for (const job of await tx.jobsOfSession(session.id)) await this.releaseJob(job, reason);
    });
    this.sessionEnded(session);
    this.jobs.forgetServedProcesses(session.tenantId);
  }

  /** Sessions whose lease ran out lose their jobs (SPEC §3). */
  async expireLeases(): Promise<number> {
    const expired = await this.store.expiredSessions(this.now().toISOString());
    for (const session of expired) {
      try {
        await this.closeSession(session, "lost");
      } catch (err) {
        // one session that cannot be closed (its transaction rolled back: its jobs stay with it,
        // and the next tick tries again) must not keep the others' jobs Running; an outage
        // stops the round, every session would fail alike
        if (isStoreUnavailable(err)) throw err;
        this.onError(new Error(`Closing the lost robot session ${session.id} failed; its jobs stay with it until a later tick closes it.`, { cause: err }));
      }
    }
    return expired.length;
  }

  /**
   * Revoking a robot key ends its sessions: their jobs go back to Pending (or fault). Called
   * inside the revocation's transaction, the key and its sessions end together.
   */
  async endSessionsOfKey(robotKeyId: string): Promise<void> {
    for (const session of await this.store.sessionsOfRobotKey(robotKeyId)) await this.closeSession(session, "closed");
  }

  async listSessions(tenantId: string): Promise<RobotSessionView[]> {
    const leaseMs = this.options.leaseSeconds * 1000;
    return (await this.store.listSessions(tenantId)).map((s) => ({
      ...s,
      lastHeartbeatAt: new Date(Math.max(Date.parse(s.createdAt), Date.parse(s.leaseExpiresAt) - leaseMs)).toISOString(),
    }));
  }

  /**
   * A job leaves its session without a result. `closed`: the robot closed its session (or
   * its key was revoked or rotated); the job goes back to Pending whatever the retry policy.
   * `lost`: the session's lease ran out; `unlisted`: the robot stopped listing the job in its
   * heartbeats. Those two go back to Pending while attempts remain, and fault with RobotLost
   * otherwise. In every case the attempt the job was on stays counted: the robot may have
   * started it, so its next run is attempt n+1 (docs/robot-protocol.md, "Attempts").
   */
  private async releaseJob(job: Job, reason: "closed" | "lost" | "unlisted"): Promise<void> {
    this.claimed.delete(job.key);
    const robot = job.robot ?? "?";
    if (job.state === "Stopping" || job.state === "Terminating") {
      await this.jobs.finish(job.tenantId, job.key, job.sessionId, {
        state: "Stopped",
        info: reason === "unlisted" ? `Robot ${robot} no longer listed it in its heartbeats.` : "The robot session ended while the job was stopping.",
      });
      return;
    }
    if (reason === "closed") {
      await this.retries.handBack(job);
      return;
    }
    await this.retries.endAttempt(job, {
      error: (maxAttempts) => ({
        code: "RobotLost",
        message: reason === "lost"
          ? `Robot ${robot} stopped heartbeating while running the job (attempt ${job.attempt} of ${maxAttempts}).`
          : `Robot ${robot} no longer listed the job in its heartbeats (attempt ${job.attempt} of ${maxAttempts}).`,
      }),
      retryable: true,
      cause: reason === "lost" ? `Robot ${robot} was lost` : `Robot ${robot} no longer listed it in its heartbeats`,
    });
  }

  private async heldOrThrow(session: RobotSession, jobKey: string): Promise<Job> {
    const job = await this.store.getJob(session.tenantId, jobKey);
    if (!job || job.sessionId !== session.id || !HELD_STATES.includes(job.state)) return this.refuse(session, jobKey);
    return job;
  }

  /**
   * A result's write found the job no longer Running or Stopping. When a kill came between the
   * read and the write (Running → Terminating), the robot has ended the job all the same: it is
   * Stopped now, as a result reported after the kill is, rather than refused (409 job-not-held)
   * and left Terminating until the next heartbeat hands it back.
   */
  private async killedMeanwhile(session: RobotSession, jobKey: string): Promise<Job> {
    const job = await this.store.getJob(session.tenantId, jobKey);
    if (job && job.sessionId === session.id && job.state === "Terminating") return this.stopped(session, jobKey);
    return this.refuse(session, jobKey);
  }

  /** 409 job-not-held; 404 session-not-found when it is the session that has ended (its jobs released) */
  private async refuse(session: RobotSession, jobKey: string): Promise<never> {
    await this.confirmSession(session);
    throw conflict("job-not-held", `The job ${jobKey} is no longer this session's; its result was not recorded.`);
  }

  private leaseFrom(at: Date): string {
    return isoAfter(at.getTime(), this.options.leaseSeconds);
  }
}

/** what `complete` needs of a job this node handed out: what never changes, and to whom */
interface ClaimedJob {
  sessionId: string;
  tenantId: string;
  folderKey: string;
  processName: string;
}

/** jobs remembered as handed out by this node, at most (a hint only: past it the map starts again) */
const CLAIMED_MAX = 100_000;

/** why outputArguments cannot be recorded (400 invalid-output), or null */
function invalidOutput(outputArguments: unknown): BatonError | null {
  if (typeof outputArguments !== "object" || outputArguments === null || Array.isArray(outputArguments)) {
    return badRequest("invalid-output", "outputArguments must be a JSON object.");
  }
  const bad = unstorable(outputArguments);
  if (!bad) return null;
  const path = `/outputArguments${bad.path === "/" ? "" : bad.path}`;
  return badRequest("invalid-output", `${path.slice(1)} ${bad.message}.`, { violations: [{ path, message: bad.message }] });
}

function sessionGone(): BatonError {
  return notFound("session-not-found", "This robot session has ended or expired; open a new one.");
}

export type { StopStrategy };

/** Why output arguments fault their job: they break the output schema (bounded like input validation), or the schema stored is not accepted any more. */
function outputProblem(schema: JsonObject, output: JsonObject): JobError | null {
  try {
    const found = validateAgainst(schema, output, "outputSchema");
    if (!found.count) return null;
    return {
      code: "OutputSchemaViolation",
      message: "The output arguments do not match the process's output schema.",
      details: { violations: found.violations, violationCount: found.count, truncated: found.truncated },
    };
  } catch (err) {
    if (!(err instanceof BatonError) || err.code !== "invalid-schema") throw err;
    return { code: "InvalidOutputSchema", message: err.message, details: { violations: err.extra.violations } };
  }
}

/** whether a heartbeat's answer tells the robot anything (a job to stop, kill or drop) */
function hasNews(answer: HeartbeatAnswer): boolean {
  return answer.stop.length > 0 || answer.kill.length > 0 || answer.lost.length > 0;
}
