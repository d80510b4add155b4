import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { loadConfig } from '../../config/load-config';
import { LoginThrottle } from './login-throttle.service';
import { MemoryThrottleStore, RedisThrottleStore, ThrottleStore } from './throttle-store';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `gatehouse:throttle:test:${randomUUID()}:`;
let redis: Redis;

/** Every address is new: the Redis store keeps one run's counters across its tests. */
let addresses = 0;
const newIp = () => `2001:db8::${(++addresses).toString(16)}`;

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

describe.each(stores)('LoginThrottle (%s store)', (_name, createStore) => {
  let time: number;
  let store: ThrottleStore;
  /** A fresh account and address per test: the Redis store is shared by the whole run. */
  let account: string;
  let ip: string;

  const advance = (seconds: number) => {
    time += seconds * 1000;
  };
  const throttle = (env: Record<string, string> = {}) =>
    new LoginThrottle(store, loadConfig(env), () => time);
  const fail = async (t: LoginThrottle, attempt = { account, ip }, times = 1) => {
    for (let i = 0; i < times; i++) await t.recordFailure(attempt);
  };

  beforeEach(() => {
    time = Date.now();
    store = createStore();
    account = `${randomUUID()}@example.com`;
    ip = newIp();
  });

  it('allows attempts until the maximum of failures, then locks for the base time', async () => {
    const t = throttle();
    expect(await t.retryAfterSeconds({ account, ip })).toBe(0);
    await fail(t, { account, ip }, 4);
    expect(await t.retryAfterSeconds({ account, ip })).toBe(0);
    await fail(t);
    expect(await t.retryAfterSeconds({ account, ip })).toBe(30);
    // The account is locked from any address.
    expect(await t.retryAfterSeconds({ account, ip: newIp() })).toBe(30);
    expect(await t.retryAfterSeconds({ account: `other-${account}`, ip })).toBe(0);
  });

  it('ends a lock by itself, rounding the time left up', async () => {
    const t = throttle();
    await fail(t, { account, ip }, 5);
    advance(29);
    expect(await t.retryAfterSeconds({ account, ip })).toBe(1);
    advance(0.5);
    expect(await t.retryAfterSeconds({ account, ip })).toBe(1);
    advance(0.5);
    expect(await t.retryAfterSeconds({ account, ip })).toBe(0);
  });

  it('doubles the lock with every failure after one, up to the cap', async () => {
    const t = throttle();
    await fail(t, { account, ip }, 4);
    const locks: number[] = [];
    for (let i = 0; i < 7; i++) {
      await fail(t);
      const lock = await t.retryAfterSeconds({ account, ip });
      locks.push(lock);
      advance(lock);
      expect(await t.retryAfterSeconds({ account, ip })).toBe(0);
    }
    expect(locks).toEqual([30, 60, 120, 240, 480, 900, 900]);
  });

  it('applies the configured base and cap', async () => {
    const t = throttle({ LOGIN_LOCKOUT_BASE_SECONDS: '10', LOGIN_LOCKOUT_MAX_SECONDS: '25' });
    await fail(t, { account, ip }, 5);
    expect(await t.retryAfterSeconds({ account, ip })).toBe(10);
    advance(10);
    await fail(t);
    expect(await t.retryAfterSeconds({ account, ip })).toBe(20);
    advance(20);
    await fail(t);
    expect(await t.retryAfterSeconds({ account, ip })).toBe(25);
  });

  it('forgets failures once their window has passed', async () => {
    const t = throttle();
    await fail(t, { account, ip }, 4);
    advance(899);
    await fail(t);
    expect(await t.retryAfterSeconds({ account, ip })).toBe(30);

    const fresh = { account: `fresh-${account}`, ip: newIp() };
    await fail(t, fresh, 4);
    advance(900);
    await fail(t, fresh, 4);
    expect(await t.retryAfterSeconds(fresh)).toBe(0);
    await fail(t, fresh);
    expect(await t.retryAfterSeconds(fresh)).toBe(30);
  });

  it('forgets the escalation a window after the last lock ends', async () => {
    const t = throttle();
    await fail(t, { account, ip }, 6);
    expect(await t.retryAfterSeconds({ account, ip })).toBe(60);
    advance(60 + 900);
    await fail(t);
    expect(await t.retryAfterSeconds({ account, ip })).toBe(0);
  });

  it('clears the account on reset, but not the address', async () => {
    const t = throttle({ LOGIN_MAX_FAILURES_PER_IP: '7' });
    await fail(t, { account, ip }, 5);
    expect(await t.retryAfterSeconds({ account, ip })).toBe(30);
    await t.reset(account);
    expect(await t.retryAfterSeconds({ account, ip })).toBe(0);
    // The account counts from zero again: one failure does not lock it.
    await fail(t);
    expect(await t.retryAfterSeconds({ account, ip: newIp() })).toBe(0);
    // The address kept its 6 failures: the 7th, at another account, locks it.
    await fail(t, { account: `other-${account}`, ip });
    expect(await t.retryAfterSeconds({ account: `third-${account}`, ip })).toBe(30);
  });

  it('locks an address that fails at many accounts, independently of them', async () => {
    const t = throttle({ LOGIN_MAX_FAILURES_PER_IP: '10' });
    for (let i = 0; i < 9; i++) await fail(t, { account: `${i}-${account}`, ip });
    expect(await t.retryAfterSeconds({ account, ip })).toBe(0);
    await fail(t, { account: `9-${account}`, ip });
    expect(await t.retryAfterSeconds({ account, ip })).toBe(30);
    // No single account reached its maximum: from elsewhere, they may still log in.
    expect(await t.retryAfterSeconds({ account: `0-${account}`, ip: newIp() })).toBe(0);
  });

  it('reports the longer of the account and address locks', async () => {
    const t = throttle({ LOGIN_MAX_FAILURES_PER_IP: '6' });
    await fail(t, { account, ip }, 5);
    advance(20);
    await fail(t, { account: `other-${account}`, ip });
    expect(await t.retryAfterSeconds({ account, ip })).toBe(30);
    expect(await t.retryAfterSeconds({ account, ip: newIp() })).toBe(10);
  });
});

describe('LoginThrottle keys in Redis', () => {
  it('hold neither emails nor addresses, and all expire', async () => {
    const time = Date.now();
    const t = new LoginThrottle(new RedisThrottleStore(redis, prefix), loadConfig({}), () => time);
    const account = `${randomUUID()}@example.com`;
    const ip = '198.51.100.200';
    for (let i = 0; i < 5; i++) await t.recordFailure({ account, ip });
    const keys = await redis.keys(`${prefix}*`);
    expect(keys.length).toBeGreaterThanOrEqual(3);
    for (const key of keys) {
      expect(key).not.toMatch(/@|198\.51|2001:db8/);
      expect(await redis.pttl(key)).toBeGreaterThan(0);
    }
  });
});
