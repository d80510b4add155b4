import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { GatehousePermission } from './gatehouse-permissions';

export const REQUIRED_PERMISSION = 'gatehouse:required-permission';

/**
 * Authentication, the permission a route needs and its OpenAPI description in one, so a route
 * cannot be half-protected. A user needs the authorization engine to allow the permission as
 * an action on Gatehouse itself (role permissions and policies alike); a service client needs
 * it among its token's scopes. Only routes marked with it accept service tokens at all.
 */
export const RequirePermission = (permission: GatehousePermission) =>
  applyDecorators(
    SetMetadata(REQUIRED_PERMISSION, permission),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'No valid access token.' }),
    ApiForbiddenResponse({ description: `The caller lacks the \`${permission}\` permission.` }),
  );
