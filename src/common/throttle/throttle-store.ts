import type Redis from 'ioredis';

/** A counter and the moment (epoch ms) its window ends and it is forgotten. */
export interface WindowCount {
  count: number;
  resetAt: number;
}

/**
 * Expiring counters, the primitives of login throttling and rate limiting. Every operation is
 * atomic on its key. Time is passed in (`now`, epoch ms) rather than read, so that every instance
 * and every test agrees on it; a key's end is stored with it and also set as its expiry, so
 * nothing outlives its window.
 */
export interface ThrottleStore {
  /**
   * Counts one hit at `key`. Fixed windows: a key with no open window starts one of `windowMs`
   * at `now` and counts from 1; later hits in the window do not move its end.
   */
  increment(key: string, windowMs: number, now: number): Promise<WindowCount>;
  /**
   * Keeps `key` open until at least `until`, its count unchanged; an absent key opens with a
   * count of 0 (a lock is such a key). A later end is never shortened.
   */
  holdUntil(key: string, until: number, now: number): Promise<void>;
  /** The latest end among the `keys` still open at `now`, or 0 when none is. */
  latestReset(keys: string[], now: number): Promise<number>;
  delete(keys: string[]): Promise<void>;
}

interface Entry {
  count: number;
  resetAt: number;
}

/** How often, at most, the in-process store walks its entries to drop the expired ones. */
const SWEEP_INTERVAL_MS = 60_000;
const DEFAULT_MAX_ENTRIES = 100_000;

/**
 * Counters in this process: for a single instance, and while Redis is unreachable. Expired
 * entries are swept at most once a minute, on writes; past `maxEntries` the oldest entries are
 * dropped, so a flood of distinct keys costs bounded memory rather than the process.
 */
export class MemoryThrottleStore implements ThrottleStore {
  private readonly entries = new Map<string, Entry>();
  private nextSweep = 0;

  constructor(private readonly maxEntries = DEFAULT_MAX_ENTRIES) {}

  /** Entries held, expired ones not yet swept included. */
  get size(): number {
    return this.entries.size;
  }

  increment(key: string, windowMs: number, now: number): Promise<WindowCount> {
    const entry =
      this.open(key, now) ?? this.insert(key, { count: 0, resetAt: now + windowMs }, now);
    entry.count += 1;
    return Promise.resolve({ count: entry.count, resetAt: entry.resetAt });
  }

  holdUntil(key: string, until: number, now: number): Promise<void> {
    if (until > now) {
      const entry = this.open(key, now);
      if (entry) entry.resetAt = Math.max(entry.resetAt, until);
      else this.insert(key, { count: 0, resetAt: until }, now);
    }
    return Promise.resolve();
  }

  latestReset(keys: string[], now: number): Promise<number> {
    return Promise.resolve(Math.max(0, ...keys.map((key) => this.open(key, now)?.resetAt ?? 0)));
  }

  delete(keys: string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
    return Promise.resolve();
  }

  private open(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.resetAt > now) return entry;
    if (entry) this.entries.delete(key);
    return undefined;
  }

  private insert(key: string, entry: Entry, now: number): Entry {
    this.sweep(now);
    // Maps iterate in insertion order: the first key is the one that has waited longest.
    for (const oldest of this.entries.keys()) {
      if (this.entries.size < this.maxEntries) break;
      this.entries.delete(oldest);
    }
    this.entries.set(key, entry);
    return entry;
  }

  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + SWEEP_INTERVAL_MS;
    for (const [key, entry] of this.entries) {
      if (entry.resetAt <= now) this.entries.delete(key);
    }
  }
}

/** Hash fields: `count`, and `reset_at` (epoch ms). The key's PEXPIRE matches `reset_at`. */
const INCREMENT_SCRIPT = `
local now = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'count', 'reset_at')
local count, resetAt = tonumber(state[1]), tonumber(state[2])
if not resetAt or resetAt <= now then
  count, resetAt = 0, now + tonumber(ARGV[1])
end
count = count + 1
redis.call('HSET', KEYS[1], 'count', count, 'reset_at', resetAt)
redis.call('PEXPIRE', KEYS[1], resetAt - now)
return {count, resetAt}
`;

const HOLD_SCRIPT = `
local now, untilMs = tonumber(ARGV[2]), tonumber(ARGV[1])
local resetAt = tonumber(redis.call('HGET', KEYS[1], 'reset_at'))
if untilMs <= now or (resetAt and resetAt >= untilMs) then return 0 end
if resetAt and resetAt > now then
  redis.call('HSET', KEYS[1], 'reset_at', untilMs)
else
  redis.call('HSET', KEYS[1], 'count', 0, 'reset_at', untilMs)
end
redis.call('PEXPIRE', KEYS[1], untilMs - now)
return 1
`;

interface ThrottleScripts {
  gatehouseThrottleIncrement(key: string, windowMs: number, now: number): Promise<[number, number]>;
  gatehouseThrottleHold(key: string, until: number, now: number): Promise<number>;
}

/**
 * Counters shared by every instance. Each write is one Lua script (atomic, one round trip).
 * Ends are judged against the `now` passed in, so instances are assumed to keep their clocks
 * in step (NTP); the expiry Redis enforces is the same span, measured from the write.
 */
export class RedisThrottleStore implements ThrottleStore {
  private readonly scripts: ThrottleScripts;

  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'gatehouse:throttle:',
  ) {
    // ioredis sends each script by its SHA-1, and the body once when Redis lacks it.
    redis.defineCommand('gatehouseThrottleIncrement', { numberOfKeys: 1, lua: INCREMENT_SCRIPT });
    redis.defineCommand('gatehouseThrottleHold', { numberOfKeys: 1, lua: HOLD_SCRIPT });
    this.scripts = redis as unknown as ThrottleScripts;
  }

  async increment(key: string, windowMs: number, now: number): Promise<WindowCount> {
    const [count, resetAt] = await this.scripts.gatehouseThrottleIncrement(
      this.prefix + key,
      windowMs,
      now,
    );
    return { count, resetAt };
  }

  async holdUntil(key: string, until: number, now: number): Promise<void> {
    await this.scripts.gatehouseThrottleHold(this.prefix + key, until, now);
  }

  async latestReset(keys: string[], now: number): Promise<number> {
    const ends = await Promise.all(
      keys.map((key) => this.redis.hget(this.prefix + key, 'reset_at')),
    );
    return Math.max(0, ...ends.map(Number).filter((end) => end > now));
  }

  async delete(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.redis.del(...keys.map((key) => this.prefix + key));
  }
}
