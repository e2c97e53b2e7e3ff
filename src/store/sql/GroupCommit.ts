/** captured at load, so that fake timers in tests cannot stall a group commit */
const realSetImmediate = setImmediate;

/** One waiting write: its item, and how to answer its caller. */
export interface Pending<T> {
  item: T;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Group commit: the writes that come during one turn of the event loop (every request read
 * in it) are handed to `write` together, right after it (setImmediate), at most `maxBatch`
 * at a time, in the order they came. Each caller's promise settles only once `write` settles
 * its entry, that is once its row is committed. Both engines batch new jobs with it; each
 * writes a batch its own way (one transaction on SQLite, one statement on PostgreSQL).
 */
export class GroupCommit<T> {
  private readonly waiting: Pending<T>[] = [];
  private readonly flushes = new Set<Promise<void>>();

  constructor(
    /** writes a batch and settles every entry of it (never throws) */
    private readonly write: (batch: Pending<T>[]) => Promise<void>,
    private readonly maxBatch = Number.POSITIVE_INFINITY,
  ) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.waiting.length === 1) realSetImmediate(() => this.flush());
    });
  }

  /** writes whatever waits, and waits for the batches being written (before the connection closes) */
  async drain(): Promise<void> {
    while (this.waiting.length > 0) this.flush();
    await Promise.all(this.flushes);
  }

  private flush(): void {
    const batch = this.waiting.splice(0, this.maxBatch);
    if (this.waiting.length > 0) realSetImmediate(() => this.flush());
    if (batch.length === 0) return;
    const flush = this.write(batch)
      .catch((err: unknown) => { for (const b of batch) b.reject(err); })
      .finally(() => this.flushes.delete(flush));
    this.flushes.add(flush);
  }
}
