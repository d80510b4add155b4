import { randomUUID } from 'node:crypto';
import { useThrottleTestRedis } from '../../../test/support/throttle-redis';
import { MemoryThrottleStore, RedisThrottleStore, ThrottleStore } from './throttle-store';

const testRedis = useThrottleTestRedis();

describe.each(testRedis.stores)('%s throttle store', (_name, createStore) => {
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

  describe('charge', () => {
    const schedule = { windowMs: 10_000, lockBaseMs: 1000, lockMaxMs: 4000 };
    /** The key's count, read as the next hit sees it (the probe counts too). */
    const countOf = async (k: string, at = now) => (await store.increment(k, 1, at)).count - 1;

    it('counts at every key, and locks each from its threshold on, doubling up to the cap', async () => {
      const charges = [
        { key: `${key}.a`, threshold: 2 },
        { key: `${key}.b`, threshold: 3 },
      ];
      expect(await store.charge(charges, schedule, now)).toBe(0);
      // The charge that reaches a threshold is made, and locks its key.
      expect(await store.charge(charges, schedule, now)).toBe(0);
      expect(await store.charge(charges, schedule, now)).toBe(now + 1000);
      let at = now + 1000;
      const locks: number[] = [];
      for (let i = 0; i < 4; i++) {
        expect(await store.charge(charges, schedule, at)).toBe(0);
        const until = await store.charge(charges, schedule, at);
        locks.push(until - at);
        at = until;
      }
      // The longer lock is a's, at counts 3 to 6: 1 to 4 past its threshold.
      expect(locks).toEqual([2000, 4000, 4000, 4000]);
      expect(await countOf(`${key}.a`, at)).toBe(6);
      expect(await countOf(`${key}.b`, at)).toBe(6);
    });

    it('charges nothing while any of its keys is locked', async () => {
      await store.charge([{ key: `${key}.a`, threshold: 1 }], schedule, now);
      const both = [
        { key: `${key}.a`, threshold: 1 },
        { key: `${key}.b`, threshold: 5 },
      ];
      expect(await store.charge(both, schedule, now + 500)).toBe(now + 1000);
      expect(await countOf(`${key}.a`)).toBe(1);
      expect(await countOf(`${key}.b`)).toBe(0);
    });

    it('keeps a locked key a window past its lock, then forgets it', async () => {
      const charges = [{ key, threshold: 1 }];
      await store.charge(charges, schedule, now);
      // Past the window the first charge opened, within a window after the lock: 1 past.
      let at = now + 10_999;
      expect(await store.charge(charges, schedule, at)).toBe(0);
      expect(await store.charge(charges, schedule, at)).toBe(at + 2000);
      at += 2000 + 10_000;
      expect(await store.charge(charges, schedule, at)).toBe(0);
      expect(await store.charge(charges, schedule, at)).toBe(at + 1000);
    });

    it('admits exactly the threshold of charges made at once', async () => {
      const charges = [{ key, threshold: 5 }];
      const results = await Promise.all(
        Array.from({ length: 50 }, () => store.charge(charges, schedule, now)),
      );
      expect(results.filter((until) => until === 0)).toHaveLength(5);
      expect(results.filter((until) => until === now + 1000)).toHaveLength(45);
      expect(await countOf(key)).toBe(5);
    });

    it('refunds one charge, and the lock it set', async () => {
      const charges = [{ key, threshold: 3 }];
      for (let i = 0; i < 3; i++) await store.charge(charges, schedule, now);
      await store.refund(key, now);
      expect(await store.charge(charges, schedule, now)).toBe(0);
      expect(await store.charge(charges, schedule, now)).toBe(now + 1000);
      await store.refund(key, now);
      await store.refund(key, now);
      expect(await countOf(key)).toBe(1);
    });

    it('reads the latest lock among keys, as a charge would meet it, charging nothing', async () => {
      const [a, b] = [`${key}.a`, `${key}.b`];
      expect(await store.lockedUntil([a, b], now)).toBe(0);
      await store.charge([{ key: a, threshold: 1 }], schedule, now);
      await store.charge([{ key: b, threshold: 1 }], schedule, now + 500);
      expect(await store.lockedUntil([a], now)).toBe(now + 1000);
      expect(await store.lockedUntil([a, b], now + 600)).toBe(now + 1500);
      // Reads are not charges: the count is still the one charge's.
      for (let i = 0; i < 5; i++) await store.lockedUntil([a], now);
      expect(await countOf(a)).toBe(1);
      expect(await store.lockedUntil([a, b], now + 1500)).toBe(0);
      await store.refund(b, now + 600);
      expect(await store.lockedUntil([b], now + 600)).toBe(0);
    });

    it('refunds nothing at a key with no open window', async () => {
      await store.refund(key, now);
      expect(await countOf(key)).toBe(0);
      const charges = [{ key: `${key}.a`, threshold: 2 }];
      await store.charge(charges, schedule, now);
      await store.refund(`${key}.a`, now + 10_000);
      // A new window, whose first charge is not taken back by the refund before it.
      expect(await store.charge(charges, schedule, now + 10_000)).toBe(0);
      expect(await store.charge(charges, schedule, now + 10_000)).toBe(0);
      expect(await store.charge(charges, schedule, now + 10_000)).toBe(now + 11_000);
    });
  });

  it('deletes keys', async () => {
    const schedule = { windowMs: 1000, lockBaseMs: 1000, lockMaxMs: 1000 };
    await store.increment(`${key}.a`, 1000, now);
    await store.charge([{ key: `${key}.b`, threshold: 1 }], schedule, now);
    await store.delete([`${key}.a`, `${key}.b`]);
    expect((await store.increment(`${key}.a`, 1000, now)).count).toBe(1);
    expect(await store.charge([{ key: `${key}.b`, threshold: 2 }], schedule, now)).toBe(0);
  });
});

describe('RedisThrottleStore', () => {
  it('writes under its prefix, with the expiry of the window', async () => {
    const store = new RedisThrottleStore(testRedis.client, testRedis.prefix);
    const key = randomUUID();
    await store.increment(key, 60_000, Date.now());
    const ttl = await testRedis.client.pttl(`${testRedis.prefix}${key}`);
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    const schedule = { windowMs: 60_000, lockBaseMs: 600_000, lockMaxMs: 600_000 };
    await store.charge([{ key, threshold: 1 }], schedule, Date.now());
    // Locked for 10 minutes, and counted a window past the lock.
    expect(await testRedis.client.pttl(`${testRedis.prefix}${key}`)).toBeGreaterThan(655_000);
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
    expect((await store.increment('a', 60_000, now)).count).toBe(1);
    expect((await store.increment('d', 60_000, now)).count).toBe(2);
  });
});
