import type { Job, JsonObject, StopStrategy } from "../core/types.js";
import type { RobotConnection } from "./RobotConnection.js";

export interface JobContext {
  job: Job;
  /** aborted when the job must stop (SoftStop or Kill) */
  signal: AbortSignal;
  log(message: string, level?: "info" | "error"): void;
}

/** A module process: `async (input, ctx) => output`; a throw faults the job. */
export type ProcessHandler = (input: JsonObject, ctx: JobContext) => Promise<JsonObject | void> | JsonObject | void;

export interface RobotRuntimeOptions {
  name: string;
  slots: number;
  processes: Record<string, ProcessHandler>;
  /** how long a claim waits for a job on the orchestrator */
  claimWaitMs?: number;
  onError?: (err: unknown) => void;
}

interface Running {
  job: Job;
  controller: AbortController;
  stop: StopStrategy | null;
  logs: { level: "info" | "error"; message: string; at: string }[];
}

/**
 * Runs jobs for one robot session: claims while slots are free, runs each job's process,
 * heartbeats, honours stop and kill, and reports the result. The same runtime serves the
 * in-process robot of `npm start` and external robots (only the connection differs).
 */
export class RobotRuntime {
  private readonly running = new Map<string, Running>();
  private readonly loopController = new AbortController();
  private slotFreed: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private unsubscribeStop: (() => void) | null = null;
  private idle: (() => void) | null = null;

  constructor(private readonly connection: RobotConnection, private readonly options: RobotRuntimeOptions) {}

  get activeJobs(): number {
    return this.running.size;
  }

  async start(): Promise<void> {
    const { heartbeatSeconds } = await this.connection.open({
      robotName: this.options.name, processes: Object.keys(this.options.processes), slots: this.options.slots,
    });
    this.unsubscribeStop = this.connection.onStopRequested?.((key, strategy) => this.requestStop(key, strategy)) ?? null;
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), heartbeatSeconds * 1000);
    this.heartbeatTimer.unref();
    this.flushTimer = setInterval(() => void this.flushAllLogs(), 250);
    this.flushTimer.unref();
    this.loop = this.claimLoop();
  }

  /**
   * Stops claiming, lets running jobs finish for up to `graceMs`, then closes the session,
   * which hands unfinished jobs back to Pending.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.loopController.abort();
    this.slotFreed?.();
    await this.loop;
    if (this.running.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.idle = () => { clearTimeout(timer); resolve(); };
      });
    }
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.unsubscribeStop?.();
    await this.flushAllLogs();
    for (const r of this.running.values()) r.controller.abort();
    await this.connection.close().catch(this.report);
  }

  private readonly report = (err: unknown) => this.options.onError?.(err);

  private async claimLoop(): Promise<void> {
    const signal = this.loopController.signal;
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
      } catch (err) {
        this.report(err);
        if (!signal.aborted) await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  private run(job: Job): void {
    const entry: Running = { job, controller: new AbortController(), stop: null, logs: [] };
    this.running.set(job.key, entry);
    const handler = this.options.processes[job.processName];
    const ctx: JobContext = {
      job,
      signal: entry.controller.signal,
      log: (message, level = "info") => {
        entry.logs.push({ level, message: String(message), at: new Date().toISOString() });
      },
    };
    void (async () => {
      try {
        if (!handler) throw Object.assign(new Error(`This robot does not serve ${job.processName}.`), { code: "ProcessNotServed" });
        const output = await handler(job.inputArguments, ctx);
        if (entry.stop) return this.reportStopped(entry);
        await this.flushLogs(entry);
        await this.connection.complete(job.key, isObject(output) ? output : {});
      } catch (err) {
        if (entry.stop) return this.reportStopped(entry);
        await this.flushLogs(entry);
        const e = err as { code?: unknown; message?: unknown; details?: unknown };
        await this.connection.fail(job.key, {
          code: typeof e?.code === "string" ? e.code : "ProcessFailed",
          message: typeof e?.message === "string" ? e.message : String(err),
          ...(e?.details === undefined ? {} : { details: e.details }),
        });
      }
    })().catch(this.report).finally(() => this.release(job.key));
  }

  private async reportStopped(entry: Running): Promise<void> {
    // a killed job was already reported Stopped when the kill arrived
    if (entry.stop === "Kill") return;
    await this.flushLogs(entry);
    await this.connection.stopped(entry.job.key);
  }

  private release(key: string): void {
    this.running.delete(key);
    this.slotFreed?.();
    if (this.running.size === 0) this.idle?.();
  }

  private requestStop(jobKey: string, strategy: StopStrategy): void {
    const entry = this.running.get(jobKey);
    if (!entry || entry.stop === "Kill") return;
    entry.stop = strategy;
    entry.controller.abort(new Error(strategy === "Kill" ? "killed" : "stop requested"));
    if (strategy === "Kill") {
      // A module cannot be killed; its slot is freed and its eventual result ignored.
      this.running.delete(jobKey);
      this.slotFreed?.();
      void this.flushLogs(entry).then(() => this.connection.stopped(jobKey)).catch(this.report);
    }
  }

  private async heartbeat(): Promise<void> {
    const info: Record<string, string | undefined> = {};
    // logs already carry each job's last line, so the heartbeat only names the jobs held
    for (const key of this.running.keys()) info[key] = undefined;
    try {
      const answer = await this.connection.heartbeat(info);
      for (const key of answer.stop) this.requestStop(key, "SoftStop");
      for (const key of answer.kill) this.requestStop(key, "Kill");
      for (const key of answer.lost) {
        const entry = this.running.get(key);
        if (entry) { entry.stop = "Kill"; entry.controller.abort(new Error("lost")); this.release(key); }
      }
    } catch (err) {
      this.report(err);
    }
  }

  private async flushLogs(entry: Running): Promise<void> {
    if (entry.logs.length === 0) return;
    const lines = entry.logs.splice(0);
    await this.connection.log(entry.job.key, lines).catch(this.report);
  }

  private async flushAllLogs(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => this.flushLogs(r)));
  }
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
