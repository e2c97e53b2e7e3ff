import type { TimeTrigger } from "../types.js";

/** Time triggers (SPEC §9) and the record of the slots they fired. */
export interface TimeTriggerStore {
  /** 409 time-trigger-exists when the folder has a time trigger of that name */
  createTimeTrigger(trigger: TimeTrigger): Promise<void>;
  getTimeTrigger(tenantId: string, id: string): Promise<TimeTrigger | null>;
  /** a folder's time triggers, by name; every folder's when `folderKey` is null */
  listTimeTriggers(tenantId: string, folderKey: string | null): Promise<TimeTrigger[]>;
  /** writes every field; 409 time-trigger-exists on a taken name */
  updateTimeTrigger(trigger: TimeTrigger): Promise<void>;
  /** deletes it and its fire records */
  deleteTimeTrigger(tenantId: string, id: string): Promise<boolean>;
  /**
   * Conditional: moves an enabled trigger's next slot from `from` to `to`. False when it is
   * no longer enabled at `from` (another node fired that slot, or it was disabled or changed
   * meanwhile). On PostgreSQL the row stays locked until the transaction ends, so a racer
   * waits, then finds the condition false.
   */
  advanceTimeTrigger(tenantId: string, id: string, from: string, to: string | null, updatedAt: string): Promise<boolean>;
  /**
   * Records that the trigger fired `slot` (its primary key: one row per slot). False when the
   * slot was already recorded: then nothing may be started for it again.
   */
  recordTimeTriggerFire(triggerId: string, slot: string, jobKey: string | null, firedAt: string): Promise<boolean>;
  /** forgets fire records of slots before `before` (older than any slot a stale node could still try) */
  purgeTimeTriggerFires(triggerId: string, before: string): Promise<number>;
  /** marks a job as started by the trigger for the slot, and the slot's fire record with the job (in the transaction that created it) */
  tagTimeTriggerJob(tenantId: string, jobKey: string, triggerId: string, slot: string): Promise<void>;
  /** forgets the due work row of this id, if any */
  cancelWork(id: string): Promise<void>;
}
