import type { Job } from "./types.js";

/** A job as `GET /jobs/{jobKey}` shows it; webhooks send the same (SPEC §8). */
export function renderJob(job: Job) {
  return {
    key: job.key, folderKey: job.folderKey, processName: job.processName, triggerId: job.triggerId, source: job.source, callMode: job.callMode,
    state: job.state, priority: job.priority, inputArguments: job.inputArguments, outputArguments: job.outputArguments, error: job.error,
    robot: job.robot, attempt: job.attempt, createdAt: job.createdAt, startedAt: job.startedAt, endedAt: job.endedAt, info: job.info,
    idempotencyKey: job.idempotencyKey, retryAt: job.retryAt, pendingReason: job.pendingReason ?? null,
  };
}
