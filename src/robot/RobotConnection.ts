import type { HeartbeatAnswer } from "../core/Robots.js";
import type { CallMode, JobError, JsonObject, Priority } from "../core/types.js";

/** A job as a robot receives it from a claim. */
export interface RobotJob {
  key: string;
  folderKey: string;
  processName: string;
  inputArguments: JsonObject;
  attempt: number;
  priority: Priority;
  callMode: CallMode;
  createdAt: string;
  /** when the orchestrator will kill the job (maxDurationSeconds, or LongPolling's cap), if ever */
  deadlineAt: string | null;
}

export interface SessionInfo {
  sessionId: string;
  heartbeatSeconds: number;
  leaseSeconds: number;
  /** the largest request body the orchestrator accepts (HTTP only): results and logs are batched to fit */
  maxRequestBodyBytes?: number;
}

/**
 * What a robot runtime needs from the orchestrator: the robot protocol of SPEC §3. The
 * in-process robot talks to the core directly; an external robot speaks it over HTTP
 * (docs/robot-protocol.md).
 */
export interface RobotConnection {
  open(session: { robotName: string; processes: string[]; slots: number; version?: string }): Promise<SessionInfo>;
  claim(max: number, waitMs: number, signal: AbortSignal): Promise<RobotJob[]>;
  /** extends the lease; with `waitMs`, also waits that long for a stop or kill request */
  heartbeat(jobInfo: Record<string, string | null>, waitMs: number, signal: AbortSignal): Promise<HeartbeatAnswer>;
  log(jobKey: string, lines: { level: "info" | "error"; message: string; at: string }[]): Promise<void>;
  complete(jobKey: string, outputArguments: JsonObject): Promise<void>;
  fail(jobKey: string, error: JobError): Promise<void>;
  stopped(jobKey: string): Promise<void>;
  close(): Promise<void>;
}

/** Thrown by a connection when the orchestrator no longer knows the session (expired lease). */
export class SessionLost extends Error {
  constructor() {
    super("The orchestrator ended this robot session; a new one is opened.");
    this.name = "SessionLost";
  }
}
