import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { clientNetworkKey } from './client-network-key';
import { throttleKey } from './throttle-key';
import { Charge, LockSchedule, ThrottleStore } from './throttle-store';
import { Clock, THROTTLE_CLOCK, THROTTLE_STORE } from './throttle.tokens';

export interface LoginAttempt {
  /** The normalized email the login names, whether or not such an account exists. */
  account: string;
  /** The client address; counted as its network (see `clientNetworkKey`). */
  ip: string;
}

/**
 * Brute-force protection for password checks (logins, and re-authentication before sensitive
 * changes). An attempt is charged before its password is verified, to three counters at once:
 *
 * - the account from this client network (LOGIN_MAX_FAILURES_PER_ACCOUNT): a guesser, or the
 *   owner mistyping, meets this lock first, and it does not lock the owner out elsewhere;
 * - the account from every network together (LOGIN_MAX_FAILURES_PER_ACCOUNT_TOTAL, set well
 *   above the first): bounds guessing spread over many networks, while locking the owner out
 *   takes that many failures from several of them;
 * - the client network across accounts (LOGIN_MAX_FAILURES_PER_IP): bounds password spraying.
 *
 * A network is an IPv4 address or an IPv6 /64. Counts live in a window of
 * LOGIN_FAILURE_WINDOW_SECONDS opened by the first charge. The charge that brings a count to its
 * maximum locks that counter for LOGIN_LOCKOUT_BASE_SECONDS, and each charge after it, made once
 * that lock has ended, locks for twice the last, up to LOGIN_LOCKOUT_MAX_SECONDS: base ×
 * 2^(count − maximum), capped. A lock keeps its counter a window past its end, so the delay keeps
 * growing however long the locks get; locks end by themselves. An attempt is refused, and nothing
 * charged, while any of its three counters is locked. Checking and charging are one atomic step,
 * so however many attempts arrive at once, at most the maximum are verified before the lock.
 */
@Injectable()
export class LoginThrottle {
  private readonly settings: AppConfig['loginThrottle'];
  private readonly schedule: LockSchedule;

  constructor(
    @Inject(THROTTLE_STORE) private readonly store: ThrottleStore,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(THROTTLE_CLOCK) private readonly now: Clock,
  ) {
    this.settings = config.loginThrottle;
    this.schedule = {
      windowMs: this.settings.failureWindowSeconds * 1000,
      lockBaseMs: this.settings.lockoutBaseSeconds * 1000,
      lockMaxMs: this.settings.lockoutMaxSeconds * 1000,
    };
  }

  /**
   * Checks every lock and, if none applies, charges the attempt to every counter atomically.
   * `retryAfterSeconds` > 0 (the latest lock's time left, rounded up): refused, and nothing
   * charged; the password must not be verified. 0: admitted; the caller verifies the password
   * and reports the outcome with `succeeded` or `failed`.
   */
  async acquire(attempt: LoginAttempt): Promise<{ retryAfterSeconds: number }> {
    const now = this.now();
    const { pair, account, network } = counterKeys(attempt);
    const charges: Charge[] = [
      { key: pair, threshold: this.settings.maxFailuresPerAccount },
      { key: account, threshold: this.settings.maxFailuresPerAccountTotal },
      { key: network, threshold: this.settings.maxFailuresPerIp },
    ];
    const lockedUntil = await this.store.charge(charges, this.schedule, now);
    return { retryAfterSeconds: lockedUntil > now ? Math.ceil((lockedUntil - now) / 1000) : 0 };
  }

  /**
   * The password was right: the account starts afresh, from this network and in total (counts
   * and locks), and the network's charge is taken back. Only that one charge: the network's
   * failures at other accounts stay, or a client could clear them between guesses by logging in
   * to its own account.
   */
  async succeeded(attempt: LoginAttempt): Promise<void> {
    const { pair, account, network } = counterKeys(attempt);
    await Promise.all([this.store.delete([pair, account]), this.store.refund(network, this.now())]);
  }

  /**
   * The password was wrong. Nothing to write: the charge `acquire` made stands as the failure,
   * and the lock its count called for was set with it, before the verification.
   */
  failed(_attempt: LoginAttempt): Promise<void> {
    return Promise.resolve();
  }
}

/** The store keys of an attempt's three counters (hashed: neither email nor address is kept). */
function counterKeys({ account, ip }: LoginAttempt) {
  const network = clientNetworkKey(ip);
  return {
    pair: throttleKey('login:pair', JSON.stringify([account, network])),
    account: throttleKey('login:account', account),
    network: throttleKey('login:ip', network),
  };
}
