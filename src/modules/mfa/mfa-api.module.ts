import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { UsersModule } from '../users/users.module';
import { MfaAdminController } from './mfa-admin.controller';
import { MfaController } from './mfa.controller';
import { MfaModule } from './mfa.module';

/**
 * The management API of second factors: the user's own (`/v1/mfa`), which removes a factor
 * through the auth module's flows (password, code, sessions), and the administrators' reset.
 */
@Module({
  imports: [MfaModule, AuthModule, UsersModule],
  controllers: [MfaController, MfaAdminController],
})
export class MfaApiModule {}
