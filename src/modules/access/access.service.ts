import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';
import { Actor } from '../../common/auth/actor';
import { PolicyDefinition, RoleDefinition } from '../../common/policy-language/policy-definition';
import { UsersService } from '../users/users.service';
import { USER_ROLE } from './built-in-roles';
import { PolicyRepository } from './policy.repository';
import { PolicySetRepository } from './policy-set.repository';
import { RoleRepository } from './role.repository';
import { UserRolesService } from './user-roles.service';

export interface PolicySetSnapshot {
  version: number;
  policies: PolicyDefinition[];
  roles: RoleDefinition[];
}

/**
 * What the decision engine reads of roles, grants and policies, and the grant the CLI makes.
 * Every active user holds the `user` role implicitly (no row); users who are not active
 * (pending verification, suspended, deactivated) or do not exist hold no role at all.
 */
@Injectable()
export class AccessService {
  constructor(
    private readonly roles: RoleRepository,
    private readonly policies: PolicyRepository,
    private readonly policySet: PolicySetRepository,
    private readonly userRoles: UserRolesService,
    private readonly users: UsersService,
    private readonly transactions: Transactions,
  ) {}

  /** The whole policy set and its version, read in one REPEATABLE READ transaction. */
  snapshot(): Promise<PolicySetSnapshot> {
    return this.transactions.runIsolated('REPEATABLE READ', async () => {
      const version = await this.policySet.currentVersion();
      const roles = await this.roles.all();
      const policies = await this.policies.all();
      return {
        version,
        roles: roles.map((r) => ({ name: r.name, permissions: r.permissions })),
        policies: policies.map((p) => ({
          id: p.id,
          name: p.name,
          effect: p.effect,
          priority: p.priority,
          subjects: p.subjects,
          actions: p.actions,
          resources: p.resources,
          condition: p.condition,
          enabled: p.enabled,
        })),
      };
    });
  }

  currentVersion(): Promise<number> {
    return this.policySet.currentVersion();
  }

  /** Names of the roles the user holds now: unexpired grants and, if active, `user`. */
  async rolesOfUser(userId: string): Promise<string[]> {
    if ((await this.users.statusOf(userId)) !== 'active') return [];
    return this.rolesOfActiveUser(userId);
  }

  /**
   * `rolesOfUser` of an account the caller has just read as active (a login whose password was
   * right), without reading its status again.
   */
  async rolesOfActiveUser(userId: string): Promise<string[]> {
    return [...(await this.roles.activeRoleNames(userId, new Date())), USER_ROLE];
  }

  /** Those of `names` that no role is called, in their order. */
  async unknownRoles(names: readonly string[]): Promise<string[]> {
    const found = await Promise.all(names.map((name) => this.roles.findByName(name)));
    return names.filter((_, index) => found[index] === null);
  }

  /**
   * Grants a role by name without an expiry (idempotent), joining the caller's transaction
   * when there is one; `grantedBy` is recorded as the grantor and in the audit trail.
   */
  async grantRole(userId: string, roleName: string, grantedBy: Actor): Promise<void> {
    await this.userRoles.grantByName(userId, roleName, grantedBy);
  }
}
