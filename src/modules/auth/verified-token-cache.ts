/**
 * How long an instance reuses a full verification of one exact token string. A signing key
 * withdrawn from the key set stops authenticating its tokens here within this time, well inside
 * the key set's own re-read interval; session and client liveness are checked on every request
 * regardless (they have caches of their own with the same bound).
 */
export const VERIFIED_TOKEN_CACHE_MS = 2000;
const VERIFIED_TOKEN_CACHE_MAX_ENTRIES = 10_000;

/**
 * Successful verifications of access tokens, keyed by the exact token string, so that a caller
 * presenting the same token many times a second costs one signature check per
 * VERIFIED_TOKEN_CACHE_MS instead of one per request. An entry never outlives the token's `exp`
 * (without the clock tolerance the full verification grants), so the cache can only refuse
 * earlier than a full verification would, never accept longer. Failures are not remembered: a
 * forged or expired token costs a full verification every time.
 */
export class VerifiedTokenCache<T> {
  private readonly entries = new Map<string, { verified: T; until: number }>();

  constructor(
    private readonly maxEntries = VERIFIED_TOKEN_CACHE_MAX_ENTRIES,
    private readonly ttlMs = VERIFIED_TOKEN_CACHE_MS,
  ) {}

  get(token: string, nowMs: number): T | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (entry.until > nowMs) return entry.verified;
    this.entries.delete(token);
    return undefined;
  }

  /** Remembers a verification made at `verifiedAtMs` of a token expiring at `expiresAtS`. */
  set(token: string, verified: T, verifiedAtMs: number, expiresAtS: number): void {
    const until = Math.min(verifiedAtMs + this.ttlMs, expiresAtS * 1000);
    if (until <= verifiedAtMs) return;
    if (this.entries.size >= this.maxEntries) this.evictExpired(verifiedAtMs);
    this.entries.set(token, { verified, until });
  }

  private evictExpired(nowMs: number): void {
    for (const [token, entry] of this.entries) {
      if (entry.until <= nowMs) this.entries.delete(token);
    }
    // Still full of fresh entries (a burst of distinct tokens): start over rather than grow.
    if (this.entries.size >= this.maxEntries) this.entries.clear();
  }
}
