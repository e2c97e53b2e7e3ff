import type { Baton } from "../core/Baton.js";
import type { HeartbeatAnswer } from "../core/Robots.js";
import type { Job, JobError, JsonObject, RobotSession, StopStrategy } from "../core/types.js";
import type { RobotConnection } from "./RobotConnection.js";

/** The robot protocol without the network: calls the core of the same process. */
export class InProcessConnection implements RobotConnection {
  private session: RobotSession | null = null;

  constructor(private readonly baton: Baton, private readonly tenantId: string) {}

  private get current(): RobotSession {
    if (!this.session) throw new Error("The robot session is not open.");
    return this.session;
  }

  async open(input: { robotName: string; processes: string[]; slots: number }) {
    this.session = await this.baton.robots.openSession(this.tenantId, input);
    const { heartbeatSeconds, leaseSeconds } = this.baton.robots.options;
    return { sessionId: this.session.id, heartbeatSeconds, leaseSeconds };
  }

  claim(max: number, waitMs: number, signal: AbortSignal): Promise<Job[]> {
    return this.baton.robots.claim(this.current, max, waitMs, signal);
  }

  heartbeat(jobInfo: Record<string, string | undefined>): Promise<HeartbeatAnswer> {
    return this.baton.robots.heartbeat(this.current, jobInfo);
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

  onStopRequested(listener: (jobKey: string, strategy: StopStrategy) => void): () => void {
    return this.baton.notifier.subscribe("stopRequested", (e) => {
      if (this.session && e.sessionId === this.session.id) listener(e.jobKey, e.strategy);
    });
  }
}
