import { randomUUID } from "node:crypto";
import type { Catalog } from "./Catalog.js";
import type { Clock } from "./Clock.js";
import { cronSchedule, localTime, cronProblem, timeZoneProblem } from "./cronSchedule.js";
import { describeCron } from "./cronDescription.js";
import type { DueWorkRunner } from "./DueWork.js";
import { badRequest, BatonError, TimeTriggerExists, TimeTriggerNotFound, type Violation } from "./errors.js";
import { isUuid } from "./identifiers.js";
import type { Jobs } from "./Jobs.js";
import { applyTimeTriggerFields, REQUIRED_TIME_TRIGGER_FIELDS } from "./timeTriggerInput.js";
import type { DueWork, Store } from "./store.js";
import type { TimeTrigger } from "./types.js";

/** `?count=` of a preview: its default and its most */
export const PREVIEW_DEFAULT_COUNT = 5;
export const PREVIEW_MAX_COUNT = 100;
/**
 * A slot is missed (and `missedRunPolicy` applies) when the slot after it is this much in the
 * past too: every node was down. A node that is merely late (its loop runs each second, or it
 * was busy) fires the slot and every one since, each with its own job.
 */
export const MISSED_AFTER_MS = 10_000;
/** slots one run fires at most (a late node catching up); the rest in the next run */
const MAX_SLOTS_PER_RUN = 100;
/** fire records older than this are forgotten: no node can still be about to fire such a slot */
const FIRE_RECORD_KEPT_MS = 86_400_000;

const workId = (triggerId: string) => `time-trigger.slot:${triggerId}`;

export interface Preview {
  description: string | null;
  items: { at: string; localTime: string }[];
}

/**
 * Time triggers (SPEC §9). A trigger's next slot is kept on the trigger (`nextRunAt`) and a
 * due-work row (`time-trigger.slot`) wakes whichever node claims it at that moment; the row is
 * written in the transaction that creates, enables or changes the trigger. Firing a slot is one
 * transaction: the trigger moves on to its next slot only if it still stands at this one (a
 * conditional update), the slot is recorded under a primary key (trigger, slot), the job is
 * created, and the next row is written. A second node that fires the same slot finds the
 * condition false or the record taken, and creates nothing: one job per slot, however many
 * nodes run.
 */
export class TimeTriggers {
  constructor(
    private readonly store: Store,
    private readonly catalog: Catalog,
    private readonly jobs: Jobs,
    private readonly dueWork: DueWorkRunner,
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void,
  ) {
    dueWork.handle("time-trigger.slot", (work) => this.fire(work));
  }

  async getOrThrow(tenantId: string, id: string): Promise<TimeTrigger> {
    const trigger = isUuid(id) ? await this.store.getTimeTrigger(tenantId, id) : null;
    if (!trigger) throw TimeTriggerNotFound(id);
    return trigger;
  }

  async list(tenantId: string, folderKey: string | null): Promise<TimeTrigger[]> {
    if (folderKey !== null) await this.catalog.folderOrThrow(tenantId, folderKey);
    return this.store.listTimeTriggers(tenantId, folderKey);
  }

  async create(tenantId: string, folderKey: string, input: unknown): Promise<TimeTrigger> {
    await this.catalog.folderOrThrow(tenantId, folderKey);
    const body = typeof input === "object" && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
    // every fault of the body in one answer: the missing fields with the wrong ones
    const missing: Violation[] = REQUIRED_TIME_TRIGGER_FIELDS.filter((k) => body[k] === undefined).map((k) => ({ path: `/${k}`, message: "is required" }));
    const at = this.clock.now().toISOString();
    const trigger = applyTimeTriggerFields({
      id: randomUUID(), tenantId, folderKey, name: "", processName: "", cron: "", timeZone: "UTC", arguments: {}, priority: "Inherit", enabled: true,
      missedRunPolicy: "Skip", nextRunAt: null, createdAt: at, updatedAt: at,
    }, input, missing);
    await this.catalog.processOrThrow(tenantId, folderKey, trigger.processName);
    return this.store.transaction(async () => {
      if ((await this.store.listTimeTriggers(tenantId, folderKey)).some((t) => t.name === trigger.name)) throw TimeTriggerExists(trigger.name);
      const created = { ...trigger, nextRunAt: this.firstSlot(trigger) };
      await this.store.createTimeTrigger(created);
      await this.schedule(created);
      return created;
    });
  }

  /** PATCH: any field; a new cron, time zone or enabling schedules from now (no backlog); disabling leaves nothing due */
  async update(tenantId: string, id: string, input: unknown): Promise<TimeTrigger> {
    return this.store.transaction(async () => {
      const existing = await this.getOrThrow(tenantId, id);
      const changed = applyTimeTriggerFields({ ...existing, updatedAt: this.clock.now().toISOString() }, input);
      if (changed.processName !== existing.processName) await this.catalog.processOrThrow(tenantId, existing.folderKey, changed.processName);
      if (changed.name !== existing.name && (await this.store.listTimeTriggers(tenantId, existing.folderKey)).some((t) => t.name === changed.name)) {
        throw TimeTriggerExists(changed.name);
      }
      const reschedule = changed.cron !== existing.cron || changed.timeZone !== existing.timeZone || changed.enabled !== existing.enabled;
      const updated = reschedule ? { ...changed, nextRunAt: this.firstSlot(changed) } : changed;
      await this.store.updateTimeTrigger(updated);
      if (reschedule) await this.schedule(updated);
      return updated;
    });
  }

  async delete(tenantId: string, id: string): Promise<void> {
    await this.store.transaction(async () => {
      if (!(isUuid(id) && (await this.store.deleteTimeTrigger(tenantId, id)))) throw TimeTriggerNotFound(id);
      await this.store.cancelWork(workId(id));
    });
  }

  /** The next `count` slots from now, and the cron in words when it has a common shape. */
  preview(trigger: Pick<TimeTrigger, "cron" | "timeZone">, count: number): Preview {
    const runs = cronSchedule(trigger.cron, trigger.timeZone).nextRuns(count, this.clock.now());
    return { description: describeCron(trigger.cron, trigger.timeZone), items: runs.map((at) => ({ at: at.toISOString(), localTime: localTime(at, trigger.timeZone) })) };
  }

  /** A preview of a cron not saved yet (the console's form): 400 invalid-time-trigger listing every fault. */
  previewCron(cron: unknown, timeZone: unknown, count: number): Preview {
    const problems: Violation[] = [];
    const cronBad = cronProblem(cron);
    if (cronBad) problems.push({ path: "/cron", message: cronBad });
    const zone = timeZone ?? "UTC";
    const zoneBad = timeZoneProblem(zone);
    if (zoneBad) problems.push({ path: "/timeZone", message: zoneBad });
    if (problems.length) throw badRequest("invalid-time-trigger", problems.map((p) => `${p.path.slice(1)}: ${p.message}`).join("; "), { violations: problems });
    return this.preview({ cron: (cron as string).trim(), timeZone: zone as string }, count);
  }

  describe(trigger: TimeTrigger): string | null {
    return describeCron(trigger.cron, trigger.timeZone);
  }

  /** the slot an enabled trigger fires first from now; none while disabled */
  private firstSlot(trigger: TimeTrigger): string | null {
    if (!trigger.enabled) return null;
    return cronSchedule(trigger.cron, trigger.timeZone).nextAfter(this.clock.now())?.toISOString() ?? null;
  }

  /** the trigger's due row: at its next slot, or none */
  private async schedule(trigger: TimeTrigger): Promise<void> {
    if (trigger.nextRunAt === null) await this.store.cancelWork(workId(trigger.id));
    else await this.dueWork.schedule({ id: workId(trigger.id), kind: "time-trigger.slot", tenantId: trigger.tenantId, ref: trigger.id, dueAt: trigger.nextRunAt });
  }

  /**
   * The due-work handler of `time-trigger.slot`: fires the trigger's slot, at most once (see
   * the class's comment), however many nodes run it at once with the same row.
   */
  async fire(work: DueWork): Promise<void> {
    if (work.tenantId === null) return;
    const tenantId = work.tenantId;
    await this.store.transaction(async () => {
      const trigger = await this.store.getTimeTrigger(tenantId, work.ref);
      // deleted or disabled meanwhile: nothing is due (the row is deleted once this returns)
      if (!trigger || !trigger.enabled || trigger.nextRunAt === null) return;
      const now = this.clock.now();
      const slot = trigger.nextRunAt;
      if (Date.parse(slot) > now.getTime()) {
        // woken early (a row put back after a failure, say): wait for the slot
        await this.schedule(trigger);
        return;
      }
      const schedule = cronSchedule(trigger.cron, trigger.timeZone);
      const following = schedule.nextAfter(new Date(slot));
      const missed = following !== null && following.getTime() <= now.getTime() - MISSED_AFTER_MS;
      // missed: policy, then the first slot after now. Late: this slot and every one since, then the next to come
      const fire: string[] = missed ? (trigger.missedRunPolicy === "RunOnce" ? [slot] : []) : [slot];
      let next = missed ? schedule.nextAfter(now) : following;
      while (!missed && next !== null && next.getTime() <= now.getTime() && fire.length < MAX_SLOTS_PER_RUN) {
        fire.push(next.toISOString());
        next = schedule.nextAfter(next);
      }
      const nextRunAt = next?.toISOString() ?? null;
      const at = now.toISOString();
      if (!(await this.store.advanceTimeTrigger(tenantId, trigger.id, slot, nextRunAt, at))) return;
      for (const s of fire) {
        if (await this.store.recordTimeTriggerFire(trigger.id, s, null, at)) await this.startJob(trigger, s);
      }
      // (a next slot already due, past MAX_SLOTS_PER_RUN, is run at once by the timer this arms)
      await this.schedule({ ...trigger, nextRunAt });
      await this.store.purgeTimeTriggerFires(trigger.id, new Date(Date.parse(slot) - FIRE_RECORD_KEPT_MS).toISOString());
    });
  }

  private async startJob(trigger: TimeTrigger, slot: string): Promise<void> {
    try {
      const job = await this.jobs.startForTimeTrigger(trigger);
      await this.store.tagTimeTriggerJob(trigger.tenantId, job.key, trigger.id, slot);
    } catch (err) {
      // arguments the process's inputSchema refuses: the slot is spent without a job (trying again would fail again)
      if (!(err instanceof BatonError) || err.status >= 500) throw err;
      this.onError(new Error(`Time trigger ${trigger.id} (${trigger.name}) could not start a job for ${slot}: ${err.message}`, { cause: err }));
    }
  }
}
