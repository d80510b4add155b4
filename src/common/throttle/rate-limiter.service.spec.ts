import { randomUUID } from 'node:crypto';
import { RateLimiter } from './rate-limiter.service';
import { useThrottleTestRedis } from '../../../test/support/throttle-redis';
import { RedisThrottleStore } from './throttle-store';

const testRedis = useThrottleTestRedis();

describe.each(testRedis.stores)('RateLimiter (%s store)', (_name, createStore) => {
  let time: number;
  let limiter: RateLimiter;
  /** A fresh key per test: the Redis store is shared by the whole run. */
  let key: string;

  beforeEach(() => {
    time = Date.now();
    limiter = new RateLimiter(createStore(), () => time);
    key = `register:email:${randomUUID()}@example.com`;
  });

  it('allows `limit` hits in a window, then refuses until it ends', async () => {
    for (let i = 0; i < 3; i++) {
      expect(await limiter.consume(key, 3, 60)).toEqual({ allowed: true, retryAfterSeconds: 0 });
    }
    expect(await limiter.consume(key, 3, 60)).toEqual({ allowed: false, retryAfterSeconds: 60 });
    time += 59_500;
    expect(await limiter.consume(key, 3, 60)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    time += 500;
    expect(await limiter.consume(key, 3, 60)).toEqual({ allowed: true, retryAfterSeconds: 0 });
  });

  it('keeps the window where the first hit opened it (fixed window)', async () => {
    await limiter.consume(key, 2, 60);
    time += 40_000;
    await limiter.consume(key, 2, 60);
    expect(await limiter.consume(key, 2, 60)).toEqual({ allowed: false, retryAfterSeconds: 20 });
    time += 20_000;
    expect((await limiter.consume(key, 2, 60)).allowed).toBe(true);
    expect((await limiter.consume(key, 2, 60)).allowed).toBe(true);
    expect((await limiter.consume(key, 2, 60)).allowed).toBe(false);
  });

  it('counts each key on its own', async () => {
    expect((await limiter.consume(key, 1, 60)).allowed).toBe(true);
    expect((await limiter.consume(key, 1, 60)).allowed).toBe(false);
    expect((await limiter.consume(`${key}.other`, 1, 60)).allowed).toBe(true);
  });
});

describe.each(testRedis.stores)('RateLimiter.pace (%s store)', (_name, createStore) => {
  /** The store's clock at each turn given: every `increment` that counted 1. */
  let turns: number[];
  let limiter: RateLimiter;
  let key: string;

  beforeEach(() => {
    turns = [];
    const store = createStore();
    const increment = store.increment.bind(store);
    store.increment = async (storeKey, windowMs, now) => {
      const counted = await increment(storeKey, windowMs, now);
      if (counted.count === 1) turns.push(now);
      return counted;
    };
    limiter = new RateLimiter(store, () => Date.now());
    key = `kite:${randomUUID()}`;
  });

  it('spaces concurrent callers 1.1 s / rate apart, so that no second holds more than the rate', async () => {
    const given = await Promise.all(Array.from({ length: 12 }, () => limiter.pace(key, 50, 5000)));
    expect(given).toEqual(Array(12).fill(true));
    expect(turns).toHaveLength(12);
    const sorted = [...turns].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) {
      expect(sorted[i] - sorted[i - 1]).toBeGreaterThanOrEqual(22);
    }
  });

  it('gives up when no turn comes within the wait, and counts keys on their own', async () => {
    expect(await limiter.pace(key, 1, 100)).toBe(true);
    expect(await limiter.pace(key, 1, 100)).toBe(false);
    expect(await limiter.pace(`${key}.other`, 1, 100)).toBe(true);
    expect(turns).toHaveLength(2);
  });
});

describe('RateLimiter keys in Redis', () => {
  it('hold no part of the caller’s key, and expire with the window', async () => {
    // A prefix of its own: the other tests' keys (the paces') expire while these are read.
    const prefix = `${testRedis.prefix}keys:`;
    const limiter = new RateLimiter(new RedisThrottleStore(testRedis.client, prefix), () =>
      Date.now(),
    );
    const email = `${randomUUID()}@example.com`;
    await limiter.consume(`forgot-password:email:${email}`, 5, 3600);
    const keys = await testRedis.client.keys(`${prefix}*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).not.toMatch(/@|email/);
      expect(await testRedis.client.pttl(key)).toBeGreaterThan(0);
    }
  });
});
