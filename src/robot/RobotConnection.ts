import type { HeartbeatAnswer } from "../core/Robots.js";
import type { Job, JobError, JsonObject, StopStrategy } from "../core/types.js";

/**
 * What a robot runtime needs from the orchestrator: the robot protocol of SPEC §3. The
 * in-process robot talks to the core directly; an external robot speaks it over HTTP.
 */
export interface RobotConnection {
  open(session: { robotName: string; processes: string[]; slots: number }): Promise<{ sessionId: string; heartbeatSeconds: number; leaseSeconds: number }>;
  claim(max: number, waitMs: number, signal: AbortSignal): Promise<Job[]>;
  heartbeat(jobInfo: Record<string, string | undefined>): Promise<HeartbeatAnswer>;
  log(jobKey: string, lines: { level: "info" | "error"; message: string; at: string }[]): Promise<void>;
  complete(jobKey: string, outputArguments: JsonObject): Promise<void>;
  fail(jobKey: string, error: JobError): Promise<void>;
  stopped(jobKey: string): Promise<void>;
  close(): Promise<void>;
  /** optional push of stop requests, faster than waiting for the next heartbeat */
  onStopRequested?(listener: (jobKey: string, strategy: StopStrategy) => void): () => void;
}
