import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { GatehousePermission } from '../../common/auth/gatehouse-permissions';
import { Principal } from '../../common/auth/principal';
import { REQUIRED_PERMISSION } from '../../common/auth/require-permission.decorator';
import { insufficientAuthentication } from '../../common/auth/step-up.decorator';
import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode } from '../../common/errors/error-code';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
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
    @Inject(APP_CONFIG) private readonly config: AppConfig,
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
    if (caller.kind === 'user' && caller.acr !== 'aal2') await this.assertNoRoleNeedsMfa(caller);
    if (await this.authz.callerMay(caller, permission)) return true;

    this.logger.warn(
      `Refused ${request.method} ${request.routeOptions.url ?? ''}: needs ${permission}, ` +
        (caller.kind === 'service' ? `client ${caller.clientId}` : `session ${caller.sessionId}`),
    );
    throw new DomainError(CommonErrorCode.Forbidden, `This needs the ${permission} permission.`);
  }

  /**
   * A holder of a role that requires a second factor (MFA_REQUIRED_ROLES) uses the permission
   * API only from a session that presented one: a role granted during a password-only session,
   * or a session that outlived the removal of its factor, must step up first.
   */
  private async assertNoRoleNeedsMfa(caller: Principal): Promise<void> {
    const required = this.config.mfa.requiredRoles;
    if (required.length === 0) return;
    const roles = await this.authz.rolesOf(caller.userId);
    if (roles.some((role) => required.includes(role))) {
      throw insufficientAuthentication({ assurance: 'aal2' });
    }
  }
}
