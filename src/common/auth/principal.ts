import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** Who made a request, as established by a verified access token. */
export interface Principal {
  userId: string;
  sessionId: string;
  /** The token's `jti`. */
  tokenId: string;
  amr: string[];
  /** When the user last authenticated (seconds since the epoch). */
  authTime: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** The authenticated caller; only on routes the access-token guard protects. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => {
    const principal = context.switchToHttp().getRequest<FastifyRequest>().principal;
    if (!principal) throw new Error('CurrentPrincipal used on a route without authentication');
    return principal;
  },
);
