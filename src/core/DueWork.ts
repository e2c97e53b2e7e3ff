import { randomUUID } from "node:crypto";
import type { Clock } from "./Clock.js";
import type { DueWork, DueWorkKind, NewDueWork, Store } from "./store.js";

export type DueWorkHandler = (work: DueWork) => Promise<void>;

/** how long a node holds a due row it claimed before another node may take it */
export const DUE_WORK_LEASE_MS = 60_000;
/** rows claimed per round */
const BATCH = 100;

/**
 * Durable time (DESIGN, "Durable time"): work that falls due later is a row of the store's
 * due-work table, written in the transaction that causes it, and run by whichever node claims
 * it first once it is due. Maintenance runs `runDue()` every tick on every node; on the node
 * that scheduled the work, a timer of the clock also runs it at the due moment exactly. The
 * timer is only a hint: a restart forgets it, the row is not forgotten.
 *
 * A handler that returns has done the work, and the row is deleted. One that throws puts
 * the row back, due again after a wait that doubles with each attempt (1 min to 1 h); a
 * node that dies while running it lets its lease (DUE_WORK_LEASE_MS) run out.
 */
export class DueWorkRunner {
  /** this node's name in the rows it leases */
  readonly owner = `node-${randomUUID()}`;
  private readonly handlers = new Map<DueWorkKind, DueWorkHandler>();
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** the code that does the work of a kind, when it falls due */
  handle(kind: DueWorkKind, handler: DueWorkHandler): void {
    this.handlers.set(kind, handler);
  }

  /**
   * Writes the row (in the caller's transaction, if one is open) and arms this node's timer
   * for the moment it falls due.
   */
  async schedule(work: Omit<NewDueWork, "createdAt">): Promise<void> {
    const now = this.clock.now().getTime();
    await this.store.scheduleWork({ ...work, createdAt: new Date(now).toISOString() });
    const delay = Math.max(0, Date.parse(work.dueAt) - now);
    this.store.afterCommit(() => this.clock.setTimeout(() => void this.runDue().catch(this.onError), delay, { unref: true }));
  }

  /** Runs every row due now, a batch at a time; calls that come while it runs make it go round once more. */
  runDue(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          while (await this.runBatch() === BATCH) { /* more may be due */ }
        } while (this.again);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private async runBatch(): Promise<number> {
    const now = this.clock.now().getTime();
    // only the kinds this node can run: a newer node's kinds are left to the nodes that know them
    const kinds = [...this.handlers.keys()];
    const due = await this.store.claimDueWork(kinds, new Date(now).toISOString(), this.owner, new Date(now + DUE_WORK_LEASE_MS).toISOString(), BATCH);
    for (const work of due) {
      try {
        await this.handlers.get(work.kind)!(work);
        await this.store.completeWork(work.id, this.owner);
      } catch (err) {
        // tried again later, waiting longer each time (1 min, 2, 4, … at most an hour)
        const delayMs = Math.min(DUE_WORK_LEASE_MS * 2 ** work.attempts, 3600_000);
        const again = new Date(this.clock.now().getTime() + delayMs).toISOString();
        await this.store.rescheduleWork(work.id, this.owner, again).catch(() => false);
        this.onError(new Error(`Due work ${work.id} (${work.kind}) failed (attempt ${work.attempts + 1}); it is tried again at ${again}.`, { cause: err }));
      }
    }
    return due.length;
  }
}
