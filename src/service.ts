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
 * The service as `npm start` runs it: database endpoint, application, listening socket (or, for
 * a `--worker`, the application working the job queues and nothing else). Whatever
 * was opened is closed again when a later step fails, so a failed start leaves no embedded
 * database half-written.
 */
export async function startService(
  config: AppConfig,
  announce: (message: string) => void,
  /** `worker`: run jobs only (`--worker`), initialized but never listening for requests. */
  role: 'api' | 'worker' = 'api',
): Promise<RunningService> {
  const database = await openDatabaseEndpoint(config, announce);
  const app = await createApp({
    config,
    databaseUrl: database.url,
    embeddedDatabase: database.embedded?.db,
  }).catch(async (error) => {
    await database.embedded?.stop();
    throw error;
  });
  const close = async () => {
    await app.close();
    await database.embedded?.stop();
  };
  try {
    if (role === 'worker') await app.init();
    else await app.listen({ host: config.http.host, port: config.http.port });
  } catch (error) {
    await close();
    throw error;
  }
  return { app, embeddedDatabase: database.embedded !== undefined, close };
}
