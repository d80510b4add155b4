import { Injectable } from '@nestjs/common';
import { OnPublished, PublishedEventOf } from '../events/on-event.decorator';
import { AuditLog, AuditRecord } from './audit-log';
import { AuthEventRepository, AuthEventRow } from './auth-event.repository';

const ACCOUNT_SECURITY = ['user.*', 'auth.attempt.failed'] as const;

type AccountEvent = PublishedEventOf<(typeof ACCOUNT_SECURITY)[number]>;

type Outcome = Pick<AuthEventRow, 'type' | 'outcome'> &
  Partial<Pick<AuthEventRow, 'sessionId' | 'reason'>>;

const success = (type: string, extra: Partial<Outcome> = {}): Outcome => ({
  type,
  outcome: 'success',
  ...extra,
});

/**
 * The trail of authentication attempts and account-security changes (`auth_events`), derived
 * from the domain events: one row for each event that is such an attempt or change, none for
 * the others (a profile edit, a role grant). Written once per event, in the relay's
 * transaction, so a row exists exactly when its event was published. Each is also a row of the
 * audit log's timeline (`auth.<type>`), under the event's id: an event an administrative row
 * already records (an administrator's reset of a factor) stays one row there.
 */
@Injectable()
export class AuthEventRecorder {
  constructor(
    private readonly events: AuthEventRepository,
    private readonly log: AuditLog,
  ) {}

  @OnPublished(...ACCOUNT_SECURITY)
  async record(events: AccountEvent[]): Promise<void> {
    const rows: AuthEventRow[] = [];
    const records: AuditRecord[] = [];
    for (const event of events) {
      const outcome = outcomeOf(event);
      if (!outcome) continue;
      const row: AuthEventRow = {
        userId: event.userId,
        sessionId: null,
        ip: event.context.ip,
        userAgent: event.context.userAgent,
        reason: null,
        createdAt: event.occurredAt,
        ...outcome,
      };
      rows.push(row);
      records.push({
        id: event.id,
        kind: 'authentication',
        actor: event.actor ?? actorOfAttempt(row),
        action: `auth.${row.type}`,
        outcome: row.outcome,
        reason: row.reason,
        target: { type: 'account', id: row.userId },
        userId: row.userId,
        sessionId: row.sessionId,
        details: {},
        requestId: event.context.requestId,
        ip: row.ip,
        userAgent: row.userAgent,
        occurredAt: row.createdAt,
      });
    }
    if (rows.length === 0) return;
    await this.events.insertMany(rows);
    await this.log.record(records);
  }
}

/** Who acted when the event names nobody: the account's user if it succeeded, else unknown. */
function actorOfAttempt(row: AuthEventRow): AuditRecord['actor'] {
  return row.outcome === 'success' && row.userId
    ? { type: 'user', id: row.userId }
    : { type: 'anonymous', id: null };
}

/** What row an event makes in the trail, if any. */
export function outcomeOf(e: AccountEvent): Outcome | null {
  switch (e.type) {
    case 'user.created':
      if (e.data.source === 'registration') return success('register');
      return e.data.source === 'cli' ? success('admin_create') : null;
    case 'user.registration.duplicate':
      return { type: 'register', outcome: 'failure', reason: 'email_taken' };
    case 'user.email_verification.requested':
      return success('email_verify_resend');
    case 'user.email_verified':
      return success('email_verify');
    case 'user.email_change.requested':
      return success('email_change_request');
    case 'user.email_changed':
      return success('email_change');
    case 'user.password_reset.requested':
      return success('password_forgot');
    case 'user.password_changed':
      return e.data.method === 'reset'
        ? success('password_reset')
        : success('password_change', { sessionId: e.data.session_id });
    case 'user.invitation.accepted':
      return success('invitation_accept');
    case 'user.password_reset_forced':
      return success('password_reset_forced');
    case 'user.deletion_scheduled':
      return success('account_deletion_request');
    case 'user.deletion_cancelled':
      return success('account_deletion_cancel', { reason: 'signed_in' });
    case 'user.deleted':
      return success('account_delete', { reason: e.data.scheduled ? 'scheduled' : null });
    case 'user.data_export.requested':
      return success('data_export_request');
    case 'user.session.created':
      return success('login', { sessionId: e.data.session_id });
    case 'user.session.refreshed':
      return success('refresh', { sessionId: e.data.session_id });
    case 'user.session.reauthenticated':
      return success('step_up', { sessionId: e.data.session_id, reason: e.data.method });
    case 'user.session.revoked':
      return revocation(e.data.reason, e.data.session_ids, e.data.by_session_id);
    case 'user.session.refresh_reused':
      return {
        type: 'refresh_token_reuse',
        outcome: 'failure',
        sessionId: e.data.session_id,
        reason: 'reused',
      };
    case 'user.mfa.challenged':
      return success('mfa_challenge', {
        reason: e.data.purpose === 'login' ? 'mfa_required' : 'mfa_enrollment_required',
      });
    case 'user.mfa.verified':
      return success('mfa_verify', { reason: e.data.method, sessionId: e.data.session_id });
    case 'user.mfa.enrollment_started':
      return success('mfa_enroll');
    case 'user.mfa.enrolled':
      return success('mfa_activate');
    case 'user.mfa.backup_codes_regenerated':
      return success('mfa_backup_codes_regenerate');
    case 'user.mfa.removed':
      if (e.data.by === 'user') return success('mfa_disable', { sessionId: e.data.session_id });
      return success('mfa_reset', { reason: e.data.removed ? null : 'no_factor' });
    case 'auth.attempt.failed':
      return {
        type: e.data.attempt,
        outcome: 'failure',
        reason: e.data.reason,
        sessionId: e.data.session_id,
      };
    default:
      return null;
  }
}

/** Sessions the user ended are a row; those ended by another change are in that change's. */
function revocation(
  reason: string,
  sessionIds: string[],
  bySessionId: string | null,
): Outcome | null {
  switch (reason) {
    case 'logout':
      return success('logout', { sessionId: sessionIds[0] });
    case 'revoked_by_user':
      return success('session_revoke', { sessionId: sessionIds[0] });
    case 'logout_all':
      return success('logout_all', { sessionId: bySessionId });
    default:
      return null;
  }
}
