import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { ConfigModule } from '../../config/config.module';
import { DatabaseModule } from '../../database/database.module';
import { OAuthClientsModule } from './oauth-clients.module';

/** What the client commands of the CLI need: the database and the clients module, no HTTP. */
@Module({})
export class OAuthClientsCliModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: OAuthClientsCliModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(databaseUrl),
        OAuthClientsModule,
      ],
    };
  }
}
