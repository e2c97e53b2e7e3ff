/**
 * The three call modes of SPEC §2, followed hop by hop (the C# sample's flow: redirects
 * are never followed by fetch, and the bearer token goes with every hop to a trusted
 * origin):
 *
 * - AsyncRequestReply: 202 → poll the status URI (Location) after each Retry-After while
 *   it answers 200 → its 303 leads to the output URI → the result.
 *   (A tenant's redirectStatusCode may make every such 303 a 302: both are followed alike.)
 * - FireAndForget: 200 once the job is stored → done (no job information).
 * - LongPolling: the call blocks → the result, or 303 to the wait URI, which blocks and
 *   redirects to itself until the result comes; bounded by `maxRedirects` and the total time.
 *
 * The result: Successful → the output arguments; Faulted → JobFaultedError; Stopped →
 * JobStoppedError; any other error answer → BatonApiError.
 */
import type { CallScope } from "./CallScope.js";
import { BatonApiError, JobFaultedError, JobStoppedError, TooManyRedirectsError, UnexpectedResponseError, type BatonClientError } from "./errors.js";
import { isReplayed, newIdempotencyKey } from "./idempotency.js";
import { apiError, backoff, discard, isRedirect, locationOf, MAX_RETRIES, nextHop, readJson, retryAfterMs, type HttpRequest, type Transport } from "./Transport.js";
import { VERBS, type AcceptedJob, type Arguments, type CallMode, type JobError, type JobState, type JobStatus, type Verb } from "./types.js";

export interface JobStateDetail {
  /** The job, once known (AsyncRequestReply: from the 202; LongPolling: from the first 303). */
  jobKey: string | null;
  /** The job's last log or status line, when the status URI gave one. */
  info: string | null;
  /** How the call follows the job, once its answers show it: AsyncRequestReply after a 202 (or for `jobs.wait()`), LongPolling after a 303 to the wait URI. */
  callMode: "AsyncRequestReply" | "LongPolling" | null;
}

/** Called when the call sees the job in a new state, with the time since the call began. */
export type OnState = (state: JobState, elapsedMs: number, detail: JobStateDetail) => void;

export interface WaitOptions {
  /** Aborts the call (the job goes on): rejects with AbortError. An `AbortSignal.timeout()` rejects with TimeoutError. */
  signal?: AbortSignal;
  /** The call's total time, every poll and redirect included; overrides the client's `timeoutMs`. `Infinity` for none. */
  timeoutMs?: number;
  /** Overrides the client's `maxRedirects`. */
  maxRedirects?: number;
  onState?: OnState;
}

export interface InvokeOptions extends WaitOptions {
  /** Sent as `$callMode`; without it the trigger's default call mode applies. */
  callMode?: CallMode;
  /**
   * The trigger's verb. Known when the trigger is given by slug; for an invoke URL without
   * it, the client sends POST and, on 405, once more with the verb of the `Allow` header.
   */
  method?: Verb;
  /**
   * The invocation's `Idempotency-Key` (SPEC §8). By default a new random key per call, the
   * same on every retry: the invocation is then retried, like the polls, after a network
   * error, 429 or 503 without risk of a second job. A string is sent as is (reuse one to
   * repeat a call safely later); `false` sends none, and a failed invocation is not retried.
   */
  idempotencyKey?: string | false;
}

/** invoke()'s answer with what the call learnt on the way (`invokeWithDetails()`). */
export interface InvokeResult<T extends object = Arguments> {
  /** The output arguments; undefined for FireAndForget. */
  output: T | undefined;
  /** The job, when its answers named it (not for FireAndForget, nor a LongPolling call answered at once). */
  jobKey: string | null;
  /** The Idempotency-Key sent, if any. */
  idempotencyKey: string | null;
  /** The server answered from what it stored for an earlier call with this key (`Idempotent-Replayed: true`): no new job. */
  replayed: boolean;
}

const DEFAULT_POLL_MS = 1000;
const JOB_URI = /\/api\/v1\/jobs\/([^/?#]+)\/(status|output|wait)(?:[?#]|$)/;

type Phase = "invoke" | "status" | "result";

interface Flow {
  transport: Transport;
  scope: CallScope;
  maxRedirects: number;
  callMode: CallMode | undefined;
  onState: OnState | undefined;
  /** The invoke URL's origin: the token goes there (and to the client's own origins), nowhere else. */
  origin: string | null;
  /** The idempotency key was made by the client (not the caller's): a different request may take a new one. */
  keyGenerated: boolean;
}

/** Invokes an API trigger and follows its call mode to the end. */
export function invokeTrigger(
  transport: Transport, scope: CallScope, target: { url: string; verb: Verb | null }, args: Arguments, options: InvokeOptions & { maxRedirects: number },
): Promise<Arguments | undefined> {
  const callMode = options.callMode ?? (typeof args.$callMode === "string" ? (args.$callMode as CallMode) : undefined);
  const build = (method: Verb): HttpRequest => {
    const request = invocationRequest(target.url, method, args, callMode);
    return scope.idempotencyKey === null ? request : { ...request, idempotencyKey: scope.idempotencyKey };
  };
  const flow: Flow = {
    transport, scope, maxRedirects: options.maxRedirects, callMode, onState: options.onState, origin: new URL(target.url).origin,
    keyGenerated: options.idempotencyKey === undefined,
  };
  const switchable = !options.method && !target.verb;
  return run(flow, build(options.method ?? target.verb ?? "POST"), "invoke", switchable ? build : null);
}

/** Waits for a job's result through its status URI (AsyncRequestReply's loop). */
export function waitForJob(transport: Transport, scope: CallScope, jobKey: string, options: WaitOptions & { maxRedirects: number }): Promise<Arguments> {
  scope.jobKey = jobKey;
  const flow: Flow = { transport, scope, maxRedirects: options.maxRedirects, callMode: "AsyncRequestReply", onState: options.onState, origin: null, keyGenerated: false };
  const request = { method: "GET", url: `${transport.apiUrl}/jobs/${encodeURIComponent(jobKey)}/status` };
  return run(flow, request, "status", null) as Promise<Arguments>;
}

/** The invoke request: `$callMode` and the arguments in the query (GET, DELETE) or as a JSON body. */
export function invocationRequest(url: string, method: Verb, args: Arguments, callMode: CallMode | undefined): HttpRequest {
  const all: Arguments = { ...args };
  if (callMode) all.$callMode = callMode;
  else delete all.$callMode;
  if (method === "GET" || method === "DELETE") {
    const u = new URL(url);
    for (const [key, value] of Object.entries(all)) {
      if (value !== undefined) u.searchParams.append(key, typeof value === "string" ? value : JSON.stringify(value));
    }
    return { method, url: u.href };
  }
  return { method, url, body: JSON.stringify(all) };
}

async function run(flow: Flow, first: HttpRequest, firstPhase: Phase, rebuild: ((method: Verb) => HttpRequest) | null): Promise<Arguments | undefined> {
  const { transport, scope } = flow;
  let request = first;
  let phase = firstPhase;
  let redirects = 0;
  let retries = 0;
  let lastState: JobState | null = null;
  let following: JobStateDetail["callMode"] = firstPhase === "status" ? "AsyncRequestReply" : null;
  const report = (state: JobState, info: string | null = null) => {
    if (state === lastState || !flow.onState) return;
    lastState = state;
    flow.onState(state, scope.elapsed(), { jobKey: scope.jobKey, info, callMode: following });
  };
  const learnJobKey = (url: string) => {
    const key = JOB_URI.exec(new URL(url).pathname)?.[1];
    if (key && !scope.jobKey) scope.jobKey = decodeURIComponent(key);
  };

  for (;;) {
    let res: Response;
    if (request.idempotencyKey !== undefined) scope.keySent = true;
    try {
      res = await transport.send(request, scope.signal, flow.origin);
    } catch (err) {
      if (!repeatable(request, phase) || scope.signal.aborted || retries >= MAX_RETRIES) throw err;
      await scope.sleep(scope.pollDelay(backoff(++retries)));
      continue;
    }
    if (request.idempotencyKey !== undefined && isReplayed(res)) scope.replayed = true;
    if ((res.status === 429 || res.status === 503) && repeatable(request, phase) && retries < MAX_RETRIES) {
      const wait = retryAfterMs(res) ?? backoff(retries + 1);
      retries++;
      await discard(res);
      await scope.sleep(scope.pollDelay(wait));
      continue;
    }
    retries = 0;

    if (isRedirect(res.status)) {
      const location = locationOf(res, request);
      await discard(res);
      learnJobKey(location);
      if (++redirects > flow.maxRedirects) throw new TooManyRedirectsError(redirects, location, scope.jobKey);
      // 303: from the status URI to the output URI (the job is final), from the call or a
      // wait URI to the wait URI (not final yet); a tenant whose redirectStatusCode is 302
      // answers 302 in its place, followed the same way (GET, whatever the call's verb);
      // 301/307/308 only move the same resource
      const seeOther = res.status === 303 || res.status === 302;
      if (seeOther) phase = "result";
      if (new URL(location).pathname.endsWith("/wait")) {
        following = "LongPolling";
        if (flow.onState && scope.jobKey) await peekState(flow, location, report);
      }
      request = seeOther ? { method: "GET", url: location } : nextHop(request, res.status, location);
      continue;
    }

    if (phase === "invoke" && res.status === 202) {
      const accepted = (await readJson(res, request).catch(() => undefined)) as Partial<AcceptedJob> | undefined;
      if (typeof accepted?.jobKey === "string") scope.jobKey = accepted.jobKey;
      const location = res.headers.get("location") ?? accepted?.statusUri;
      if (!location) throw new UnexpectedResponseError(res.status, request.url, "A 202 without Location", scope.jobKey);
      const statusUrl = new URL(location, request.url).href;
      learnJobKey(statusUrl);
      following = "AsyncRequestReply";
      report(accepted?.state ?? "Pending");
      await scope.sleep(scope.pollDelay(retryAfterMs(res) ?? DEFAULT_POLL_MS));
      request = { method: "GET", url: statusUrl };
      phase = "status";
      continue;
    }

    if (phase === "status" && res.status === 200) {
      const status = (await readJson(res, request)) as Partial<JobStatus> | undefined;
      if (typeof status?.state === "string") report(status.state, status.info ?? null);
      await scope.sleep(scope.pollDelay(retryAfterMs(res) ?? DEFAULT_POLL_MS));
      continue;
    }

    if (res.status === 200 && phase !== "status") {
      if (phase === "invoke" && flow.callMode === "FireAndForget") {
        await discard(res);
        return undefined;
      }
      const output = await readJson(res, request);
      // an empty 200 to an invocation without $callMode: the trigger's default is FireAndForget
      if (output === undefined && phase === "invoke" && flow.callMode === undefined) return undefined;
      if (output !== undefined && (typeof output !== "object" || output === null || Array.isArray(output))) {
        throw new UnexpectedResponseError(res.status, request.url, "The output is not a JSON object", scope.jobKey);
      }
      report("Successful");
      return (output ?? {}) as Arguments;
    }

    if (res.status >= 400) {
      if (phase === "invoke" && res.status === 405 && rebuild) {
        const allowed = res.headers.get("allow")?.split(",")[0]?.trim().toUpperCase() as Verb | undefined;
        if (allowed && allowed !== request.method && VERBS.includes(allowed)) {
          await discard(res);
          // another request: a key of the client's own goes with this one only (a caller's key is the caller's to choose)
          if (flow.keyGenerated) {
            scope.idempotencyKey = newIdempotencyKey();
            scope.keySent = false;
          }
          request = rebuild(allowed);
          rebuild = null;
          continue;
        }
      }
      const err = await apiError(res, request);
      if (phase === "result" && err.code === "job-not-finished" && scope.jobKey) {
        // the output URI was reached before the job was final: back to the status URI
        await scope.sleep(scope.pollDelay(err.retryAfterMs ?? DEFAULT_POLL_MS));
        request = { method: "GET", url: siblingUri(request.url, "status") };
        phase = "status";
        continue;
      }
      throw resultError(err, phase, scope.jobKey, report);
    }

    await discard(res);
    throw new UnexpectedResponseError(res.status, request.url, `An answer the ${phase === "status" ? "status URI" : "call"} does not give`, scope.jobKey);
  }
}

/** A job-faulted or job-stopped problem (from the call, the output URI or a wait URI) is the job's result. */
function resultError(err: BatonApiError, phase: Phase, knownKey: string | null, report: (state: JobState) => void): BatonClientError {
  if (phase === "status") return err;
  const jobKey = err.jobKey ?? knownKey ?? "";
  if (err.code === "job-faulted" && err.status === 500) {
    report("Faulted");
    const error = err.problem.error as JobError | null | undefined;
    return new JobFaultedError(jobKey, error && typeof error.code === "string" ? error : { code: "Unknown", message: err.detail }, err.problem);
  }
  if (err.code === "job-stopped" && err.status === 409) {
    report("Stopped");
    return new JobStoppedError(jobKey, err.problem);
  }
  return err;
}

/** Between LongPolling hops, one look at the status URI so that `onState` can report Pending / Running. Best effort. */
async function peekState(flow: Flow, waitLocation: string, report: (state: JobState, info: string | null) => void): Promise<void> {
  try {
    const res = await flow.transport.send({ method: "GET", url: siblingUri(waitLocation, "status") }, flow.scope.signal, flow.origin);
    if (res.status !== 200) return void (await discard(res));
    const status = (await res.json()) as Partial<JobStatus>;
    if (typeof status.state === "string") report(status.state, status.info ?? null);
  } catch {
    flow.scope.check();
  }
}

/** The job's status URI from its output or wait URI (same prefix; no signature). */
function siblingUri(uri: string, name: "status"): string {
  const url = new URL(uri);
  url.pathname = url.pathname.replace(/\/(output|wait)$/, `/${name}`);
  url.search = "";
  return url.href;
}

/**
 * A poll (status, output, wait: a GET of the job's URIs) is safe to repeat. The invocation
 * may have created a job before its answer was lost: it is repeated only with its
 * idempotency key, which makes the server answer the repeat as it did the first call.
 */
const repeatable = (request: HttpRequest, phase: Phase): boolean =>
  request.idempotencyKey !== undefined || (phase !== "invoke" && request.method === "GET");
