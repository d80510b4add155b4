import { Injectable } from '@nestjs/common';
import { InTransaction, EventOf } from '../events/on-event.decorator';
import { AuditLog } from './audit-log';

const ADMINISTRATIVE = [
  'role.*',
  'policy.*',
  'user.role.*',
  'client.created',
  'client.secret.*',
  'client.tokens_revoked',
  'client.disabled',
  'client.enabled',
  'webhook.endpoint.*',
  'user.mfa.removed',
  'user.created',
  'user.updated',
  'user.suspended',
  'user.reactivated',
  'user.deactivated',
  'user.password_reset_forced',
  'user.session.revoked',
  'user.deleted',
  'user.data_export.requested',
  'trading_account.*',
  'identity_provider.created',
  'identity_provider.updated',
  'identity_provider.deleted',
  'identity_provider.sync_requested',
  'token_vault.*',
  'hr.source.*',
] as const;

type AdministrativeEvent = EventOf<(typeof ADMINISTRATIVE)[number]>;

interface Entry {
  /** `<target type>.<verb>`, e.g. `role.create`, `user_role.grant`. */
  action: string;
  target: { type: string; id: string };
  /** Personal values in it (emails, names: personal-fields.ts) are stored encrypted. */
  details: Record<string, unknown>;
}

/**
 * The trail of administrative changes (`audit_events`), derived from their domain events and
 * written in the transaction that makes the change: a change and its record commit, or roll
 * back, together.
 */
@Injectable()
export class AuditTrail {
  constructor(private readonly log: AuditLog) {}

  @InTransaction(...ADMINISTRATIVE)
  async record(event: AdministrativeEvent): Promise<void> {
    const entry = entryOf(event);
    if (!entry) return;
    if (!event.actor) throw new Error(`${event.type} emitted without an actor`);
    await this.log.record([
      {
        id: event.id,
        kind: 'administrative',
        actor: event.actor,
        action: entry.action,
        outcome: 'success',
        reason: null,
        target: entry.target,
        userId: entry.target.type === 'user' ? entry.target.id : null,
        sessionId: null,
        details: entry.details,
        requestId: event.context.requestId,
        ip: event.context.ip,
        userAgent: event.context.userAgent,
        occurredAt: event.occurredAt,
      },
    ]);
  }
}

function entryOf(event: AdministrativeEvent): Entry | null {
  switch (event.type) {
    case 'role.created':
    case 'role.deleted': {
      const { role_id, ...details } = event.data;
      const verb = event.type === 'role.created' ? 'create' : 'delete';
      return { action: `role.${verb}`, target: { type: 'role', id: role_id }, details };
    }
    case 'role.updated': {
      const { role_id, changes, policies_updated, policy_set_version } = event.data;
      return {
        action: 'role.update',
        target: { type: 'role', id: role_id },
        details: {
          ...changes,
          ...(policies_updated.length > 0 ? { policies_updated } : {}),
          policy_set_version,
        },
      };
    }
    case 'policy.created':
    case 'policy.deleted': {
      const { policy_id, ...details } = event.data;
      const verb = event.type === 'policy.created' ? 'create' : 'delete';
      return { action: `policy.${verb}`, target: { type: 'policy', id: policy_id }, details };
    }
    case 'policy.updated': {
      const { policy_id, changes, policy_set_version } = event.data;
      return {
        action: 'policy.update',
        target: { type: 'policy', id: policy_id },
        details: { ...changes, policy_set_version },
      };
    }
    case 'user.role.granted': {
      const { user_id, ...details } = event.data;
      const verb = details.previous_expires_at === undefined ? 'grant' : 'update';
      return { action: `user_role.${verb}`, target: { type: 'user', id: user_id }, details };
    }
    case 'user.role.revoked': {
      const { user_id, ...details } = event.data;
      return { action: 'user_role.revoke', target: { type: 'user', id: user_id }, details };
    }
    case 'client.created':
    case 'client.secret.created':
    case 'client.secret.removed':
    case 'client.tokens_revoked':
    case 'client.disabled':
    case 'client.enabled': {
      const { client_id, ...details } = event.data;
      return {
        action: CLIENT_ACTIONS[event.type],
        target: { type: 'client', id: client_id },
        details,
      };
    }
    case 'webhook.endpoint.created':
    case 'webhook.endpoint.updated':
    case 'webhook.endpoint.deleted':
    case 'webhook.endpoint.secret_rotated':
    case 'webhook.endpoint.disabled': {
      const { endpoint_id, ...details } = event.data;
      const verb = event.type.slice('webhook.endpoint.'.length);
      return {
        action: `webhook_endpoint.${verb}`,
        target: { type: 'webhook_endpoint', id: endpoint_id },
        details,
      };
    }
    case 'user.created':
    case 'user.updated':
    case 'user.suspended':
    case 'user.reactivated':
    case 'user.deactivated':
    case 'user.password_reset_forced':
    case 'user.session.revoked':
    case 'user.deleted':
    case 'user.data_export.requested':
      return userLifecycleEntry(event);
    case 'identity_provider.created':
    case 'identity_provider.updated':
    case 'identity_provider.deleted': {
      const { provider_id, ...details } = event.data;
      const verb = event.type.slice('identity_provider.'.length, -1);
      return {
        action: `identity_provider.${verb}`,
        target: { type: 'identity_provider', id: provider_id },
        details,
      };
    }
    case 'identity_provider.sync_requested': {
      const { provider_id, ...details } = event.data;
      return {
        action: 'identity_provider.sync',
        target: { type: 'identity_provider', id: provider_id },
        details,
      };
    }
    case 'user.mfa.removed':
      if (event.data.by !== 'administrator') return null;
      return {
        action: 'user.mfa_reset',
        target: { type: 'user', id: event.data.user_id },
        details: { removed: event.data.removed },
      };
    case 'token_vault.token_stored':
    case 'token_vault.access_token_issued':
    case 'token_vault.offline_token_renewed':
    case 'token_vault.token_rejected':
    case 'token_vault.token_deleted': {
      // Every use of a user's offline token, by them or a service, is a row.
      const { token_id, ...details } = event.data;
      return {
        action: TOKEN_VAULT_ACTIONS[event.type],
        target: { type: 'offline_token', id: token_id },
        details,
      };
    }
    case 'hr.source.created':
    case 'hr.source.deleted': {
      const { source_id, ...details } = event.data;
      const verb = event.type.slice('hr.source.'.length, -1);
      return { action: `hr_source.${verb}`, target: { type: 'hr_source', id: source_id }, details };
    }
    default:
      return tradingAccountEntry(event);
  }
}

/**
 * Every change to a trading account, its sharing, and every broker session handed to a service
 * (`trading_account.session_issue`), with the user concerned among the details.
 */
function tradingAccountEntry(event: EventOf<'trading_account.*'>): Entry {
  const { account_id, ...details } = event.data;
  return {
    action: TRADING_ACCOUNT_ACTIONS[event.type],
    target: { type: 'trading_account', id: account_id },
    details,
  };
}

const TRADING_ACCOUNT_ACTIONS = {
  'trading_account.linked': 'trading_account.link',
  'trading_account.updated': 'trading_account.update',
  'trading_account.unlinked': 'trading_account.unlink',
  'trading_account.expired': 'trading_account.expire',
  'trading_account.status_changed': 'trading_account.status_change',
  'trading_account.profile_synced': 'trading_account.sync',
  'trading_account.member_invited': 'trading_account.member_invite',
  'trading_account.member_added': 'trading_account.member_add',
  'trading_account.member_role_changed': 'trading_account.member_role_change',
  'trading_account.member_removed': 'trading_account.member_remove',
  'trading_account.ownership_transferred': 'trading_account.ownership_transfer',
  'trading_account.session_issued': 'trading_account.session_issue',
} as const;

const TOKEN_VAULT_ACTIONS = {
  'token_vault.token_stored': 'offline_token.store',
  'token_vault.access_token_issued': 'offline_token.access_token_issue',
  'token_vault.offline_token_renewed': 'offline_token.renew',
  'token_vault.token_rejected': 'offline_token.reject',
  'token_vault.token_deleted': 'offline_token.delete',
} as const;

const CLIENT_ACTIONS = {
  'client.created': 'client.create',
  'client.secret.created': 'client.secret_add',
  'client.secret.removed': 'client.secret_remove',
  'client.tokens_revoked': 'client.tokens_revoke',
  'client.disabled': 'client.disable',
  'client.enabled': 'client.enable',
} as const;

type UserLifecycleEvent = Extract<
  AdministrativeEvent,
  {
    type:
      | 'user.created'
      | 'user.updated'
      | 'user.suspended'
      | 'user.reactivated'
      | 'user.deactivated'
      | 'user.password_reset_forced'
      | 'user.session.revoked'
      | 'user.deleted'
      | 'user.data_export.requested';
  }
>;

/**
 * An administrator's change to an account, with its values before and after. The same events
 * of a user's own doing (their profile, their logout) have no actor and are not recorded here.
 */
function userLifecycleEntry(event: UserLifecycleEvent): Entry | null {
  if (!event.actor) return null;
  const target = { type: 'user', id: event.data.user_id };
  switch (event.type) {
    case 'user.created': {
      if (event.data.source !== 'administrator' && event.data.source !== 'provisioning') {
        return null;
      }
      const { email, name, status } = event.data;
      const action = event.data.source === 'administrator' ? 'user.invite' : 'user.provision';
      return { action, target, details: { after: { email, name, status } } };
    }
    case 'user.updated':
      return { action: 'user.update', target, details: event.data.changes };
    case 'user.suspended':
    case 'user.deactivated': {
      const status = event.type === 'user.suspended' ? 'suspended' : 'deactivated';
      return {
        action: event.type === 'user.suspended' ? 'user.suspend' : 'user.deactivate',
        target,
        details: {
          before: { status: event.data.previous_status },
          after: { status },
          reason: event.data.reason,
        },
      };
    }
    case 'user.reactivated':
      return {
        action: 'user.reactivate',
        target,
        details: { before: { status: event.data.previous_status }, after: { status: 'active' } },
      };
    case 'user.password_reset_forced':
      return { action: 'user.password_reset_force', target, details: {} };
    case 'user.session.revoked':
      if (event.data.reason !== 'revoked_by_administrator') return null;
      return {
        action: 'user.sessions_revoke',
        target,
        details: { session_ids: event.data.session_ids },
      };
    case 'user.deleted':
      return { action: 'user.delete', target, details: { scheduled: event.data.scheduled } };
    case 'user.data_export.requested':
      return {
        action: 'user.data_export',
        target,
        details: { export_id: event.data.export_id },
      };
  }
}
