import { Module } from '@nestjs/common';
import { AuditEventRepository } from './audit-event.repository';
import { AuditService } from './audit.service';
import { AuthEventBatchWriter } from './auth-event-batch-writer';
import { AuthEventRepository } from './auth-event.repository';
import { AuthEventService } from './auth-event.service';

@Module({
  providers: [
    AuthEventRepository,
    AuthEventBatchWriter,
    AuthEventService,
    AuditEventRepository,
    AuditService,
  ],
  exports: [AuthEventService, AuditService],
})
export class AuditModule {}
