import type { Job } from "./types.js";

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
