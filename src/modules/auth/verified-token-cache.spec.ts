import { VERIFIED_TOKEN_CACHE_MS, VerifiedTokenCache } from './verified-token-cache';

const NOW_MS = 1_700_000_000_000;
const LATER_S = NOW_MS / 1000 + 900;

describe('VerifiedTokenCache', () => {
  it('answers for the exact token it verified, for VERIFIED_TOKEN_CACHE_MS', () => {
    const cache = new VerifiedTokenCache<string>();
    cache.set('a.b.c', 'caller', NOW_MS, LATER_S);
    expect(cache.get('a.b.c', NOW_MS + VERIFIED_TOKEN_CACHE_MS - 1)).toBe('caller');
    expect(cache.get('a.b.cd', NOW_MS)).toBeUndefined();
    expect(cache.get('a.b.c', NOW_MS + VERIFIED_TOKEN_CACHE_MS)).toBeUndefined();
  });

  it('never answers once the token has expired, whatever the time left in the cache', () => {
    const cache = new VerifiedTokenCache<string>();
    const expiresAtS = NOW_MS / 1000 + 1;
    cache.set('a.b.c', 'caller', NOW_MS, expiresAtS);
    expect(cache.get('a.b.c', expiresAtS * 1000 - 1)).toBe('caller');
    expect(cache.get('a.b.c', expiresAtS * 1000)).toBeUndefined();

    // Verified inside the clock tolerance, past its exp: not remembered at all.
    cache.set('d.e.f', 'caller', NOW_MS, NOW_MS / 1000 - 10);
    expect(cache.get('d.e.f', NOW_MS)).toBeUndefined();
  });

  it('stays within its bound: expired entries go first, then everything', () => {
    const cache = new VerifiedTokenCache<number>(3);
    cache.set('t1', 1, NOW_MS, LATER_S);
    cache.set('t2', 2, NOW_MS, LATER_S);
    cache.set('t3', 3, NOW_MS + VERIFIED_TOKEN_CACHE_MS, LATER_S);
    // t1 and t2 have expired by now: they make room.
    cache.set('t4', 4, NOW_MS + VERIFIED_TOKEN_CACHE_MS, LATER_S);
    expect(cache.get('t3', NOW_MS + VERIFIED_TOKEN_CACHE_MS)).toBe(3);
    cache.set('t5', 5, NOW_MS + VERIFIED_TOKEN_CACHE_MS, LATER_S);
    // Full of fresh entries: cleared, then the new one kept.
    cache.set('t6', 6, NOW_MS + VERIFIED_TOKEN_CACHE_MS, LATER_S);
    expect(cache.get('t3', NOW_MS + VERIFIED_TOKEN_CACHE_MS)).toBeUndefined();
    expect(cache.get('t6', NOW_MS + VERIFIED_TOKEN_CACHE_MS)).toBe(6);
  });
});
