import { Module } from '@nestjs/common';
import { AuthEventRepository } from './auth-event.repository';
import { AuthEventService } from './auth-event.service';

@Module({
  providers: [AuthEventRepository, AuthEventService],
  exports: [AuthEventService],
})
export class AuditModule {}
