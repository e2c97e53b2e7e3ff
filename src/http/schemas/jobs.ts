/**
 * Jobs (routes/management.ts) and the shapes other routes' jobs share: states, sources, call
 * modes, priorities, arguments and errors (the invocation routes and the robot protocol refer
 * to them by name).
 *
 * Answers are serialized through these schemas: a field a renderer (core/jobView.ts) makes
 * that is not declared here would never leave the server, so the property lists are checked
 * against the renderers at compile time (`satisfies`).
 */
import { Type, type TSchema } from "typebox";
import type { renderJob, renderJobListItem } from "../../core/jobView.js";
import {
  CALL_MODES, LIST_FIELD_MAX_BYTES, PENDING_REASONS, PRIORITIES,
  type JobAttempt as JobAttemptRecord, type JobError as JobErrorRecord, type JobLogLine as JobLogLineRecord, type JobSource as JobSourceValue,
  type JobState as JobStateValue, type JsonObject, type StopStrategy as StopStrategyValue,
} from "../../core/types.js";
import { DateTime, OrNull, Page, StringEnum, Uuid } from "./common.js";
import { Cursor, Limit } from "./lists.js";
import { named } from "./named.js";

/** the keys of every member of a union (a renderer that leaves a field out on some answers returns one) */
type KeysOf<T> = T extends unknown ? keyof T : never;

/** every member of a union, once, checked at compile time: a new state, source or strategy must be added here */
const every = <T extends string>(all: Record<T, true>): T[] => Object.keys(all) as T[];

const JOB_STATES = every<JobStateValue>({ Pending: true, Running: true, Stopping: true, Terminating: true, Successful: true, Faulted: true, Stopped: true });
const JOB_SOURCES = every<JobSourceValue>({ ApiTrigger: true, TimeTrigger: true, Manual: true, Api: true });
const STOP_STRATEGIES = every<StopStrategyValue>({ SoftStop: true, Kill: true });

// ---- enumerations

export const JobState = named("JobState", StringEnum(JOB_STATES, {
  description: "Pending → Running → Successful / Faulted; a stop passes through Stopping (SoftStop) or Terminating (Kill) and ends Stopped. Successful, Faulted and Stopped are final.",
}));
export const JobSource = named("JobSource", StringEnum(JOB_SOURCES));
export const CallMode = named("CallMode", StringEnum(CALL_MODES, {
  description: "AsyncRequestReply: 202 and a status URI to poll. FireAndForget: 200 once stored, no body. LongPolling: the call blocks until the result (or 303 to a wait URI).",
}));
export const Priority = named("Priority", StringEnum(PRIORITIES));
export const PendingReason = named("PendingReason", StringEnum(PENDING_REASONS, {
  description: "RetryBackoff: a retry's backoff has not ended. NoRobot: no live robot session serves the process in the job's folder. " +
    "ConcurrencyLimit: the process's maxConcurrentJobs, or its key's maxConcurrentJobsPerKey, jobs are running. Queued: none of those; it waits for a free slot, behind older and higher-priority jobs. Checked in that order.",
}));
export const StopStrategy = named("StopStrategy", StringEnum(STOP_STRATEGIES));

// ---- arguments and errors

const ARGUMENTS = "Input or output arguments: a JSON object.";
const ArgumentsObject = (description: string) => Type.Unsafe<JsonObject>({ type: "object", additionalProperties: true, description });
export const Arguments = named("Arguments", ArgumentsObject(ARGUMENTS));

export const JobError = named("JobError", Type.Object({
  code: Type.String({ examples: ["ProcessExitCode", "MaxDurationExceeded", "RobotLost"] }),
  message: Type.String(),
  details: Type.Optional(Type.Unknown({ description: "Any JSON value the robot reported." })),
  retryable: Type.Optional(Type.Literal(false, {
    description: "Present (false) when the failure was marked not retryable: the job ended without the retries its policy allows.",
  })),
} satisfies Record<keyof JobErrorRecord, TSchema>));

const NullableString = (description: string) => OrNull(Type.String(), { description });
const NullableDateTime = (description?: string) => OrNull(DateTime(), description ? { description } : {});

// ---- jobs

/** the fields of a job as GET /jobs/{jobKey} shows it (core/jobView.ts renderJob) */
const jobFields = {
  key: Uuid(),
  folderKey: Uuid(),
  processName: Type.String(),
  triggerId: OrNull(Uuid(), { description: "The API trigger that created the job, if any." }),
  source: JobSource,
  callMode: CallMode,
  state: JobState,
  priority: Priority,
  inputArguments: Arguments,
  outputArguments: OrNull(Arguments),
  error: OrNull(JobError),
  robot: NullableString("The robot that runs or ran the job."),
  attempt: Type.Integer({ minimum: 0, description: "0 until a robot claims the job; then the attempt number." }),
  createdAt: DateTime(),
  startedAt: NullableDateTime(),
  endedAt: NullableDateTime(),
  info: NullableString("The last log line or status line."),
  idempotencyKey: NullableString("The Idempotency-Key of the call that created the job, if it sent one."),
  retryAt: NullableDateTime("A Pending job waiting out a retry's backoff is not claimed before this moment; null otherwise."),
  pendingReason: OrNull(PendingReason, { description: "Why a Pending job waits, as of this answer; null when the job is not Pending." }),
  timeTriggerId: Type.Optional(Uuid("Source TimeTrigger only: the time trigger that started the job.")),
  slot: Type.Optional(Type.String({
    format: "date-time", description: "Source TimeTrigger only: the slot (fire time) the job was started for; after downtime with `RunOnce`, the first slot missed.",
  })),
} satisfies Record<KeysOf<ReturnType<typeof renderJob>>, TSchema>;

export const Job = named("Job", Type.Object(jobFields));

export const JobAttempt = named("JobAttempt", Type.Object({
  attempt: Type.Integer({ minimum: 1 }),
  robot: NullableString("The robot that ran the attempt."),
  sessionId: NullableString("The robot session that ran the attempt."),
  startedAt: NullableDateTime(),
  endedAt: NullableDateTime("null while the attempt runs."),
  outcome: StringEnum(["Running", "Stopping", "Terminating", "Successful", "Faulted", "Stopped", "HandedBack"] as const, {
    description: "Running (Stopping, Terminating) while it runs; how it ended otherwise. HandedBack: its robot closed its session (no failure).",
  }),
  error: OrNull(JobError),
} satisfies Record<keyof JobAttemptRecord, TSchema>));

export const JobDetail = named("JobDetail", Type.Object({
  ...jobFields,
  attempts: Type.Array(JobAttempt, {
    description: "Every attempt, the first first: those that failed and were retried (or were handed back), then the current or last one.",
  }),
}));

const omittedFlag = (field: string) => Type.Optional(Type.Literal(true, {
  description: `Present (true) when the job's ${field} is longer than ${LIST_FIELD_MAX_BYTES} bytes of JSON: the list leaves it out; GET /jobs/{jobKey} has it.`,
}));
const longLeftOut = (field: string) => `Left out when longer than ${LIST_FIELD_MAX_BYTES} bytes of JSON (then ${field}Truncated).`;

/** the fields of a job in a list (core/jobView.ts renderJobListItem) */
const jobListItemFields = {
  ...jobFields,
  inputArguments: Type.Optional(ArgumentsObject(longLeftOut("inputArguments"))),
  outputArguments: Type.Optional(OrNull(Arguments, { description: longLeftOut("outputArguments") })),
  error: Type.Optional(OrNull(JobError, { description: longLeftOut("error") })),
  inputArgumentsTruncated: omittedFlag("inputArguments"),
  outputArgumentsTruncated: omittedFlag("outputArguments"),
  errorTruncated: omittedFlag("error"),
} satisfies Record<KeysOf<ReturnType<typeof renderJobListItem>>, TSchema>;

export const JobListItem = named("JobListItem", Type.Object(jobListItemFields, {
  description: `A job in a list: as GET /jobs/{jobKey} answers it, except that inputArguments, outputArguments and error longer than ${LIST_FIELD_MAX_BYTES} bytes of JSON ` +
    "are left out (and flagged), so that a page stays small whatever the jobs carry.",
}));
export const JobPage = named("JobPage", Page(JobListItem, true));

export const JobLogLine = named("JobLogLine", Type.Object({
  seq: Type.Integer({ minimum: 0 }),
  at: DateTime(),
  level: StringEnum(["info", "error"] as const),
  message: Type.String(),
} satisfies Record<keyof JobLogLineRecord, TSchema>));
export const JobLogPage = named("JobLogPage", Page(JobLogLine, true));

// ---- requests

export const StartJob = named("StartJob", Type.Object({
  folderKey: Type.String({ description: "The folder's key (a UUID; any other is answered 404 folder-not-found)." }),
  processName: Type.String({ description: "The process's name." }),
  inputArguments: Type.Optional(ArgumentsObject("Merged over the process's default input arguments, then validated against its input schema.")),
  priority: Type.Optional(StringEnum(PRIORITIES, { description: "Defaults to the process's priority." })),
}, {
  additionalProperties: true,
  description: "Starts a job of a process directly, in call mode AsyncRequestReply; its source is Api. Unknown fields (a `source` among them: the server sets it) are ignored.",
}));

export const StopJob = named("StopJob", Type.Object({ strategy: StopStrategy }));

export const JobKey = Type.Object({ jobKey: Type.String({ description: "The job's key (a UUID; any other is answered 404 job-not-found)." }) });

export const JobListQuery = Type.Object({
  state: Type.Optional(Type.String({
    description: `Only jobs in these states, comma-separated (${JOB_STATES.join(", ")}).`, examples: ["Pending,Running"],
  })),
  processName: Type.Optional(Type.String({ description: "Only jobs of this process." })),
  triggerId: Type.Optional(Type.String({ description: "Only jobs created by this API trigger (its id)." })),
  timeTriggerId: Type.Optional(Type.String({ description: "Only jobs started by this time trigger (its id)." })),
  folderKey: Type.Optional(Type.String({ description: "Only jobs of this folder (its key)." })),
  createdAfter: Type.Optional(Type.String({ description: "Only jobs created at or after this time (ISO 8601, years 0001-9999).", examples: ["2025-05-01T00:00:00Z"] })),
  createdBefore: Type.Optional(Type.String({ description: "Only jobs created before this time (ISO 8601, years 0001-9999)." })),
  limit: Type.Optional(Limit),
  cursor: Type.Optional(Cursor),
});

export const JobLogsQuery = Type.Object({
  limit: Type.Optional({ ...Limit, description: "Page size: an integer from 1 to 1000 (100 by default).", examples: ["100"] }),
  cursor: Type.Optional(Cursor),
});

export const IdempotencyKeyHeader = Type.Object({
  // (matched in any case; the handler reads it with idempotencyKeyOf, which checks its rules)
  "Idempotency-Key": Type.Optional(Type.String({
    description: "Makes a retried request safe (SPEC §8): a later request with this key and the same request starts no job and is answered with the first one's job " +
      "(with `Idempotent-Replayed: true`); with another request, 422 idempotency-key-mismatch. 1 to 255 printable ASCII characters; scoped to the tenant and the process, " +
      "kept the tenant's `idempotencyKeyRetentionHours`.",
  })),
});

/** on the answer to a request repeated with its Idempotency-Key */
export const IdempotentReplayed = {
  "Idempotent-Replayed": {
    type: "string", const: "true",
    description: "`true` on the answer to a request repeated with its Idempotency-Key: no job was created, the answer is for the first request's job.",
  },
} as const;
