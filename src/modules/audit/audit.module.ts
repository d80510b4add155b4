import { Module } from '@nestjs/common';
import { AuditEventRepository } from './audit-event.repository';
import { AuditTrail } from './audit-trail';
import { AuthEventRecorder } from './auth-event-recorder';
import { AuthEventRepository } from './auth-event.repository';

/**
 * The audit trails, both consumers of domain events: administrative changes (AuditTrail, in
 * the changing transaction) and authentication attempts (AuthEventRecorder, as events are
 * published). Nothing calls into this module to record: it listens.
 */
@Module({
  providers: [AuthEventRepository, AuthEventRecorder, AuditEventRepository, AuditTrail],
})
export class AuditModule {}
