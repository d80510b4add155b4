import { join } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config';

const sourceExtension = __filename.endsWith('.ts') ? 'ts' : 'js';

/** The repository root as seen from this file, in `src/` under ts-jest/swc and in `dist/src/`. */
const projectRoot = join(__dirname, '..', '..');

/**
 * The one description of how Gatehouse reaches its database, used by the service and by the
 * CLI alike. The schema changes only through migrations: `synchronize` stays off.
 */
export function dataSourceOptions(config: AppConfig, url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    synchronize: false,
    migrationsRun: false,
    migrationsTableName: 'migrations',
    entities: [join(projectRoot, 'src', 'modules', '**', `*.entity.${sourceExtension}`)],
    migrations: [join(projectRoot, 'migrations', `*.${sourceExtension}`)],
    logging: false,
    poolSize: config.database.poolSize,
    applicationName: 'gatehouse',
    connectTimeoutMS: config.database.connectTimeoutMs,
    extra: {
      // Abandon a query (and release its connection) rather than hold a request forever.
      statement_timeout: config.database.statementTimeoutMs || undefined,
      // A dead database must not let a request wait for a pool slot indefinitely.
      connectionTimeoutMillis: config.database.connectTimeoutMs,
    },
  };
}
