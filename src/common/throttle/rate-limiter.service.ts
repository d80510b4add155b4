import { Inject, Injectable } from '@nestjs/common';
import { throttleKey } from './throttle-key';
import { ThrottleStore } from './throttle-store';
import { Clock, THROTTLE_CLOCK, THROTTLE_STORE } from './throttle.tokens';

export interface RateLimitDecision {
  allowed: boolean;
  /** Seconds until the window ends, rounded up, when refused; 0 when allowed. */
  retryAfterSeconds: number;
}

/**
 * Fixed-window rate limits (registration, mail resends, password resets; per email and per
 * IP). A window opens at a key's first hit and lasts `windowSeconds`; the hits after the
 * `limit`-th in it are refused. Fixed windows are one atomic increment per request; the price
 * is that a client may get up to twice `limit` through across the end of a window.
 *
 * `pace` is for calls to a peer that counts a rate over a sliding second (Kite): it spaces the
 * calls instead, so that no second ever holds more than the peer allows.
 */
@Injectable()
export class RateLimiter {
  constructor(
    @Inject(THROTTLE_STORE) private readonly store: ThrottleStore,
    @Inject(THROTTLE_CLOCK) private readonly now: Clock,
  ) {}

  /**
   * Counts one hit at `key` (any string, e.g. `register:email:<email>`: it is hashed before it
   * is stored). A key should always be consumed with the same limit and window.
   */
  async consume(key: string, limit: number, windowSeconds: number): Promise<RateLimitDecision> {
    const now = this.now();
    const { count, resetAt } = await this.store.increment(
      throttleKey('rate', key),
      windowSeconds * 1000,
      now,
    );
    if (count <= limit) return { allowed: true, retryAfterSeconds: 0 };
    return { allowed: false, retryAfterSeconds: Math.ceil((resetAt - now) / 1000) };
  }

  /**
   * Waits for a turn to make one call at `key` (every instance sharing the store takes turns
   * together), at most `maxWaitMs`; whether a turn came. Turns are at least 1.1 s / `perSecond`
   * apart: any second holds at most `perSecond` of them, and the 10% spare absorbs the calls'
   * differing transit times, so that the peer never counts more. Each turn is a window of that
   * length with room for one hit; a caller refused sleeps until the window ends and tries again.
   */
  async pace(key: string, perSecond: number, maxWaitMs: number): Promise<boolean> {
    const spacingMs = Math.ceil(1100 / perSecond);
    const deadline = this.now() + maxWaitMs;
    for (;;) {
      const now = this.now();
      const { count, resetAt } = await this.store.increment(
        throttleKey('pace', key),
        spacingMs,
        now,
      );
      if (count === 1) return true;
      if (resetAt > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, resetAt - now));
    }
  }
}
