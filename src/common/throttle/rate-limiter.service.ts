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
}
