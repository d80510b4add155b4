import { Injectable } from '@nestjs/common';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode, TradingAccountsErrorCode } from '../../common/errors/error-code';
import { Transactions } from '../../database/transactions';
import { DomainEvents } from '../events/domain-events.service';
import { MemberRole, TradingAccountMember } from './trading-account-member.entity';
import { TradingAccountsRepository } from './trading-accounts.repository';
import { TradingAccountsService } from './trading-accounts.service';

function noSuchMember(): DomainError {
  return new DomainError(CommonErrorCode.NotFound, 'No such member of this trading account.');
}

/**
 * Sharing an account: the owner and its managers invite users with a role, list, change and
 * remove members; the invited accept or decline; a member may leave; the owner may hand the
 * account to an active member (and stays on it as a manager).
 */
@Injectable()
export class TradingAccountMembers {
  constructor(
    private readonly repository: TradingAccountsRepository,
    private readonly accounts: TradingAccountsService,
    private readonly events: DomainEvents,
    private readonly transactions: Transactions,
  ) {}

  async list(userId: string, accountId: string): Promise<TradingAccountMember[]> {
    await this.accounts.manageable(userId, accountId);
    return this.repository.listMembers(accountId);
  }

  async invite(
    userId: string,
    accountId: string,
    invitee: string,
    role: MemberRole,
    actor: Actor,
  ): Promise<TradingAccountMember> {
    return this.transactions.run(async () => {
      const { account, role: callerRole } = await this.accounts.manageable(userId, accountId);
      this.assertMayGrant(callerRole, role);
      if (invitee === account.ownerId) throw alreadyMember();
      const inserted = await this.repository.insertInvitation(accountId, invitee, role, userId);
      if (inserted === 'no_user') {
        throw new DomainError(CommonErrorCode.ValidationFailed, 'No such user.', {
          errors: [{ field: 'user_id', message: 'is not a user' }],
        });
      }
      if (inserted === 'exists') throw alreadyMember();
      await this.events.emit(
        'trading_account.member_invited',
        { account_id: accountId, user_id: invitee, role },
        { actor },
      );
      return (await this.repository.findMember(accountId, invitee))!;
    });
  }

  /** The caller's answer to their invitation. */
  async answer(userId: string, accountId: string, accept: boolean, actor: Actor): Promise<void> {
    await this.transactions.run(async () => {
      const member = await this.repository.findMember(accountId, userId);
      if (!member || member.status !== 'invited') {
        throw new DomainError(
          TradingAccountsErrorCode.NoInvitation,
          'There is no invitation to this trading account waiting for you.',
        );
      }
      if (accept) {
        const role = await this.repository.acceptInvitation(accountId, userId, new Date());
        if (!role) throw new DomainError(TradingAccountsErrorCode.NoInvitation, 'No invitation.');
        await this.events.emit(
          'trading_account.member_added',
          { account_id: accountId, user_id: userId, role },
          { actor },
        );
        return;
      }
      await this.repository.removeMember(accountId, userId);
      await this.events.emit(
        'trading_account.member_removed',
        { account_id: accountId, user_id: userId, role: member.role, reason: 'declined' },
        { actor },
      );
    });
  }

  invitations(userId: string): Promise<TradingAccountMember[]> {
    return this.repository.invitationsOf(userId);
  }

  async changeRole(
    userId: string,
    accountId: string,
    memberId: string,
    role: MemberRole,
    actor: Actor,
  ): Promise<TradingAccountMember> {
    return this.transactions.run(async () => {
      const { role: callerRole } = await this.accounts.manageable(userId, accountId);
      const member = await this.repository.findMember(accountId, memberId);
      if (!member) throw noSuchMember();
      this.assertMayGrant(callerRole, role);
      this.assertMayGrant(callerRole, member.role);
      if (member.role !== role) {
        await this.repository.setMemberRole(accountId, memberId, role);
        await this.events.emit(
          'trading_account.member_role_changed',
          {
            account_id: accountId,
            user_id: memberId,
            changes: { before: { role: member.role }, after: { role } },
          },
          { actor },
        );
      }
      return (await this.repository.findMember(accountId, memberId))!;
    });
  }

  /** Removes a member (owner or manager), or the caller themselves (leaving). */
  async remove(userId: string, accountId: string, memberId: string, actor: Actor): Promise<void> {
    await this.transactions.run(async () => {
      const leaving = userId === memberId;
      if (leaving) {
        await this.accounts.get(userId, accountId);
      } else {
        const { role: callerRole } = await this.accounts.manageable(userId, accountId);
        const member = await this.repository.findMember(accountId, memberId);
        if (!member) throw noSuchMember();
        this.assertMayGrant(callerRole, member.role);
      }
      const removed = await this.repository.removeMember(accountId, memberId);
      if (!removed) throw noSuchMember();
      await this.events.emit(
        'trading_account.member_removed',
        {
          account_id: accountId,
          user_id: memberId,
          role: removed.role,
          reason: leaving ? 'left' : 'removed',
        },
        { actor },
      );
    });
  }

  /** Hands the account to an active member; the previous owner stays as a manager. */
  async transfer(
    userId: string,
    accountId: string,
    newOwnerId: string,
    actor: Actor,
  ): Promise<void> {
    await this.transactions.run(async () => {
      const account = await this.repository.lockById(accountId);
      if (!account || account.ownerId !== userId) {
        await this.accounts.manageable(userId, accountId);
        throw new DomainError(
          CommonErrorCode.Forbidden,
          'Only the owner may transfer the account.',
        );
      }
      const member = await this.repository.findMember(accountId, newOwnerId);
      if (!member || member.status !== 'active') {
        throw new DomainError(
          CommonErrorCode.ValidationFailed,
          'The new owner must be an active member.',
          {
            errors: [{ field: 'user_id', message: 'is not an active member of the account' }],
          },
        );
      }
      await this.repository.removeMember(accountId, newOwnerId);
      await this.repository.setOwner(accountId, newOwnerId);
      await this.repository.insertInvitation(accountId, userId, 'manager', newOwnerId);
      await this.repository.acceptInvitation(accountId, userId, new Date());
      await this.events.emit(
        'trading_account.ownership_transferred',
        { account_id: accountId, user_id: newOwnerId, previous_owner_id: userId },
        { actor },
      );
    });
  }

  /** Only the owner makes or unmakes managers. */
  private assertMayGrant(callerRole: 'owner' | MemberRole, role: MemberRole): void {
    if (role === 'manager' && callerRole !== 'owner') {
      throw new DomainError(
        CommonErrorCode.Forbidden,
        'Only the owner may make or change managers.',
      );
    }
  }
}

function alreadyMember(): DomainError {
  return new DomainError(
    TradingAccountsErrorCode.AlreadyMember,
    'The user already owns, belongs to or is invited to this trading account.',
  );
}
