import { Injectable } from '@nestjs/common';
import { ClientInfo } from '../../common/auth/client-info';
import { Transactions } from '../../database/transactions';
import { AuthEventBatchWriter } from './auth-event-batch-writer';
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
  | 'admin_create'
  | 'mfa_challenge'
  | 'mfa_enroll'
  | 'mfa_activate'
  | 'mfa_verify'
  | 'mfa_backup_codes_regenerate'
  | 'mfa_disable'
  | 'mfa_reset'
  | 'step_up';

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
 * caller's transaction when there is one, so a change and its event commit together; otherwise
 * together with other events recorded at the same time. Either way the promise resolves once
 * the event is committed. A login's success event is the exception: the statement that starts
 * its session writes it (SessionRepository.insertLogin).
 */
@Injectable()
export class AuthEventService {
  constructor(
    private readonly events: AuthEventRepository,
    private readonly batches: AuthEventBatchWriter,
    private readonly transactions: Transactions,
  ) {}

  record(input: AuthEventInput): Promise<void> {
    const event = {
      type: input.type,
      outcome: input.outcome,
      userId: input.userId ?? null,
      sessionId: input.sessionId ?? null,
      ip: input.client?.ip ?? null,
      userAgent: input.client?.userAgent ?? null,
      reason: input.reason ?? null,
    };
    return this.transactions.inTransaction()
      ? this.events.insert(event)
      : this.batches.write(event);
  }
}
