import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { GatehousePermission } from './gatehouse-permissions';

export const SCOPING_PERMISSION = 'gatehouse:scoping-permission';

/**
 * A route open to every authenticated caller, whose answer a permission widens: a holder of
 * `permission` sees everything, a user without it only what is theirs, a service client without
 * it nothing (the route refuses it). Unlike `@RequirePermission` the route itself decides, with
 * the one authorization engine (`AuthzService.callerMay`); like it, it accepts service tokens.
 */
export const PermissionScoped = (permission: GatehousePermission) =>
  applyDecorators(
    SetMetadata(SCOPING_PERMISSION, permission),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'No valid access token.' }),
  );
