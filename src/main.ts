import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigError } from './config/config.error';
import { loadConfig } from './config/load-config';
import { openDatabaseEndpoint } from './database/database-endpoint';

const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const logger = new Logger('Bootstrap');
  const database = await openDatabaseEndpoint(config, (message) => logger.warn(message));
  const app = await createApp({ config, databaseUrl: database.url });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: refusing new connections, finishing requests in flight`);
    const deadline = setTimeout(() => {
      logger.error(`Shutdown took longer than ${config.http.shutdownGraceMs} ms; exiting`);
      process.exit(1);
    }, config.http.shutdownGraceMs);
    deadline.unref();
    try {
      await app.close();
      await database.embedded?.stop();
      logger.log('Stopped cleanly');
      process.exitCode = 0;
    } catch (error) {
      logger.error(error instanceof Error ? error.stack : String(error));
      process.exitCode = 1;
    } finally {
      clearTimeout(deadline);
    }
  };
  for (const signal of SHUTDOWN_SIGNALS) process.once(signal, () => void shutdown(signal));

  await app.listen({ host: config.http.host, port: config.http.port });
  logger.log(
    `Gatehouse listening on ${config.http.publicUrl}` +
      (config.docs.enabled ? ` (API docs at ${config.http.publicUrl}/docs)` : ''),
  );
}

bootstrap().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`gatehouse: ${error.message}\n`);
  } else {
    process.stderr.write(
      `gatehouse: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
});
