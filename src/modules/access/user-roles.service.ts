import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';
import { AccessErrorCode, CommonErrorCode } from '../../common/errors/error-code';
import { Transactions } from '../../database/transactions';
import { Actor } from '../../common/auth/actor';
import { UsersService } from '../users/users.service';
import { AccessChangeRecorder } from './access-change-recorder';
import { invalidField, notFound } from './access-problems';
import { ADMIN_ROLE, USER_ROLE } from './built-in-roles';
import { PolicySetRepository } from './policy-set.repository';
import { Role } from './role.entity';
import { Grant, RoleRepository } from './role.repository';

export interface GrantWrite {
  grant: Grant;
  /** False when the user already held the role (its expiry may have changed). */
  created: boolean;
  version: number;
}

const sameInstant = (a: Date | null, b: Date | null) =>
  (a?.getTime() ?? null) === (b?.getTime() ?? null);

/**
 * Grants of roles to users. Granting twice is idempotent (the second grant sets the expiry).
 * The last active user holding `admin` without an expiry keeps it: revoking it, or giving it
 * an expiry, would leave nobody able to administer Gatehouse through its API.
 */
@Injectable()
export class UserRolesService {
  constructor(
    private readonly roles: RoleRepository,
    private readonly users: UsersService,
    private readonly policySet: PolicySetRepository,
    private readonly recorder: AccessChangeRecorder,
    private readonly transactions: Transactions,
  ) {}

  /** The user's grants, expired ones included; 404 for an unknown user. */
  async grantsOf(userId: string): Promise<Grant[]> {
    if ((await this.users.statusOf(userId)) === null) throw notFound('user');
    return this.roles.grantsOf(userId);
  }

  grantById(
    userId: string,
    roleId: string,
    expiresAt: Date | null,
    actor: Actor,
  ): Promise<GrantWrite> {
    return this.transactions.run(async () =>
      this.grant(userId, await this.roles.findById(roleId), expiresAt, actor),
    );
  }

  grantByName(userId: string, roleName: string, actor: Actor): Promise<GrantWrite> {
    return this.transactions.run(async () =>
      this.grant(userId, await this.roles.findByName(roleName), null, actor),
    );
  }

  revoke(userId: string, roleId: string, actor: Actor): Promise<number> {
    return this.transactions.run(async () => {
      const role = await this.grantableRole(userId, await this.roles.findById(roleId));
      const grant = await this.roles.findGrantForUpdate(userId, role.id);
      if (!grant) {
        throw new DomainError(CommonErrorCode.NotFound, 'The user does not hold this role.');
      }
      if (role.name === ADMIN_ROLE && grant.expiresAt === null) {
        await this.assertAnotherAdministrator(role, userId);
      }
      await this.roles.deleteGrant(userId, role.id);
      return this.recorder.record(
        'user.role.revoked',
        { user_id: userId, role_id: role.id, role_name: role.name },
        actor,
      );
    });
  }

  private async grant(
    userId: string,
    found: Role | null,
    expiresAt: Date | null,
    actor: Actor,
  ): Promise<GrantWrite> {
    if (expiresAt !== null && expiresAt.getTime() <= Date.now()) {
      throw invalidField('expires_at', 'must be in the future');
    }
    const role = await this.grantableRole(userId, found);
    const existing = await this.roles.findGrantForUpdate(userId, role.id);
    if (existing && sameInstant(existing.expiresAt, expiresAt)) {
      return { grant: existing, created: false, version: await this.policySet.currentVersion() };
    }
    if (role.name === ADMIN_ROLE && existing?.expiresAt === null) {
      await this.assertAnotherAdministrator(role, userId);
    }
    const result = await this.roles.upsertGrant({
      userId,
      roleId: role.id,
      grantedBy: actor.id,
      expiresAt,
    });
    if (result === 'missing') {
      throw new DomainError(CommonErrorCode.NotFound, 'The user or the role no longer exists.');
    }
    const version = await this.recorder.record(
      'user.role.granted',
      {
        user_id: userId,
        role_id: role.id,
        role_name: role.name,
        expires_at: expiresAt?.toISOString() ?? null,
        ...(existing ? { previous_expires_at: existing.expiresAt?.toISOString() ?? null } : {}),
      },
      actor,
    );
    return { grant: { ...result.grant, roleName: role.name }, created: result.created, version };
  }

  /**
   * The role, once the user and the role are known and the role is one that can be granted.
   * Changes to `admin` grants are serialized by a lock on the role, so two concurrent
   * revocations cannot each leave the other as the last administrator and both succeed.
   */
  private async grantableRole(userId: string, role: Role | null): Promise<Role> {
    if (!role) throw notFound('role');
    if (role.name === USER_ROLE) {
      throw invalidField('roleId', 'the user role is held implicitly by every active user');
    }
    if ((await this.users.statusOf(userId)) === null) throw notFound('user');
    if (role.name === ADMIN_ROLE) await this.roles.findById(role.id, { forUpdate: true });
    return role;
  }

  /**
   * Refuses (409 `last_administrator`) a change that would leave the user unable to administer
   * (suspending, deactivating, a forced password reset) when they are the last active user
   * holding `admin` without an expiry. Call inside the transaction that makes the change: the
   * lock on the `admin` role it takes serializes it with grant changes and with other such
   * changes, so two of them cannot each leave the other as the last administrator.
   */
  async assertAdministratorRemainsWithout(userId: string): Promise<void> {
    const admin = await this.roles.findByName(ADMIN_ROLE);
    if (!admin) return;
    await this.roles.findById(admin.id, { forUpdate: true });
    const grant = await this.roles.findGrantForUpdate(userId, admin.id);
    if (grant?.expiresAt !== null || (await this.users.statusOf(userId)) !== 'active') return;
    await this.assertAnotherAdministrator(admin, userId);
  }

  private async assertAnotherAdministrator(admin: Role, userId: string): Promise<void> {
    for (const holder of await this.roles.permanentHolders(admin.id, userId)) {
      if ((await this.users.statusOf(holder)) === 'active') return;
    }
    throw new DomainError(
      AccessErrorCode.LastAdministrator,
      'No other active user holds the admin role without an expiry; grant it to someone first.',
    );
  }
}
