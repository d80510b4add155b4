import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { GatehousePermission } from '../../common/auth/gatehouse-permissions';
import { REQUIRED_PERMISSION } from '../../common/auth/require-permission.decorator';
import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode } from '../../common/errors/error-code';
import { AuthzService } from './authz.service';

/**
 * Enforces `@RequirePermission` after the access-token guard has authenticated the caller: a
 * service needs the permission among its token's scopes, a user needs the policy engine to
 * allow it. Routes without the decorator pass through untouched. Refusals are logged (with the
 * session or client, never a person's id).
 */
@Injectable()
export class PermissionGuard implements CanActivate {
  private readonly logger = new Logger(PermissionGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly authz: AuthzService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const permission = this.reflector.getAllAndOverride<GatehousePermission | undefined>(
      REQUIRED_PERMISSION,
      [context.getHandler(), context.getClass()],
    );
    if (permission === undefined) return true;

    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const caller = request.caller;
    // The access-token guard runs first; a permission route marked @Public is a wiring error.
    if (!caller) throw new Error(`route requiring ${permission} has no authenticated caller`);
    await this.authz.assertAssuranceForPermissions(caller);
    if (await this.authz.callerMay(caller, permission)) return true;

    this.logger.warn(
      `Refused ${request.method} ${request.routeOptions.url ?? ''}: needs ${permission}, ` +
        (caller.kind === 'service' ? `client ${caller.clientId}` : `session ${caller.sessionId}`),
    );
    throw new DomainError(CommonErrorCode.Forbidden, `This needs the ${permission} permission.`);
  }
}
