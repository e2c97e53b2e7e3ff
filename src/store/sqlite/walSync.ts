import { close, fsync, open } from "node:fs";

/** Makes a file's writes durable (an fsync), calling back when done. */
export interface FileSync {
  sync(done: (err: Error | null) => void): void;
  /** closes what it opened, once no sync is running */
  close(): void;
}

/**
 * The WAL file synced off the event loop (libuv's thread pool), opened at its first sync
 * (SQLite creates it at the first write). An fsync on any descriptor of a file makes all of
 * that file's written data durable, SQLite's own writes included.
 */
export function fsyncOf(path: string): FileSync {
  let fd: number | null = null;
  return {
    sync(done) {
      const run = (f: number) => fsync(f, (err) => done(err));
      if (fd !== null) return run(fd);
      open(path, "r", (err, opened) => {
        if (err) return done(err);
        fd = opened;
        run(opened);
      });
    },
    close() {
      if (fd !== null) close(fd, () => {});
      fd = null;
    },
  };
}

/** at most this many fsyncs of the WAL run at once (libuv's pool has 4 threads, shared with the rest of the process) */
const MAX_SYNCS = 2;

/**
 * Group sync of the WAL: SQLite commits without waiting for the disk (`synchronous=NORMAL`,
 * still safe from corruption in WAL mode), and each committed batch is durable once an fsync
 * that started after its commit has returned. A batch's fsync starts at its commit unless
 * `MAX_SYNCS` run already; the batches that commit meanwhile share the next one. (One at a
 * time, a batch committed just after an fsync began waited for it and then for its own.)
 * Any fsync that returns covers every batch committed before it began, so the waiters of an
 * earlier fsync still running are told too. The event loop never waits for one.
 */
export class WalSync {
  private running = 0;
  /** committed batches whose fsync has not begun, then those of each running fsync, oldest first */
  private waiting: Waiter[] = [];
  private readonly inFlight: Waiter[][] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly file: FileSync, private readonly maxSyncs = MAX_SYNCS) {}

  /** `waiter` is told once its (already committed) writes are on disk, or that syncing them failed */
  after(waiter: Waiter): void {
    this.waiting.push(waiter);
    if (this.running < this.maxSyncs) this.next();
  }

  private next(): void {
    const batch = this.waiting;
    this.waiting = [];
    this.running += 1;
    this.inFlight.push(batch);
    this.file.sync((err) => {
      this.running -= 1;
      // this fsync covers its own batches and those of every fsync that began before it
      const at = this.inFlight.indexOf(batch);
      const told = this.inFlight.splice(0, at + 1);
      for (const [i, waiters] of told.entries()) {
        // an earlier fsync still running that failed would have told its own: here only this one's error counts for this one's batches
        const failed = err && i === told.length - 1;
        for (const w of waiters) {
          if (failed) w.reject(new Error(`The SQLite write-ahead log could not be synced to disk (${(err as NodeJS.ErrnoException).code ?? err.message}); the last writes may not survive a power loss.`, { cause: err }));
          else if (!err) w.resolve();
        }
      }
      if (err) {
        // the earlier batches this failed fsync would have covered wait for their own fsyncs
        for (const waiters of told.slice(0, -1).reverse()) this.inFlight.unshift(waiters);
      }
      if (this.waiting.length > 0 && this.running < this.maxSyncs) this.next();
      else if (this.running === 0 && this.waiting.length === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    });
  }

  /** resolves once no sync runs or waits */
  idle(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    await this.idle();
    this.file.close();
  }
}

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}
