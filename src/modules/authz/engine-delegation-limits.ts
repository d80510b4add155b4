import { Injectable } from '@nestjs/common';
import { DelegationLimits, Grantable } from '../../common/auth/delegation-limits';
import {
  GATEHOUSE_PERMISSIONS,
  GatehousePermission,
} from '../../common/auth/gatehouse-permissions';
import { Caller } from '../../common/auth/principal';
import { DomainError } from '../../common/errors/domain-error';
import { AuthzErrorCode } from '../../common/errors/error-code';
import { AuthzService, GATEHOUSE_RESOURCE } from './authz.service';
import {
  actionPatternMatches,
  parseActionPattern,
  parseResourcePattern,
  resourcePatternMatches,
} from '../../common/policy-language/authz-patterns';

/** Gatehouse's own permissions that any of these action patterns covers. */
function gatehousePermissionsCoveredBy(patterns: readonly string[]): GatehousePermission[] {
  const parsed = patterns
    .map((pattern) => parseActionPattern(pattern))
    .filter((pattern) => typeof pattern !== 'string');
  return GATEHOUSE_PERMISSIONS.filter((permission) =>
    parsed.some((pattern) => actionPatternMatches(pattern, permission)),
  );
}

/** Whether a policy on these resources applies to Gatehouse's own permission checks. */
function coversGatehouse(resources: readonly string[]): boolean {
  return resources.some((resource) => {
    const pattern = parseResourcePattern(resource);
    return typeof pattern !== 'string' && resourcePatternMatches(pattern, GATEHOUSE_RESOURCE);
  });
}

@Injectable()
export class EngineDelegationLimits extends DelegationLimits {
  constructor(private readonly authz: AuthzService) {
    super();
  }

  async assertMayHandOut(caller: Caller, grantable: Grantable): Promise<void> {
    const handedOut =
      grantable.kind === 'permissions'
        ? gatehousePermissionsCoveredBy(grantable.patterns)
        : grantable.effect === 'allow' && coversGatehouse(grantable.resources)
          ? gatehousePermissionsCoveredBy(grantable.actions)
          : [];
    const lacking: GatehousePermission[] = [];
    for (const permission of handedOut) {
      if (!(await this.authz.callerMay(caller, permission))) lacking.push(permission);
    }
    if (lacking.length > 0) {
      throw new DomainError(
        AuthzErrorCode.PrivilegeEscalation,
        `Only a holder of ${lacking.join(', ')} can hand ${lacking.length === 1 ? 'it' : 'them'} out.`,
        { extensions: { missing_permissions: lacking } },
      );
    }
  }
}
