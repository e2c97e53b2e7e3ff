import type { Store } from "./store.js";
import type { Job, JobAttempt } from "./types.js";

/** A job as `GET /jobs/{jobKey}` shows it; webhooks send the same (SPEC §8). */
export function renderJob(job: Job) {
  return {
    key: job.key, folderKey: job.folderKey, processName: job.processName, triggerId: job.triggerId, source: job.source, callMode: job.callMode,
    state: job.state, priority: job.priority, inputArguments: job.inputArguments, outputArguments: job.outputArguments, error: job.error,
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
  if (job.startedAt === null || kept.some((a) => a.attempt === job.attempt)) return kept;
  return [...kept, {
    attempt: job.attempt, robot: job.robot, sessionId: job.sessionId, startedAt: job.startedAt, endedAt: job.endedAt, outcome: job.state, error: job.error,
  }];
}

/** A job with every attempt, as `GET /jobs/{jobKey}` shows it and webhooks send it (SPEC §8). */
export async function renderJobDetail(store: Pick<Store, "listAttempts">, job: Job) {
  return { ...renderJob(job), attempts: await jobAttempts(store, job) };
}
