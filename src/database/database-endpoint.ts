import { AppConfig } from '../config/app-config';
import { EmbeddedPostgres } from './embedded-postgres';

export interface DatabaseEndpoint {
  url: string;
  /** Set when Gatehouse started its own embedded PostgreSQL; stop it after the pool is closed. */
  embedded: EmbeddedPostgres | undefined;
}

/** Where the database is: `DATABASE_URL` when set, otherwise an embedded PGlite we start now. */
export async function openDatabaseEndpoint(
  config: AppConfig,
  announce: (message: string) => void,
): Promise<DatabaseEndpoint> {
  if (config.database.url) return { url: config.database.url, embedded: undefined };
  const embedded = await EmbeddedPostgres.start(
    config.database.embeddedDataDir,
    config.database.poolSize,
  );
  announce(
    `No DATABASE_URL set: using the embedded PostgreSQL (PGlite) stored in ${config.database.embeddedDataDir}. ` +
      'It is for development and trials; set DATABASE_URL to a postgres:// URL to use a real PostgreSQL.',
  );
  return { url: embedded.url, embedded };
}
