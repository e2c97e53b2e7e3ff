/**
 * A small cache for the lookups every invocation makes (token, trigger, process). Entries
 * live `ttlMs` at most; whoever changes the underlying records clears the cache through a
 * notifier event, on every node, so the TTL only bounds how long a missed event matters.
 *
 * The entries are kept in the order they were set (a key set again moves to the end), which,
 * with one TTL for all, is the order they expire in: `sweep` drops the expired ones from the
 * front and stops at the first live one.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();

  constructor(private readonly ttlMs: number, private readonly maxEntries = 10_000) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /**
   * Keeps `value` for the TTL. A full cache drops its expired entries, and if it is still
   * full its oldest sixteenth at once: it emptied itself whole, so past `maxEntries` live
   * keys every key was read from the store again at each wrap. (Not one entry a set: a Map
   * whose first entries were deleted is walked past them to find the next, ~12 µs a set.)
   */
  set(key: string, value: V): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      this.sweep();
      if (this.entries.size >= this.maxEntries) {
        let drop = Math.max(1, this.maxEntries >> 4);
        for (const k of this.entries.keys()) {
          if (drop-- === 0) break;
          this.entries.delete(k);
        }
      }
    }
    this.entries.set(key, { value, expires: Date.now() + this.ttlMs });
  }

  /** Drops the expired entries (those at the front), so that none outlives its TTL for long in memory. */
  sweep(now = Date.now()): void {
    for (const [k, entry] of this.entries) {
      if (entry.expires > now) return;
      this.entries.delete(k);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  /** how many entries it holds (expired ones included until read or swept) */
  get size(): number {
    return this.entries.size;
  }
}
