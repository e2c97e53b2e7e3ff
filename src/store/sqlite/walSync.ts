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

/**
 * Group sync of the WAL: SQLite commits without waiting for the disk (`synchronous=NORMAL`,
 * still safe from corruption in WAL mode), and each committed batch is durable once an fsync
 * that started after its commit has returned. Batches that commit while an fsync runs wait
 * for the next one, which covers them all: at most one fsync runs at a time, and the event
 * loop never waits for one.
 */
export class WalSync {
  private running = false;
  private waiting: Waiter[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly file: FileSync) {}

  /** `waiter` is told once its (already committed) writes are on disk, or that syncing them failed */
  after(waiter: Waiter): void {
    this.waiting.push(waiter);
    if (!this.running) this.next();
  }

  private next(): void {
    const batch = this.waiting;
    this.waiting = [];
    this.running = true;
    this.file.sync((err) => {
      this.running = false;
      for (const w of batch) {
        if (err) w.reject(new Error(`The SQLite write-ahead log could not be synced to disk (${(err as NodeJS.ErrnoException).code ?? err.message}); the last writes may not survive a power loss.`, { cause: err }));
        else w.resolve();
      }
      if (this.waiting.length > 0) this.next();
      else for (const resolve of this.idleWaiters.splice(0)) resolve();
    });
  }

  /** resolves once no sync runs or waits */
  idle(): Promise<void> {
    if (!this.running && this.waiting.length === 0) return Promise.resolve();
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
