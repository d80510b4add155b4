import { Injectable } from '@nestjs/common';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode, UsersErrorCode } from '../../common/errors/error-code';
import { Transactions } from '../../database/transactions';
import { UserRolesService } from '../access/user-roles.service';
import { SessionService } from '../auth/session.service';
import { LinkedIdentitiesService } from '../federation/linked-identities.service';
import { MfaService } from '../mfa/mfa.service';
import { User } from './user.entity';
import {
  FoundUser,
  ProfileChanges,
  SortOrder,
  UserSearch,
  UserSearchPosition,
  UserSort,
} from './users.repository';
import { StatusChange, UsersService } from './users.service';

type Grant = Awaited<ReturnType<UserRolesService['grantsOf']>>[number];
type Session = Awaited<ReturnType<SessionService['listLive']>>[number];

/** One user as an administrator reads it: never a secret, a hash or a token. */
export interface UserDetail {
  user: User;
  grants: Grant[];
  /** When the authenticator app became active; null without one. */
  totpActivatedAt: Date | null;
  backupCodesRemaining: number;
  sessions: Session[];
  identities: Awaited<ReturnType<LinkedIdentitiesService['listOfUser']>>;
}

/**
 * The administrators' user lifecycle (`/v1/admin/users`): search, read, invite, change profiles
 * and statuses, force password resets and end sessions. The account is the users module's; its
 * sessions, roles and factors are asked of the auth, access and mfa modules. A change that
 * would leave the caller unable to sign in (suspending, deactivating or resetting oneself) is a
 * 409 `self_lockout`; one that would leave no active administrator, a 409 `last_administrator`.
 * A status change that stops an account signing in ends its sessions in the same transaction:
 * the `user.session.revoked` event reaches every instance's liveness cache, and a session ended
 * elsewhere stops authenticating within its 2 s bound all the same (SessionService.isLive).
 */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionService,
    private readonly userRoles: UserRolesService,
    private readonly mfa: MfaService,
    private readonly identities: LinkedIdentitiesService,
    private readonly transactions: Transactions,
  ) {}

  search(
    filter: UserSearch,
    sort: { by: UserSort; order: SortOrder },
    after: UserSearchPosition | null,
    limit: number,
  ): Promise<FoundUser[]> {
    return this.users.search(filter, sort, after, limit);
  }

  async get(id: string): Promise<UserDetail> {
    const user = await this.find(id);
    const [grants, mfa, sessions, identities] = await Promise.all([
      this.userRoles.grantsOf(id),
      this.mfa.status(id),
      this.sessions.listLive(id),
      this.identities.listOfUser(id),
    ]);
    return {
      user,
      grants,
      totpActivatedAt: mfa.totp === 'active' ? mfa.activatedAt : null,
      backupCodesRemaining: mfa.backupCodesRemaining,
      sessions,
      identities,
    };
  }

  /** A new `invited` account; its invitation is mailed once the event is published. */
  async invite(input: { email: string; name: string }, actor: Actor): Promise<User> {
    const id = await this.users.createInvited(input, { actor });
    if (!id) {
      throw new DomainError(UsersErrorCode.EmailTaken, 'Another account uses this address.');
    }
    return this.find(id);
  }

  async update(id: string, changes: ProfileChanges, actor: Actor): Promise<User> {
    await this.find(id);
    await this.users.updateProfile(id, changes, { actor });
    return this.find(id);
  }

  /**
   * Suspends, deactivates or reactivates the account. Suspending or deactivating ends every
   * session; neither may be done to oneself or to the last administrator.
   */
  async changeStatus(
    id: string,
    change: StatusChange,
    reason: string | null,
    actor: Actor,
  ): Promise<User> {
    await this.transactions.run(async () => {
      if (change !== 'reactivate') await this.assertMayLockOut(id, actor, change);
      const previous = await this.users.changeStatus(id, change, reason, { actor });
      if (previous !== null && change !== 'reactivate') {
        await this.sessions.revokeAll(id, 'account_inactive', { actor });
      }
    });
    return this.find(id);
  }

  /** The password stops working, every session ends, and a reset link is mailed. */
  async forcePasswordReset(id: string, actor: Actor): Promise<void> {
    await this.transactions.run(async () => {
      await this.assertMayLockOut(id, actor, 'reset the password of');
      await this.users.forcePasswordReset(id, { actor });
      await this.sessions.revokeAll(id, 'password_reset', { actor });
    });
  }

  /** Ends one live session of the user; 404 when the user has no such session. */
  async revokeSession(id: string, sessionId: string, actor: Actor): Promise<void> {
    await this.find(id);
    if (!(await this.sessions.revokeOne(id, sessionId, 'revoked_by_administrator', { actor }))) {
      throw new DomainError(CommonErrorCode.NotFound, 'The user has no such session.');
    }
  }

  /** Ends every session of the user; returns how many ended. */
  async revokeSessions(id: string, actor: Actor): Promise<number> {
    await this.find(id);
    return this.sessions.revokeAll(id, 'revoked_by_administrator', { actor });
  }

  private async find(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw new DomainError(CommonErrorCode.NotFound, 'The user does not exist.');
    return user;
  }

  /**
   * Refuses a change that stops the account signing in when it is the caller's own, or the
   * last administrator's (which also serializes it with other such changes and grant changes).
   */
  private async assertMayLockOut(id: string, actor: Actor, what: string): Promise<void> {
    if (actor.type === 'user' && actor.id === id) {
      throw new DomainError(
        UsersErrorCode.SelfLockout,
        `You cannot ${what} your own account: you would lock yourself out.`,
      );
    }
    await this.userRoles.assertAdministratorRemainsWithout(id);
  }
}
