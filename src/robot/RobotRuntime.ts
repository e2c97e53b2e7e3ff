import { truncateLine } from "../core/logLines.js";
import type { JsonObject, StopStrategy } from "../core/types.js";
import { SessionLost, type RobotConnection, type RobotJob } from "./RobotConnection.js";

export interface JobContext {
  job: RobotJob;
  /** aborted when the job must stop: SoftStop, Kill, or the job no longer being this robot's */
  signal: AbortSignal;
  /** aborted on Kill, or when a SoftStop's grace period ends: stop now, whatever is half done */
  killSignal: AbortSignal;
  log(message: string, level?: "info" | "error"): void;
}

/**
 * A module process: `async (input, ctx) => output`. A throw fails the attempt: the job is
 * retried per its process's retry policy, unless the thrown error has `retryable: false`.
 */
export type ProcessHandler = (input: JsonObject, ctx: JobContext) => Promise<JsonObject | void> | JsonObject | void;

export interface RobotRuntimeOptions {
  name: string;
  slots: number;
  processes: Record<string, ProcessHandler>;
  version?: string;
  /** how long a claim waits for a job on the orchestrator */
  claimWaitMs?: number;
  /** how long a SoftStop may take before it becomes a Kill */
  stopGraceMs?: number;
  onError?: (err: unknown) => void;
}

/**
 * An AbortController made when its signal is first asked for: most processes never look at
 * theirs, and two controllers a job were ~1 % of a saturated `npm start` (issue 18). An abort
 * before then is kept and given to the signal when it is made; the first reason wins.
 */
export class LazyAbort {
  private controller: AbortController | null = null;
  private reason: { value: unknown } | null = null;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason.value);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.controller) this.controller.abort(reason);
    else this.reason ??= { value: reason };
  }
}

interface Running {
  job: RobotJob;
  stop: LazyAbort;
  kill: LazyAbort;
  strategy: StopStrategy | null;
  /** the job is no longer this robot's (session closed or lost): report nothing */
  handedBack: boolean;
  reported: boolean;
  logs: { level: "info" | "error"; message: string; at: string }[];
  done: Promise<void>;
  graceTimer: NodeJS.Timeout | null;
  /** the job's log batches go out one at a time, in order, and before its result */
  flushing: Promise<void>;
}

const delay = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    // the listener is removed when the timer fires: the runtime's signals live long
    const onAbort = () => { clearTimeout(timer); resolve(); };
    const timer = setTimeout(() => { signal?.removeEventListener("abort", onAbort); resolve(); }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/**
 * Runs jobs for one robot: opens a session, claims while slots are free, runs each job's
 * process, heartbeats (a heartbeat also waits for stop and kill requests), honours stop and
 * kill, and reports results. If the orchestrator forgets the session (its lease ran out), a
 * new one is opened and the old session's jobs are dropped: the orchestrator retries them.
 * The same runtime serves the in-process robot of `npm start` and `baton robot`.
 */
export class RobotRuntime {
  private readonly running = new Map<string, Running>();
  private readonly claims = new AbortController();
  private readonly heartbeats = new AbortController();
  private slotFreed: (() => void) | null = null;
  private idle: (() => void) | null = null;
  private loops: Promise<void>[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private heartbeatMs = 5000;
  private reopening: Promise<void> | null = null;
  sessionId: string | null = null;

  constructor(private readonly connection: RobotConnection, private readonly options: RobotRuntimeOptions) {}

  get activeJobs(): number {
    return this.running.size;
  }

  /** Opens a session (retrying with backoff while the orchestrator is unreachable) and starts working. */
  async start(): Promise<void> {
    await this.reopen();
    this.flushTimer = setInterval(() => void this.flushAllLogs(), 250);
    this.flushTimer.unref();
    this.loops = [this.claimLoop(), this.heartbeatLoop()];
  }

  /**
   * Stops claiming, lets running jobs finish for up to `graceMs` (heartbeats go on meanwhile),
   * then closes the session, which hands unfinished jobs back to Pending.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.claims.abort();
    this.slotFreed?.();
    if (this.running.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.idle = () => { clearTimeout(timer); resolve(); };
      });
    }
    this.heartbeats.abort();
    await Promise.all(this.loops);
    if (this.flushTimer) clearInterval(this.flushTimer);
    await this.flushAllLogs();
    for (const r of this.running.values()) this.drop(r);
    await this.connection.close().catch(this.report);
  }

  private readonly report = (err: unknown) => this.options.onError?.(err);

  private async open(): Promise<void> {
    const info = await this.connection.open({
      robotName: this.options.name, processes: Object.keys(this.options.processes), slots: this.options.slots, version: this.options.version,
    });
    this.sessionId = info.sessionId;
    this.heartbeatMs = info.heartbeatSeconds * 1000;
  }

  /** The session is gone: drop its jobs (the orchestrator retries them) and open a new one. */
  private reopen(): Promise<void> {
    this.reopening ??= (async () => {
      for (const r of this.running.values()) this.drop(r);
      for (let backoff = 500; !this.claims.signal.aborted; backoff = Math.min(backoff * 2, 30_000)) {
        try {
          await this.open();
          return;
        } catch (err) {
          this.report(err);
          await delay(backoff, this.claims.signal);
        }
      }
    })().finally(() => { this.reopening = null; });
    return this.reopening;
  }

  private async claimLoop(): Promise<void> {
    const signal = this.claims.signal;
    let backoff = 250;
    while (!signal.aborted) {
      const free = this.options.slots - this.running.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => { this.slotFreed = resolve; });
        this.slotFreed = null;
        continue;
      }
      try {
        const jobs = await this.connection.claim(free, this.options.claimWaitMs ?? 30_000, signal);
        for (const job of jobs) this.run(job);
        backoff = 250;
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof SessionLost) await this.reopen();
        else {
          this.report(err);
          await delay(backoff, signal);
          backoff = Math.min(backoff * 2, 30_000);
        }
      }
    }
  }

  private async heartbeatLoop(): Promise<void> {
    const signal = this.heartbeats.signal;
    while (!signal.aborted) {
      const started = Date.now();
      try {
        const info: Record<string, string | null> = {};
        for (const key of this.running.keys()) info[key] = null;
        const answer = await this.connection.heartbeat(info, this.heartbeatMs, signal);
        for (const key of answer.stop) this.requestStop(key, "SoftStop");
        for (const key of answer.kill) this.requestStop(key, "Kill");
        for (const key of answer.lost) { const r = this.running.get(key); if (r) this.drop(r); }
        const told = answer.stop.length + answer.kill.length + answer.lost.length > 0;
        if (!told) await delay(this.heartbeatMs - (Date.now() - started), signal);
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof SessionLost) await this.reopen();
        else {
          this.report(err);
          await delay(Math.min(1000, this.heartbeatMs), signal);
        }
      }
    }
  }

  private run(job: RobotJob): void {
    const entry: Running = {
      job, stop: new LazyAbort(), kill: new LazyAbort(), strategy: null, handedBack: false, reported: false, logs: [],
      done: Promise.resolve(), graceTimer: null, flushing: Promise.resolve(),
    };
    this.running.set(job.key, entry);
    const handler = this.options.processes[job.processName];
    const ctx: JobContext = {
      job,
      get signal() { return entry.stop.signal; },
      get killSignal() { return entry.kill.signal; },
      // a line longer than the orchestrator keeps is cut here, with a marker saying so
      log: (message, level = "info") => { entry.logs.push({ level, message: truncateLine(String(message)), at: new Date().toISOString() }); },
    };
    entry.done = (async () => {
      let outcome: { ok: true; output: unknown } | { ok: false; error: unknown };
      try {
        if (!handler) throw Object.assign(new Error(`This robot does not serve ${job.processName}.`), { code: "ProcessNotServed" });
        outcome = { ok: true, output: await handler(job.inputArguments, ctx) };
      } catch (error) {
        outcome = { ok: false, error };
      }
      if (entry.handedBack || entry.reported) return;
      entry.reported = true;
      await this.flushLogs(entry);
      if (entry.strategy) return this.connection.stopped(job.key);
      if (outcome.ok) return this.connection.complete(job.key, isObject(outcome.output) ? outcome.output : {});
      const e = outcome.error as { code?: unknown; message?: unknown; details?: unknown; retryable?: unknown } | null;
      await this.connection.fail(job.key, {
        code: typeof e?.code === "string" ? e.code : "ProcessFailed",
        message: typeof e?.message === "string" ? e.message : String(outcome.error),
        ...(e?.details === undefined ? {} : { details: e.details }),
        // the module says trying again cannot help: the orchestrator ends the job at once
        ...(e?.retryable === false ? { retryable: false as const } : {}),
      });
    })().catch(this.report).finally(() => this.release(entry));
  }

  private release(entry: Running): void {
    if (entry.graceTimer) clearTimeout(entry.graceTimer);
    if (this.running.get(entry.job.key) !== entry) return;
    this.running.delete(entry.job.key);
    this.slotFreed?.();
    if (this.running.size === 0) this.idle?.();
  }

  /** SoftStop aborts `ctx.signal` (a command gets SIGTERM); Kill, or the grace ending, aborts `ctx.killSignal` too. */
  private requestStop(jobKey: string, strategy: StopStrategy): void {
    const entry = this.running.get(jobKey);
    if (!entry || entry.strategy === "Kill") return;
    entry.strategy = strategy;
    entry.stop.abort(new Error("stop requested"));
    if (strategy === "SoftStop") {
      entry.graceTimer ??= setTimeout(() => this.kill(entry), this.options.stopGraceMs ?? 10_000);
    } else {
      this.kill(entry);
    }
  }

  /** Kills: waits briefly for the process to die, then reports Stopped and frees the slot whatever it does. */
  private kill(entry: Running): void {
    entry.strategy = "Kill";
    entry.kill.abort(new Error("killed"));
    void Promise.race([entry.done, delay(2000)]).then(async () => {
      if (entry.handedBack || entry.reported) return;
      entry.reported = true;
      await this.flushLogs(entry);
      await this.connection.stopped(entry.job.key);
    }).catch(this.report).finally(() => this.release(entry));
  }

  /** The job is no longer this robot's: stop it and report nothing. */
  private drop(entry: Running): void {
    entry.handedBack = true;
    entry.stop.abort(new Error("handed back"));
    entry.kill.abort(new Error("handed back"));
    this.release(entry);
  }

  /**
   * Chained per job: a batch retried through an orchestrator outage is not overtaken by a
   * later batch, nor by the result (after which the orchestrator refuses the job's logs).
   */
  private flushLogs(entry: Running): Promise<void> {
    entry.flushing = entry.flushing.then(async () => {
      if (entry.logs.length === 0 || entry.handedBack) return;
      const lines = entry.logs.splice(0);
      await this.connection.log(entry.job.key, lines).catch(this.report);
    });
    return entry.flushing;
  }

  private async flushAllLogs(): Promise<void> {
    await Promise.all([...this.running.values()].filter((r) => r.logs.length > 0).map((r) => this.flushLogs(r)));
  }
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
