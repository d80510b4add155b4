import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { MfaPersonalData } from './mfa-personal-data';
import { MfaRepository } from './mfa.repository';
import { MfaService } from './mfa.service';

/**
 * Second factors and the `mfa_token`s of logins that owe one. Every flow that combines a factor
 * with a session (the second step of a login, enrolling during one, step-up, removing a factor,
 * an administrator's reset) is the auth module's SecondFactorService, which uses this module; the
 * dependency runs that way only (lint refuses an import of the auth module from here). The
 * management API that needs no session is MfaApiModule's.
 */
@Module({
  imports: [UsersModule],
  providers: [MfaRepository, MfaService, MfaPersonalData],
  exports: [MfaService],
})
export class MfaModule {}
