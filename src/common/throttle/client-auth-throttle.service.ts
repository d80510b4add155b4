import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { clientNetworkKey } from './client-network-key';
import { throttleKey } from './throttle-key';
import { LockSchedule, ThrottleStore } from './throttle-store';
import { Clock, THROTTLE_CLOCK, THROTTLE_STORE } from './throttle.tokens';

/**
 * Bounds failed client authentications (service clients' secrets at the OAuth endpoints) per
 * client network, with the login throttle's per-network limit and lock schedule on a counter
 * of its own. Like a login, an attempt is charged before its secret is checked and refunded when
 * the secret was right, so only failures accumulate.
 *
 * There is deliberately no per-client counter: a client id is no secret (it is the `sub` of
 * every token the client holds), so locking a client after failures would let anyone take a
 * service offline, while a 256-bit secret cannot be guessed however many attempts are allowed.
 * What this bounds is the work a network can make us do with wrong credentials.
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
   * Charges an attempt from `ip` unless its network is locked. `retryAfterSeconds` > 0: refused,
   * nothing charged, the secret must not be checked. 0: admitted; report a right secret with
   * `succeeded`.
   */
  async acquire(ip: string): Promise<{ retryAfterSeconds: number }> {
    const now = this.now();
    const lockedUntil = await this.store.charge(
      [{ key: networkKey(ip), threshold: this.maxFailures }],
      this.schedule,
      now,
    );
    return { retryAfterSeconds: lockedUntil > now ? Math.ceil((lockedUntil - now) / 1000) : 0 };
  }

  /** The secret was right: the attempt's charge is taken back. */
  succeeded(ip: string): Promise<void> {
    return this.store.refund(networkKey(ip), this.now());
  }
}

function networkKey(ip: string): string {
  return throttleKey('client-auth:ip', clientNetworkKey(ip));
}
