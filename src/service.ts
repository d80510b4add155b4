import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from './app.factory';
import { AppConfig } from './config/app-config';
import { openDatabaseEndpoint } from './database/database-endpoint';

export interface RunningService {
  app: NestFastifyApplication;
  /** True when the service runs on the embedded PostgreSQL it started itself. */
  embeddedDatabase: boolean;
  /** Stops accepting, finishes requests in flight, closes the pool, then the embedded database. */
  close(): Promise<void>;
}

/**
 * The service as `npm start` runs it: database endpoint, application, listening socket. Whatever
 * was opened is closed again when a later step fails, so a failed start leaves no embedded
 * database half-written.
 */
export async function startService(
  config: AppConfig,
  announce: (message: string) => void,
): Promise<RunningService> {
  const database = await openDatabaseEndpoint(config, announce);
  const app = await createApp({ config, databaseUrl: database.url }).catch(async (error) => {
    await database.embedded?.stop();
    throw error;
  });
  const close = async () => {
    await app.close();
    await database.embedded?.stop();
  };
  try {
    await app.listen({ host: config.http.host, port: config.http.port });
  } catch (error) {
    await close();
    throw error;
  }
  return { app, embeddedDatabase: database.embedded !== undefined, close };
}
