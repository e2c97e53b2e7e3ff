/**
 * A small cache for the lookups every invocation makes (token, trigger, process). Entries
 * live `ttlMs` at most; whoever changes the underlying records clears the cache through a
 * notifier event, on every node, so the TTL only bounds how long a missed event matters.
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
   * Keeps `value` for the TTL. A full cache first drops its oldest entry (the first set of
   * those it holds): it was emptied whole, so past `maxEntries` live keys (sessions, tokens)
   * every key was read from the store again at each wrap.
   */
  set(key: string, value: V): void {
    // (set again, a key moves to the end: it is the newest)
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, expires: Date.now() + this.ttlMs });
  }

  /** how many entries it holds (expired ones included until read) */
  get size(): number {
    return this.entries.size;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
