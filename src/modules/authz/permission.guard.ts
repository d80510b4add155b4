import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { REQUIRED_PERMISSION } from '../../common/auth/require-permission.decorator';
import { ErrorCode } from '../../common/errors/error-code';
import { ProblemException } from '../../common/errors/problem.exception';
import { AuthzService } from './authz.service';

/**
 * Enforces `@RequirePermission` after the access-token guard has authenticated the caller: a
 * service needs the permission among its token's scopes, a user needs the policy engine to
 * allow it. Routes without the decorator pass through untouched.
 */
@Injectable()
export class PermissionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authz: AuthzService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const permission = this.reflector.getAllAndOverride<string | undefined>(REQUIRED_PERMISSION, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (permission === undefined) return true;

    const caller = context.switchToHttp().getRequest<FastifyRequest>().caller;
    // The access-token guard runs first; a permission route marked @Public is a wiring error.
    if (!caller) throw new Error(`route requiring ${permission} has no authenticated caller`);
    const allowed =
      caller.kind === 'service'
        ? caller.scopes.includes(permission)
        : await this.authz.userMay(caller.userId, permission);
    if (!allowed) {
      throw new ProblemException(
        403,
        ErrorCode.Forbidden,
        `This needs the ${permission} permission.`,
      );
    }
    return true;
  }
}
