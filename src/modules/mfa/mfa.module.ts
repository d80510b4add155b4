import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { UsersModule } from '../users/users.module';
import { MfaRepository } from './mfa.repository';
import { MfaService } from './mfa.service';

/**
 * Second factors and the `mfa_token`s of logins that owe one. The login and step-up flows that
 * use them are the auth module's; the management API is MfaApiModule's.
 */
@Module({
  imports: [UsersModule, AuditModule],
  providers: [MfaRepository, MfaService],
  exports: [MfaService],
})
export class MfaModule {}
