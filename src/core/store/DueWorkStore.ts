/**
 * Durable time: work that falls due at a moment (a retry's end of backoff, a webhook
 * delivery, a time trigger's next slot). A row is written in the transaction that causes
 * it, so a restart forgets nothing; any node claims due rows with a conditional update that
 * leases them, so no two nodes do one at once, and a node that dies with a lease lets it run
 * out and the row falls due again.
 */
export interface DueWorkStore {
  /**
   * Writes (or moves) the work `id` to fall due at `dueAt`: one row per id, so scheduling the
   * same thing twice keeps one row, due at the later call's time.
   */
  scheduleWork(work: NewDueWork): Promise<void>;
  /**
   * Leases up to `limit` rows of these kinds (the ones the caller can run) due at `now` (not
   * leased, or whose lease ran out) to `owner` until `leaseUntil`, oldest due first; each row
   * to one caller only.
   */
  claimDueWork(kinds: readonly DueWorkKind[], now: string, owner: string, leaseUntil: string, limit: number): Promise<DueWork[]>;
  /** Deletes a row once done; false when it is no longer this owner's (its lease ran out and another took it). */
  completeWork(id: string, owner: string): Promise<boolean>;
  /** Puts a leased row back, due at `dueAt`, counting the attempt (a failed delivery's next try). */
  rescheduleWork(id: string, owner: string, dueAt: string): Promise<boolean>;
  getWork(id: string): Promise<DueWork | null>;
}

/** What kind of work a row is: the core runs each kind with its own handler. */
export type DueWorkKind = "job.retry" | "webhook.delivery" | "time-trigger.slot";

export interface NewDueWork {
  /** one row per thing: `job.retry:<jobKey>`, … */
  id: string;
  kind: DueWorkKind;
  tenantId: string | null;
  /** what the work is about: a job's key, a delivery's id, a trigger's id */
  ref: string;
  dueAt: string;
  createdAt: string;
  /**
   * Written already leased to this owner until `leaseUntil` (both or neither): the node that
   * writes the row runs it itself, at once, without claiming it (a webhook delivery handed
   * to its dispatcher); if that node dies, the lease runs out and any node claims the row.
   */
  leasedBy?: string | null;
  leaseUntil?: string | null;
}

export interface DueWork extends NewDueWork {
  /** how many times it was leased and put back */
  attempts: number;
  leasedBy: string | null;
  leaseUntil: string | null;
}
