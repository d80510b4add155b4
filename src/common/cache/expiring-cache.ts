export interface ExpiringCacheOptions {
  /** How long an entry is trusted, in milliseconds, unless `set` is given an earlier end. */
  ttlMs: number;
  /** The most entries held at once. */
  maxEntries: number;
  /**
   * What storing a new key does when the cache is full even after its expired entries are
   * dropped: `clear` starts over (a burst of distinct keys then costs reads, never memory);
   * `keep` keeps what is cached and does not store the new entry.
   */
  whenFull: 'clear' | 'keep';
}

/**
 * Gatehouse's one per-instance cache: entries that expire, a bound on their number, and loads
 * that concurrent misses share. What an instance caches it trusts for a short, stated time; a
 * change made on the instance itself drops the entries it affects at once (`delete`,
 * `deleteWhere`, `clear`), and other instances see it when their entries expire.
 *
 * Values may be null but never undefined, which means "not cached".
 */
export class ExpiringCache<K, V extends NonNullable<unknown> | null> {
  private readonly entries = new Map<K, { value: V; expiresAt: number }>();
  /** Loads under way, which the misses of their key share (see `getOrLoad`). */
  private readonly loads = new Map<K, Promise<V>>();

  constructor(
    private readonly options: ExpiringCacheOptions,
    /** Read at each use (not kept), so that a test moving `Date.now` moves the cache too. */
    private readonly clock: () => number = () => Date.now(),
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The value while it has not expired at `now`; an expired entry is dropped. */
  get(key: K, now = this.clock()): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > now) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  /**
   * Stores a value obtained at `now` for `ttlMs`, or until `expiresAt` (milliseconds since the
   * epoch) when that comes first; nothing is stored when that end is not after `now`.
   */
  set(key: K, value: V, at: { now?: number; expiresAt?: number } = {}): void {
    const now = at.now ?? this.clock();
    const expiresAt = Math.min(now + this.options.ttlMs, at.expiresAt ?? Infinity);
    if (expiresAt <= now) return;
    if (!this.entries.has(key) && !this.makeRoom(now)) return;
    this.entries.set(key, { value, expiresAt });
  }

  /**
   * The cached value, or the one `load` resolves to, stored for `ttlMs` counted from when the
   * load began: what a read saw is never trusted longer than that. Misses of one key while its
   * load is under way share that load. A `delete`, `deleteWhere` or `clear` that covers the key
   * during the load drops it: its result still answers the callers already waiting, but is not
   * stored, and the next caller loads again, so nothing after a change is answered from a read
   * that began before it.
   */
  getOrLoad(key: K, load: () => Promise<V>): Promise<V> {
    const now = this.clock();
    const cached = this.get(key, now);
    if (cached !== undefined) return Promise.resolve(cached);
    const pending = this.loads.get(key);
    if (pending !== undefined) return pending;
    const loading: Promise<V> = load()
      .then((value) => {
        if (this.loads.get(key) === loading) this.set(key, value, { now });
        return value;
      })
      .finally(() => {
        if (this.loads.get(key) === loading) this.loads.delete(key);
      });
    this.loads.set(key, loading);
    return loading;
  }

  /** Drops a key's entry and its load under way. */
  delete(key: K): void {
    this.entries.delete(key);
    this.loads.delete(key);
  }

  /** Drops the entries and loads under way of every key that `matches`. */
  deleteWhere(matches: (key: K) => boolean): void {
    for (const key of this.entries.keys()) if (matches(key)) this.entries.delete(key);
    for (const key of this.loads.keys()) if (matches(key)) this.loads.delete(key);
  }

  clear(): void {
    this.entries.clear();
    this.loads.clear();
  }

  /** Whether a new key may be stored, after dropping expired entries (and more, by `whenFull`). */
  private makeRoom(now: number): boolean {
    const { maxEntries, whenFull } = this.options;
    if (this.entries.size < maxEntries) return true;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) this.entries.delete(key);
    }
    if (this.entries.size < maxEntries) return true;
    if (whenFull === 'keep') return false;
    this.entries.clear();
    return true;
  }
}
