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
 *
 * A page of a full sync is applied at once, in one transaction: the identities and accounts are
 * locked and read in one statement each, the profiles changed in one, the identities' states
 * recorded in one; only the events (one per changed account) and the rare status changes are
 * per account. One user is a page of one, so every path follows the same rules.
 */
@Injectable()
export class ProviderUserSync {
  constructor(
    private readonly identities: LinkedIdentitiesRepository,
    private readonly users: UsersService,
    private readonly sessions: SessionService,
    private readonly transactions: Transactions,
  ) {}

  async apply(provider: IdentityProvider, remote: RemoteUser): Promise<SyncOutcome> {
    const outcomes = await this.applyAll(provider, [remote]);
    return outcomes.get(remote.id)!;
  }

  /** Applies the provider's states of many users in one transaction; the outcome of each, by id. */
  applyAll(provider: IdentityProvider, remotes: RemoteUser[]): Promise<Map<string, SyncOutcome>> {
    const origin: EventOrigin = { actor: systemActor(`identity-provider:${provider.slug}`) };
    const newest = new Map<string, RemoteUser>();
    for (const remote of remotes) {
      const seen = newest.get(remote.id);
      if (!seen || seen.updatedAt < remote.updatedAt) newest.set(remote.id, remote);
    }
    const outcomes = new Map<string, SyncOutcome>(
      [...newest.keys()].map((id) => [id, 'not_linked']),
    );
    return this.transactions.run(async () => {
      const identities = (
        await this.identities.findByProviderSubjectsForUpdate(provider.id, [...newest.keys()])
      ).filter((identity) => {
        const remote = newest.get(identity.subject)!;
        const stale =
          identity.remoteUpdatedAt !== null && remote.updatedAt < identity.remoteUpdatedAt;
        if (stale) outcomes.set(identity.subject, 'stale');
        return !stale;
      });
      const users = new Map(
        (await this.users.findManyForUpdate(identities.map((identity) => identity.userId))).map(
          (user) => [user.id, user],
        ),
      );
      const applied = identities
        .filter((identity) => users.has(identity.userId))
        .map((identity) => {
          const remote = newest.get(identity.subject)!;
          return { identity, remote, profile: profileOf(remote.claims, provider.claimMapping) };
        });
      const changedProfiles = await this.users.updateProfiles(
        applied.map(({ identity, profile }) => ({
          userId: identity.userId,
          changes: profile.changes,
        })),
        origin,
      );
      for (const { identity, remote } of applied) {
        const user = users.get(identity.userId)!;
        const change = statusChange(user.status, remote.status, identity.providerStatus);
        if (change) {
          await this.users.changeStatus(user.id, change, 'identity_provider', origin);
          if (change !== 'reactivate') {
            await this.sessions.revokeAll(user.id, 'account_inactive', origin);
          }
        }
        outcomes.set(
          identity.subject,
          change || changedProfiles.has(user.id) ? 'updated' : 'unchanged',
        );
      }
      await this.identities.recordSyncs(
        applied.map(({ identity, remote, profile }) => ({
          id: identity.id,
          remoteUpdatedAt: remote.updatedAt,
          providerStatus: remote.status,
          email: profile.email,
        })),
        new Date(),
      );
      return outcomes;
    });
  }
}
