import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { MfaController } from './mfa.controller';
import { MfaModule } from './mfa.module';

/**
 * The user's own management of second factors (`/v1/mfa`): status, enrollment, activation and
 * backup codes. Removing a factor ends sessions, so that route, and the administrators' reset,
 * are the auth module's (SecondFactorRemovalController); nothing here imports the auth module.
 */
@Module({
  imports: [MfaModule, UsersModule],
  controllers: [MfaController],
})
export class MfaApiModule {}
