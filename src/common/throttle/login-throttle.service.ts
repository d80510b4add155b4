import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { throttleKey } from './throttle-key';
import { ThrottleStore } from './throttle-store';
import { Clock, THROTTLE_CLOCK, THROTTLE_STORE } from './throttle.tokens';

export interface LoginAttempt {
  /** The normalized email the login names, whether or not such an account exists. */
  account: string;
  ip: string;
}

/**
 * Brute-force protection for password logins, per account and per client IP. Failures are
 * counted in a window of LOGIN_FAILURE_WINDOW_SECONDS opened by the first one. From the maximum
 * on, every failure locks its key for LOGIN_LOCKOUT_BASE_SECONDS × 2^(failures − maximum),
 * capped at LOGIN_LOCKOUT_MAX_SECONDS: the maximum-th failure locks for the base time, each
 * failure after a lock ends doubles it. A lock also keeps its counter a window past its end,
 * so that the delay keeps growing however long the locks get. Locks end by themselves.
 */
@Injectable()
export class LoginThrottle {
  private readonly settings: AppConfig['loginThrottle'];

  constructor(
    @Inject(THROTTLE_STORE) private readonly store: ThrottleStore,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(THROTTLE_CLOCK) private readonly now: Clock,
  ) {
    this.settings = config.loginThrottle;
  }

  /** Seconds until the attempt may be made (the longer of the two locks, rounded up); 0 now. */
  async retryAfterSeconds({ account, ip }: LoginAttempt): Promise<number> {
    const now = this.now();
    const until = await this.store.latestReset(
      [lockKey(accountSubject(account)), lockKey(ipSubject(ip))],
      now,
    );
    return until > now ? Math.ceil((until - now) / 1000) : 0;
  }

  async recordFailure({ account, ip }: LoginAttempt): Promise<void> {
    const now = this.now();
    await Promise.all([
      this.countFailure(accountSubject(account), this.settings.maxFailuresPerAccount, now),
      this.countFailure(ipSubject(ip), this.settings.maxFailuresPerIp, now),
    ]);
  }

  /**
   * After a successful login: the account starts afresh. The IP's count stays, or a client
   * could clear it between guesses at other accounts by logging in to its own.
   */
  async reset(account: string): Promise<void> {
    const subject = accountSubject(account);
    await this.store.delete([failuresKey(subject), lockKey(subject)]);
  }

  private async countFailure(subject: string, maxFailures: number, now: number): Promise<void> {
    const windowMs = this.settings.failureWindowSeconds * 1000;
    const { count } = await this.store.increment(failuresKey(subject), windowMs, now);
    if (count < maxFailures) return;
    const { lockoutBaseSeconds, lockoutMaxSeconds } = this.settings;
    // 2 ** a large excess is Infinity, which the cap turns back into the maximum.
    const lockMs =
      Math.min(lockoutBaseSeconds * 2 ** (count - maxFailures), lockoutMaxSeconds) * 1000;
    await Promise.all([
      this.store.holdUntil(lockKey(subject), now + lockMs, now),
      this.store.holdUntil(failuresKey(subject), now + lockMs + windowMs, now),
    ]);
  }
}

function accountSubject(account: string): string {
  return throttleKey('login:account', account);
}

function ipSubject(ip: string): string {
  return throttleKey('login:ip', ip);
}

function failuresKey(subject: string): string {
  return `${subject}:failures`;
}

function lockKey(subject: string): string {
  return `${subject}:lock`;
}
