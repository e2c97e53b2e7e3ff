import { concurrencyKeyOf, isLimited } from "./concurrencyLimits.js";
import { PendingReasons } from "./pendingReasons.js";
import { fingerprint, IdempotencyKeyMismatch } from "./idempotency.js";
import { mergeArguments, splitControlParameters, unstorable } from "./arguments.js";
import { mayReadJobs, requireJobsRead, requireScope } from "./scopes.js";
import type { Catalog } from "./Catalog.js";
import { isSlug, isUuid, timeOrderedUuid } from "./identifiers.js";
import { decodeCursor, decodeJobCursor, encodeCursor, encodeJobCursor, FilterFaults, queryLimit } from "./listQuery.js";
import { INT32_MAX, isoAfter } from "./bounds.js";
import { badRequest, conflict, FolderNotFound, InvalidArguments, JobNotFound, MethodNotAllowed, TriggerDisabled, TriggerNotFound } from "./errors.js";
import { can, foldersWith, requirePermission } from "./permissionChecks.js";
import { statesBefore } from "./jobState.js";
import type { JobWaiters } from "./jobWaiters.js";
import type { Notifier } from "./notifier.js";
import { validateAgainst } from "./schemas.js";
import type { IdempotencyOutcome, JobFilter, JobPatch, Store } from "./store.js";
import type { Tenancy } from "./Tenancy.js";
import { NO_WEBHOOKS, type JobEventHooks } from "./webhooks/WebhookEvents.js";
import {
  isFinal,
  type CallMode,
  type Job,
  type JobError,
  type JobListItem,
  type JobLogLine,
  type JobSource,
  type JobState,
  type JsonObject,
  type Page,
  type Priority,
  type Principal,
  type Process,
  type StopStrategy,
  type TimeTrigger,
  type Trigger,
} from "./types.js";

/** captured at load, so that fake timers in tests cannot hold a wake back */
const realSetImmediate = setImmediate;

const STATES: JobState[] = ["Pending", "Running", "Stopping", "Terminating", "Successful", "Faulted", "Stopped"];

/** GET /jobs: the filters as the query string has them (strings; read and checked by list()). */
export interface JobListQuery {
  /** comma-separated states */
  state?: string;
  processName?: string;
  triggerId?: string;
  timeTriggerId?: string;
  folderKey?: string;
  createdAfter?: string;
  createdBefore?: string;
  limit?: string;
  cursor?: string;
}

/** POST /jobs: the body, its shape checked by the route's schema. */
export interface StartJobInput {
  folderKey: string;
  processName: string;
  inputArguments?: JsonObject;
  priority?: Priority;
}

/**
 * Jobs one page of `GET /jobs` looks at, at most, when no index answers its filters alone
 * (two or more filters, several states, a user's folders; any filter within a time window):
 * a rare combination of common values would otherwise walk every job of the tenant, with a
 * SQLite node's event loop blocked meanwhile. A page that finds fewer than `limit` matches
 * among them is short, even empty, and its `nextCursor` goes on below them.
 */
export const JOB_LIST_SCAN_ROWS = 5_000;

/** Jobs: created by invocations and by hand, read, stopped, finished, waited for. */
export class Jobs {
  /** webhooks (issue 16): a job's change and the deliveries it causes, in one transaction; set by Baton */
  webhooks: JobEventHooks = NO_WEBHOOKS;

  constructor(
    private readonly store: Store,
    private readonly notifier: Notifier,
    private readonly tenancy: Tenancy,
    private readonly catalog: Catalog,
    private readonly waiters: JobWaiters,
    private readonly now: () => Date,
    /** jobs a page of a list checked row by row looks at, at most (JOB_LIST_SCAN_ROWS) */
    private readonly listScanRows: number = JOB_LIST_SCAN_ROWS,
  ) {
    this.pendingReasons = new PendingReasons(store, catalog);
  }

  private readonly pendingReasons: PendingReasons;

  /**
   * The checks of SPEC §2 that come before the body is read: the trigger exists in this
   * folder (404), the method is its verb (405), it is enabled (409).
   */
  async triggerForInvocation(principal: Principal, folderKey: string, slug: string, method: string): Promise<Trigger> {
    requireScope(principal, "Jobs", "Write");
    const trigger = isUuid(folderKey) && isSlug(slug) ? await this.catalog.triggerBySlug(principal.tenantId, slug) : null;
    if (!trigger || trigger.folderKey !== folderKey) throw TriggerNotFound(slug);
    requirePermission(principal, "Jobs.Create", trigger.folderKey, () => TriggerNotFound(slug));
    if (method !== trigger.verb) throw MethodNotAllowed(trigger.verb);
    if (!trigger.enabled) throw TriggerDisabled(slug);
    return trigger;
  }

  /**
   * Creates the job of an invocation; the arguments still carry their `$` control parameters.
   * With an Idempotency-Key (SPEC §8) a repeated request creates nothing: `replayed` and the
   * first call's job.
   */
  async invoke(trigger: Trigger, requestArguments: JsonObject, idempotencyKey: string | null = null): Promise<{ job: Job; callMode: CallMode; replayed: boolean }> {
    const { args, callMode } = splitControlParameters(requestArguments);
    const process = await this.catalog.processOrThrow(trigger.tenantId, trigger.folderKey, trigger.processName);
    const mode = callMode ?? trigger.callMode;
    const inputArguments = mergeArguments(process.defaultInputArguments, trigger.defaultArguments, args);
    const idempotency = idempotencyKey === null ? null : {
      key: idempotencyKey, scope: `trigger:${trigger.id}`,
      fingerprint: fingerprint({ verb: trigger.verb, folderKey: trigger.folderKey, trigger: trigger.id, inputArguments, callMode: mode }),
    };
    const { job, replayed } = await this.create(process, inputArguments, {
      source: "ApiTrigger",
      callMode: mode,
      triggerId: trigger.id,
      priority: trigger.priority === "Inherit" ? process.priority : trigger.priority,
    }, idempotency);
    return { job, callMode: mode, replayed };
  }

  /**
   * POST /jobs: start a job of a process directly, with the process's defaults. Its source is
   * Api, set here: a `source` in the body is ignored, like any other unknown field. The body's
   * shape is the route's schema's to check; here, what only the store knows (the folder, the
   * process, the user's permission in the folder) and the arguments' rules (create()).
   */
  async start(principal: Principal, input: StartJobInput, idempotencyKey: string | null = null): Promise<{ job: Job; replayed: boolean }> {
    requireScope(principal, "Jobs", "Write");
    const { folderKey, processName } = input;
    await this.catalog.folderOrThrow(principal.tenantId, folderKey);
    requirePermission(principal, "Jobs.Create", folderKey, () => FolderNotFound(folderKey));
    const process = await this.catalog.processOrThrow(principal.tenantId, folderKey, processName);
    const merged = mergeArguments(process.defaultInputArguments, {}, input.inputArguments ?? {});
    const callMode: CallMode = "AsyncRequestReply";
    const idempotency = idempotencyKey === null ? null : {
      key: idempotencyKey, scope: `process:${process.folderKey}/${process.name}`,
      fingerprint: fingerprint({ verb: "POST", folderKey: process.folderKey, process: process.name, inputArguments: merged, callMode }),
    };
    return this.create(process, merged, {
      source: "Api",
      callMode,
      triggerId: null,
      priority: input.priority ?? process.priority,
    }, idempotency);
  }

  /**
   * The job of a time trigger's slot (SPEC §9): the trigger's arguments over the process's
   * defaults. Called in the transaction that records the slot as fired.
   */
  async startForTimeTrigger(trigger: TimeTrigger): Promise<Job> {
    const process = await this.catalog.processOrThrow(trigger.tenantId, trigger.folderKey, trigger.processName);
    const { job } = await this.create(process, mergeArguments(process.defaultInputArguments, trigger.arguments, {}), {
      source: "TimeTrigger",
      callMode: "AsyncRequestReply",
      triggerId: null,
      priority: trigger.priority === "Inherit" ? process.priority : trigger.priority,
    }, null);
    return job;
  }

  private async create(
    process: Process,
    inputArguments: JsonObject,
    how: { source: JobSource; callMode: CallMode; triggerId: string | null; priority: Priority },
    idempotency: { key: string; scope: string; fingerprint: string } | null,
  ): Promise<{ job: Job; replayed: boolean }> {
    const bad = unstorable(inputArguments);
    if (bad) throw badRequest("invalid-arguments", `Input arguments cannot be stored: ${bad.path} ${bad.message}.`, { violations: [bad] });
    if (process.inputSchema) {
      const found = validateAgainst(process.inputSchema, inputArguments, "inputSchema");
      if (found.count) throw InvalidArguments(found);
    }
    const created = this.now();
    const served = (await this.servedProcesses(process.tenantId)).has(process.name);
    const settings = how.callMode === "LongPolling" || idempotency ? await this.tenancy.getSettings(process.tenantId) : null;
    const deadlineAt = how.callMode === "LongPolling" ? isoAfter(created.getTime(), settings!.syncMaxJobDurationSeconds) : null;
    const job: Job = {
      key: timeOrderedUuid(), tenantId: process.tenantId, folderKey: process.folderKey, processName: process.name, triggerId: how.triggerId,
      source: how.source, callMode: how.callMode, state: "Pending", priority: how.priority, inputArguments, outputArguments: null,
      error: null, robot: null, sessionId: null, attempt: 0, createdAt: created.toISOString(), startedAt: null, endedAt: null,
      info: served ? null : `No robot serving ${process.name} is connected; the job waits in Pending until one is.`,
      maxDurationSeconds: process.maxDurationSeconds, deadlineAt, idempotencyKey: idempotency?.key ?? null, retryAt: null,
      concurrencyKey: concurrencyKeyOf(process, inputArguments),
    };
    if (!idempotency) {
      // webhooks (issue 16): the store's group commit when the tenant has no job.created subscription
      await this.webhooks.around(job.tenantId, "job.created", async () => { await this.store.createJob(job); return job; });
    } else {
      // the key and the job are written together (store.createJobOnce: one statement, or one
      // synchronous write); a racer with the same key waits for the key's row (its primary
      // key), then finds it and this job, whichever node it runs on
      let first!: IdempotencyOutcome;
      await this.webhooks.around(job.tenantId, "job.created", async () => {
        first = await this.store.createJobOnce(job, {
          tenantId: job.tenantId, scope: idempotency.scope, key: idempotency.key, fingerprint: idempotency.fingerprint, jobKey: job.key,
          createdAt: job.createdAt, expiresAt: isoAfter(created.getTime(), settings!.idempotencyKeyRetentionHours * 3600),
        });
        // webhooks (issue 16): job.created only for the call that created it
        return first.created ? job : null;
      });
      if (!first.created) {
        if (first.existing.fingerprint !== idempotency.fingerprint) throw IdempotencyKeyMismatch(idempotency.key);
        // its job purged (jobRetentionDays) before its key: nothing to answer for
        return { job: await this.getByKey(job.tenantId, first.existing.jobKey), replayed: true };
      }
    }
    this.notifier.publish("jobAvailable", { tenantId: job.tenantId, processName: job.processName });
    return { job, replayed: false };
  }

  /**
   * Process names the tenant's live robot sessions serve, cached for a second (invocations
   * are the hot path; robots open sessions rarely, and a session opened here drops the cache).
   * One read at a time per tenant: the invocations arriving while it runs share it (they all
   * found the cache stale at once; under load that was one read per invocation in flight).
   */
  private readonly served = new Map<string, { names: Promise<Set<string>>; at: number }>();

  private servedProcesses(tenantId: string): Promise<Set<string>> {
    const cached = this.served.get(tenantId);
    if (cached && Date.now() - cached.at < 1000) return cached.names;
    const entry = { names: this.store.servedProcesses(tenantId).then((names) => new Set(names)), at: Date.now() };
    this.served.set(tenantId, entry);
    // a failed read is not kept: the next invocation reads again
    entry.names.catch(() => { if (this.served.get(tenantId) === entry) this.served.delete(tenantId); });
    return entry.names;
  }

  forgetServedProcesses(tenantId: string): void {
    this.served.delete(tenantId);
    this.pendingReasons.forget(tenantId);
  }

  /** A job of the principal's tenant; 404 for one it may not see (existence is not revealed). */
  async getVisible(principal: Principal, key: string): Promise<Job> {
    const job = isUuid(key) && mayReadJobs(principal)
      ? await this.store.getJob(principal.tenantId, key)
      : null;
    if (!job || !can(principal, "Jobs.View", job.folderKey)) throw JobNotFound(key);
    return job;
  }

  /** GET /jobs/{key}: the job as getVisible finds it, with its pendingReason. */
  async describe(principal: Principal, key: string): Promise<Job> {
    return this.withPendingReason(await this.getVisible(principal, key));
  }

  /** the job with its pendingReason (SPEC §9); a job that is not Pending has none (renderJob shows null) and is returned as it is, uncopied (every webhook payload of a job's end comes here) */
  async withPendingReason(job: Job): Promise<Job> {
    if (job.state !== "Pending") return job;
    return (await this.pendingReasons.of(job.tenantId, [job], this.now()))[0]!;
  }

  async getByKey(tenantId: string, key: string): Promise<Job> {
    const job = isUuid(key) ? await this.store.getJob(tenantId, key) : null;
    if (!job) throw JobNotFound(key);
    return job;
  }

  /** GET /jobs: newest first. Every filter at fault is named in one 400 invalid-filter; a cursor not handed out is 400 invalid-cursor. */
  async list(principal: Principal, query: JobListQuery): Promise<Page<JobListItem>> {
    requireJobsRead(principal);
    const faults = new FilterFaults();
    const filter: JobFilter = {};
    if (query.state) {
      const states = query.state.split(",");
      const bad = states.filter((s) => !STATES.includes(s as JobState));
      if (bad.length) faults.add("/state", `unknown state ${bad.join(", ")}; states are ${STATES.join(", ")}`);
      else filter.state = states as JobState[];
    }
    if (query.processName) filter.processName = query.processName;
    if (query.triggerId) filter.triggerId = query.triggerId;
    if (query.timeTriggerId) filter.timeTriggerId = query.timeTriggerId;
    if (query.folderKey) filter.folderKey = query.folderKey;
    const visible = foldersWith(principal, "Jobs.View");
    if (visible !== null) filter.folderKeys = visible;
    const createdAfter = faults.instant("createdAfter", query.createdAfter);
    if (createdAfter !== undefined) filter.createdAfter = createdAfter;
    const createdBefore = faults.instant("createdBefore", query.createdBefore);
    if (createdBefore !== undefined) filter.createdBefore = createdBefore;
    const limit = faults.limit(query.limit, 50);
    faults.check();
    const { items, next } = await this.store.listJobs(principal.tenantId, filter, limit, decodeJobCursor(query.cursor), this.listScanRows);
    // why each Pending job of the page waits: a few queries for the page, not one per job
    const described = await this.pendingReasons.of(principal.tenantId, items, this.now());
    return { items: described, nextCursor: next === null ? null : encodeJobCursor(next) };
  }

  /** SPEC §6 stop: a Pending job ends Stopped at once; a held one is asked to stop through its robot. */
  async stop(principal: Principal, key: string, strategy: StopStrategy): Promise<Job> {
    requireScope(principal, "Jobs", "Write");
    for (let attempt = 0; attempt < 5; attempt++) {
      const job = await this.getVisible(principal, key);
      requirePermission(principal, "Jobs.Edit", job.folderKey);
      if (isFinal(job.state)) throw conflict("job-final", `The job is already ${job.state}.`, { state: job.state });
      if (job.state === "Pending") {
        const stopped = await this.finish(job.tenantId, job.key, null, { state: "Stopped", info: `Stopped before it started (${strategy}).` });
        if (stopped) return stopped;
        continue;
      }
      const to: JobState = strategy === "Kill" ? "Terminating" : job.state === "Running" ? "Stopping" : job.state;
      const updated = to === job.state ? job : await this.store.updateJob(job.tenantId, job.key, [job.state], null, { state: to });
      if (!updated) continue;
      if (updated.sessionId) this.notifier.publish("stopRequested", { tenantId: job.tenantId, jobKey: job.key, sessionId: updated.sessionId, strategy });
      return updated;
    }
    throw conflict("job-busy", "The job changed state while stopping it; try again.");
  }

  /**
   * Writes a final state (once) and wakes whoever waits for it. `sessionId` restricts the
   * change to the session that holds the job. Returns null when the job was not in a state
   * from which that final state is allowed (already final, or not that session's).
   */
  async finish(
    tenantId: string | null, key: string, sessionId: string | null,
    result: { state: "Successful" | "Faulted" | "Stopped"; outputArguments?: JsonObject; error?: JobError; info?: string; from?: readonly JobState[] },
  ): Promise<Job | null> {
    // a final job is no session's: its session's slots and heartbeats no longer count it
    const patch: JobPatch = { state: result.state, endedAt: this.now().toISOString(), sessionId: null };
    if (result.outputArguments !== undefined) patch.outputArguments = result.outputArguments;
    if (result.error !== undefined) patch.error = result.error;
    if (result.info !== undefined) patch.info = result.info;
    // webhooks (issue 16): job.completed, job.faulted or job.stopped, recorded with the change
    const event = result.state === "Successful" ? "job.completed" : result.state === "Faulted" ? "job.faulted" : "job.stopped";
    const job = await this.webhooks.around(tenantId, event, () => this.store.updateJob(tenantId, key, result.from ?? statesBefore(result.state), sessionId, patch));
    if (job) {
      this.notifier.publish("jobFinished", { tenantId: job.tenantId, jobKey: job.key, job });
      // a job that ran frees a place under its process's concurrency limits: robots waiting for
      // the jobs that limit held back claim again (an unlimited process's robots are not woken)
      if (job.startedAt !== null) {
        const cached = this.catalog.cachedProcess(job.tenantId, job.folderKey, job.processName);
        if (cached === undefined) await this.wakeIfLimited(job, await this.catalog.processOrThrow(job.tenantId, job.folderKey, job.processName).catch(() => null));
        else this.wakeIfLimited(job, cached);
      }
    }
    return job;
  }

  /** the limited processes whose robots are woken after this turn (once per process, however many of its jobs ended in it) */
  private readonly limitedWakes = new Map<string, { tenantId: string; processName: string }>();

  private wakeIfLimited(job: Job, process: Process | null): void {
    if (!process || !isLimited(process)) return;
    const key = `${job.tenantId}\n${job.processName}`;
    if (this.limitedWakes.has(key)) return;
    this.limitedWakes.set(key, { tenantId: job.tenantId, processName: job.processName });
    if (this.limitedWakes.size === 1) {
      realSetImmediate(() => {
        const wakes = [...this.limitedWakes.values()];
        this.limitedWakes.clear();
        for (const w of wakes) this.notifier.publish("jobAvailable", w);
      });
    }
  }

  /** Blocks until the job is final or `timeoutMs` passes (then null). Woken by the notifier, not by polling. */
  waitForFinal(job: Job, timeoutMs: number, signal?: AbortSignal): Promise<Job | null> {
    if (isFinal(job.state)) return Promise.resolve(job);
    return this.waiters.wait(job.key, timeoutMs, async () => {
      const current = await this.store.getJob(job.tenantId, job.key);
      return current && isFinal(current.state) ? current : null;
    }, signal, job.tenantId);
  }

  async logs(principal: Principal, key: string, query: { limit?: string; cursor?: string }): Promise<{ items: JobLogLine[]; nextCursor: string | null }> {
    const job = await this.getVisible(principal, key);
    const limit = queryLimit(query.limit, 100);
    // a log line's seq is a 32-bit integer column (PostgreSQL): a larger cursor is none this API handed out
    const after = decodeCursor(query.cursor, INT32_MAX) ?? 0;
    const items = await this.store.listLogs(job.key, after, limit);
    return { items, nextCursor: items.length === limit ? encodeCursor(items[items.length - 1]!.seq) : null };
  }
}
