/**
 * The robot protocol's bodies and answers (routes/robotProtocol.ts, SPEC §3,
 * docs/robot-protocol.md). The answers' properties are typed against what the core and the
 * robot runtime exchange (`satisfies Record<keyof …>`): a field added to a robot's job or to
 * a heartbeat's answer without declaring it here fails the type check, instead of being left
 * out of the answer by its schema.
 */
import { Type, type TSchema } from "typebox";
import { MAX_SESSION_PROCESSES } from "../../core/bounds.js";
import type { HeartbeatAnswer as CoreHeartbeatAnswer } from "../../core/Robots.js";
import type { RobotJob as CoreRobotJob } from "../../robot/RobotConnection.js";
import { DateTime, StringEnum, Uuid } from "./common.js";
import { Arguments, CallMode, Priority } from "./jobs.js";
import { named } from "./named.js";

/** the most jobs one claim may ask for */
export const MAX_CLAIM_BATCH = 100;
/** the longest a claim waits for a job */
export const MAX_CLAIM_WAIT_SECONDS = 30;
/** the most results one request may report */
export const MAX_RESULTS_BATCH = 100;
/** the most log lines one request may append */
export const MAX_LOG_LINES = 10_000;

export const SessionParams = Type.Object({
  sessionId: Type.String({ description: "The robot session's id (a UUID; any other is answered 404 session-not-found)." }),
});
export const SessionJobParams = Type.Object({
  sessionId: SessionParams.properties.sessionId,
  jobKey: Type.String({ description: "The key of a job the session holds." }),
});

/** the rules of each field (names, characters, bounds) are the core's (Robots.openSession: 400 invalid-session, every fault listed) */
export const OpenSession = named("OpenSession", Type.Object({
  robotName: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "Defaults to the robot key's name. No control, bidirectional or zero-width characters." })),
  processes: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
    maxItems: MAX_SESSION_PROCESSES, description: `The process names this robot can run (at most ${MAX_SESSION_PROCESSES.toLocaleString("en-US")}).`,
  }),
  slots: Type.Integer({ minimum: 1, maximum: 100_000, description: "How many jobs it runs at once." }),
  version: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()], { description: "The robot's version, shown with its session." })),
}, { additionalProperties: true, description: "Unknown fields are ignored." }));

export const OpenedSession = named("OpenedSession", Type.Object({
  sessionId: Uuid(),
  heartbeatSeconds: Type.Number({ exclusiveMinimum: 0, description: "Heartbeat this often." }),
  leaseSeconds: Type.Number({ exclusiveMinimum: 0, description: "A session not heard from for this long is lost, with its jobs." }),
  leaseExpiresAt: DateTime(),
  maxRequestBodyBytes: Type.Integer({
    minimum: 65_536,
    description: "The largest request body this session may send (the tenant's maxRequestBodyBytes, at least 64 KiB); a larger one is answered 413 payload-too-large. Size result and log batches by it.",
  }),
}));

/** `T`, or null for its default (as absent): what robots have always been able to send */
const OrDefault = <T extends TSchema>(schema: T, options: { default: unknown; description: string }) => Type.Optional(Type.Union([schema, Type.Null()], options));

export const ClaimRequest = named("ClaimRequest", Type.Object({
  max: OrDefault(Type.Integer({ minimum: 1, maximum: MAX_CLAIM_BATCH }), { default: 1, description: "At most this many jobs (null or absent: 1)." }),
  waitSeconds: OrDefault(Type.Number({ minimum: 0, maximum: MAX_CLAIM_WAIT_SECONDS }), {
    default: MAX_CLAIM_WAIT_SECONDS, description: `Long-poll: how long to wait for a job when none is available (null or absent: ${MAX_CLAIM_WAIT_SECONDS}).`,
  }),
}, { additionalProperties: true, description: "No body is `{}`. Unknown fields are ignored." }));

const robotJobProperties = {
  key: Uuid(),
  folderKey: Uuid(),
  processName: Type.String(),
  inputArguments: Arguments,
  attempt: Type.Integer({ minimum: 1, description: "1 for the first run; more when the job is retried." }),
  priority: Priority,
  callMode: CallMode,
  createdAt: DateTime(),
  deadlineAt: Type.Union([Type.String({ format: "date-time" }), Type.Null()], {
    description: "When the orchestrator kills the job (maxDurationSeconds, or LongPolling's syncMaxJobDurationSeconds), if ever.",
  }),
} satisfies Record<keyof CoreRobotJob, TSchema>;
export const RobotJob = named("RobotJob", Type.Object(robotJobProperties, { description: "A job as a robot receives it: now Running and held by the session." }));
export const ClaimedJobs = named("ClaimedJobs", Type.Object({ jobs: Type.Array(RobotJob, { description: "Empty when the wait ended with no job." }) }));

/** waitSeconds' maximum is half the lease, the server's option: routes/robotProtocol.ts checks it with the schema's faults */
export const HeartbeatRequest = named("HeartbeatRequest", Type.Object({
  jobs: OrDefault(Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()])), {
    default: {}, description: "Every job the robot holds, by key, with an info line (or null); a line is stored as a log line and as the job's `info`. Null or absent: none.",
  }),
  waitSeconds: OrDefault(Type.Number({ minimum: 0 }), {
    default: 0, description: "At most half the lease (leaseSeconds / 2). With nothing to tell yet, wait this long for a stop or kill request of this session (null or absent: 0).",
  }),
}, { additionalProperties: true, description: "No body is `{}`. Unknown fields are ignored." }));

const jobKeys = (description: string) => Type.Array(Uuid(), { description });
const heartbeatAnswerProperties = {
  leaseExpiresAt: Type.String({ format: "date-time", description: "The session's new lease: heartbeat again before it." }),
  stop: jobKeys("Jobs to soft-stop (SIGTERM, abort the signal); report them `stopped` (or their result if they finish first)."),
  kill: jobKeys("Jobs to kill at once; report them `stopped`."),
  lost: Type.Array(Type.String(), {
    description: "Jobs the robot reported (the keys as it sent them) that are no longer this session's: drop them, their results would be refused (409 job-not-held).",
  }),
} satisfies Record<keyof CoreHeartbeatAnswer, TSchema>;
export const HeartbeatAnswer = named("HeartbeatAnswer", Type.Object(heartbeatAnswerProperties));

/** a line's `at` is checked by the route (parseInstant: years 0001-9999, a date alone included), with the schema's faults */
export const JobLogLines = named("JobLogLines", Type.Object({
  lines: Type.Array(Type.Object({
    message: Type.String({ description: "Cut to 10,000 characters." }),
    level: Type.Optional(Type.Unsafe<"info" | "error">({ type: "string", enum: ["info", "error"], default: "info" })),
    at: Type.Optional(Type.String({
      description: "An ISO 8601 date-time (or date) of the years 0001-9999, stored normalized to UTC. Defaults to when the orchestrator received the line.",
      examples: ["2026-01-02T03:04:05.678Z"],
    })),
  }, { additionalProperties: true }), { maxItems: MAX_LOG_LINES }),
}, { additionalProperties: true, description: "Unknown fields are ignored." }));

export const CompleteJob = named("CompleteJob", Type.Object({
  outputArguments: OrDefault(Type.Object({}, { additionalProperties: true }), {
    default: {}, description: "A JSON object, checked against the process's output schema: a mismatch ends the job Faulted (OutputSchemaViolation). Null or absent: `{}`.",
  }),
}, { additionalProperties: true, description: "No body completes with `{}`. Unknown fields are ignored." }));

const JobErrorInput = Type.Object({
  code: Type.Optional(Type.String({ default: "ProcessFailed", description: "Cut to 200 characters." })),
  message: Type.Optional(Type.String({ default: "The process failed.", description: "Cut to 10,000 characters." })),
  details: Type.Optional(Type.Unknown({ description: "Any JSON value." })),
  retryable: Type.Optional(Type.Boolean({
    default: true, description: "false: trying again cannot help; the job ends Faulted at once, whatever attempts its process's retry policy has left.",
  })),
}, { additionalProperties: true });

/** checked by the core (Robots.fail: 400 invalid-error for what cannot be stored and a retryable that is not a boolean, every fault listed) */
export const FailJob = named("FailJob", Type.Object({
  error: Type.Optional(JobErrorInput),
}, { additionalProperties: true, description: "No body fails with ProcessFailed. Unknown fields are ignored." }));

export const StoppedBody = Type.Object({}, { additionalProperties: true, description: "Nothing is read from the body: send `{}`, or none." });

/** each item's outputArguments and error are checked by the core, item by item: a fault there is that item's answer (400), not the request's */
export const ResultsRequest = named("ResultsRequest", Type.Object({
  results: Type.Array(Type.Object({
    jobKey: Type.String({ description: "The key of a job the session holds." }),
    outcome: StringEnum(["complete", "fail", "stopped"] as const),
    outputArguments: Type.Optional({ ...Arguments, description: "With outcome complete (absent: `{}`)." }),
    error: Type.Optional({ ...JobErrorInput, description: "With outcome fail: { code, message, details, retryable }." }),
  }, { additionalProperties: true }), { minItems: 1, maxItems: MAX_RESULTS_BATCH }),
}, { additionalProperties: true, description: "Unknown fields are ignored." }));

export const ResultsAnswer = named("ResultsAnswer", Type.Object({
  results: Type.Array(Type.Object({
    jobKey: Type.String(),
    status: Type.Unsafe<number>({ type: "integer", enum: [204, 400, 404, 409], description: "The status the single-result route would have given." }),
    code: Type.Optional(Type.String({ description: "When refused, e.g. job-not-held." })),
    detail: Type.Optional(Type.String()),
  }), { description: "One answer per result, in order: the status the single-result route would have given." }),
}));
