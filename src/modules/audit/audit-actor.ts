import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AuditActorType } from './audit-event.entity';

/** Who makes a change, and from which request, as the audit trail records it. */
export interface AuditActor {
  type: AuditActorType;
  /** The user id or client id; for the system, the name of the tool acting. */
  id: string | null;
  requestId: string | null;
  ip: string | null;
}

/** The system acting on its own behalf, e.g. `systemActor('cli')`. */
export function systemActor(tool: string): AuditActor {
  return { type: 'system', id: tool, requestId: null, ip: null };
}

export function auditActorOf(request: FastifyRequest): AuditActor {
  const caller = request.caller;
  if (!caller) throw new Error('audit actor read on a route without authentication');
  return {
    type: caller.kind,
    id: caller.kind === 'user' ? caller.userId : caller.clientId,
    requestId: String(request.id),
    ip: request.ip,
  };
}

/** The authenticated caller of the request as an audit actor. */
export const RequestActor = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuditActor =>
    auditActorOf(context.switchToHttp().getRequest<FastifyRequest>()),
);
