import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { Caller, Principal } from '../../common/auth/principal';
import {
  AssuranceLevel,
  insufficientAuthentication,
  RECENT_AUTH_MAX_AGE,
  REQUIRED_ASSURANCE,
} from '../../common/auth/step-up.decorator';
import { IS_PUBLIC } from '../../common/auth/public.decorator';
import { SCOPING_PERMISSION } from '../../common/auth/permission-scoped.decorator';
import { REQUIRED_PERMISSION } from '../../common/auth/require-permission.decorator';
import { DomainError } from '../../common/errors/domain-error';
import { AuthErrorCode, CommonErrorCode } from '../../common/errors/error-code';
import { OAuthClientsService } from '../clients/oauth-clients.service';
import { AccessTokenService, InvalidAccessTokenError } from './access-token.service';
import { SessionService } from './session.service';

/** The scheme is case-insensitive (RFC 9110 §11.1); the credentials must be one compact JWS. */
const BEARER_SCHEME = /^bearer(?:\s|$)/i;
const BEARER = /^bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i;

/**
 * Deny by default: every route needs a valid access token unless it is marked `@Public()`: a
 * user's token of a live session, or a service client's token of an active client that was not
 * revoked and was not issued before the client's tokens were last ended (`tokens_valid_after`).
 * Failures follow RFC 6750 (`WWW-Authenticate`) and say nothing about why a token was refused;
 * the reason goes to the log.
 *
 * A service token is accepted only on routes marked `@RequirePermission` or `@PermissionScoped`,
 * whose permission checks know services; elsewhere it is a 403 `user_token_required`. 403, not
 * 401: the token is valid and getting another one would not help, and a client that treated it
 * as a 401 would fetch new tokens in a loop.
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  private readonly logger = new Logger(AccessTokenGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: AccessTokenService,
    private readonly sessions: SessionService,
    private readonly clients: OAuthClientsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;

    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers.authorization;
    // No Bearer credentials at all (none, or another scheme): a plain challenge (RFC 6750 §3.1).
    if (header === undefined || !BEARER_SCHEME.test(header)) {
      throw new DomainError(
        CommonErrorCode.Unauthorized,
        'This endpoint needs an access token (Authorization: Bearer …).',
      );
    }
    const match = BEARER.exec(header);
    if (!match) throw this.invalid('not a Bearer JWT');
    let caller: Caller;
    let issuedAtMs: number;
    try {
      ({ caller, issuedAtMs } = await this.tokens.verify(match[1]));
    } catch (error) {
      if (error instanceof InvalidAccessTokenError) throw this.invalid(error.reason);
      throw error;
    }
    if (caller.kind === 'user') {
      if (!(await this.sessions.isLive(caller.sessionId, caller.userId))) {
        throw this.invalid('session ended');
      }
      this.assertAuthenticationSuffices(context, caller);
    } else {
      if (!(await this.clients.isTokenLive(caller.clientId, caller.tokenId, issuedAtMs))) {
        throw this.invalid('client disabled, token revoked or issued before tokens_valid_after');
      }
      const targets = [context.getHandler(), context.getClass()];
      const permission =
        this.reflector.getAllAndOverride<string | undefined>(REQUIRED_PERMISSION, targets) ??
        this.reflector.getAllAndOverride<string | undefined>(SCOPING_PERMISSION, targets);
      if (permission === undefined) {
        throw new DomainError(
          AuthErrorCode.UserTokenRequired,
          'This endpoint acts for a signed-in user and does not accept service tokens.',
        );
      }
    }
    request.caller = caller;
    return true;
  }

  /**
   * Step-up (RFC 9470): a route marked `@RequireRecentAuth` or `@RequireAal` refuses a token
   * whose authentication is too old or too weak, saying what would do (`max_age`, `acr_values`).
   * Service tokens have no user authentication to step up; such routes do not accept them.
   */
  private assertAuthenticationSuffices(context: ExecutionContext, principal: Principal): void {
    const targets = [context.getHandler(), context.getClass()];
    const maxAge = this.reflector.getAllAndOverride<number | undefined>(
      RECENT_AUTH_MAX_AGE,
      targets,
    );
    const assurance = this.reflector.getAllAndOverride<AssuranceLevel | undefined>(
      REQUIRED_ASSURANCE,
      targets,
    );
    const tooOld =
      maxAge !== undefined && Math.floor(Date.now() / 1000) - principal.authTime > maxAge;
    const tooWeak = assurance === 'aal2' && principal.acr !== 'aal2';
    if (!tooOld && !tooWeak) return;
    throw insufficientAuthentication({
      assurance: tooWeak ? assurance : undefined,
      maxAgeSeconds: tooOld ? maxAge : undefined,
    });
  }

  private invalid(reason: string): DomainError {
    this.logger.debug(`Access token refused: ${reason}`);
    return new DomainError(
      AuthErrorCode.InvalidToken,
      'The access token is invalid or has expired.',
    );
  }
}
