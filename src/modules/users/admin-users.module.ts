import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { AuthModule } from '../auth/auth.module';
import { FederationModule } from '../federation/federation.module';
import { MfaModule } from '../mfa/mfa.module';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersService } from './admin-users.service';
import { InvitationsController } from './invitations.controller';
import { UsersModule } from './users.module';

/**
 * The administrators' user lifecycle (`/v1/admin/users`) and the invitee's acceptance. Apart
 * from UsersModule because it asks the auth (sessions), access (roles), mfa (factors) and
 * federation (linked identities) modules, which all use UsersModule themselves. Provisioning (SCIM) uses its lifecycle.
 */
@Module({
  imports: [UsersModule, AuthModule, AccessModule, MfaModule, FederationModule],
  controllers: [AdminUsersController, InvitationsController],
  providers: [AdminUsersService],
  exports: [AdminUsersService],
})
export class AdminUsersModule {}
