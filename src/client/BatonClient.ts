import { CallScope } from "./CallScope.js";
import { BatonApiError } from "./errors.js";
import { idempotencyKeyOf, newIdempotencyKey } from "./idempotency.js";
import { invokeTrigger, type InvokeOptions, type InvokeResult } from "./invocation.js";
import { FoldersApi } from "./resources/Folders.js";
import { JobsApi } from "./resources/Jobs.js";
import { ProcessesApi } from "./resources/Processes.js";
import { RobotsApi } from "./resources/Robots.js";
import { SettingsApi } from "./resources/Settings.js";
import { TokensApi } from "./resources/Tokens.js";
import { WebhooksApi } from "./resources/Webhooks.js";
import { TimeTriggersApi } from "./resources/TimeTriggers.js";
import { TriggersApi } from "./resources/Triggers.js";
import { UsersApi } from "./resources/Users.js";
import type { ClientContext } from "./resources/context.js";
import { Transport, type FetchLike } from "./Transport.js";
import type { Arguments, Verb } from "./types.js";

export interface BatonClientOptions {
  /** The tenant's base, e.g. `http://127.0.0.1:8080/default/DefaultTenant` (a trailing `/orchestrator_` is accepted). */
  url: string;
  /** A personal access token or an OAuth access token: `Authorization: Bearer …` on every request to a trusted origin. */
  token?: string;
  /** Defaults to the global fetch. */
  fetch?: FetchLike;
  /** Redirects one call may follow (LongPolling's wait loop, the status URI's 303). Default 40. */
  maxRedirects?: number;
  /**
   * The total time of one invoke() or jobs.wait(), every poll and redirect included.
   * Default 16 minutes (LongPolling's 15-minute maximum and a margin); `Infinity` for none.
   */
  timeoutMs?: number;
  /** The time one management request may take. Default 30 s. */
  requestTimeoutMs?: number;
  /** More origins the token may be sent to (a BATON_PUBLIC_URL that differs from `url`, for instance). */
  trustedOrigins?: string[];
}

export const DEFAULT_MAX_REDIRECTS = 40;
export const DEFAULT_TIMEOUT_MS = 16 * 60_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

interface InvokeTarget {
  url: string;
  verb: Verb | null;
}

/**
 * A client of one Baton tenant: invoke API triggers in every call mode, and drive the
 * management API. Dependency-free; it needs only `fetch` (Node 18+, browsers, Deno, Bun).
 *
 * ```ts
 * const client = new BatonClient({ url: "http://127.0.0.1:8080/default/DefaultTenant", token });
 * const output = await client.invoke("echo", { hello: "world" }, { callMode: "LongPolling" });
 * ```
 */
export class BatonClient {
  /** The tenant's base, normalized (no trailing slash, no `/orchestrator_`). */
  readonly url: string;
  readonly jobs: JobsApi;
  readonly triggers: TriggersApi;
  /** cron schedules that start jobs */
  readonly timeTriggers: TimeTriggersApi;
  readonly processes: ProcessesApi;
  readonly folders: FoldersApi;
  readonly robots: RobotsApi;
  readonly tokens: TokensApi;
  /** webhook subscriptions and their deliveries (issue 16) */
  readonly webhooks: WebhooksApi;
  readonly settings: SettingsApi;
  readonly users: UsersApi;
  private readonly ctx: ClientContext;
  private readonly slugs = new Map<string, Promise<InvokeTarget>>();

  constructor(options: BatonClientOptions) {
    this.url = tenantUrl(options.url);
    const transport = new Transport({
      tenantUrl: this.url,
      token: options.token,
      fetch: options.fetch ?? ((url, init) => globalThis.fetch(url, init)),
      maxRedirects: options.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      trustedOrigins: options.trustedOrigins ?? [],
    });
    this.ctx = { transport, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxRedirects: transport.maxRedirects };
    this.jobs = new JobsApi(this.ctx);
    this.triggers = new TriggersApi(this.ctx);
    this.timeTriggers = new TimeTriggersApi(this.ctx);
    this.processes = new ProcessesApi(this.ctx);
    this.folders = new FoldersApi(this.ctx);
    this.robots = new RobotsApi(this.ctx);
    this.tokens = new TokensApi(this.ctx);
    this.webhooks = new WebhooksApi(this.ctx);
    this.settings = new SettingsApi(this.ctx);
    this.users = new UsersApi(this.ctx);
  }

  /** `{url}/orchestrator_/api/v1` */
  get apiUrl(): string {
    return this.ctx.transport.apiUrl;
  }

  /** The invoke URL of a trigger of this tenant. */
  invokeUrl(folderKey: string, slug: string): string {
    return `${this.ctx.transport.orchestratorUrl}/t/${encodeURIComponent(folderKey)}/${encodeURIComponent(slug)}`;
  }

  /**
   * Invokes an API trigger and follows its call mode to the result.
   *
   * `trigger` is a slug (looked up once with GET /triggers, which needs OR.Execution.Read,
   * then cached) or a full invoke URL (needs only OR.Jobs.Write). Resolves with the output
   * arguments (Successful), or nothing for FireAndForget; rejects with JobFaultedError,
   * JobStoppedError, BatonApiError, TimeoutError, AbortError or TooManyRedirectsError.
   */
  invoke(trigger: string, args: Arguments | undefined, options: InvokeOptions & { callMode: "FireAndForget" }): Promise<void>;
  invoke<T extends object = Arguments>(trigger: string, args: Arguments | undefined, options: InvokeOptions & { callMode: "AsyncRequestReply" | "LongPolling" }): Promise<T>;
  /** Without `callMode`, the trigger's default applies: if it is FireAndForget, the promise resolves with undefined. */
  invoke<T extends object = Arguments>(trigger: string, args?: Arguments, options?: InvokeOptions): Promise<T | undefined>;
  async invoke(trigger: string, args: Arguments = {}, options: InvokeOptions = {}): Promise<Arguments | undefined | void> {
    return (await this.invokeWithDetails(trigger, args, options)).output;
  }

  /**
   * invoke(), answering with the output and what the call learnt on the way: the job's key,
   * the Idempotency-Key sent and whether the server replayed an earlier answer to it.
   */
  invokeWithDetails<T extends object = Arguments>(trigger: string, args: Arguments = {}, options: InvokeOptions = {}): Promise<InvokeResult<T>> {
    const scope = new CallScope(options.signal, options.timeoutMs ?? this.ctx.timeoutMs);
    const call = { ...options, maxRedirects: options.maxRedirects ?? this.ctx.maxRedirects };
    return scope.run(async () => {
      scope.idempotencyKey = idempotencyKeyOf(options.idempotencyKey);
      const output = await this.invokeIn(scope, trigger, args, call);
      return { output: output as T | undefined, jobKey: scope.jobKey, idempotencyKey: scope.idempotencyKey, replayed: scope.replayed };
    });
  }

  private async invokeIn(scope: CallScope, trigger: string, args: Arguments, call: InvokeOptions & { maxRedirects: number }): Promise<Arguments | undefined> {
    if (isUrl(trigger)) return invokeTrigger(this.ctx.transport, scope, { url: trigger, verb: null }, args, call);
    for (let attempt = 0; ; attempt++) {
      const cached = this.slugs.has(trigger);
      const target = await this.resolveSlug(trigger, scope.signal);
      try {
        return await invokeTrigger(this.ctx.transport, scope, target, args, call);
      } catch (err) {
        // the trigger was deleted, moved or changed its verb since it was cached: look again, once
        // (neither answer creates a job; a key of the client's own goes with one request only)
        const stale = err instanceof BatonApiError && (err.code === "trigger-not-found" || err.code === "method-not-allowed");
        if (!cached || attempt > 0 || !stale) throw err;
        this.slugs.delete(trigger);
        if (call.idempotencyKey === undefined) {
          scope.idempotencyKey = newIdempotencyKey();
          scope.keySent = false;
        }
      }
    }
  }

  /** Forgets the slugs looked up so far. */
  clearTriggerCache(): void {
    this.slugs.clear();
  }

  private resolveSlug(slug: string, signal: AbortSignal): Promise<InvokeTarget> {
    let target = this.slugs.get(slug);
    if (!target) {
      target = this.lookUpSlug(slug, signal);
      this.slugs.set(slug, target);
      target.catch(() => this.slugs.delete(slug));
    }
    return target;
  }

  private async lookUpSlug(slug: string, signal: AbortSignal): Promise<InvokeTarget> {
    let found;
    try {
      found = await this.triggers.bySlug(slug, { signal });
    } catch (err) {
      if (err instanceof BatonApiError && err.status === 403) {
        throw new BatonApiError(
          { ...err.problem, detail: `${err.detail} Looking up a trigger by its slug needs OR.Execution.Read; pass its invoke URL instead.` },
          { method: err.method, url: err.url, requestId: err.requestId },
        );
      }
      throw err;
    }
    if (!found) {
      throw new BatonApiError(
        { type: "about:blank", title: "Not Found", status: 404, code: "trigger-not-found", detail: `No API trigger with slug '${slug}' exists in this tenant.` },
        { method: "GET", url: `${this.apiUrl}/triggers` },
      );
    }
    return { url: this.invokeUrl(found.folderKey, found.slug), verb: found.verb };
  }
}

const isUrl = (value: string): boolean => /^https?:\/\//i.test(value);

/** `http://host/org/tenant[/orchestrator_…][/]` → `http://host/org/tenant` */
export function tenantUrl(url: string): string {
  if (!isUrl(url)) throw new TypeError(`The Baton URL must be an http(s) URL of a tenant, such as http://127.0.0.1:8080/default/DefaultTenant; got '${url}'.`);
  const parsed = new URL(url);
  parsed.search = "";
  parsed.hash = "";
  parsed.pathname = parsed.pathname.replace(/\/orchestrator_(\/.*)?$/, "").replace(/\/+$/, "");
  return parsed.href.replace(/\/+$/, "");
}
