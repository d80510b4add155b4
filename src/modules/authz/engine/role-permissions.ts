import {
  type ActionPattern,
  actionPatternMatches,
  parsePermission,
  roleNameError,
} from '../../../common/policy-language/authz-patterns';
import type { DecisionReason } from './decision';
import { InvalidDefinitionError } from './invalid-definition-error';
import type { RoleDefinition } from '../../../common/policy-language/policy-definition';

type RolePermissionReason = Extract<DecisionReason, { kind: 'role_permission' }>;

/** One permission of one role, with the reason it gives when it decides, built once. */
export interface RolePermission {
  role: string;
  permission: string;
  pattern: ActionPattern;
  reason: RolePermissionReason;
}

/** A role's permissions arranged for the three ways one can cover an action. */
interface RoleGrant {
  exact: Map<string, RolePermission>;
  /** `type:*` permissions with the `type:` prefix an action must start with. */
  typePrefixes: { prefix: string; permission: RolePermission }[];
  any: RolePermission | null;
  /** Sorted. */
  permissions: string[];
}

/**
 * The roles' permissions: allows at priority 0 on any resource. Looked up by the subject's
 * roles, so a decision costs a few map lookups per role the subject holds, however many roles
 * and permissions exist.
 */
export class RolePermissions {
  private readonly grants = new Map<string, RoleGrant>();
  /** Every permission, sorted by role then permission, for traces. */
  private readonly all: RolePermission[] = [];

  constructor(roles: readonly RoleDefinition[]) {
    for (const role of roles) {
      const nameError = roleNameError(role.name);
      if (nameError !== null) {
        throw new InvalidDefinitionError({ kind: 'role', name: role.name }, 'name', nameError);
      }
      let grant = this.grants.get(role.name);
      if (grant === undefined) {
        grant = { exact: new Map(), typePrefixes: [], any: null, permissions: [] };
        this.grants.set(role.name, grant);
      }
      for (const permission of role.permissions) {
        if (grant.permissions.includes(permission)) continue;
        const pattern = parsePermission(permission);
        if (typeof pattern === 'string') {
          throw new InvalidDefinitionError(
            { kind: 'role', name: role.name },
            'permissions',
            pattern,
          );
        }
        const entry: RolePermission = {
          role: role.name,
          permission,
          pattern,
          reason: Object.freeze({
            kind: 'role_permission',
            role: role.name,
            permission,
            effect: 'allow',
            priority: 0,
          }),
        };
        grant.permissions.push(permission);
        this.all.push(entry);
        if (pattern.kind === 'exact') grant.exact.set(permission, entry);
        else if (pattern.kind === 'type') {
          grant.typePrefixes.push({ prefix: `${pattern.type}:`, permission: entry });
        } else grant.any = entry;
      }
    }
    for (const grant of this.grants.values()) grant.permissions.sort(byCodeUnits);
    this.all.sort((a, b) => byCodeUnits(a.role, b.role) || byCodeUnits(a.permission, b.permission));
  }

  /**
   * The reasons of the permissions of `roles` that cover `action`, sorted by role and
   * permission, or null when none does.
   */
  granting(roles: readonly string[], action: string): DecisionReason[] | null {
    let found: RolePermissionReason[] | null = null;
    for (let i = 0; i < roles.length; i++) {
      const grant = this.grants.get(roles[i]);
      // A role listed twice would give its reasons twice.
      if (grant === undefined || roles.indexOf(roles[i]) !== i) continue;
      const exact = grant.exact.get(action);
      if (exact !== undefined) (found ??= []).push(exact.reason);
      for (const { prefix, permission } of grant.typePrefixes) {
        if (action.startsWith(prefix)) (found ??= []).push(permission.reason);
      }
      if (grant.any !== null) (found ??= []).push(grant.any.reason);
    }
    if (found !== null && found.length > 1) {
      found.sort((a, b) => byCodeUnits(a.role, b.role) || byCodeUnits(a.permission, b.permission));
    }
    return found;
  }

  /** Every permission of any role that covers `action`, in trace order. */
  covering(action: string): RolePermission[] {
    return this.all.filter(({ pattern }) => actionPatternMatches(pattern, action));
  }

  /** The permissions the roles hold between them, sorted, each once; unknown roles add none. */
  permissionsOf(roles: readonly string[]): string[] {
    const permissions = new Set<string>();
    for (const role of roles) {
      for (const permission of this.grants.get(role)?.permissions ?? [])
        permissions.add(permission);
    }
    return [...permissions].sort(byCodeUnits);
  }
}

/** Locale-independent, so that every instance orders alike. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
