import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { AdminUsersModule } from '../users/admin-users.module';
import { UsersModule } from '../users/users.module';
import { ScimAccountSync } from './scim-account-sync';
import { ScimDiscoveryController } from './scim-discovery.controller';
import { ScimGroupsRepository } from './scim-groups.repository';
import { ScimGroupsService } from './scim-groups.service';
import { ScimResourcesController } from './scim-resources.controller';
import { ScimUsersRepository } from './scim-users.repository';
import { ScimUsersService } from './scim-users.service';

/**
 * Provisioning from identity providers: the SCIM 2.0 service provider (`/scim/v2`), over the
 * users module's accounts and lifecycle and the access module's roles and grants.
 */
@Module({
  imports: [UsersModule, AdminUsersModule, AccessModule],
  controllers: [ScimDiscoveryController, ScimResourcesController],
  providers: [
    ScimUsersRepository,
    ScimGroupsRepository,
    ScimUsersService,
    ScimGroupsService,
    ScimAccountSync,
  ],
})
export class ProvisioningModule {}
