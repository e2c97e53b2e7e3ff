import { close, fsync, openSync } from "node:fs";

/** Makes a file's writes durable (an fsync), calling back when done. */
export interface FileSync {
  /** opens the file now: the error when it cannot (its syncs then fail with it) */
  open?(): Error | null;
  sync(done: (err: Error | null) => void): void;
  /** closes what it opened, once no sync is running */
  close(): void;
}

/**
 * The WAL file synced off the event loop (libuv's thread pool), through a descriptor opened
 * by `open()` (WalSync opens every slot's once the WAL exists) or else at its first sync. An
 * fsync on any descriptor of a file makes all of that file's written data durable, SQLite's
 * own writes included. A file that could not be opened is never opened later (a descriptor
 * opened after an error was reported would not see it): every sync fails with that error.
 */
export function fsyncOf(path: string): FileSync {
  let fd: number | null = null;
  let openError: Error | null = null;
  const open = (): Error | null => {
    if (fd !== null || openError) return openError;
    try {
      fd = openSync(path, "r");
    } catch (err) {
      openError = err as Error;
    }
    return openError;
  };
  return {
    open,
    sync(done) {
      const err = open();
      if (err) return done(err);
      fsync(fd!, (e) => done(e));
    },
    close() {
      if (fd !== null) close(fd, () => {});
      fd = null;
    },
  };
}

/**
 * How many fsyncs of the WAL may run at once, each on a descriptor of its own (libuv's pool
 * has 8 threads as `baton` starts it, Node's 4 otherwise, shared with the rest of the process).
 */
export const WAL_SYNCS = 2;

/**
 * Group sync of the WAL: SQLite commits without waiting for the disk (`synchronous=NORMAL`,
 * still safe from corruption in WAL mode), and each committed batch is durable once an fsync
 * that started after its commit has returned. A batch's fsync starts at its commit unless
 * every slot's runs already; the batches that commit meanwhile share the next one. (One at a
 * time, a batch committed just after a sync began waited for that one and then its own.) An
 * fsync that returns covers every batch committed before it began, so the waiters of an
 * earlier fsync still running are told too, in commit order. The event loop never waits.
 *
 * **Each slot has its own descriptor, all opened together.** Linux reports a writeback error
 * once per open file description: two fsyncs on one descriptor could see one the error and
 * the other success, and the success would acknowledge pages that never reached the disk. On
 * descriptors of their own, each fsync sees every error since its own last one, or since
 * it was opened, if no descriptor had reported it yet: a descriptor opened after another
 * reported an error (SQLite's own, at a checkpoint, whose result SQLite ignores) would never
 * see it. So every slot's descriptor is opened as soon as the WAL exists, after the store's
 * migrations (SQLite creates it at the first write, or when it opens a database in WAL mode
 * that has one), and none is opened later.
 *
 * **A failed sync fails the node's writes for good.** After an fsync error the pages that
 * failed are marked clean and lost, and SQLite, recovering its WAL, stops at the first frame
 * it cannot read: whatever was committed after it would be lost too, however well its own
 * sync went. So every batch not yet told, and every later one, is refused with that error
 * (their answers are 503 store-unavailable; `failure` makes `/readyz` fail) until the
 * process is restarted and SQLite has recovered, as PostgreSQL stops after a failed fsync.
 */
export class WalSync {
  private readonly slots: Slot[];
  /** committed batches whose fsync has not begun */
  private waiting: Waiter[] = [];
  /** the batches of the running fsyncs, in the order they began */
  private readonly inFlight: Waiter[][] = [];
  private idleWaiters: (() => void)[] = [];
  private failed: Error | null = null;
  /** whether the slots' descriptors were opened (after the store's migrations, else at the first batch) */
  private opened = false;

  /** `files`: one FileSync per slot, each on its own descriptor of the WAL */
  constructor(files: readonly FileSync[]) {
    if (files.length === 0) throw new Error("WalSync needs at least one FileSync");
    this.slots = files.map((file) => ({ file, busy: false }));
  }

  /** the error of the sync that failed, after which no write is durable (null while none has) */
  get failure(): Error | null {
    return this.failed;
  }

  /**
   * Opens every slot's descriptor, once: as soon as the WAL exists (the store calls it after
   * its migrations; the first batch otherwise). One that cannot be opened fails the node's
   * writes, as a failed sync does.
   */
  open(): void {
    if (this.opened) return;
    this.opened = true;
    for (const slot of this.slots) {
      const err = slot.file.open?.() ?? null;
      if (err && !this.failed) this.failed = syncFailure(err);
    }
  }

  /** `waiter` is told once its (already committed) writes are on disk, or that syncing them failed */
  after(waiter: Waiter): void {
    this.open();
    if (this.failed) {
      waiter.reject(this.failed);
      return;
    }
    this.waiting.push(waiter);
    const free = this.slots.find((slot) => !slot.busy);
    if (free) this.start(free);
  }

  private start(slot: Slot): void {
    const batch = this.waiting;
    this.waiting = [];
    slot.busy = true;
    this.inFlight.push(batch);
    slot.file.sync((err) => {
      slot.busy = false;
      if (err && !this.failed) this.failed = syncFailure(err);
      if (this.failed) {
        for (const waiters of this.inFlight.splice(0)) for (const w of waiters) w.reject(this.failed);
        for (const w of this.waiting.splice(0)) w.reject(this.failed);
      } else {
        // this fsync covers its own batches and those of every fsync that began before it
        const at = this.inFlight.indexOf(batch);
        for (const waiters of this.inFlight.splice(0, at + 1)) for (const w of waiters) w.resolve();
        if (this.waiting.length > 0) this.start(slot);
      }
      if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
    });
  }

  /** resolves once no sync runs or waits */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.waiting.length === 0 && !this.slots.some((s) => s.busy);
  }

  async close(): Promise<void> {
    await this.idle();
    for (const slot of this.slots) slot.file.close();
  }
}

function syncFailure(err: Error): Error {
  return new Error(
    `The SQLite write-ahead log could not be synced to disk (${(err as NodeJS.ErrnoException).code ?? err.message}); the last writes may not survive a power loss, ` +
    "and no write is acknowledged until Baton is restarted (check the disk).",
    { cause: err },
  );
}

/** a sync slot: its descriptor of the WAL, and whether an fsync of it runs */
interface Slot {
  file: FileSync;
  busy: boolean;
}

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}
