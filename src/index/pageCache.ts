/**
 * A bounded LRU of rendered responses. Entries carry the catalog serial they
 * were rendered at; a lookup with a newer serial misses, so a change made by
 * any process sharing the store is seen on the next request. The byte bound
 * keeps memory flat however many projects an index holds.
 */
export interface CachedPage {
  serial: number;
  body: Buffer;
  etag: string;
  contentType: string;
  /** Epoch ms after which the page must be rendered again (a time-bound hold ends, a stale upstream copy). */
  expiresAt?: number;
  /** Extra response headers (e.g. the stale-upstream warning). */
  headers?: Record<string, string>;
}

export class PageCache {
  private readonly entries = new Map<string, CachedPage>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string, serial: number, now: number = Date.now()): CachedPage | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.serial !== serial || (entry.expiresAt !== undefined && entry.expiresAt <= now)) {
      this.remove(key, entry);
      return undefined;
    }
    // Re-insert to mark as most recently used.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  set(key: string, page: CachedPage): void {
    const old = this.entries.get(key);
    if (old !== undefined) this.remove(key, old);
    if (page.body.length > this.maxBytes / 4) return;
    this.entries.set(key, page);
    this.bytes += page.body.length;
    while (this.bytes > this.maxBytes) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      const victim = this.entries.get(oldest.value);
      if (victim !== undefined) this.remove(oldest.value, victim);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private remove(key: string, entry: CachedPage): void {
    this.entries.delete(key);
    this.bytes -= entry.body.length;
  }
}
