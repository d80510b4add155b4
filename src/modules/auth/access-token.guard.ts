import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC } from '../../common/auth/public.decorator';
import { ErrorCode } from '../../common/errors/error-code';
import { ProblemException } from '../../common/errors/problem.exception';
import { AccessTokenService, InvalidAccessTokenError } from './access-token.service';
import { SessionService } from './session.service';

/** The scheme is case-insensitive (RFC 9110 §11.1); the credentials must be one compact JWS. */
const BEARER_SCHEME = /^bearer(?:\s|$)/i;
const BEARER = /^bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i;

/**
 * Deny by default: every route needs a valid access token of a live session unless it is
 * marked `@Public()`. Failures follow RFC 6750 (`WWW-Authenticate`) and say nothing about why
 * a token was refused; the reason goes to the log.
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  private readonly logger = new Logger(AccessTokenGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: AccessTokenService,
    private readonly sessions: SessionService,
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
      throw new ProblemException(
        401,
        ErrorCode.Unauthorized,
        'This endpoint needs an access token (Authorization: Bearer …).',
        {},
        { 'www-authenticate': 'Bearer realm="gatehouse"' },
      );
    }
    const match = BEARER.exec(header);
    if (!match) throw this.invalid('not a Bearer JWT');
    try {
      const principal = await this.tokens.verify(match[1]);
      if (!(await this.sessions.isLive(principal.sessionId, principal.userId))) {
        throw this.invalid('session ended');
      }
      request.caller = principal;
      return true;
    } catch (error) {
      if (error instanceof InvalidAccessTokenError) throw this.invalid(error.reason);
      throw error;
    }
  }

  private invalid(reason: string): ProblemException {
    this.logger.debug(`Access token refused: ${reason}`);
    return new ProblemException(
      401,
      ErrorCode.InvalidToken,
      'The access token is invalid or has expired.',
      {},
      { 'www-authenticate': 'Bearer realm="gatehouse", error="invalid_token"' },
    );
  }
}
