import type { Baton } from "../core/Baton.js";
import { BatonError } from "../core/errors.js";
import type { HeartbeatAnswer } from "../core/Robots.js";
import type { Job, JobError, JsonObject, RobotSession } from "../core/types.js";
import { SessionLost, type RobotConnection, type RobotJob, type SessionInfo } from "./RobotConnection.js";

/** The robot protocol without the network: calls the core of the same process. */
export class InProcessConnection implements RobotConnection {
  private session: RobotSession | null = null;

  constructor(private readonly baton: Baton, private readonly tenantId: string) {}

  private get current(): RobotSession {
    if (!this.session) throw new SessionLost();
    return this.session;
  }

  async open(input: { robotName: string; processes: string[]; slots: number; version?: string }): Promise<SessionInfo> {
    this.session = await this.baton.robots.openSession(this.tenantId, input);
    const { heartbeatSeconds, leaseSeconds } = this.baton.robots.options;
    return { sessionId: this.session.id, heartbeatSeconds, leaseSeconds };
  }

  async claim(max: number, waitMs: number, signal: AbortSignal): Promise<RobotJob[]> {
    return (await lostOnMissing(this.baton.robots.claim(this.current, max, waitMs, signal))).map(toRobotJob);
  }

  heartbeat(jobInfo: Record<string, string | null>, waitMs: number, signal: AbortSignal): Promise<HeartbeatAnswer> {
    const info: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(jobInfo)) info[k] = v ?? undefined;
    return lostOnMissing(this.baton.robots.heartbeat(this.current, info, waitMs, signal));
  }

  log(jobKey: string, lines: { level: "info" | "error"; message: string; at: string }[]): Promise<void> {
    return this.baton.robots.log(this.current, jobKey, lines);
  }

  async complete(jobKey: string, outputArguments: JsonObject): Promise<void> {
    await this.baton.robots.complete(this.current, jobKey, outputArguments);
  }

  async fail(jobKey: string, error: JobError): Promise<void> {
    await this.baton.robots.fail(this.current, jobKey, error);
  }

  async stopped(jobKey: string): Promise<void> {
    await this.baton.robots.stopped(this.current, jobKey);
  }

  async close(): Promise<void> {
    if (this.session) await this.baton.robots.closeSession(this.session);
    this.session = null;
  }
}

export function toRobotJob(job: Job): RobotJob {
  return {
    key: job.key, folderKey: job.folderKey, processName: job.processName, inputArguments: job.inputArguments, attempt: job.attempt,
    priority: job.priority, callMode: job.callMode, createdAt: job.createdAt, deadlineAt: job.deadlineAt,
  };
}

async function lostOnMissing<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof BatonError && err.code === "session-not-found") throw new SessionLost();
    throw err;
  }
}
