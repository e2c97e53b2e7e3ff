import { AbortError, BatonClientError, TimeoutError } from "./errors.js";

/** setTimeout's limit (about 24.8 days): a longer delay would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;
/**
 * Time kept for the last poll's answer before the call's timeout: a quarter of the time left,
 * at least 200 ms (or half the time left, when that is shorter). A poll and its redirect to
 * the output take two round trips, which a busy client or server can stretch well past 200 ms.
 */
const POLL_ANSWER_MS = 200;
const POLL_ANSWER_SHARE = 0.25;
/** Polls closer together than this, at the end of the call's time, are not made. */
const MIN_POLL_GAP_MS = 50;

/**
 * One call's lifetime: the caller's AbortSignal and the total time allowed, merged into
 * one signal that every request and every wait of the call uses. When it fires, the
 * request in flight is aborted (for a LongPolling wait, that closes the connection and
 * releases the server's waiter) and the call rejects with AbortError or TimeoutError.
 */
export class CallScope {
  readonly started = Date.now();
  /** The job the call is about, once known: carried by the errors it throws. */
  jobKey: string | null = null;
  /** The Idempotency-Key the call sends, if any: carried by the errors it throws once sent. */
  idempotencyKey: string | null = null;
  /** A request with the key went out (it may have created a job): a retry should reuse the key. */
  keySent = false;
  /** The server answered the call from what it stored for an earlier one with the same key. */
  replayed = false;
  private readonly controller = new AbortController();
  private readonly timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onAbort: (() => void) | undefined;
  private timedOut = false;

  constructor(private readonly callerSignal: AbortSignal | undefined, readonly timeoutMs: number | null) {
    if (callerSignal) {
      if (callerSignal.aborted) this.controller.abort(callerSignal.reason);
      else {
        this.onAbort = () => this.controller.abort(callerSignal.reason);
        callerSignal.addEventListener("abort", this.onAbort, { once: true });
      }
    }
    if (timeoutMs !== null && timeoutMs <= MAX_TIMER_MS && !this.controller.signal.aborted) {
      this.timer = setTimeout(() => {
        this.timedOut = true;
        this.controller.abort(new TimeoutError(timeoutMs));
      }, Math.max(0, timeoutMs));
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  elapsed(): number {
    return Date.now() - this.started;
  }

  /**
   * How long to wait before the next poll when the server asks for `ms` (Retry-After): never
   * past the call's time, so the last poll comes before the timeout, with room for its
   * answer. Once too little time is left for another poll, `ms` (the timeout ends the wait).
   */
  pollDelay(ms: number): number {
    if (this.timeoutMs === null) return ms;
    const left = this.timeoutMs - this.elapsed();
    const delay = left - Math.min(Math.max(POLL_ANSWER_MS, left * POLL_ANSWER_SHARE), left / 2);
    return delay >= ms ? ms : delay < MIN_POLL_GAP_MS ? ms : delay;
  }

  /** Throws the call's AbortError or TimeoutError if it has ended. */
  check(): void {
    if (this.signal.aborted) throw this.endError();
  }

  /** Waits `ms`, or rejects as soon as the call ends. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.signal.aborted) return reject(this.endError());
      const done = () => {
        clearTimeout(timer);
        this.signal.removeEventListener("abort", aborted);
      };
      const aborted = () => { done(); reject(this.endError()); };
      const timer = setTimeout(() => { done(); resolve(); }, Math.min(Math.max(0, ms), MAX_TIMER_MS));
      this.signal.addEventListener("abort", aborted, { once: true });
    });
  }

  /** Runs `work`; once the call has ended, whatever it threw becomes the AbortError or TimeoutError. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      this.check();
      return await work();
    } catch (err) {
      if (this.signal.aborted) {
        const end = this.endError();
        if (this.keySent) end.idempotencyKey = this.idempotencyKey;
        throw end;
      }
      if (err instanceof BatonClientError) {
        if (err.jobKey === null) err.jobKey = this.jobKey;
        if (this.keySent) err.idempotencyKey ??= this.idempotencyKey;
      }
      throw err;
    } finally {
      this.close();
    }
  }

  close(): void {
    clearTimeout(this.timer);
    if (this.onAbort) this.callerSignal?.removeEventListener("abort", this.onAbort);
  }

  /** Why the call ended: its own time ran out, or the caller's signal fired (with `cause`, its reason). */
  private endError(): BatonClientError {
    if (this.timedOut) return new TimeoutError(this.timeoutMs, { jobKey: this.jobKey });
    const reason: unknown = this.callerSignal?.reason;
    // AbortSignal.timeout() fires with a DOMException named TimeoutError (an enclosing call's
    // scope with its own TimeoutError): report it as a timeout
    if ((reason as { name?: unknown } | undefined)?.name === "TimeoutError") {
      return new TimeoutError(reason instanceof TimeoutError ? reason.timeoutMs : null, { jobKey: this.jobKey, cause: reason });
    }
    return new AbortError({ jobKey: this.jobKey, cause: reason });
  }
}
