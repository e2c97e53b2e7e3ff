import { CallScope } from "../CallScope.js";
import { idempotencyKeyOf } from "../idempotency.js";
import { waitForJob, type WaitOptions } from "../invocation.js";
import { paginate } from "../pagination.js";
import { segment, type RequestOptions } from "../Transport.js";
import { isFinalJobState, type Arguments, type Job, type JobDetail, type JobFilter, type JobListItem, type JobLogLine, type Page, type StartJobInput, type StopJobInput, type StopStrategy } from "../types.js";
import type { ClientContext } from "./context.js";

export interface LogsQuery {
  /** Page size (1–1000, default 100). */
  limit?: number;
  cursor?: string;
}

export interface FollowLogsOptions {
  /** Stops following: the iteration rejects with AbortError. */
  signal?: AbortSignal;
  /** How often to look for new lines while the job runs (default 1000 ms). */
  intervalMs?: number;
  /** Page size (default 100). */
  limit?: number;
}

/** `…/api/v1/jobs`: list with filters, get, logs, stop, start, and wait for a result. */
export class JobsApi {
  constructor(private readonly ctx: ClientContext) {}

  /** One page of jobs, newest first; long arguments, output and error are left out (flagged): `get` has them. */
  list(filter: JobFilter = {}, options: RequestOptions = {}): Promise<Page<JobListItem>> {
    const { state, ...rest } = filter;
    const states = state === undefined ? undefined : typeof state === "string" ? [state] : state;
    return this.ctx.transport.request("GET", "/jobs", { ...options, query: { ...rest, state: states } });
  }

  /** Every job that matches, newest first, page after page (`filter.limit` is the page size). */
  iterate(filter: Omit<JobFilter, "cursor"> & { cursor?: string } = {}, options: RequestOptions = {}): AsyncGenerator<JobListItem, void, undefined> {
    return paginate((cursor) => this.list({ ...filter, cursor }, options), filter.cursor);
  }

  /** The job with every attempt (`attempts`); `retryAt` while it waits out a retry's backoff. */
  get(jobKey: string, options: RequestOptions = {}): Promise<JobDetail> {
    return this.ctx.transport.request("GET", `/jobs/${segment(jobKey)}`, options);
  }

  /**
   * Starts a job of a process directly (call mode AsyncRequestReply); `wait()` follows it.
   * `idempotencyKey`: as invoke()'s. By default a new key per call, so that the call is
   * retried after a network error, 429 or 503 without starting a second job; `false` sends
   * none (and the call is not retried). A failure carries the key in `idempotencyKey`.
   */
  start(input: StartJobInput, options: RequestOptions & { idempotencyKey?: string | false } = {}): Promise<Job> {
    const { idempotencyKey, ...rest } = options;
    return this.ctx.transport.request("POST", "/jobs", { ...rest, body: input, idempotencyKey: idempotencyKeyOf(idempotencyKey) });
  }

  /**
   * Asks for the job to stop: a Pending job ends Stopped at once; a running one moves to
   * Stopping (SoftStop) or Terminating (Kill) and ends Stopped through its robot. Answers
   * the job as it is now. A final job is 409 job-final.
   */
  stop(jobKey: string, strategy: StopStrategy = "SoftStop", options: RequestOptions = {}): Promise<Job> {
    return this.ctx.transport.request("POST", `/jobs/${segment(jobKey)}/stop`, { ...options, body: { strategy } satisfies StopJobInput });
  }

  /** stop(jobKey, "Kill") */
  kill(jobKey: string, options: RequestOptions = {}): Promise<Job> {
    return this.stop(jobKey, "Kill", options);
  }

  /**
   * Waits for the job's result through its status URI, as AsyncRequestReply does: the
   * output arguments, or JobFaultedError / JobStoppedError.
   */
  wait<T extends object = Arguments>(jobKey: string, options: WaitOptions = {}): Promise<T> {
    const scope = new CallScope(options.signal, options.timeoutMs ?? this.ctx.timeoutMs);
    const maxRedirects = options.maxRedirects ?? this.ctx.maxRedirects;
    return scope.run(() => waitForJob(this.ctx.transport, scope, jobKey, { ...options, maxRedirects }) as Promise<T>);
  }

  /** One page of the job's log lines, oldest first. */
  logs(jobKey: string, query: LogsQuery = {}, options: RequestOptions = {}): Promise<Page<JobLogLine>> {
    return this.ctx.transport.request("GET", `/jobs/${segment(jobKey)}/logs`, { ...options, query: { ...query } });
  }

  /** Every log line the job has now, oldest first. */
  iterateLogs(jobKey: string, query: LogsQuery = {}, options: RequestOptions = {}): AsyncGenerator<JobLogLine, void, undefined> {
    return paginate((cursor) => this.logs(jobKey, { ...query, cursor }, options), query.cursor);
  }

  /**
   * Every log line, then the new ones as they come, until the job is final (`tail -f`
   * that ends with the job). Leaving the loop or aborting the signal stops it.
   */
  async *followLogs(jobKey: string, options: FollowLogsOptions = {}): AsyncGenerator<JobLogLine, void, undefined> {
    const scope = new CallScope(options.signal, null);
    const request = { signal: scope.signal };
    let cursor: string | undefined;
    let lastSeq = -Infinity;
    try {
      for (;;) {
        // the state first: once final, every line was written before the read below
        const final = isFinalJobState((await this.get(jobKey, request)).state);
        for (;;) {
          const page = await this.logs(jobKey, { limit: options.limit, cursor }, request);
          for (const line of page.items) {
            if (line.seq <= lastSeq) continue;
            lastSeq = line.seq;
            yield line;
          }
          if (!page.nextCursor) break;
          cursor = page.nextCursor;
        }
        if (final) return;
        await scope.sleep(options.intervalMs ?? 1000);
      }
    } finally {
      scope.close();
    }
  }
}
