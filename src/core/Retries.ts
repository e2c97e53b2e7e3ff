import { isoAfter, MAX_INSTANT_MS } from "./bounds.js";
import type { Catalog } from "./Catalog.js";
import type { Clock } from "./Clock.js";
import type { DueWorkRunner } from "./DueWork.js";
import { BatonError } from "./errors.js";
import { statesBefore } from "./jobState.js";
import type { Jobs } from "./Jobs.js";
import type { Notifier } from "./notifier.js";
import type { Store } from "./store.js";
import { DEFAULT_RETRY_POLICY, type Job, type JobAttempt, type JobError, type JobState, type RetryBackoff, type RetryPolicy } from "./types.js";

/** A number in [0, 1), like Math.random: the jitter's source, passed in so tests can fix it. */
export type RandomSource = () => number;

/**
 * The wait before the attempt after `attempt` (1-based: the attempt that just failed), in
 * milliseconds. Fixed: `delaySeconds`; Exponential: `delaySeconds × 2^(attempt−1)`; either
 * capped at `maxDelaySeconds`. With jitter, "equal jitter": half the wait is kept and the other
 * half drawn at random, so the wait is in [d/2, d]. Equal rather than full jitter (which draws
 * from [0, d]) because a retry that comes at once, as full jitter allows, is what a backoff is
 * there to prevent; half the wait still spreads a burst of failures over time.
 */
export function backoffDelayMs(backoff: RetryBackoff, attempt: number, random: RandomSource = Math.random): number {
  const exponent = backoff.type === "Exponential" ? Math.max(0, attempt - 1) : 0;
  // 2^exponent overflows to Infinity past 1023: the cap (at most a year) applies all the same
  const seconds = Math.min(backoff.maxDelaySeconds, backoff.delaySeconds * 2 ** Math.min(exponent, 1023));
  const ms = Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, MAX_INSTANT_MS) : 0;
  if (!backoff.jitter || ms === 0) return ms;
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(ms / 2 + r * (ms / 2));
}

/** How an attempt failed, as its robot (or the orchestrator, for a lost robot) tells it. */
export interface AttemptFailure {
  /** the attempt's error; a function of the policy's maxAttempts when its message names them */
  error: JobError | ((maxAttempts: number) => JobError);
  /** false: trying again cannot help (the robot said so); the job ends at once */
  retryable: boolean;
  /** what happened, for the job's `info` when it is retried: "Robot R was lost" */
  cause: string;
  /** the states the job must be in for this failure to count (a robot's report: Running or Stopping) */
  from?: readonly JobState[];
}

/**
 * Retries (SPEC §8): what happens when an attempt of a job ends without success.
 *
 * `endAttempt` is the ONE place where a failed attempt is retried or ends its job: a robot's
 * failure report (a module's throw, a command's exit code), a lost robot, a robot that stopped
 * listing the job. Whatever it decides, it decides in one store transaction: the job back to
 * `Pending` with the attempt kept as a row of `job_attempts` and the durable wake-up of its
 * `retryAt` (a due-work row, DueWork.ts), or the job `Faulted` (Jobs.finish, which tells
 * waiters). A retried attempt tells no waiter: only the last attempt's end is final.
 */
export class Retries {
  constructor(
    private readonly store: Store,
    private readonly notifier: Notifier,
    private readonly catalog: Catalog,
    private readonly jobs: Jobs,
    private readonly clock: Clock,
    private readonly dueWork: DueWorkRunner,
    private readonly random: RandomSource = Math.random,
  ) {
    // a retried job's backoff ended: robots waiting for its process are told it can be claimed
    dueWork.handle("job.retry", async (work) => {
      const job = work.tenantId ? await this.store.getJob(work.tenantId, work.ref) : null;
      if (job?.state === "Pending") this.notifier.publish("jobAvailable", { tenantId: job.tenantId, processName: job.processName });
    });
  }

  /**
   * An attempt of `job` (as its session held it) failed: it is retried while the process's
   * policy has attempts left and the failure is retryable, otherwise the job ends `Faulted`.
   * A job being stopped (Stopping) is not retried: its user asked it to end. Returns the job
   * after the change, or null when the job was no longer where `failure.from` says (then
   * nothing changed).
   */
  async endAttempt(job: Job, failure: AttemptFailure): Promise<{ job: Job | null; retried: boolean }> {
    return this.store.transaction(async () => {
      const policy = failure.retryable && job.state !== "Stopping" ? await this.policyOf(job) : null;
      const error = typeof failure.error === "function" ? failure.error(policy?.maxAttempts ?? job.attempt) : failure.error;
      if (policy && job.attempt < policy.maxAttempts) {
        const delayMs = backoffDelayMs(policy.backoff, job.attempt, this.random);
        const info = `${failure.cause}; retrying (attempt ${job.attempt + 1} of ${policy.maxAttempts}).`;
        // only from Running: a stop requested meanwhile (Stopping) ends the job below instead
        const released = await this.release(job, { outcome: "Faulted", error, delayMs, info, from: ["Running"] });
        // the job is retried: its `job.retrying` webhook deliveries are written in this transaction
        if (released) {
          await this.jobs.webhooks.record("job.retrying", released);
          return { job: released, retried: true };
        }
      }
      const final = failure.retryable ? error : { ...error, retryable: false as const };
      // the attempt was the last: the job ends Faulted (Jobs.finish, through which every final state goes)
      const ended = await this.jobs.finish(job.tenantId, job.key, job.sessionId, { state: "Faulted", from: failure.from, error: final });
      return { job: ended, retried: false };
    });
  }

  /**
   * The robot gave the job back without running it to an end (its session closed, its key
   * revoked or rotated): `Pending` again at once, whatever the policy. The attempt stays
   * counted, and kept, as HandedBack.
   */
  async handBack(job: Job): Promise<Job | null> {
    return this.store.transaction(() => this.release(job, {
      outcome: "HandedBack", error: null, delayMs: 0, info: `Handed back by robot ${job.robot ?? "?"} during attempt ${job.attempt}.`,
    }));
  }


  /** the process's policy; a process deleted since has none (one attempt) */
  private async policyOf(job: Job): Promise<RetryPolicy> {
    const process = await this.catalog.processOrThrow(job.tenantId, job.folderKey, job.processName)
      .catch((err: unknown) => { if (err instanceof BatonError && err.code === "process-not-found") return null; throw err; });
    return process?.retry ?? { ...DEFAULT_RETRY_POLICY, maxAttempts: 1 };
  }

  /**
   * Back to Pending, in the caller's transaction: the attempt kept as it ended, the wait
   * (if any) written as the job's not_before and as a due-work row that wakes the robots when
   * it ends; the attempt number is kept, so the next claim counts attempt n+1.
   */
  private async release(
    job: Job,
    how: { outcome: JobAttempt["outcome"]; error: JobError | null; delayMs: number; info: string; from?: readonly JobState[] | undefined },
  ): Promise<Job | null> {
    const now = this.clock.now().getTime();
    const notBefore = how.delayMs > 0 ? isoAfter(now, how.delayMs / 1000) : null;
    const released = await this.store.updateJob(job.tenantId, job.key, how.from ?? statesBefore("Pending"), job.sessionId, {
      state: "Pending", sessionId: null, robot: null, startedAt: null, notBefore,
      // a LongPolling job keeps its deadline across attempts (SPEC §2: the caller's wait is bounded)
      deadlineAt: job.callMode === "LongPolling" ? job.deadlineAt : null, info: how.info,
    });
    if (!released) return null;
    await this.store.recordAttempt(job.key, {
      attempt: job.attempt, robot: job.robot, sessionId: job.sessionId, startedAt: job.startedAt, endedAt: new Date(now).toISOString(),
      outcome: how.outcome, error: how.error,
    });
    if (notBefore) {
      // durable: written with the release, so the wake-up survives a restart of this node
      await this.dueWork.schedule({ id: `job.retry:${job.key}`, kind: "job.retry", tenantId: job.tenantId, ref: job.key, dueAt: notBefore });
    } else {
      this.notifier.publish("jobAvailable", { tenantId: job.tenantId, processName: job.processName });
    }
    this.notifier.publish("jobsChanged", { tenantId: job.tenantId });
    return released;
  }
}
