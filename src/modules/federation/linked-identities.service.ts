import { Injectable } from '@nestjs/common';
import { EventOrigin } from '../events/domain-events.service';
import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode, FederationErrorCode } from '../../common/errors/error-code';
import { Transactions } from '../../database/transactions';
import { DomainEvents } from '../events/domain-events.service';
import { PersonalData } from '../privacy/personal-data.decorator';
import { UsersService } from '../users/users.service';
import { LinkedIdentitiesRepository, LinkedIdentityView } from './linked-identities.repository';

/** The identities linked to a user: listed by their owner and administrators, unlinked by the owner. */
@Injectable()
export class LinkedIdentitiesService {
  constructor(
    private readonly identities: LinkedIdentitiesRepository,
    private readonly users: UsersService,
    private readonly events: DomainEvents,
    private readonly transactions: Transactions,
  ) {}

  listOfUser(userId: string): Promise<LinkedIdentityView[]> {
    return this.identities.listOfUser(userId);
  }

  /** The person's linked identities for their data export: never a token or a secret. */
  @PersonalData({
    file: 'linked-identities.json',
    describes:
      'The accounts at external identity providers linked to yours: provider, issuer, your id there, the address it gave, your last sign-in through it, and the status the provider last gave when your account was last synced from it.',
  })
  async personalData(userId: string): Promise<unknown> {
    const identities = await this.identities.listOfUser(userId);
    return identities.map((identity) => ({
      id: identity.id,
      provider: identity.providerSlug,
      provider_name: identity.providerName,
      issuer: identity.issuer,
      subject: identity.subject,
      email: identity.email,
      last_login_at: identity.lastLoginAt?.toISOString() ?? null,
      provider_status: identity.providerStatus,
      synced_at: identity.syncedAt?.toISOString() ?? null,
      created_at: identity.createdAt.toISOString(),
    }));
  }

  /** For an administrator: 404 for an unknown user, as for one without identities it is not. */
  async listForAdministrator(userId: string): Promise<LinkedIdentityView[]> {
    if (!(await this.users.findById(userId))) {
      throw new DomainError(CommonErrorCode.NotFound, 'No such user.');
    }
    return this.identities.listOfUser(userId);
  }

  /**
   * Removes one of the user's identities; another user's id is a 404 like an unknown one. The
   * last way to sign in (no password, no other identity) cannot be removed: 409.
   */
  async unlink(userId: string, identityId: string, origin: EventOrigin): Promise<void> {
    await this.transactions.run(async () => {
      // One unlink of a user at a time: two at once could each leave the other's last identity.
      await this.transactions
        .manager()
        .query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`identities:${userId}`]);
      const found = await this.users.findWithPasswordHash(userId);
      if (!found) throw new DomainError(CommonErrorCode.NotFound, 'No such identity.');
      const count = await this.identities.countOfUser(userId);
      const removed = await this.identities.deleteOfUser(userId, identityId);
      if (!removed) throw new DomainError(CommonErrorCode.NotFound, 'No such identity.');
      if (count <= 1 && !found.passwordHash) {
        throw new DomainError(
          FederationErrorCode.LastSignInMethod,
          'This identity is the only way to sign in to the account: set a password first.',
        );
      }
      await this.events.emit(
        'identity.unlinked',
        { user_id: userId, identity_id: removed.id, provider_id: removed.providerId, by: 'user' },
        origin,
      );
    });
  }
}
