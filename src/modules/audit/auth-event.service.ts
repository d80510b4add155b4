import { Injectable } from '@nestjs/common';
import { ClientInfo } from '../../common/auth/client-info';
import { AuthEventRepository } from './auth-event.repository';
import { AuthEventOutcome } from './auth-event.entity';

export type AuthEventType =
  | 'register'
  | 'email_verify'
  | 'email_verify_resend'
  | 'login'
  | 'refresh'
  | 'refresh_token_reuse'
  | 'logout'
  | 'logout_all'
  | 'session_revoke'
  | 'password_forgot'
  | 'password_reset'
  | 'password_change'
  | 'email_change_request'
  | 'email_change'
  | 'admin_create';

export interface AuthEventInput {
  type: AuthEventType;
  outcome: AuthEventOutcome;
  client: ClientInfo | null;
  userId?: string | null;
  sessionId?: string | null;
  /** A machine-readable reason (`wrong_password`, `throttled`…), never free user input. */
  reason?: string | null;
}

/**
 * The trail of authentication attempts and account-security changes. Written inside the
 * caller's transaction when there is one, so a change and its event commit together.
 */
@Injectable()
export class AuthEventService {
  constructor(private readonly events: AuthEventRepository) {}

  record(input: AuthEventInput): Promise<void> {
    return this.events.insert({
      type: input.type,
      outcome: input.outcome,
      userId: input.userId ?? null,
      sessionId: input.sessionId ?? null,
      ip: input.client?.ip ?? null,
      userAgent: input.client?.userAgent ?? null,
      reason: input.reason ?? null,
    });
  }
}
