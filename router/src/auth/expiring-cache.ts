/**
 * A bounded map whose entries expire at their own time: what the router keeps of verified credentials and signed
 * assertions. When full, expired entries go first, then the oldest tenth (a Map iterates in insertion order), so an
 * attacker sending endless distinct credentials costs memory up to the bound and evicts nothing for long.
 */
export class ExpiringCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  constructor(private readonly maxEntries = 10_000) {}

  get(key: string, now = Date.now()): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until > now) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  /** Keeps `value` until the epoch millisecond `until`. */
  set(key: string, value: V, until: number, now = Date.now()): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.evict(now);
    this.entries.set(key, { value, until });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(now: number): void {
    for (const [key, entry] of this.entries) if (entry.until <= now) this.entries.delete(key);
    let drop = this.entries.size >= this.maxEntries ? Math.ceil(this.maxEntries / 10) : 0;
    for (const key of this.entries.keys()) {
      if (drop-- <= 0) break;
      this.entries.delete(key);
    }
  }
}
