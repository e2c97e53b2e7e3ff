import { MAX_LOG_LINE_CHARS, truncateLine } from "../core/logLines.js";
import type { HeartbeatAnswer } from "../core/Robots.js";
import type { JobError, JsonObject } from "../core/types.js";
import { SessionLost, type RobotConnection, type RobotJob, type SessionInfo } from "./RobotConnection.js";

type ResultItem =
  | { jobKey: string; outcome: "complete"; outputArguments: JsonObject }
  | { jobKey: string; outcome: "fail"; error: JobError }
  | { jobKey: string; outcome: "stopped" };

/** A result waiting to be sent, its serialized size, and whether it already stands in for one the orchestrator could not take. */
interface Pending { item: ResultItem; size: number; replaced: boolean; resolve: () => void; reject: (err: unknown) => void }

type Answer = { jobKey: string; status: number; code?: string; detail?: string };

/** The orchestrator refused a result: the job is no longer this session's (409). */
export class ResultRefused extends Error {
  constructor(readonly jobKey: string, detail: string) {
    super(detail);
    this.name = "ResultRefused";
  }
}

/** An answer of the orchestrator that is not a network failure and not retried. */
export class ProtocolError extends Error {
  constructor(readonly status: number, readonly code: string, detail: string, readonly problem: Record<string, unknown> = {}) {
    super(`${status} ${code}: ${detail}`);
    this.name = "ProtocolError";
  }
}

export interface HttpConnectionOptions {
  /** tenant bases, e.g. http://10.0.0.5:8080/default/DefaultTenant, tried in turn */
  orchestrators: string[];
  robotKey: string;
  /** how long a result (complete, fail, stopped, logs) is retried while the orchestrator is unreachable */
  resultRetryMs?: number;
  onError?: (err: unknown) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The request body limit assumed until the orchestrator tells its own (an orchestrator older than that field). */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;
const MAX_RESULTS_BATCH = 100;
const MAX_LOG_BATCH = 10_000;
const RESULTS_ENVELOPE = Buffer.byteLength('{"results":[]}');
const LOGS_ENVELOPE = Buffer.byteLength('{"lines":[]}');

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/**
 * Splits `items` (with their serialized sizes) into runs of at most `maxCount` whose JSON
 * array, in an envelope of `envelope` bytes, fits `limit`. An item too large on its own is
 * a run of its own (the caller deals with it).
 */
function chunks<T>(items: T[], size: (item: T) => number, envelope: number, limit: number, maxCount: number): T[][] {
  const out: T[][] = [];
  let run: T[] = [];
  let total = envelope;
  for (const item of items) {
    const n = size(item);
    if (run.length > 0 && (total + 1 + n > limit || run.length >= maxCount)) {
      out.push(run);
      run = [];
      total = envelope;
    }
    total += n + (run.length > 0 ? 1 : 0);
    run.push(item);
  }
  if (run.length > 0) out.push(run);
  return out;
}

/**
 * The robot protocol over HTTP (docs/robot-protocol.md). Network failures move on to the
 * next orchestrator URL; results are retried with backoff until they are accepted or
 * refused, so an orchestrator restart shorter than a lease loses nothing.
 */
export class HttpConnection implements RobotConnection {
  private current = 0;
  private sessionId: string | null = null;
  private results: Pending[] = [];
  private resultsScheduled = false;
  /** the largest request body the orchestrator accepts: from the session-open answer, or a 413's `limit` */
  private bodyLimit = DEFAULT_BODY_LIMIT;

  constructor(private readonly options: HttpConnectionOptions) {
    if (options.orchestrators.length === 0) throw new Error("At least one orchestrator URL is needed.");
  }

  get baseUrl(): string {
    return this.options.orchestrators[this.current]!.replace(/\/+$/, "");
  }

  async open(input: { robotName: string; processes: string[]; slots: number; version?: string }): Promise<SessionInfo> {
    const answer = (await this.call("POST", "/sessions", input)) as SessionInfo & { leaseExpiresAt: string };
    this.sessionId = answer.sessionId;
    if (Number.isInteger(answer.maxRequestBodyBytes) && answer.maxRequestBodyBytes! > 0) this.bodyLimit = answer.maxRequestBodyBytes!;
    return { sessionId: answer.sessionId, heartbeatSeconds: answer.heartbeatSeconds, leaseSeconds: answer.leaseSeconds, maxRequestBodyBytes: this.bodyLimit };
  }

  async claim(max: number, waitMs: number, signal: AbortSignal): Promise<RobotJob[]> {
    const answer = (await this.call("POST", `/sessions/${this.session()}/claim`, { max: Math.min(max, 100), waitSeconds: Math.min(30, waitMs / 1000) }, signal)) as { jobs: RobotJob[] } | null;
    return answer?.jobs ?? [];
  }

  async heartbeat(jobInfo: Record<string, string | null>, waitMs: number, signal: AbortSignal): Promise<HeartbeatAnswer> {
    const answer = (await this.call("POST", `/sessions/${this.session()}/heartbeat`, { jobs: jobInfo, waitSeconds: waitMs / 1000 }, signal)) as HeartbeatAnswer | null;
    return answer ?? { leaseExpiresAt: "", stop: [], kill: [], lost: [] };
  }

  /**
   * Sends the lines in order, in as many requests as the body limit needs (each at most
   * 10000 lines). A line too long is cut, with a marker (the orchestrator's line limit is
   * far below any body limit). A 413 (the tenant lowered its limit) is split again.
   */
  async log(jobKey: string, lines: { level: "info" | "error"; message: string; at: string }[]): Promise<void> {
    let rest = lines.map((l) => (l.message.length > MAX_LOG_LINE_CHARS ? { ...l, message: truncateLine(l.message) } : l));
    while (rest.length > 0) {
      const batch = chunks(rest, bytes, LOGS_ENVELOPE, this.bodyLimit, MAX_LOG_BATCH)[0]!;
      try {
        await this.retrying(() => this.call("POST", `/sessions/${this.session()}/jobs/${jobKey}/logs`, { lines: batch }), jobKey);
      } catch (err) {
        if (this.learnedSmallerLimit(err)) continue;
        throw err;
      }
      rest = rest.slice(batch.length);
    }
  }

  complete(jobKey: string, outputArguments: JsonObject): Promise<void> {
    return this.report({ jobKey, outcome: "complete", outputArguments });
  }

  fail(jobKey: string, error: JobError): Promise<void> {
    return this.report({ jobKey, outcome: "fail", error });
  }

  stopped(jobKey: string): Promise<void> {
    return this.report({ jobKey, outcome: "stopped" });
  }

  /**
   * Results that finish in the same event-loop turn travel together (`POST …/results`), in
   * as many requests as the body limit and the 100-result cap need.
   */
  private report(item: ResultItem): Promise<void> {
    return new Promise((resolve, reject) => {
      this.results.push({ item, size: bytes(item), replaced: false, resolve, reject });
      if (!this.resultsScheduled) {
        this.resultsScheduled = true;
        setImmediate(() => void this.flushResults());
      }
    });
  }

  private async flushResults(): Promise<void> {
    this.resultsScheduled = false;
    const queued = this.results.splice(0);
    await Promise.all(chunks(queued, (p) => p.size, RESULTS_ENVELOPE, this.bodyLimit, MAX_RESULTS_BATCH).map((batch) => this.sendResults(batch)));
  }

  /**
   * One request of results. A result too large to send at all fails its job once, with a
   * small `OutputTooLarge` failure in its place; it is never dropped (a dropped result is a
   * job the orchestrator takes back and runs again). A 413 (the tenant lowered its limit
   * since the session opened) teaches the new limit, and the batch is split again.
   */
  private async sendResults(batch: Pending[]): Promise<void> {
    if (batch.length === 1 && RESULTS_ENVELOPE + batch[0]!.size > this.bodyLimit) return this.replace(batch[0]!, this.tooLarge(batch[0]!));
    let answer: { results: Answer[] };
    try {
      answer = (await this.retrying(() => this.call("POST", `/sessions/${this.session()}/results`, { results: batch.map((b) => b.item) }))) as { results: Answer[] };
    } catch (err) {
      if (err instanceof ProtocolError && err.status === 413) {
        this.learnedSmallerLimit(err);
        if (batch.length === 1) return this.replace(batch[0]!, this.tooLarge(batch[0]!));
        let parts = chunks(batch, (p) => p.size, RESULTS_ENVELOPE, this.bodyLimit, MAX_RESULTS_BATCH);
        // the limit did not move (a proxy's own limit, say): halve the batch instead
        if (parts.length === 1) parts = [batch.slice(0, batch.length >> 1), batch.slice(batch.length >> 1)];
        await Promise.all(parts.map((part) => this.sendResults(part)));
        return;
      }
      for (const b of batch) b.reject(err);
      return;
    }
    await Promise.all(batch.map(async (b, i) => {
      const a = answer.results[i];
      if (a?.status === 204) b.resolve();
      else if (a?.status === 409) b.reject(new ResultRefused(b.item.jobKey, a.detail ?? "refused"));
      // the orchestrator cannot keep this result as it is (output arguments it cannot store): the job fails once, saying why
      else if (a?.status === 400 && b.item.outcome !== "stopped") await this.replace(b, { code: "InvalidOutput", message: `The orchestrator refused the job's result: ${a.detail ?? a.code ?? "400"}`.slice(0, 10_000) });
      else b.reject(new ProtocolError(a?.status ?? 0, a?.code ?? "error", a?.detail ?? "no answer for this result"));
    }));
  }

  /** Sends a small failure in place of a result that cannot be delivered; only once, so that nothing loops. */
  private async replace(b: Pending, error: JobError): Promise<void> {
    if (b.replaced) return b.reject(new ProtocolError(413, "payload-too-large", `The result of ${b.item.jobKey} could not be delivered.`));
    this.options.onError?.(new Error(`job ${b.item.jobKey}: ${error.code}: ${error.message}`));
    // the same run would give the same result: not retried (the job ends Faulted after one execution)
    const item: ResultItem = { jobKey: b.item.jobKey, outcome: "fail", error: { ...error, retryable: false } };
    await this.sendResults([{ ...b, item, size: bytes(item), replaced: true }]);
  }

  private tooLarge(b: Pending): JobError {
    const { item } = b;
    const [what, size] = item.outcome === "complete" ? ["output arguments", bytes(item.outputArguments)] : item.outcome === "fail" ? ["error", bytes(item.error)] : ["result", b.size];
    return {
      code: "OutputTooLarge",
      message: `The job's ${what} take ${size} bytes as JSON; the orchestrator accepts at most ${this.bodyLimit} bytes in a request (the tenant's maxRequestBodyBytes).`,
      details: { sizeBytes: size, limitBytes: this.bodyLimit, ...(item.outcome === "fail" ? { code: item.error.code } : {}) },
    };
  }

  /** A 413 that names a limit smaller than the one assumed: the limit is now that one. */
  private learnedSmallerLimit(err: unknown): boolean {
    if (!(err instanceof ProtocolError) || err.status !== 413) return false;
    const limit = err.problem.limit;
    if (typeof limit !== "number" || !Number.isInteger(limit) || limit <= 0 || limit >= this.bodyLimit) return false;
    this.bodyLimit = limit;
    return true;
  }

  async close(): Promise<void> {
    if (!this.sessionId) return;
    const id = this.sessionId;
    this.sessionId = null;
    await this.call("DELETE", `/sessions/${id}`, undefined).catch((err: unknown) => this.options.onError?.(err));
  }

  private session(): string {
    if (!this.sessionId) throw new SessionLost();
    return this.sessionId;
  }

  /** Results and logs are retried through network failures and 5xx, with backoff, for up to `resultRetryMs`. */
  private async retrying(send: () => Promise<unknown>, jobKey = ""): Promise<unknown> {
    const until = Date.now() + (this.options.resultRetryMs ?? 10 * 60_000);
    for (let backoff = 200; ; backoff = Math.min(backoff * 2, 5000)) {
      try {
        return await send();
      } catch (err) {
        if (err instanceof ProtocolError && err.status === 409) throw new ResultRefused(jobKey, err.message);
        const retryable = !(err instanceof ProtocolError) || err.status >= 500;
        if (!retryable || err instanceof SessionLost || Date.now() + backoff > until) throw err;
        this.options.onError?.(err);
        await sleep(backoff);
      }
    }
  }

  /** One call; on a network failure, the next orchestrator URL is tried (each once). */
  private async call(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    let lastError: unknown;
    for (let attempt = 0; attempt < this.options.orchestrators.length; attempt++) {
      let res: Response;
      try {
        res = await fetch(`${this.baseUrl}/orchestrator_/api/robot/v1${path}`, {
          method,
          headers: { authorization: `Bearer ${this.options.robotKey}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal,
        });
      } catch (err) {
        if (signal?.aborted) return null;
        lastError = err;
        this.current = (this.current + 1) % this.options.orchestrators.length;
        continue;
      }
      if (res.status === 204) return null;
      const text = await res.text();
      const parsed: unknown = text ? JSON.parse(text) : null;
      if (res.ok) return parsed;
      const problem = (typeof parsed === "object" && parsed !== null ? parsed : {}) as { code?: string; detail?: string } & Record<string, unknown>;
      if (res.status === 404 && problem.code === "session-not-found") throw new SessionLost();
      if (res.status === 503 || res.status === 502) {
        lastError = new ProtocolError(res.status, problem.code ?? "unavailable", problem.detail ?? res.statusText, problem);
        this.current = (this.current + 1) % this.options.orchestrators.length;
        continue;
      }
      throw new ProtocolError(res.status, problem.code ?? "error", problem.detail ?? res.statusText, problem);
    }
    throw lastError;
  }
}
