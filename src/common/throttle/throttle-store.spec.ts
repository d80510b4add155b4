import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { MemoryThrottleStore, RedisThrottleStore, ThrottleStore } from './throttle-store';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `gatehouse:throttle:test:${randomUUID()}:`;
let redis: Redis;

beforeAll(() => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

const stores: [string, () => ThrottleStore][] = [
  ['in-process', () => new MemoryThrottleStore()],
  ['Redis', () => new RedisThrottleStore(redis, prefix)],
];

describe.each(stores)('%s throttle store', (_name, createStore) => {
  const now = Date.now();
  let store: ThrottleStore;
  let key: string;

  beforeEach(() => {
    store = createStore();
    key = randomUUID();
  });

  it('counts hits in a window opened by the first', async () => {
    expect(await store.increment(key, 1000, now)).toEqual({ count: 1, resetAt: now + 1000 });
    expect(await store.increment(key, 1000, now + 999)).toEqual({ count: 2, resetAt: now + 1000 });
    expect(await store.increment(key, 1000, now + 1000)).toEqual({ count: 1, resetAt: now + 2000 });
  });

  it('holds a key open without changing its count, never shortening it', async () => {
    await store.increment(key, 1000, now);
    await store.holdUntil(key, now + 5000, now);
    await store.holdUntil(key, now + 3000, now);
    expect(await store.latestReset([key], now)).toBe(now + 5000);
    expect(await store.increment(key, 1000, now + 4000)).toEqual({ count: 2, resetAt: now + 5000 });
  });

  it('opens an absent key held until a time with a count of 0', async () => {
    await store.holdUntil(key, now + 5000, now);
    expect(await store.increment(key, 1000, now)).toEqual({ count: 1, resetAt: now + 5000 });
    await store.holdUntil(`${key}.past`, now, now);
    expect(await store.latestReset([`${key}.past`], now)).toBe(0);
  });

  it('reports the latest end still ahead among keys', async () => {
    await store.holdUntil(`${key}.a`, now + 2000, now);
    await store.holdUntil(`${key}.b`, now + 7000, now);
    expect(await store.latestReset([`${key}.a`, `${key}.b`, `${key}.c`], now)).toBe(now + 7000);
    expect(await store.latestReset([`${key}.a`, `${key}.b`], now + 7000)).toBe(0);
    expect(await store.latestReset([`${key}.c`], now)).toBe(0);
  });

  it('deletes keys', async () => {
    await store.increment(`${key}.a`, 1000, now);
    await store.holdUntil(`${key}.b`, now + 1000, now);
    await store.delete([`${key}.a`, `${key}.b`]);
    expect(await store.latestReset([`${key}.a`, `${key}.b`], now)).toBe(0);
    expect((await store.increment(`${key}.a`, 1000, now)).count).toBe(1);
  });
});

describe('RedisThrottleStore', () => {
  it('writes under its prefix, with the expiry of the window', async () => {
    const store = new RedisThrottleStore(redis, prefix);
    const key = randomUUID();
    await store.increment(key, 60_000, Date.now());
    const ttl = await redis.pttl(`${prefix}${key}`);
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await store.holdUntil(key, Date.now() + 600_000, Date.now());
    expect(await redis.pttl(`${prefix}${key}`)).toBeGreaterThan(595_000);
  });
});

describe('MemoryThrottleStore', () => {
  const now = Date.now();

  it('sweeps expired entries as it writes, at most once a minute', async () => {
    const store = new MemoryThrottleStore();
    for (let i = 0; i < 100; i++) await store.increment(`short-${i}`, 1000, now);
    await store.increment('long', 3_600_000, now);
    expect(store.size).toBe(101);
    await store.increment('later', 1000, now + 30_000);
    expect(store.size).toBe(102);
    await store.increment('later-still', 1000, now + 60_000);
    expect(store.size).toBe(2);
  });

  it('drops its oldest entries beyond its capacity', async () => {
    const store = new MemoryThrottleStore(3);
    for (const key of ['a', 'b', 'c', 'd']) await store.increment(key, 60_000, now);
    expect(store.size).toBe(3);
    expect(await store.latestReset(['a'], now)).toBe(0);
    expect(await store.latestReset(['d'], now)).toBe(now + 60_000);
  });
});
