import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AssuranceLevel } from './step-up.decorator';

/** A signed-in person, as established by a verified access token of a live session. */
export interface Principal {
  kind: 'user';
  userId: string;
  sessionId: string;
  /** The token's `jti`. */
  tokenId: string;
  amr: string[];
  /** The assurance of that authentication: `aal2` when it used a second factor. */
  acr: AssuranceLevel;
  /** When the user last authenticated (seconds since the epoch). */
  authTime: number;
}

/** A service client, as established by an access token from the client-credentials grant. */
export interface ServicePrincipal {
  kind: 'service';
  clientId: string;
  /** The token's `jti`. */
  tokenId: string;
  /** The scopes granted to this token: a service's permissions. */
  scopes: string[];
}

/** Whoever made an authenticated request. */
export type Caller = Principal | ServicePrincipal;

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}

function callerOf(context: ExecutionContext): Caller {
  const caller = context.switchToHttp().getRequest<FastifyRequest>().caller;
  if (!caller) throw new Error('caller read on a route without authentication');
  return caller;
}

/**
 * The signed-in user. Service tokens only reach routes that accept them (see
 * `@RequirePermission`), and such routes read `@CurrentCaller()` instead.
 */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => {
    const caller = callerOf(context);
    if (caller.kind !== 'user')
      throw new Error('CurrentPrincipal used on a route open to services');
    return caller;
  },
);

/** The authenticated caller, user or service. */
export const CurrentCaller = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Caller => callerOf(context),
);
