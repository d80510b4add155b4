import type { PGlite } from '@electric-sql/pglite';
import { DynamicModule, Module, Type } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { CryptoModule } from './common/crypto/crypto.module';
import { RedisModule } from './common/redis/redis.module';
import { ThrottleModule } from './common/throttle/throttle.module';
import { AuditApiModule } from './modules/audit/audit-api.module';
import { AuditModule } from './modules/audit/audit.module';
import { AuthModule } from './modules/auth/auth.module';
import { EventsModule } from './modules/events/events.module';
import { WebhooksModule } from './modules/events/webhooks/webhooks.module';
import { EventStreamsModule } from './modules/events/streams/event-streams.module';
import { AdminUsersModule } from './modules/users/admin-users.module';
import { UsersApiModule } from './modules/users/users-api.module';
import { UsersModule } from './modules/users/users.module';
import { AccessApiModule } from './modules/access/access-api.module';
import { AuthzModule } from './modules/authz/authz.module';
import { OAuthClientsApiModule } from './modules/clients/oauth-clients-api.module';
import { HealthModule } from './modules/health/health.module';
import { MetricsModule } from './modules/metrics/metrics.module';
import { MfaApiModule } from './modules/mfa/mfa-api.module';
import { SecurityNoticesModule } from './modules/mail/security-notices.module';
import { PrivacyModule } from './modules/privacy/privacy.module';
import { RetentionModule } from './modules/retention/retention.module';
import { TradingAccountsModule } from './modules/trading-accounts/trading-accounts.module';
import { FederationModule } from './modules/federation/federation.module';
import { ProvisioningModule } from './modules/provisioning/provisioning.module';
import { TokenVaultModule } from './modules/token-vault/token-vault.module';
import { MasterKeysModule } from './modules/master-keys/master-keys.module';

export interface AppModuleOptions {
  config: AppConfig;
  databaseUrl: string;
  /** The embedded database's PGlite, when the service started it (for the job queue). */
  embeddedDatabase?: PGlite | null;
  /** Where log lines go; standard output when absent. */
  logDestination?: DestinationStream;
  /** Modules added next to the application's own (tests mount probe controllers this way). */
  extraModules?: Type[];
}

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(options.config),
        DatabaseModule.forRoot(options.databaseUrl, options.embeddedDatabase ?? null),
        RedisModule,
        CryptoModule,
        MasterKeysModule,
        EventsModule,
        ThrottleModule,
        HealthModule,
        AuditModule,
        AuditApiModule,
        UsersModule,
        UsersApiModule,
        AuthModule,
        AdminUsersModule,
        AuthzModule,
        AccessApiModule,
        OAuthClientsApiModule,
        MfaApiModule,
        SecurityNoticesModule,
        WebhooksModule,
        EventStreamsModule,
        MetricsModule,
        RetentionModule,
        PrivacyModule,
        TradingAccountsModule,
        FederationModule,
        ProvisioningModule,
        TokenVaultModule,
        ...(options.extraModules ?? []),
      ],
    };
  }
}
