import { Injectable } from '@nestjs/common';
import { AuditActor } from './audit-actor';
import { AuditEventRepository } from './audit-event.repository';

export interface AuditRecord {
  actor: AuditActor;
  /** `<target type>.<verb>`, e.g. `role.create`. */
  action: string;
  target: { type: string; id: string | null };
  /** The values involved, for a reader of the trail; never a secret. */
  details?: Record<string, unknown>;
}

/**
 * The trail of administrative changes. Written inside the caller's transaction when there is
 * one, so a change and its record commit (or roll back) together.
 */
@Injectable()
export class AuditService {
  constructor(private readonly events: AuditEventRepository) {}

  record(input: AuditRecord): Promise<void> {
    return this.events.insert({
      actorType: input.actor.type,
      actorId: input.actor.id,
      action: input.action,
      targetType: input.target.type,
      targetId: input.target.id,
      details: input.details ?? {},
      requestId: input.actor.requestId,
      ip: input.actor.ip,
    });
  }
}
