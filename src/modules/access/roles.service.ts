import { Inject, Injectable } from '@nestjs/common';
import { GATEHOUSE_PERMISSIONS } from '../../common/auth/gatehouse-permissions';
import { DomainError } from '../../common/errors/domain-error';
import { AccessErrorCode } from '../../common/errors/error-code';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transactions';
import { Actor } from '../../common/auth/actor';
import { AccessChangeRecorder } from './access-change-recorder';
import { invalidField, nameTaken, notFound } from './access-problems';
import { ADMIN_ROLE } from './built-in-roles';
import { fieldChanges } from '../../common/changes/field-changes';
import { PolicyRepository } from './policy.repository';
import { PolicySetRepository } from './policy-set.repository';
import { Role } from './role.entity';
import { RoleFields, RoleRepository } from './role.repository';

const ROLE_FIELDS = ['name', 'description', 'permissions'] as const;

export interface RoleWrite {
  role: Role;
  version: number;
}

/**
 * Roles and what they allow. Built-in roles keep their names and cannot be deleted; `admin`
 * keeps every Gatehouse permission (it may hold more), so editing it can never lock every
 * administrator out of Gatehouse's own API.
 */
@Injectable()
export class RolesService {
  constructor(
    private readonly roles: RoleRepository,
    private readonly policies: PolicyRepository,
    private readonly policySet: PolicySetRepository,
    private readonly recorder: AccessChangeRecorder,
    private readonly transactions: Transactions,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Up to `limit` roles by name, after `afterName`. */
  list(afterName: string | null, limit: number): Promise<Role[]> {
    return this.roles.list(afterName, limit);
  }

  async get(id: string): Promise<Role> {
    const role = await this.roles.findById(id);
    if (!role) throw notFound('role');
    return role;
  }

  create(fields: RoleFields, actor: Actor): Promise<RoleWrite> {
    return this.transactions.run(async () => {
      const role = await this.roles.insert(fields);
      if (!role) throw nameTaken('role');
      const version = await this.recorder.record(
        'role.created',
        {
          role_id: role.id,
          name: role.name,
          description: role.description,
          permissions: role.permissions,
        },
        actor,
      );
      return { role, version };
    });
  }

  /**
   * Changes the given fields. A renamed role stays the subject of the policies that named it:
   * they are rewritten in the same transaction, so a new role taking the old name cannot
   * inherit them.
   */
  update(id: string, changes: Partial<RoleFields>, actor: Actor): Promise<RoleWrite> {
    return this.transactions.run(async () => {
      const current = await this.roles.findById(id, { forUpdate: true });
      if (!current) throw notFound('role');
      const next: RoleFields = {
        name: changes.name ?? current.name,
        description: changes.description ?? current.description,
        permissions: changes.permissions ?? current.permissions,
      };
      if (current.builtIn && next.name !== current.name) {
        throw new DomainError(AccessErrorCode.BuiltInRole, 'Built-in roles cannot be renamed.');
      }
      if (next.name !== current.name) this.assertNotRequiredToUseMfa(current.name, 'renamed');
      if (current.name === ADMIN_ROLE) assertKeepsGatehousePermissions(next.permissions);
      const changed = fieldChanges<RoleFields>(current, next, ROLE_FIELDS);
      if (!changed) return { role: current, version: await this.policySet.currentVersion() };

      const role = await this.roles.update(id, next);
      if (role === 'name_taken') throw nameTaken('role');
      const renamedIn =
        next.name === current.name
          ? []
          : await this.policies.renameSubject(`role:${current.name}`, `role:${next.name}`);
      const version = await this.recorder.record(
        'role.updated',
        { role_id: id, name: role.name, changes: changed, policies_updated: renamedIn },
        actor,
      );
      return { role, version };
    });
  }

  /**
   * Deletes a role and its grants. Refused while policies name it: a role created later
   * under the same name would otherwise inherit them.
   */
  delete(id: string, actor: Actor): Promise<number> {
    return this.transactions.run(async () => {
      const role = await this.roles.findById(id, { forUpdate: true });
      if (!role) throw notFound('role');
      if (role.builtIn) {
        throw new DomainError(AccessErrorCode.BuiltInRole, 'Built-in roles cannot be deleted.');
      }
      this.assertNotRequiredToUseMfa(role.name, 'deleted');
      const namedBy = await this.policies.namesWithSubject(`role:${role.name}`);
      if (namedBy.length > 0) {
        throw new DomainError(
          AccessErrorCode.RoleInUse,
          'Policies name this role as a subject; change them first.',
          { extensions: { policies: namedBy } },
        );
      }
      const revokedGrants = await this.roles.delete(id);
      return this.recorder.record(
        'role.deleted',
        {
          role_id: id,
          name: role.name,
          description: role.description,
          permissions: role.permissions,
          revoked_grants: revokedGrants,
        },
        actor,
      );
    });
  }

  /**
   * A role MFA_REQUIRED_ROLES names keeps its name: renamed or deleted, its holders (or a new
   * role's, taking the name) would sign in without the second factor required of them, and the
   * next boot would stop on the unknown name.
   */
  private assertNotRequiredToUseMfa(name: string, change: 'renamed' | 'deleted'): void {
    if (!this.config.mfa.requiredRoles.includes(name)) return;
    throw new DomainError(
      AccessErrorCode.RoleInUse,
      `MFA_REQUIRED_ROLES names this role, so it cannot be ${change}; change the setting first.`,
    );
  }
}

function assertKeepsGatehousePermissions(permissions: string[]): void {
  const missing = GATEHOUSE_PERMISSIONS.filter((p) => !permissions.includes(p));
  if (missing.length > 0) {
    throw invalidField(
      'permissions',
      `the admin role must keep every Gatehouse permission (missing: ${missing.join(', ')})`,
    );
  }
}
