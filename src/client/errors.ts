/**
 * Everything the client throws is a BatonClientError with a stable `code`, so a caller (or
 * a command line) can report any failure the same way:
 *
 * | class                   | code                   | when |
 * |-------------------------|------------------------|------|
 * | BatonApiError           | the problem's `code`   | the API answered an error (application/problem+json) |
 * | JobFaultedError         | `job-faulted`          | the job ended Faulted; `error` is the job's error |
 * | JobStoppedError         | `job-stopped`          | the job ended Stopped |
 * | TimeoutError            | `timeout`              | the call's total time (`timeoutMs`) ran out |
 * | AbortError              | `aborted`              | the caller's AbortSignal fired |
 * | TooManyRedirectsError   | `too-many-redirects`   | more than `maxRedirects` hops |
 * | NetworkError            | `network-error`        | the server could not be reached |
 * | UnexpectedResponseError | `unexpected-response`  | an answer the protocol does not allow |
 *
 * `jobKey` is set whenever the job is known, so a caller that gives up waiting can still
 * follow the job (`client.jobs.wait(key)`) or stop it (`client.jobs.stop(key)`);
 * `idempotencyKey`, on a failed invoke() or jobs.start(), is the key the call sent: sending
 * the same call again with it cannot start a second job.
 */
import type { ApiErrorCode } from "./errorCodes.js";
import type { JobError, ProblemDetails, Violation } from "./types.js";

export class BatonClientError extends Error {
  /** Stable and machine-readable. */
  readonly code: string;
  /** The job concerned, when known. */
  jobKey: string | null;
  /** The Idempotency-Key the failed call sent (invoke(), jobs.start()), if any. */
  idempotencyKey: string | null = null;

  constructor(code: string, message: string, options: { jobKey?: string | null; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.jobKey = options.jobKey ?? null;
  }
}

/** The API answered with an error: an application/problem+json body (or, from a proxy, something else). */
export class BatonApiError extends BatonClientError {
  /**
   * The problem's `code`: one of `API_ERROR_CODES` (generated from the server's catalogue),
   * or, from a newer server, a code this client does not know yet.
   */
  declare readonly code: ApiErrorCode | (string & {});
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly type: string;
  /** The whole problem body, with any extra members. */
  readonly problem: ProblemDetails;
  readonly method: string;
  readonly url: string;
  /** The server's X-Request-Id: quote it when reporting a 500. */
  readonly requestId: string | null;
  /** Retry-After in milliseconds, when the answer carried one (429, 503). */
  readonly retryAfterMs: number | null;

  constructor(problem: ProblemDetails, request: { method: string; url: string; requestId?: string | null; retryAfterMs?: number | null }) {
    super(problem.code, `${problem.status} ${problem.code}: ${problem.detail}`, {
      jobKey: typeof problem.jobKey === "string" ? problem.jobKey : null,
    });
    this.status = problem.status;
    this.title = problem.title;
    this.detail = problem.detail;
    this.type = problem.type;
    this.problem = problem;
    this.method = request.method;
    this.url = request.url;
    this.requestId = request.requestId ?? null;
    this.retryAfterMs = request.retryAfterMs ?? null;
  }

  /** The violations of a 400 validation problem (`invalid-arguments`, `invalid-trigger`, …); [] otherwise. */
  get violations(): Violation[] {
    return Array.isArray(this.problem.violations) ? (this.problem.violations as Violation[]) : [];
  }
}

/** The job ended Faulted. `error` is the job's error ({ code, message, details }). */
export class JobFaultedError extends BatonClientError {
  declare jobKey: string;
  readonly state = "Faulted" as const;
  readonly error: JobError;
  readonly problem: ProblemDetails | null;

  constructor(jobKey: string, error: JobError, problem: ProblemDetails | null = null) {
    super("job-faulted", `The job ${jobKey} faulted: ${error.code}: ${error.message}`, { jobKey });
    this.error = error;
    this.problem = problem;
  }
}

/** The job ended Stopped (SoftStop or Kill) before it finished. */
export class JobStoppedError extends BatonClientError {
  declare jobKey: string;
  readonly state = "Stopped" as const;
  readonly problem: ProblemDetails | null;

  constructor(jobKey: string, problem: ProblemDetails | null = null) {
    super("job-stopped", `The job ${jobKey} was stopped before it finished.`, { jobKey });
    this.problem = problem;
  }
}

/** The call's total time ran out. The job, if one was created, goes on: see `jobKey`. */
export class TimeoutError extends BatonClientError {
  readonly timeoutMs: number | null;

  constructor(timeoutMs: number | null, options: { jobKey?: string | null; cause?: unknown } = {}) {
    const job = options.jobKey ? ` The job ${options.jobKey} goes on; follow it with jobs.wait() or stop it with jobs.stop().` : "";
    super("timeout", `Gave up waiting${timeoutMs === null ? "" : ` after ${timeoutMs} ms`}.${job}`, options);
    this.timeoutMs = timeoutMs;
  }
}

/** The caller's AbortSignal fired (`cause` is its reason). The job, if one was created, goes on. */
export class AbortError extends BatonClientError {
  constructor(options: { jobKey?: string | null; cause?: unknown } = {}) {
    super("aborted", `The call was aborted.${options.jobKey ? ` The job ${options.jobKey} goes on.` : ""}`, options);
  }
}

/** More redirects than `maxRedirects`. `location` is where the next hop would have gone. */
export class TooManyRedirectsError extends BatonClientError {
  readonly redirects: number;
  readonly location: string;

  constructor(redirects: number, location: string, jobKey: string | null) {
    super("too-many-redirects", `Gave up after ${redirects} redirects (next: ${location}).${jobKey ? ` The job ${jobKey} goes on.` : ""}`, { jobKey });
    this.redirects = redirects;
    this.location = location;
  }
}

/** The request did not get an answer (connection refused, reset, DNS…). */
export class NetworkError extends BatonClientError {
  readonly url: string;

  constructor(url: string, cause: unknown, jobKey: string | null = null) {
    super("network-error", `Could not reach ${url}: ${describeCause(cause)}`, { cause, jobKey });
    this.url = url;
  }
}

/** An answer the protocol does not allow (a 202 without Location, a result that is not a JSON object, …). */
export class UnexpectedResponseError extends BatonClientError {
  readonly status: number;
  readonly url: string;

  constructor(status: number, url: string, message: string, jobKey: string | null = null) {
    super("unexpected-response", `${message} (${status} from ${url})`, { jobKey });
    this.status = status;
    this.url = url;
  }
}

function describeCause(cause: unknown): string {
  const inner = (cause as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (inner && typeof inner.code === "string") return inner.code;
  if (inner && typeof inner.message === "string") return inner.message;
  return cause instanceof Error ? cause.message : String(cause);
}
