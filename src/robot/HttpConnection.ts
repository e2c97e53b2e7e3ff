import type { HeartbeatAnswer } from "../core/Robots.js";
import type { JobError, JsonObject } from "../core/types.js";
import { SessionLost, type RobotConnection, type RobotJob, type SessionInfo } from "./RobotConnection.js";

type ResultItem =
  | { jobKey: string; outcome: "complete"; outputArguments: JsonObject }
  | { jobKey: string; outcome: "fail"; error: JobError }
  | { jobKey: string; outcome: "stopped" };

/** The orchestrator refused a result: the job is no longer this session's (409). */
export class ResultRefused extends Error {
  constructor(readonly jobKey: string, detail: string) {
    super(detail);
    this.name = "ResultRefused";
  }
}

/** An answer of the orchestrator that is not a network failure and not retried. */
export class ProtocolError extends Error {
  constructor(readonly status: number, readonly code: string, detail: string) {
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

/**
 * The robot protocol over HTTP (docs/robot-protocol.md). Network failures move on to the
 * next orchestrator URL; results are retried with backoff until they are accepted or
 * refused, so an orchestrator restart shorter than a lease loses nothing.
 */
export class HttpConnection implements RobotConnection {
  private current = 0;
  private sessionId: string | null = null;
  private results: { item: ResultItem; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private resultsScheduled = false;

  constructor(private readonly options: HttpConnectionOptions) {
    if (options.orchestrators.length === 0) throw new Error("At least one orchestrator URL is needed.");
  }

  get baseUrl(): string {
    return this.options.orchestrators[this.current]!.replace(/\/+$/, "");
  }

  async open(input: { robotName: string; processes: string[]; slots: number; version?: string }): Promise<SessionInfo> {
    const answer = (await this.call("POST", "/sessions", input)) as SessionInfo & { leaseExpiresAt: string };
    this.sessionId = answer.sessionId;
    return { sessionId: answer.sessionId, heartbeatSeconds: answer.heartbeatSeconds, leaseSeconds: answer.leaseSeconds };
  }

  async claim(max: number, waitMs: number, signal: AbortSignal): Promise<RobotJob[]> {
    const answer = (await this.call("POST", `/sessions/${this.session()}/claim`, { max: Math.min(max, 100), waitSeconds: Math.min(30, waitMs / 1000) }, signal)) as { jobs: RobotJob[] } | null;
    return answer?.jobs ?? [];
  }

  async heartbeat(jobInfo: Record<string, string | null>, waitMs: number, signal: AbortSignal): Promise<HeartbeatAnswer> {
    const answer = (await this.call("POST", `/sessions/${this.session()}/heartbeat`, { jobs: jobInfo, waitSeconds: waitMs / 1000 }, signal)) as HeartbeatAnswer | null;
    return answer ?? { leaseExpiresAt: "", stop: [], kill: [], lost: [] };
  }

  async log(jobKey: string, lines: { level: "info" | "error"; message: string; at: string }[]): Promise<void> {
    await this.retrying(() => this.call("POST", `/sessions/${this.session()}/jobs/${jobKey}/logs`, { lines }), jobKey);
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

  /** Results that finish in the same event-loop turn travel in one request (`POST …/results`). */
  private report(item: ResultItem): Promise<void> {
    return new Promise((resolve, reject) => {
      this.results.push({ item, resolve, reject });
      if (!this.resultsScheduled) {
        this.resultsScheduled = true;
        setImmediate(() => void this.flushResults());
      }
    });
  }

  private async flushResults(): Promise<void> {
    this.resultsScheduled = false;
    const batch = this.results.splice(0, 100);
    if (this.results.length > 0) {
      this.resultsScheduled = true;
      setImmediate(() => void this.flushResults());
    }
    if (batch.length === 0) return;
    try {
      const answer = (await this.retrying(() => this.call("POST", `/sessions/${this.session()}/results`, { results: batch.map((b) => b.item) }))) as
        { results: { jobKey: string; status: number; code?: string; detail?: string }[] };
      batch.forEach((b, i) => {
        const a = answer.results[i];
        if (a?.status === 204) b.resolve();
        else if (a?.status === 409) b.reject(new ResultRefused(b.item.jobKey, a.detail ?? "refused"));
        else b.reject(new ProtocolError(a?.status ?? 0, a?.code ?? "error", a?.detail ?? "no answer for this result"));
      });
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
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
      const problem = (parsed ?? {}) as { code?: string; detail?: string };
      if (res.status === 404 && problem.code === "session-not-found") throw new SessionLost();
      if (res.status === 503 || res.status === 502) {
        lastError = new ProtocolError(res.status, problem.code ?? "unavailable", problem.detail ?? res.statusText);
        this.current = (this.current + 1) % this.options.orchestrators.length;
        continue;
      }
      throw new ProtocolError(res.status, problem.code ?? "error", problem.detail ?? res.statusText);
    }
    throw lastError;
  }
}
