import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { ConfigModule } from '../../config/config.module';
import { DatabaseEndpoint } from '../../database/database-endpoint';
import { DatabaseModule } from '../../database/database.module';
import { AuditModule } from '../audit/audit.module';
import { EventsModule } from '../events/events.module';
import { OAuthClientsModule } from './oauth-clients.module';

/**
 * What the client commands of the CLI need: the database, the clients module and the events
 * it emits (audited in the changing transaction, published by the running service), no HTTP.
 */
@Module({})
export class OAuthClientsCliModule {
  static forRoot(config: AppConfig, database: DatabaseEndpoint): DynamicModule {
    return {
      module: OAuthClientsCliModule,
      imports: [
        // A command queues jobs (the relay of its events) but works none: the service does.
        ConfigModule.forRoot({ ...config, jobs: { ...config.jobs, inProcess: false } }),
        DatabaseModule.forRoot(database.url, database.embedded?.db ?? null),
        EventsModule,
        AuditModule,
        OAuthClientsModule,
      ],
    };
  }
}
