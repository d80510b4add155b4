import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

export const ACTOR_TYPES = ['user', 'service', 'system'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

/**
 * Who makes a change, and from which request: what its events (and so the audit trail) record
 * of the one acting.
 */
export interface Actor {
  type: ActorType;
  /** The user id or client id; for the system, the name of the tool acting. */
  id: string | null;
  requestId: string | null;
  ip: string | null;
}

/** The system acting on its own behalf, e.g. `systemActor('cli')`. */
export function systemActor(tool: string): Actor {
  return { type: 'system', id: tool, requestId: null, ip: null };
}

export function actorOf(request: FastifyRequest): Actor {
  const caller = request.caller;
  if (!caller) throw new Error('actor read on a route without authentication');
  return {
    type: caller.kind,
    id: caller.kind === 'user' ? caller.userId : caller.clientId,
    requestId: String(request.id),
    ip: request.ip,
  };
}

/** The authenticated caller of the request as the actor of what it changes. */
export const RequestActor = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Actor =>
    actorOf(context.switchToHttp().getRequest<FastifyRequest>()),
);
