import type { Clock } from "../Clock.js";
import { timeOrderedUuid } from "../identifiers.js";
import { renderJobDetail } from "../jobView.js";
import type { Notifier } from "../notifier.js";
import type { DeliveryToMake, Store, WebhookRecord } from "../store.js";
import type { Job } from "../types.js";
import { RETRY_WINDOW_MS, type WebhookDispatcher } from "./WebhookDispatcher.js";
import type { WebhookDelivery, WebhookEvent } from "./types.js";

/**
 * Records the deliveries a job's change causes, in the transaction of that change (SPEC §8,
 * "Nothing lost"). The subscriptions of each tenant are cached in memory (dropped on every
 * node by `webhooksChanged`, and after a gap in cross-node events), so the invoke path of a
 * tenant without subscriptions pays a map lookup, and opens no transaction for them.
 */
export class WebhookEvents {
  private readonly cache = new Map<string, { subscriptions: WebhookRecord[] } | Promise<WebhookRecord[]>>();
  /** bumped by every drop, so a load that started before a change does not fill the cache with the old list */
  private generation = 0;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly dispatcher: WebhookDispatcher,
    notifier: Notifier,
    /** the job as the API shows it (its pendingReason computed), for the payload */
    private readonly describe: (job: Job) => Promise<Job> = async (job) => job,
  ) {
    notifier.subscribe("webhooksChanged", (e) => this.forget(e.tenantId));
    notifier.onMissedEvents(() => this.forget(null));
  }

  forget(tenantId: string | null): void {
    this.generation++;
    if (tenantId === null) this.cache.clear();
    else this.cache.delete(tenantId);
  }

  private subscriptions(tenantId: string): WebhookRecord[] | Promise<WebhookRecord[]> {
    const cached = this.cache.get(tenantId);
    if (cached && !(cached instanceof Promise)) return cached.subscriptions;
    if (cached) return cached;
    const generation = this.generation;
    const load = this.store.listWebhooks(tenantId).then((all) => {
      const enabled = all.filter((w) => w.enabled);
      if (this.generation === generation) this.cache.set(tenantId, { subscriptions: enabled });
      else if (this.cache.get(tenantId) === load) this.cache.delete(tenantId);
      return enabled;
    }, (err: unknown) => {
      if (this.cache.get(tenantId) === load) this.cache.delete(tenantId);
      throw err;
    });
    // outside any transaction: the list is shared by every caller, whichever commits or not
    this.cache.set(tenantId, load);
    return load;
  }

  /**
   * Whether any enabled subscription of the tenant wants events of this type (any folder):
   * answered at once (no await) when the tenant's subscriptions are cached, the invoke path's usual case.
   */
  private wantsNow(tenantId: string | null, type: WebhookEvent): boolean | Promise<boolean> {
    if (tenantId === null) return true;
    const subs = this.subscriptions(tenantId);
    return subs instanceof Promise ? subs.then((list) => list.some((w) => wantsType(w, type))) : subs.some((w) => wantsType(w, type));
  }

  /**
   * Runs a job's change and records its event's deliveries, kept together (`store.writeTogether`): only when the
   * tenant has a subscription for it (a tenant without runs `change` as it is, on its fast
   * path, with no await added). `change` returns the changed job, or null when nothing changed.
   */
  around(tenantId: string | null, type: WebhookEvent, change: () => Promise<Job | null>): Promise<Job | null> {
    const wants = this.wantsNow(tenantId, type);
    if (wants === false) return change();
    const recorded = () => this.store.writeTogether(async () => {
      const job = await change();
      if (job) await this.record(type, job);
      return job;
    });
    return wants === true ? recorded() : wants.then((yes) => (yes ? recorded() : change()));
  }

  /** As `around`, for a change of several jobs (a claim: `job.started`). */
  aroundAll(tenantId: string, type: WebhookEvent, change: () => Promise<Job[]>): Promise<Job[]> {
    const wants = this.wantsNow(tenantId, type);
    if (wants === false) return change();
    const recorded = () => this.store.writeTogether(async () => {
      const jobs = await change();
      for (const job of jobs) await this.record(type, job);
      return jobs;
    });
    return wants === true ? recorded() : wants.then((yes) => (yes ? recorded() : change()));
  }

  /** Records the deliveries of one event of a job (call it inside the transaction that changed the job). */
  async record(type: WebhookEvent, job: Job): Promise<void> {
    const subs = this.subscriptions(job.tenantId);
    const list = (subs instanceof Promise ? await subs : subs).filter((w) => wantsType(w, type) && (w.folderKeys === null || w.folderKeys.includes(job.folderKey)));
    if (list.length === 0) return;
    const timestamp = this.clock.now().toISOString();
    const payload = JSON.stringify({ type, timestamp, data: { job: await renderJobDetail(this.store, await this.describe(job)) } });
    for (const w of list) await this.deliver(w, type, job.key, payload, w);
  }

  /**
   * Writes a delivery and its due row: made at once (after the commit), retried for 24 hours.
   * Given what signs and sends it (`signer`: the subscription as cached), the delivery is
   * handed to this node's dispatcher as it is, to be made without a claim or a read.
   */
  async deliver(w: Pick<WebhookRecord, "id" | "tenantId">, type: string, jobKey: string | null, payload: string, signer?: DeliveryToMake["webhook"]): Promise<string> {
    const now = this.clock.now().getTime();
    const at = new Date(now).toISOString();
    const id = `msg_${timeOrderedUuid(now).replaceAll("-", "")}`;
    const delivery: WebhookDelivery = {
      id, tenantId: w.tenantId, webhookId: w.id, type, jobKey, payload, state: "Pending", createdAt: at, nextAttemptAt: at,
      retryUntil: new Date(now + RETRY_WINDOW_MS).toISOString(), deliveredAt: null, attempts: [],
    };
    await this.store.createDelivery(delivery);
    await this.dispatcher.schedule(w.tenantId, id, at, signer ? { delivery, webhook: signer } : undefined);
    return id;
  }
}

function wantsType(w: WebhookRecord, type: string): boolean {
  return w.events.includes("*") || w.events.includes(type);
}

/** The part of WebhookEvents that job changes call (Jobs, Robots). */
export type JobEventHooks = Pick<WebhookEvents, "around" | "aroundAll" | "record">;

/** No webhooks (a core assembled without them): every change runs as it is. */
export const NO_WEBHOOKS: JobEventHooks = {
  around: (_tenantId, _type, change) => change(),
  aroundAll: (_tenantId, _type, change) => change(),
  record: async () => {},
};
