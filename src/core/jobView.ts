import type { Store } from "./store.js";
import type { Job, JobAttempt, JobListItem } from "./types.js";

/** A job as `GET /jobs/{jobKey}` shows it; webhooks send the same (SPEC §8). */
export function renderJob(job: Job) {
  return {
    key: job.key, folderKey: job.folderKey, processName: job.processName, triggerId: job.triggerId, source: job.source, callMode: job.callMode,
    state: job.state, priority: job.priority, inputArguments: job.inputArguments, outputArguments: job.outputArguments, error: job.error,
    robot: job.robot, attempt: job.attempt, createdAt: job.createdAt, startedAt: job.startedAt, endedAt: job.endedAt, info: job.info,
    idempotencyKey: job.idempotencyKey, retryAt: job.retryAt, pendingReason: job.pendingReason ?? null, ...timeTriggerOf(job),
  };
}

/** A job in a list (GET /jobs): long arguments, output or error are left out (flagged); GET /jobs/{jobKey} has them. */
export function renderJobListItem(job: JobListItem) {
  return {
    key: job.key, folderKey: job.folderKey, processName: job.processName, triggerId: job.triggerId, source: job.source, callMode: job.callMode,
    state: job.state, priority: job.priority,
    ...(job.inputArgumentsTruncated ? { inputArgumentsTruncated: true as const } : { inputArguments: job.inputArguments }),
    ...(job.outputArgumentsTruncated ? { outputArgumentsTruncated: true as const } : { outputArguments: job.outputArguments }),
    ...(job.errorTruncated ? { errorTruncated: true as const } : { error: job.error }),
    robot: job.robot, attempt: job.attempt, createdAt: job.createdAt, startedAt: job.startedAt, endedAt: job.endedAt, info: job.info,
    idempotencyKey: job.idempotencyKey, retryAt: job.retryAt, pendingReason: job.pendingReason ?? null, ...timeTriggerOf(job),
  };
}

/** source TimeTrigger: the time trigger and slot; absent on other jobs */
export const timeTriggerOf = (job: Pick<Job, "timeTriggerId" | "slot">): { timeTriggerId?: string; slot?: string } =>
  (job.timeTriggerId !== undefined && job.slot !== undefined ? { timeTriggerId: job.timeTriggerId, slot: job.slot } : {});

/**
 * Every attempt of a job, the first first: those kept (that did not end it: retried or
 * handed back), then the current or last one, read from the job itself. A job on its first
 * attempt that was never handed back has nothing kept, so no query is made for it.
 */
export async function jobAttempts(store: Pick<Store, "listAttempts">, job: Job): Promise<JobAttempt[]> {
  const kept = job.attempt > 1 || (job.attempt === 1 && job.state === "Pending") ? await store.listAttempts(job.key) : [];
  // (a Pending job has no current attempt: a retried one's last attempt is kept)
  if (job.startedAt === null || job.state === "Pending" || kept.some((a) => a.attempt === job.attempt)) return kept;
  return [...kept, {
    attempt: job.attempt, robot: job.robot, sessionId: job.sessionId, startedAt: job.startedAt, endedAt: job.endedAt, outcome: job.state, error: job.error,
  }];
}

/** A job with every attempt, as `GET /jobs/{jobKey}` shows it and webhooks send it (SPEC §8). */
export async function renderJobDetail(store: Pick<Store, "listAttempts">, job: Job) {
  return { ...renderJob(job), attempts: await jobAttempts(store, job) };
}
