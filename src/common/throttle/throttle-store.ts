import type Redis from 'ioredis';

/** A counter and the moment (epoch ms) its window ends and it is forgotten. */
export interface WindowCount {
  count: number;
  resetAt: number;
}

/** A key an attempt is charged to, and the count from which its charges lock it. */
export interface Charge {
  key: string;
  /** The charge that brings the count to this locks the key, and so does each one after it. */
  threshold: number;
}

/** How long charged keys stay counted and locked. */
export interface LockSchedule {
  /** The window a key's first charge opens. */
  windowMs: number;
  /** The lock of the threshold-th charge; each charge after it doubles it. */
  lockBaseMs: number;
  lockMaxMs: number;
}

/**
 * Expiring counters, the primitives of login throttling and rate limiting. Every operation is
 * atomic, `charge` across all its keys. Time is passed in (`now`, epoch ms) rather than read, so
 * that every instance and every test agrees on it; a key's end is stored with it and also set as
 * its expiry, so nothing outlives its window.
 */
export interface ThrottleStore {
  /**
   * Counts one hit at `key`. Fixed windows: a key with no open window starts one of `windowMs`
   * at `now` and counts from 1; later hits in the window do not move its end.
   */
  increment(key: string, windowMs: number, now: number): Promise<WindowCount>;
  /**
   * Charges one attempt to every key at once, unless one of them is locked at `now`: then nothing
   * is written and the latest of their lock ends is returned. Otherwise returns 0. Counting is
   * `increment`'s; a charge whose count reaches its key's threshold locks the key from `now` for
   * lockBase × 2^(count − threshold), capped at lockMax, and keeps the key counted a window past
   * the lock, so that the next lock is longer however long the locks get. The lock is set with
   * the charge, before the attempt's outcome is known: concurrent attempts meet it at once.
   */
  charge(charges: Charge[], schedule: LockSchedule, now: number): Promise<number>;
  /**
   * Takes one charge back from `key` (nothing when its window has ended), and with it the lock
   * the latest charge set, if it set one: the key is as if that charge had not been made.
   */
  refund(key: string, now: number): Promise<void>;
  /**
   * The latest lock end among `keys` at `now`, as `charge` would meet it; 0 when none is locked.
   * Writes nothing.
   */
  lockedUntil(keys: string[], now: number): Promise<number>;
  delete(keys: string[]): Promise<void>;
}

/** The lock of a charge `excess` past its key's threshold. */
function lockMs(excess: number, { lockBaseMs, lockMaxMs }: LockSchedule): number {
  // 2 ** a large excess is Infinity, which the cap turns back into the maximum.
  return Math.min(lockBaseMs * 2 ** excess, lockMaxMs);
}

interface Entry {
  count: number;
  resetAt: number;
  /** The end of the key's lock; 0, or a time past, when it has none. */
  lockedUntil: number;
  /** The count whose charge set the lock. */
  lockCount: number;
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
    const entry = this.open(key, now) ?? this.insert(key, windowMs, now);
    entry.count += 1;
    return Promise.resolve({ count: entry.count, resetAt: entry.resetAt });
  }

  charge(charges: Charge[], schedule: LockSchedule, now: number): Promise<number> {
    // Synchronous from the first read to the last write: no other call interleaves.
    const lockedUntil = this.lockEnd(
      charges.map(({ key }) => key),
      now,
    );
    if (lockedUntil > 0) return Promise.resolve(lockedUntil);
    charges.forEach(({ key, threshold }) => {
      const entry = this.open(key, now) ?? this.insert(key, schedule.windowMs, now);
      entry.count += 1;
      if (entry.count < threshold) return;
      entry.lockedUntil = now + lockMs(entry.count - threshold, schedule);
      entry.lockCount = entry.count;
      entry.resetAt = Math.max(entry.resetAt, entry.lockedUntil + schedule.windowMs);
    });
    return Promise.resolve(0);
  }

  refund(key: string, now: number): Promise<void> {
    const entry = this.open(key, now);
    if (entry && entry.count > 0) {
      if (entry.lockCount === entry.count) {
        entry.lockedUntil = 0;
        entry.lockCount = 0;
      }
      entry.count -= 1;
    }
    return Promise.resolve();
  }

  lockedUntil(keys: string[], now: number): Promise<number> {
    return Promise.resolve(this.lockEnd(keys, now));
  }

  delete(keys: string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
    return Promise.resolve();
  }

  private lockEnd(keys: string[], now: number): number {
    let latest = 0;
    for (const key of keys) {
      const entry = this.open(key, now);
      if (entry && entry.lockedUntil > now && entry.lockedUntil > latest) {
        latest = entry.lockedUntil;
      }
    }
    return latest;
  }

  private open(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.resetAt > now) return entry;
    if (entry) this.entries.delete(key);
    return undefined;
  }

  private insert(key: string, windowMs: number, now: number): Entry {
    const entry: Entry = { count: 0, resetAt: now + windowMs, lockedUntil: 0, lockCount: 0 };
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

/**
 * Hash fields: `count`, `reset_at` (epoch ms; the key's PEXPIRE matches it), and while locked
 * `locked_until` (epoch ms) and `lock_count` (the count whose charge set the lock).
 */
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

/** KEYS: the keys charged. ARGV: now, window, lock base, lock max, then each key's threshold. */
const CHARGE_SCRIPT = `
local now, windowMs = tonumber(ARGV[1]), tonumber(ARGV[2])
local lockBaseMs, lockMaxMs = tonumber(ARGV[3]), tonumber(ARGV[4])
local counts, resets, lockedUntil = {}, {}, 0
for i, key in ipairs(KEYS) do
  local state = redis.call('HMGET', key, 'count', 'reset_at', 'locked_until')
  local resetAt = tonumber(state[2])
  if resetAt and resetAt > now then
    counts[i], resets[i] = tonumber(state[1]), resetAt
    local locked = tonumber(state[3])
    if locked and locked > lockedUntil then lockedUntil = locked end
  end
end
if lockedUntil > now then return lockedUntil end
for i, key in ipairs(KEYS) do
  local count, resetAt = (counts[i] or 0) + 1, resets[i]
  if not resetAt then
    -- A window ended (by this clock) that Redis has not expired yet: start afresh.
    redis.call('DEL', key)
    resetAt = now + windowMs
  end
  local threshold = tonumber(ARGV[4 + i])
  if count >= threshold then
    local lockEnd = now + math.min(lockBaseMs * 2 ^ (count - threshold), lockMaxMs)
    resetAt = math.max(resetAt, lockEnd + windowMs)
    redis.call('HSET', key, 'locked_until', lockEnd, 'lock_count', count)
  end
  redis.call('HSET', key, 'count', count, 'reset_at', resetAt)
  redis.call('PEXPIRE', key, resetAt - now)
end
return 0
`;

const REFUND_SCRIPT = `
local now = tonumber(ARGV[1])
local state = redis.call('HMGET', KEYS[1], 'count', 'reset_at', 'lock_count')
local count, resetAt = tonumber(state[1]), tonumber(state[2])
if not resetAt or resetAt <= now or not count or count <= 0 then return 0 end
if tonumber(state[3]) == count then redis.call('HDEL', KEYS[1], 'locked_until', 'lock_count') end
redis.call('HSET', KEYS[1], 'count', count - 1)
return 1
`;

/** KEYS: the keys read. ARGV: now. The latest lock end among them, 0 when none is locked. */
const LOCKED_UNTIL_SCRIPT = `
local now, latest = tonumber(ARGV[1]), 0
for _, key in ipairs(KEYS) do
  local state = redis.call('HMGET', key, 'reset_at', 'locked_until')
  local resetAt, locked = tonumber(state[1]), tonumber(state[2])
  if resetAt and resetAt > now and locked and locked > now and locked > latest then
    latest = locked
  end
end
return latest
`;

interface ThrottleScripts {
  gatehouseThrottleIncrement(key: string, windowMs: number, now: number): Promise<[number, number]>;
  /** Takes the number of keys first, then the keys, then CHARGE_SCRIPT's ARGV. */
  gatehouseThrottleCharge(...args: (string | number)[]): Promise<number>;
  gatehouseThrottleRefund(key: string, now: number): Promise<number>;
  /** Takes the number of keys first, then the keys, then now. */
  gatehouseThrottleLockedUntil(...args: (string | number)[]): Promise<number>;
}

/**
 * Counters shared by every instance. Each operation is one Lua script (atomic, one round trip).
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
    redis.defineCommand('gatehouseThrottleCharge', { lua: CHARGE_SCRIPT });
    redis.defineCommand('gatehouseThrottleRefund', { numberOfKeys: 1, lua: REFUND_SCRIPT });
    redis.defineCommand('gatehouseThrottleLockedUntil', { lua: LOCKED_UNTIL_SCRIPT });
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

  charge(charges: Charge[], schedule: LockSchedule, now: number): Promise<number> {
    return this.scripts.gatehouseThrottleCharge(
      charges.length,
      ...charges.map(({ key }) => this.prefix + key),
      now,
      schedule.windowMs,
      schedule.lockBaseMs,
      schedule.lockMaxMs,
      ...charges.map(({ threshold }) => threshold),
    );
  }

  async refund(key: string, now: number): Promise<void> {
    await this.scripts.gatehouseThrottleRefund(this.prefix + key, now);
  }

  lockedUntil(keys: string[], now: number): Promise<number> {
    return this.scripts.gatehouseThrottleLockedUntil(
      keys.length,
      ...keys.map((key) => this.prefix + key),
      now,
    );
  }

  async delete(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.redis.del(...keys.map((key) => this.prefix + key));
  }
}
