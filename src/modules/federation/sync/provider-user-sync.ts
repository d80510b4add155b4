import { Injectable } from '@nestjs/common';
import { systemActor } from '../../../common/auth/actor';
import { Transactions } from '../../../database/transactions';
import { SessionService } from '../../auth/session.service';
import { EventOrigin } from '../../events/domain-events.service';
import { StatusChange } from '../../users/users.service';
import { UsersService } from '../../users/users.service';
import { User } from '../../users/user.entity';
import { IdentityProvider } from '../identity-provider.entity';
import { LinkedIdentitiesRepository } from '../linked-identities.repository';
import { profileOf } from '../provider-profile';
import { RemoteUser } from './management-api';

/** What applying a provider's state did: changed the account, nothing, or came too late. */
export type SyncOutcome = 'updated' | 'unchanged' | 'stale' | 'not_linked';

/** The status change that brings a local account to the provider's status, if any. */
function statusChange(
  local: User['status'],
  remote: RemoteUser['status'],
  lastFromProvider: string | null,
): StatusChange | null {
  if (remote === 'deactivated') return local === 'deactivated' ? null : 'deactivate';
  if (remote === 'suspended') {
    return ['active', 'pending_verification', 'invited'].includes(local) ? 'suspend' : null;
  }
  // Only what the provider did is undone by it: an account an administrator suspended here
  // stays suspended when the provider says the person is active.
  const providerHadStopped = lastFromProvider === 'suspended' || lastFromProvider === 'deactivated';
  return providerHadStopped && (local === 'suspended' || local === 'deactivated')
    ? 'reactivate'
    : null;
}

/**
 * Brings the account linked to a provider's user to what the provider says of them: profile
 * fields through the provider's claim mapping, and its status (a user suspended or deactivated
 * upstream is so here, with every session ended; one the provider reactivates comes back if the
 * provider was what stopped it). Each change is the users module's own event (`user.updated`,
 * `user.suspended`…), so the audit trail and `/v1/events/stream` see it. A state older than the
 * one last applied is ignored, so that events processed out of order never go back in time.
 */
@Injectable()
export class ProviderUserSync {
  constructor(
    private readonly identities: LinkedIdentitiesRepository,
    private readonly users: UsersService,
    private readonly sessions: SessionService,
    private readonly transactions: Transactions,
  ) {}

  apply(provider: IdentityProvider, remote: RemoteUser): Promise<SyncOutcome> {
    const origin: EventOrigin = { actor: systemActor(`identity-provider:${provider.slug}`) };
    return this.transactions.run(async () => {
      const identity = await this.identities.findByProviderSubjectForUpdate(provider.id, remote.id);
      if (!identity) return 'not_linked';
      if (identity.remoteUpdatedAt && remote.updatedAt < identity.remoteUpdatedAt) return 'stale';
      const user = await this.users.findById(identity.userId);
      if (!user) return 'not_linked';
      const profile = profileOf(remote.claims, provider.claimMapping);
      const fields = Object.entries(profile.changes) as [keyof typeof profile.changes, unknown][];
      const profileChanged = fields.some(([field, value]) => user[field] !== value);
      if (profileChanged) await this.users.updateProfile(user.id, profile.changes, origin);
      const change = statusChange(user.status, remote.status, identity.providerStatus);
      if (change) {
        await this.users.changeStatus(user.id, change, 'identity_provider', origin);
        if (change !== 'reactivate') {
          await this.sessions.revokeAll(user.id, 'account_inactive', origin);
        }
      }
      await this.identities.recordSync(
        identity.id,
        { remoteUpdatedAt: remote.updatedAt, providerStatus: remote.status, email: profile.email },
        new Date(),
      );
      return profileChanged || change ? 'updated' : 'unchanged';
    });
  }
}
