import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { FederationModule } from '../federation/federation.module';
import { AdminUsersModule } from '../users/admin-users.module';
import { UsersModule } from '../users/users.module';
import { HrController } from './hr/hr.controller';
import { HrDeliveries } from './hr/hr-deliveries.service';
import { HrEnrichmentsRepository } from './hr/hr-enrichments.repository';
import { HrRecords } from './hr/hr-records.service';
import { HrSourceSecrets } from './hr/hr-source-secrets';
import { HrSourcesController } from './hr/hr-sources.controller';
import { HrSourcesRepository } from './hr/hr-sources.repository';
import { HrSourcesService } from './hr/hr-sources.service';
import { OktaCircuitsRepository } from './hr/okta-circuits.repository';
import { OktaEnrichment } from './hr/okta-enrichment';
import { ScimAccountSync } from './scim-account-sync';
import { ScimDiscoveryController } from './scim-discovery.controller';
import { ScimGroupsRepository } from './scim-groups.repository';
import { ScimGroupsService } from './scim-groups.service';
import { ScimResourcesController } from './scim-resources.controller';
import { ScimUsersRepository } from './scim-users.repository';
import { ScimUsersService } from './scim-users.service';

/**
 * Provisioning from identity providers: the SCIM 2.0 service provider (`/scim/v2`), over the
 * users module's accounts and lifecycle and the access module's roles and grants; and HR
 * onboarding (`/v1/hr`): new hires from HR sources, enriched from Okta through the federation
 * module's management API client.
 */
@Module({
  imports: [UsersModule, AdminUsersModule, AccessModule, FederationModule],
  controllers: [
    ScimDiscoveryController,
    ScimResourcesController,
    HrSourcesController,
    HrController,
  ],
  providers: [
    HrSourcesRepository,
    HrEnrichmentsRepository,
    OktaCircuitsRepository,
    HrSourceSecrets,
    HrSourcesService,
    HrDeliveries,
    HrRecords,
    OktaEnrichment,
    ScimUsersRepository,
    ScimGroupsRepository,
    ScimUsersService,
    ScimGroupsService,
    ScimAccountSync,
  ],
})
export class ProvisioningModule {}
