import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { clientNetworkKey } from './client-network-key';
import { throttleKey } from './throttle-key';
import { LockSchedule, ThrottleStore } from './throttle-store';
import { Clock, THROTTLE_CLOCK, THROTTLE_STORE } from './throttle.tokens';

/**
 * Bounds failed client authentications (service clients' secrets at the OAuth endpoints) per
 * client network, with the login throttle's per-network limit and lock schedule on a counter
 * of its own. Unlike a login, an attempt is charged only once its secret proved wrong, and a
 * locked network is refused before its secret is checked: a right secret touches no counter,
 * only reads whether its network is locked. Every token and introspection request authenticates
 * a client, so this keeps the shared counters (Redis, or the cluster's primary) off their path.
 * What charging first buys a login (a burst of concurrent guesses meets the lock at once) is not
 * worth it here: a client secret is checked with one SHA-256 against cached hashes, not an
 * argon2 run, and a 256-bit secret cannot be guessed however many attempts a burst gets in.
 *
 * There is deliberately no per-client counter: a client id is no secret (it is the `sub` of
 * every token the client holds), so locking a client after failures would let anyone take a
 * service offline. What this bounds is the work a network can make us do with wrong credentials.
 */
@Injectable()
export class ClientAuthThrottle {
  private readonly maxFailures: number;
  private readonly schedule: LockSchedule;

  constructor(
    @Inject(THROTTLE_STORE) private readonly store: ThrottleStore,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(THROTTLE_CLOCK) private readonly now: Clock,
  ) {
    const settings = config.loginThrottle;
    this.maxFailures = settings.maxFailuresPerIp;
    this.schedule = {
      windowMs: settings.failureWindowSeconds * 1000,
      lockBaseMs: settings.lockoutBaseSeconds * 1000,
      lockMaxMs: settings.lockoutMaxSeconds * 1000,
    };
  }

  /**
   * Whether `ip`'s network may try a secret now: `retryAfterSeconds` > 0 while it is locked (the
   * secret must not be checked), 0 otherwise. Charges nothing; report a wrong secret with
   * `failed`.
   */
  async admit(ip: string): Promise<{ retryAfterSeconds: number }> {
    const now = this.now();
    const lockedUntil = await this.store.lockedUntil([networkKey(ip)], now);
    return { retryAfterSeconds: lockedUntil > now ? Math.ceil((lockedUntil - now) / 1000) : 0 };
  }

  /** A wrong secret or an unknown client from `ip`: charged to its network, which it may lock. */
  async failed(ip: string): Promise<void> {
    await this.store.charge(
      [{ key: networkKey(ip), threshold: this.maxFailures }],
      this.schedule,
      this.now(),
    );
  }
}

function networkKey(ip: string): string {
  return throttleKey('client-auth:ip', clientNetworkKey(ip));
}
