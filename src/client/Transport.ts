import { CallScope } from "./CallScope.js";
import { BatonApiError, NetworkError, TooManyRedirectsError, UnexpectedResponseError } from "./errors.js";
import { IDEMPOTENCY_KEY_HEADER } from "./idempotency.js";
import type { ProblemDetails } from "./types.js";

/** The subset of `fetch` the client uses; pass your own to add logging, proxies or test doubles. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface HttpRequest {
  method: string;
  url: string;
  /** A JSON text. */
  body?: string;
  /** Sent with the request, and with a 307/308 repeat of it (not with a 303's GET). */
  idempotencyKey?: string;
}

export type QueryValue = string | number | boolean | Date | readonly (string | number)[] | null | undefined;

export interface RequestOptions {
  /** Aborts the request: the promise rejects with AbortError. */
  signal?: AbortSignal;
  /** Overrides the client's `requestTimeoutMs` for this request. */
  timeoutMs?: number;
}

export interface TransportOptions {
  tenantUrl: string;
  token: string | undefined;
  fetch: FetchLike;
  maxRedirects: number;
  requestTimeoutMs: number;
  trustedOrigins: string[];
}

const ACCEPT = "application/json, application/problem+json;q=0.9, */*;q=0.1";

/**
 * The HTTP layer: every request goes through `send`, with `redirect: "manual"`, so the
 * client sees each 3xx and follows `Location` itself (the C# sample's flow). The bearer
 * token goes with every request, each redirect hop included, but only to a trusted origin:
 * the tenant URL's, an invoke URL's the caller passed, or `trustedOrigins`. A Location on
 * another origin is followed without it (a signed wait URI needs none).
 */
export class Transport {
  readonly tenantUrl: string;
  /** `{tenantUrl}/orchestrator_` */
  readonly orchestratorUrl: string;
  /** `{tenantUrl}/orchestrator_/api/v1` */
  readonly apiUrl: string;
  readonly maxRedirects: number;
  readonly requestTimeoutMs: number;
  private readonly trusted = new Set<string>();

  constructor(private readonly options: TransportOptions) {
    this.tenantUrl = options.tenantUrl;
    this.orchestratorUrl = `${options.tenantUrl}/orchestrator_`;
    this.apiUrl = `${this.orchestratorUrl}/api/v1`;
    this.maxRedirects = options.maxRedirects;
    this.requestTimeoutMs = options.requestTimeoutMs;
    this.trust(options.tenantUrl);
    for (const o of options.trustedOrigins) this.trust(o);
  }

  /** The bearer token is sent to this URL's origin. */
  trust(url: string): void {
    this.trusted.add(new URL(url).origin);
  }

  isTrusted(url: string): boolean {
    return this.trusted.has(new URL(url).origin);
  }

  /**
   * One request, no redirect followed. Network failures become NetworkError (unless the
   * call was aborted). `alsoTrusted`: one more origin the token may go to (the invoke URL's).
   */
  async send(request: HttpRequest, signal: AbortSignal, alsoTrusted: string | null = null): Promise<Response> {
    const headers = new Headers({ accept: ACCEPT });
    const trusted = this.isTrusted(request.url) || (alsoTrusted !== null && new URL(request.url).origin === alsoTrusted);
    if (this.options.token && trusted) headers.set("authorization", `Bearer ${this.options.token}`);
    if (request.body !== undefined) headers.set("content-type", "application/json");
    if (request.idempotencyKey !== undefined) headers.set(IDEMPOTENCY_KEY_HEADER, request.idempotencyKey);
    try {
      return await this.options.fetch(request.url, { method: request.method, headers, body: request.body, redirect: "manual", signal });
    } catch (err) {
      if (signal.aborted) throw err;
      throw new NetworkError(request.url, err);
    }
  }

  /**
   * A management API call: JSON in, JSON out (undefined for 204), redirects followed, errors
   * as BatonApiError. Only a call with an idempotency key is repeated (after a network error,
   * 429 or 503): the key makes the repeat safe; without one, a lost answer may hide a change.
   */
  async request<T>(
    method: string, path: string, options: RequestOptions & { query?: Record<string, QueryValue>; body?: unknown; idempotencyKey?: string | null } = {},
  ): Promise<T> {
    const scope = new CallScope(options.signal, options.timeoutMs ?? this.requestTimeoutMs);
    scope.idempotencyKey = options.idempotencyKey ?? null;
    return scope.run(async () => {
      let request: HttpRequest = {
        method,
        url: `${this.apiUrl}${path}${queryString(options.query)}`,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
      };
      for (let redirects = 0, retries = 0; ; ) {
        let res: Response;
        if (request.idempotencyKey !== undefined) scope.keySent = true;
        try {
          res = await this.send(request, scope.signal);
        } catch (err) {
          if (!request.idempotencyKey || !(err instanceof NetworkError) || retries >= MAX_RETRIES) throw err;
          await scope.sleep(scope.pollDelay(backoff(++retries)));
          continue;
        }
        if ((res.status === 429 || res.status === 503) && request.idempotencyKey && retries < MAX_RETRIES) {
          const wait = retryAfterMs(res) ?? backoff(retries + 1);
          retries++;
          await discard(res);
          await scope.sleep(scope.pollDelay(wait));
          continue;
        }
        if (isRedirect(res.status)) {
          const location = locationOf(res, request);
          await discard(res);
          if (++redirects > this.maxRedirects) throw new TooManyRedirectsError(redirects, location, null);
          request = nextHop(request, res.status, location);
          continue;
        }
        if (!res.ok) throw await apiError(res, request);
        return (await readJson(res, request)) as T;
      }
    });
  }
}

/** Consecutive 429 / 503 answers or network failures a repeatable request is retried on. */
export const MAX_RETRIES = 5;

/** The wait before the n-th retry when the server names none: 1 s, 2 s, 4 s, … at most 10 s. */
export const backoff = (attempt: number): number => Math.min(1000 * 2 ** (attempt - 1), 10_000);

export const isRedirect = (status: number): boolean => status === 301 || status === 302 || status === 303 || status === 307 || status === 308;

/** The absolute Location of a redirect. */
export function locationOf(res: Response, request: HttpRequest): string {
  const location = res.headers.get("location");
  if (!location) throw new UnexpectedResponseError(res.status, request.url, "A redirect without Location");
  return new URL(location, request.url).href;
}

/** 303 (and 301/302 after a POST) turn into GET without a body; 307 and 308 repeat the request. */
export function nextHop(request: HttpRequest, status: number, location: string): HttpRequest {
  if (status === 307 || status === 308) return { ...request, url: location };
  if (status === 303 || request.method === "POST") return { method: "GET", url: location };
  return { method: request.method, url: location };
}

/** Retry-After in milliseconds (seconds or an HTTP date), or null. */
export function retryAfterMs(res: Response): number | null {
  const value = res.headers.get("retry-after")?.trim();
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

/** The JSON body, or undefined when there is none. */
export async function readJson(res: Response, request: HttpRequest): Promise<unknown> {
  const text = await res.text();
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new UnexpectedResponseError(res.status, request.url, "The answer is not JSON");
  }
}

/** Lets the connection go back to the pool without reading a body nobody needs. */
export async function discard(res: Response): Promise<void> {
  try {
    await res.body?.cancel();
  } catch {
    // already consumed or closed: nothing to release
  }
}

/** The error answer as a BatonApiError: its problem body, or one made up from a body that is not a problem (a proxy's page). */
export async function apiError(res: Response, request: HttpRequest): Promise<BatonApiError> {
  const text = await res.text().catch(() => "");
  let problem: ProblemDetails | null = null;
  try {
    const body = JSON.parse(text) as Partial<ProblemDetails> | null;
    if (body && typeof body === "object" && typeof body.code === "string") {
      problem = {
        ...body,
        type: typeof body.type === "string" ? body.type : "about:blank",
        title: typeof body.title === "string" ? body.title : res.statusText,
        status: typeof body.status === "number" ? body.status : res.status,
        detail: typeof body.detail === "string" ? body.detail : res.statusText,
        code: body.code,
      };
    }
  } catch {
    // not JSON: made up below
  }
  problem ??= {
    type: "about:blank",
    title: res.statusText || `HTTP ${res.status}`,
    status: res.status,
    detail: text.trim().slice(0, 500) || res.statusText || `HTTP ${res.status}`,
    code: `http-${res.status}`,
  };
  return new BatonApiError(problem, { method: request.method, url: request.url, requestId: res.headers.get("x-request-id"), retryAfterMs: retryAfterMs(res) });
}

export function queryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    if (value instanceof Date) params.set(key, value.toISOString());
    else if (Array.isArray(value)) {
      if (value.length) params.set(key, value.join(","));
    } else params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** A path segment: names may hold spaces and other characters. */
export const segment = (value: string): string => encodeURIComponent(value);
