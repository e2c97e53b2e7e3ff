import { setMaxListeners } from "node:events";
import type { Clock } from "../Clock.js";
import { DUE_WORK_LEASE_MS } from "../DueWork.js";
import type { DeliveryToMake, DueWork, Store } from "../store.js";
import type { Resolver } from "./destination.js";
import { BusyGauge } from "./busyGauge.js";
import { sendOnce } from "./send.js";
import { signedHeaders } from "./signature.js";
import type { WebhookAttempt } from "./types.js";

export interface DispatchOptions {
  /** BATON_WEBHOOKS_ALLOW_PRIVATE: loopback and private destinations allowed */
  allowPrivate: boolean;
  resolver: Resolver;
  /** one attempt's limit, connection and answer included (10 s) */
  timeoutMs: number;
  /** deliveries in flight at once on this node */
  concurrency: number;
  /**
   * Whether the node is saturated now (default, BusyGauge: its event loop busy 90 % of two
   * 250 ms windows in a row with callbacks waiting 2.5 ms or more; then until two windows in a
   * row are under 90 % or under 1 ms late, 5 s at most). Then deliveries yield: at most `BUSY_CONCURRENCY` in flight, each slot resting
   * `BUSY_PAUSE_MS` after an attempt, so that invocations keep the CPU; they catch up when the
   * load falls. Tests pass `() => false` or a switch of their own.
   */
  busy?: () => boolean;
  /** the event-loop utilization from which the default `busy` says yes (BATON_WEBHOOKS_YIELD_AT, 0.9); 1 or more: never */
  yieldAt?: number;
}

/** what an attempt left its delivery in: Delivered, Pending (due again after a backoff) or Failed (24 hours of failures) */
export type AttemptOutcome = "delivered" | "retrying" | "failed";
export const ATTEMPT_OUTCOMES: readonly AttemptOutcome[] = ["delivered", "retrying", "failed"];

/** deliveries in flight at once while the node is saturated */
export const BUSY_CONCURRENCY = 2;
/** a slot's rest after an attempt while the node is saturated (at most ~200 deliveries/s then) */
export const BUSY_PAUSE_MS = 10;

/**
 * Deliveries handed over by this node's own commits that may wait for a slot; past it, a new
 * delivery is written unleased, and claimed by whichever node has room (deliveries still start
 * at once when the node keeps up, and queue in the store, not in memory, when it does not).
 */
export const MAX_HANDED = 1000;
/** a handed delivery is not started with less of its lease left than an attempt's timeout and this: it is left to the claim once its lease runs out */
const LEASE_MARGIN_MS = 5_000;

/** how long failed deliveries are retried (SPEC §8: 24 hours), then Failed */
export const RETRY_WINDOW_MS = 24 * 3600_000;
const FIRST_BACKOFF_MS = 5_000;
const MAX_BACKOFF_MS = 3600_000;
/** Delivered and Failed deliveries are kept this long (30 days), then purged */
export const DELIVERY_RETENTION_MS = 30 * 86_400_000;
/** a rotated-out secret keeps signing (as a second signature) this long */
export const ROTATION_GRACE_MS = 24 * 3600_000;

/** The wait before the attempt after the `n`th failed one: 5 s doubling up to an hour, with jitter (half to all of it). */
export function backoffMs(n: number, random: () => number = Math.random): number {
  const ceiling = Math.min(FIRST_BACKOFF_MS * 2 ** Math.max(0, n - 1), MAX_BACKOFF_MS);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Makes webhook deliveries: each is a due-work row of kind `webhook.delivery`, claimed with
 * a lease (longer than an attempt's timeout) by any node, so no two nodes send one delivery
 * at once, and one that dies mid-way lets the lease run out. It claims its own rows rather
 * than through the DueWorkRunner, whose handlers run one after the other: here up to
 * `concurrency` attempts are in flight, so a receiver that hangs holds one slot for at most
 * the timeout and never the others, nor any other due work.
 *
 * **Handed over.** The node that records a delivery due now writes its due row already leased
 * to itself, and hands the delivery (body, URL and secrets, as the change that caused it
 * knew them) to its dispatcher after the commit: it is made as soon as a slot is free, with
 * no claim and no read, and its end (the attempt recorded, the due row deleted or put back)
 * is one write. If the node dies first, the lease runs out and any node claims the row.
 *
 * **Claimed.** Deliveries due later (retries), recorded elsewhere, left by a node that
 * stopped, or past `MAX_HANDED` waiting: this node's timer at their due time, and every
 * `intervalMs` on every node, claims them.
 */
export class WebhookDispatcher {
  private inFlight = new Map<string, Promise<void>>();
  /** deliveries handed over after this node's commits, first come first made */
  private handed: { work: DueWork; toMake: DeliveryToMake }[] = [];
  /**
   * handed deliveries whose change is not on disk yet (SQLite's WAL sync): they take a slot
   * once it is, so a slot is never held waiting for the disk
   */
  private awaitingDisk = 0;
  private claiming: Promise<void> | null = null;
  private again = false;
  /** a claim found no room (or filled it): more may be due, claimed as slots free up */
  private claimWanted = false;
  private interval: NodeJS.Timeout | null = null;
  private readonly aborts = new AbortController();
  private stopped = false;
  private lastPurge = 0;
  private readonly gauge: BusyGauge | null;
  private readonly busy: () => boolean;
  /** the attempts this node made, by what they left the delivery in (GET /metrics) */
  readonly attempts: Record<AttemptOutcome, number> = { delivered: 0, retrying: 0, failed: 0 };

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly owner: string,
    readonly options: DispatchOptions,
    private readonly onError: (err: unknown) => void,
  ) {
    // every attempt in flight listens for the stop
    setMaxListeners(0, this.aborts.signal);
    const yieldAt = options.yieldAt ?? 0.9;
    this.gauge = options.busy || yieldAt >= 1 ? null : new BusyGauge(yieldAt);
    this.busy = options.busy ?? (this.gauge ? () => this.gauge!.busy() : () => false);
  }

  start(intervalMs: number): void {
    if (this.interval || this.stopped) return;
    this.interval = setInterval(() => { this.wake(); this.purgeHourly(); }, intervalMs);
    this.interval.unref();
    this.gauge?.start();
    this.wake();
  }

  /** Stops claiming; attempts in flight are cut off and not recorded (their lease runs out, and the delivery is made again). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.interval) clearInterval(this.interval);
    this.interval = null;
    this.gauge?.stop();
    this.aborts.abort();
    // their leases run out, and any node claims them
    this.handed = [];
    await this.claiming;
    await Promise.all(this.inFlight.values());
    await Promise.all(this.ending);
  }

  /** Once an hour: deliveries made or failed more than 30 days ago are deleted (any node may; each delete is idempotent). */
  private purgeHourly(): void {
    const now = this.clock.now().getTime();
    if (now - this.lastPurge < 3600_000) return;
    this.lastPurge = now;
    this.store.purgeDeliveries(new Date(now - DELIVERY_RETENTION_MS).toISOString()).catch(this.onError);
  }

  /**
   * Writes the due row of a delivery (in the caller's transaction). Given what makes it
   * (`toMake`), due now and with room to wait here, the row is leased to this node and the
   * delivery handed over once committed; otherwise this node wakes at `dueAt` to claim it.
   */
  async schedule(tenantId: string, deliveryId: string, dueAt: string, toMake?: DeliveryToMake): Promise<void> {
    const now = this.clock.now().getTime();
    const handOver = toMake !== undefined && !this.stopped && Date.parse(dueAt) <= now && this.handed.length + this.awaitingDisk < MAX_HANDED;
    const work: DueWork = {
      id: `webhook.delivery:${deliveryId}`, kind: "webhook.delivery", tenantId, ref: deliveryId, dueAt, createdAt: new Date(now).toISOString(), attempts: 0,
      leasedBy: handOver ? this.owner : null, leaseUntil: handOver ? new Date(now + DUE_WORK_LEASE_MS).toISOString() : null,
    };
    await this.store.scheduleWork(work);
    if (handOver) {
      this.store.afterCommit(() => {
        if (this.stopped) return;
        // nothing leaves this node before it is on disk: the batch this delivery (and the
        // change it tells of) committed in, as it is now, not the newer ones a slot would see
        const onDisk = this.store.durable();
        if (!onDisk) return this.hand(work, toMake);
        this.awaitingDisk++;
        onDisk.then(() => this.hand(work, toMake), () => { /* their commit failed: never kept, nothing is sent */ })
          .catch(this.onError)
          .finally(() => { this.awaitingDisk--; });
      });
    } else {
      this.store.afterCommit(() => this.wakeAt(dueAt));
    }
  }

  /** a delivery of this node's commit, on disk: made as soon as a slot is free */
  private hand(work: DueWork, toMake: DeliveryToMake): void {
    if (this.stopped) return;
    this.handed.push({ work, toMake });
    this.startHanded();
  }

  /** the slots free now (fewer while the node is saturated) */
  private room(): number {
    return (this.busy() ? Math.min(BUSY_CONCURRENCY, this.options.concurrency) : this.options.concurrency) - this.inFlight.size;
  }

  /** Starts handed deliveries while slots are free. */
  private startHanded(): void {
    while (this.handed.length > 0 && !this.stopped && this.room() > 0) {
      const { work, toMake } = this.handed.shift()!;
      // waited so long that its lease could run out mid-attempt (another node would send it too): left to the claim
      if (Date.parse(work.leaseUntil!) - this.clock.now().getTime() < this.options.timeoutMs + LEASE_MARGIN_MS) continue;
      this.run(work, toMake, true);
    }
  }

  /** An attempt in a slot; the slot, once free, goes to the next handed delivery, or to a claim when one is wanted. */
  private run(work: DueWork, toMake: DeliveryToMake | null, onDisk = false): void {
    const run = this.attempt(work, toMake, onDisk).catch(this.onError)
      // saturated: the slot rests before it is free again (real time: it is about the CPU)
      .then(() => (this.busy() && !this.stopped ? new Promise<void>((r) => setTimeout(r, BUSY_PAUSE_MS).unref()) : undefined))
      .finally(() => {
        this.inFlight.delete(work.id);
        this.startHanded();
        if (this.claimWanted && this.handed.length === 0) this.wake();
      });
    this.inFlight.set(work.id, run);
  }

  private wakeAt(dueAt: string): void {
    const delay = Date.parse(dueAt) - this.clock.now().getTime();
    if (delay <= 0) this.wake();
    else this.clock.setTimeout(() => this.wake(), delay, { unref: true });
  }

  /** Claims due deliveries while slots are free; a call while claiming makes it go round once more. */
  wake(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    // reset in a .finally, never inside: a round that claims nothing ends without awaiting, before
    // the assignment below, and would leave `claiming` set for good
    this.claiming = (async () => {
      try {
        do {
          this.again = false;
          for (;;) {
            // deliveries handed over go first: they need no claim
            this.startHanded();
            const room = this.room();
            if (room <= 0 || this.stopped) {
              this.claimWanted = !this.stopped;
              break;
            }
            this.claimWanted = false;
            const now = this.clock.now().getTime();
            const due = await this.store.claimDueWork(["webhook.delivery"], new Date(now).toISOString(), this.owner, new Date(now + DUE_WORK_LEASE_MS).toISOString(), room);
            // the claimed deliveries and their subscriptions, in one query for the batch
            const toMake = new Map((await this.store.deliveriesToMake(due.map((w) => w.ref))).map((m) => [m.delivery.id, m]));
            for (const work of due) {
              const found = toMake.get(work.ref);
              this.run(work, found && found.delivery.tenantId === work.tenantId ? found : null);
            }
            if (due.length < room) break;
          }
        } while (this.again && !this.stopped);
      } catch (err) {
        this.onError(err);
      }
    })().finally(() => { this.claiming = null; });
  }

  /** What this node's deliveries are doing now (GET /metrics): yielding to invocations, in flight, waiting for a slot (or for their commit's WAL sync). */
  get stats(): { yielding: boolean; inFlight: number; waiting: number } {
    return { yielding: !this.stopped && this.busy(), inFlight: this.inFlight.size, waiting: this.handed.length + this.awaitingDisk };
  }

  /** Whether nothing is in flight or being claimed (tests wait on deliveries, not on this). */
  get idle(): boolean {
    return this.inFlight.size === 0 && this.claiming === null && this.handed.length === 0 && this.awaitingDisk === 0 && this.ending.size === 0;
  }

  private async attempt(work: DueWork, toMake: DeliveryToMake | null, onDisk: boolean): Promise<void> {
    // deleted with its subscription, or made meanwhile: nothing left to do
    if (!toMake || toMake.delivery.state !== "Pending") {
      await this.store.completeWork(work.id, this.owner);
      return;
    }
    const { delivery, webhook } = toMake;
    // nothing leaves this node before it is on disk: the change this delivery tells of (and the
    // delivery's claim) may wait for SQLite's group commit; if that commit fails, the lease runs
    // out on a delivery that no longer exists, or the change never happened. A handed delivery
    // waited for its own batch before it took the slot
    if (!onDisk) {
      try {
        await this.store.durable();
      } catch {
        // their commit failed: the delivery (or its claim) was never kept, and nothing is sent
        return;
      }
    }
    const timestamp = Math.floor(this.clock.now().getTime() / 1000);
    const secrets = [webhook.secret];
    if (webhook.previousSecret && webhook.previousSecretUntil && Date.parse(webhook.previousSecretUntil) > this.clock.now().getTime()) secrets.push(webhook.previousSecret);
    const headers = signedHeaders(secrets, delivery.id, timestamp, delivery.payload);
    const result: WebhookAttempt = await sendOnce(webhook.url, headers, delivery.payload, { ...this.options }, () => this.clock.now().getTime(), this.aborts.signal);
    // stopped mid-way: not recorded; the lease runs out and the delivery is made again (at least once)
    if (this.aborts.signal.aborted) return;
    // the failures since it was recorded, or redelivered: the backoff starts again with a redelivery
    const windowStart = Date.parse(delivery.retryUntil) - RETRY_WINDOW_MS;
    const failures = delivery.attempts.filter((a) => a.error !== null && Date.parse(a.at) >= windowStart).length + 1;
    const now = this.clock.now().getTime();
    // the attempt and the due row in one write (a node that dies before it leaves the row
    // leased; once its lease runs out, the next node makes the attempt that was due)
    // The slot is free once the receiver has answered: the end is written meanwhile (tracked
    // until it is, for stop() and idle), so a slow write never holds back the next delivery
    const end = { id: work.id, owner: this.owner };
    if (result.error === null) {
      this.attempts.delivered++;
      this.writeEnd(this.store.endDeliveryAttempt(delivery.id, result, "Delivered", null, end));
      return;
    }
    const next = now + backoffMs(failures);
    if (next > Date.parse(delivery.retryUntil)) {
      // retried for 24 hours: Failed, listed for an operator to redeliver; the subscription stays enabled
      this.attempts.failed++;
      this.writeEnd(this.store.endDeliveryAttempt(delivery.id, result, "Failed", null, end));
      return;
    }
    this.attempts.retrying++;
    const at = new Date(next).toISOString();
    this.writeEnd(this.store.endDeliveryAttempt(delivery.id, result, "Pending", at, end).then((ours) => { if (ours) this.wakeAt(at); }));
  }

  /** attempts' ends being written (the slots they used are free already) */
  private readonly ending = new Set<Promise<void>>();

  private writeEnd(write: Promise<unknown>): void {
    const tracked: Promise<void> = write.then(() => {}, this.onError).finally(() => { this.ending.delete(tracked); });
    this.ending.add(tracked);
  }
}
