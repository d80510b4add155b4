import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { AuthModule } from '../auth/auth.module';
import { MetricsModule } from '../metrics/metrics.module';
import { MfaModule } from '../mfa/mfa.module';
import { UsersModule } from '../users/users.module';
import { FederatedSignInService } from './federated-sign-in.service';
import { FederationController } from './federation.controller';
import { FederationLoginsRepository } from './federation-logins.repository';
import { IdentityProvidersController } from './identity-providers.controller';
import { IdentityProvidersRepository } from './identity-providers.repository';
import { IdentityProvidersService } from './identity-providers.service';
import { LinkedIdentitiesRepository } from './linked-identities.repository';
import { LinkedIdentitiesService } from './linked-identities.service';
import { MyIdentitiesController } from './my-identities.controller';
import { OidcConfigurations } from './oidc-configurations';
import { ProviderHttp } from './provider-http';
import { ProviderReachability } from './provider-reachability';
import { ProviderSecrets } from './provider-secrets';
import { UserIdentitiesController } from './user-identities.controller';
import { ManagementApis } from './sync/management-apis';
import { ProviderSyncRepository } from './sync/provider-sync.repository';
import { ProviderEventsRepository } from './webhooks/provider-events.repository';
import { ProviderSyncsController } from './sync/provider-syncs.controller';
import { ProviderSyncs } from './sync/provider-syncs.service';
import { ProviderUserSync } from './sync/provider-user-sync';
import { SyncMetrics } from './sync/sync-metrics';
import { ProviderWebhooksController } from './webhooks/provider-webhooks.controller';
import { ProviderWebhooks } from './webhooks/provider-webhooks.service';

/**
 * External identity providers: their administration, sign-in through them (OpenID Connect with
 * openid-client), the identities linked to users, the providers' webhooks and syncs from them.
 * Accounts, sessions and factors are asked of the users, auth and mfa modules.
 */
@Module({
  imports: [UsersModule, AuthModule, MfaModule, AccessModule, MetricsModule],
  controllers: [
    IdentityProvidersController,
    FederationController,
    MyIdentitiesController,
    UserIdentitiesController,
    ProviderWebhooksController,
    ProviderSyncsController,
  ],
  providers: [
    ProviderHttp,
    ProviderSecrets,
    OidcConfigurations,
    IdentityProvidersRepository,
    LinkedIdentitiesRepository,
    FederationLoginsRepository,
    IdentityProvidersService,
    FederatedSignInService,
    LinkedIdentitiesService,
    ProviderSyncRepository,
    ProviderEventsRepository,
    ManagementApis,
    ProviderUserSync,
    SyncMetrics,
    ProviderWebhooks,
    ProviderSyncs,
    ProviderReachability,
  ],
  exports: [
    IdentityProvidersService,
    ManagementApis,
    LinkedIdentitiesService,
    OidcConfigurations,
    ProviderHttp,
    ProviderSecrets,
    ProviderReachability,
  ],
})
export class FederationModule {}
