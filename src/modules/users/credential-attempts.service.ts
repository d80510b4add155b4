import { Injectable } from '@nestjs/common';
import { ClientInfo } from '../../common/auth/client-info';
import { DomainError } from '../../common/errors/domain-error';
import { LoginAttempt, LoginThrottle } from '../../common/throttle/login-throttle.service';
import { tooManyAttempts } from '../../common/throttle/too-many-attempts';
import { AuthAttempt } from '../events/catalogue/account-events';
import { DomainEvents } from '../events/domain-events.service';

/** What an attempt's failure is recorded as (`auth.attempt.failed`, with the failure's reason). */
export interface AttemptEvent {
  type: AuthAttempt;
  client: ClientInfo;
  userId?: string | null;
  sessionId?: string | null;
}

/** What checking a credential found: its value, or why it failed and how to refuse. */
export type CredentialCheck<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      /** The failure event's reason (`wrong_password`, `wrong_code`…). */
      reason: string;
      error: DomainError;
      /** The user the credential turned out to be for, when the event did not name one. */
      userId?: string;
    };

/**
 * The one way a password or a second factor is tried: the attempt is charged to the login
 * throttle (LoginThrottle) before the credential is checked, atomically, so that concurrent
 * guesses cannot slip between the check of a lock and the count that would set it; a locked
 * throttle refuses it unchecked (429). A failure stands as charged and is refused with the
 * checker's error, a success clears the counters. Every refusal is an `auth.attempt.failed`
 * event emitted here and only here; a success is the caller's to tell, with what it then does.
 */
@Injectable()
export class CredentialAttempts {
  constructor(
    private readonly throttle: LoginThrottle,
    private readonly events: DomainEvents,
  ) {}

  /**
   * Charges `keys`, runs `check` if the throttle admits the attempt, and returns its value or
   * throws its error. `check` does the whole verification, including the work that keeps a
   * failure from telling why (a password verified against a dummy hash for an unknown account).
   */
  async attempt<T>(attempt: {
    keys: LoginAttempt;
    event: AttemptEvent;
    check: () => Promise<CredentialCheck<T>>;
  }): Promise<T> {
    const { keys, event, check } = attempt;
    const { retryAfterSeconds } = await this.throttle.acquire(keys);
    if (retryAfterSeconds > 0) {
      await this.recordFailure(event, 'throttled');
      throw tooManyAttempts(retryAfterSeconds);
    }
    const checked = await check();
    if (!checked.ok) {
      await this.throttle.failed(keys);
      await this.recordFailure(
        { ...event, userId: checked.userId ?? event.userId },
        checked.reason,
      );
      throw checked.error;
    }
    await this.throttle.succeeded(keys);
    return checked.value;
  }

  private async recordFailure(event: AttemptEvent, reason: string): Promise<void> {
    await this.events.emit(
      'auth.attempt.failed',
      {
        attempt: event.type,
        reason,
        user_id: event.userId ?? null,
        session_id: event.sessionId ?? null,
      },
      { client: event.client },
    );
  }
}
