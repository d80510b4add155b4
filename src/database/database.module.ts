import type { PGlite } from '@electric-sql/pglite';
import { DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { runPendingMigrations } from './migrate';
import { DatabaseNotifications } from './database-notifications';
import { EMBEDDED_DATABASE } from './database.tokens';
import { Transactions } from './transactions';

/**
 * The TypeORM connection. The DataSource handed to the rest of the application is already
 * migrated: migrations run here, at boot, under an advisory lock.
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(databaseUrl: string, embedded: PGlite | null = null): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [APP_CONFIG],
          // Fail fast: an orchestrator restarts the process; retrying here would rerun the
          // migrations and hide the cause behind minutes of retries.
          useFactory: (config: AppConfig) => ({
            ...dataSourceOptions(config, databaseUrl),
            retryAttempts: 0,
          }),
          dataSourceFactory: async (options) => {
            const dataSource = await new DataSource(options!).initialize();
            try {
              const applied = await runPendingMigrations(dataSource);
              if (applied.length > 0) {
                new Logger(DatabaseModule.name).log(
                  `Applied ${applied.length} migration(s): ${applied.map((m) => m.name).join(', ')}`,
                );
              }
            } catch (error) {
              await dataSource.destroy();
              throw error;
            }
            return dataSource;
          },
        }),
      ],
      providers: [
        Transactions,
        DatabaseNotifications,
        { provide: EMBEDDED_DATABASE, useValue: embedded },
      ],
      exports: [Transactions, DatabaseNotifications, EMBEDDED_DATABASE],
    };
  }
}
