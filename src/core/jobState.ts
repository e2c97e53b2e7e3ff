import type { JobState } from "./types.js";

/**
 * The job state machine (SPEC §1). Every state change goes through `from(to)`, which the
 * store uses as the condition of its UPDATE: a change that is not allowed from the job's
 * current state simply does not happen, and a final state, once written, never changes.
 */
const TRANSITIONS: Record<JobState, readonly JobState[]> = {
  Pending: ["Running", "Stopped", "Faulted"],
  Running: ["Successful", "Faulted", "Stopped", "Stopping", "Terminating", "Pending"],
  Stopping: ["Successful", "Faulted", "Stopped", "Terminating", "Pending"],
  Terminating: ["Stopped", "Faulted"],
  Successful: [],
  Faulted: [],
  Stopped: [],
};

const FROM = new Map<JobState, JobState[]>();
for (const [state, targets] of Object.entries(TRANSITIONS) as [JobState, readonly JobState[]][]) {
  for (const to of targets) FROM.set(to, [...(FROM.get(to) ?? []), state]);
}

/** The states a job may be in for a change to `to` to be allowed. */
export function statesBefore(to: JobState): readonly JobState[] {
  return FROM.get(to) ?? [];
}

export function canTransition(from: JobState, to: JobState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** States in which a robot session holds the job. */
export const HELD_STATES: readonly JobState[] = ["Running", "Stopping", "Terminating"];
