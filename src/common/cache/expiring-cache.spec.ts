import { ExpiringCache, ExpiringCacheOptions } from './expiring-cache';

const TTL = 2000;
const START = 1_700_000_000_000;

/** A cache on a clock the test moves. */
function cacheAt(options: Partial<ExpiringCacheOptions> = {}) {
  const clock = { now: START };
  const cache = new ExpiringCache<string, string | null>(
    { ttlMs: TTL, maxEntries: 100, whenFull: 'clear', ...options },
    () => clock.now,
  );
  return { cache, clock };
}

/** A load the test resolves when it chooses, counting how often it was started. */
function controlledLoad<V>() {
  let resolve!: (value: V) => void;
  const load = jest.fn(
    () =>
      new Promise<V>((r) => {
        resolve = r;
      }),
  );
  return { load, resolve: (value: V) => resolve(value) };
}

describe('ExpiringCache', () => {
  it('answers a value for ttlMs after it was stored, then forgets it', () => {
    const { cache, clock } = cacheAt();
    cache.set('a', 'one');
    cache.set('b', null);
    clock.now += TTL - 1;
    expect(cache.get('a')).toBe('one');
    expect(cache.get('b')).toBeNull();
    expect(cache.get('c')).toBeUndefined();
    clock.now += 1;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(1);
  });

  it('ends an entry at the earlier of ttlMs and its own expiry, and stores none already ended', () => {
    const { cache, clock } = cacheAt();
    cache.set('a', 'one', { expiresAt: START + 500 });
    expect(cache.get('a', START + 499)).toBe('one');
    expect(cache.get('a', START + 500)).toBeUndefined();
    cache.set('b', 'two', { now: START - TTL });
    expect(cache.get('b')).toBeUndefined();
    cache.set('c', 'three', { expiresAt: START });
    expect(cache.size).toBe(0);
    clock.now += 1;
    cache.set('d', 'four', { expiresAt: START + 10 * TTL });
    expect(cache.get('d', clock.now + TTL - 1)).toBe('four');
    expect(cache.get('d', clock.now + TTL)).toBeUndefined();
  });

  it('deletes one key, the keys that match, or everything', () => {
    const { cache } = cacheAt();
    for (const key of ['user:1', 'user:2', 'client:1']) cache.set(key, key);
    cache.delete('user:1');
    expect(cache.get('user:1')).toBeUndefined();
    cache.deleteWhere((key) => key.startsWith('client:'));
    expect(cache.get('client:1')).toBeUndefined();
    expect(cache.get('user:2')).toBe('user:2');
    cache.clear();
    expect(cache.size).toBe(0);
  });

  describe('when full', () => {
    it('drops expired entries first', () => {
      const { cache, clock } = cacheAt({ maxEntries: 2 });
      cache.set('old', 'x');
      clock.now += TTL / 2;
      cache.set('fresh', 'y');
      clock.now += TTL / 2;
      cache.set('new', 'z');
      expect([cache.get('old'), cache.get('fresh'), cache.get('new')]).toEqual([
        undefined,
        'y',
        'z',
      ]);
    });

    it('clear: starts over when every entry is fresh', () => {
      const { cache } = cacheAt({ maxEntries: 2, whenFull: 'clear' });
      cache.set('a', 'x');
      cache.set('b', 'y');
      cache.set('c', 'z');
      expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, undefined, 'z']);
    });

    it('keep: keeps the fresh entries and does not store the new one', () => {
      const { cache } = cacheAt({ maxEntries: 2, whenFull: 'keep' });
      cache.set('a', 'x');
      cache.set('b', 'y');
      cache.set('c', 'z');
      expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual(['x', 'y', undefined]);
    });

    it('replaces a key it already holds', () => {
      const { cache } = cacheAt({ maxEntries: 2, whenFull: 'keep' });
      cache.set('a', 'x');
      cache.set('b', 'y');
      cache.set('a', 'w');
      expect([cache.get('a'), cache.get('b')]).toEqual(['w', 'y']);
    });
  });

  describe('getOrLoad', () => {
    it('loads a miss once for every caller waiting on it, then answers from the cache', async () => {
      const { cache, clock } = cacheAt();
      const { load, resolve } = controlledLoad<string>();
      const first = cache.getOrLoad('a', load);
      const second = cache.getOrLoad('a', load);
      resolve('one');
      expect(await Promise.all([first, second])).toEqual(['one', 'one']);
      expect(await cache.getOrLoad('a', load)).toBe('one');
      expect(load).toHaveBeenCalledTimes(1);
      clock.now += TTL;
      const again = cache.getOrLoad('a', load);
      resolve('two');
      expect(await again).toBe('two');
      expect(load).toHaveBeenCalledTimes(2);
    });

    it('counts the lifetime from when the load began', async () => {
      const { cache, clock } = cacheAt();
      const { load, resolve } = controlledLoad<string>();
      const loading = cache.getOrLoad('a', load);
      clock.now += TTL - 1;
      resolve('one');
      await loading;
      expect(cache.get('a')).toBe('one');
      clock.now += 1;
      expect(cache.get('a')).toBeUndefined();
    });

    it('stores nothing from a load that a delete overtook; the next caller loads again', async () => {
      const { cache } = cacheAt();
      const stale = controlledLoad<string>();
      const fresh = controlledLoad<string>();
      const before = cache.getOrLoad('a', stale.load);
      cache.delete('a');
      const after = cache.getOrLoad('a', fresh.load);
      fresh.resolve('new');
      stale.resolve('old');
      expect([await before, await after]).toEqual(['old', 'new']);
      expect(cache.get('a')).toBe('new');

      const overtaken = controlledLoad<string>();
      const loading = cache.getOrLoad('b', overtaken.load);
      cache.deleteWhere((key) => key === 'b');
      overtaken.resolve('old');
      expect(await loading).toBe('old');
      expect(cache.get('b')).toBeUndefined();
    });

    it('remembers nothing of a failed load', async () => {
      const { cache } = cacheAt();
      const failing = jest.fn(() => Promise.reject(new Error('down')));
      await expect(cache.getOrLoad('a', failing)).rejects.toThrow('down');
      await expect(cache.getOrLoad('a', failing)).rejects.toThrow('down');
      expect(failing).toHaveBeenCalledTimes(2);
      expect(cache.size).toBe(0);
    });
  });
});
