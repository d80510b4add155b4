import 'reflect-metadata';
import pino from 'pino';
import { createApp } from './app.factory';
import { pinoOptions } from './common/logging/logger-options';
import { ConfigError } from './config/config.error';
import { loadConfig } from './config/load-config';
import { openDatabaseEndpoint } from './database/database-endpoint';

const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const log = pino(pinoOptions(config)).child({ context: 'Bootstrap' });
  const database = await openDatabaseEndpoint(config, (message) => log.warn(message));
  const app = await createApp({ config, databaseUrl: database.url }).catch(async (error) => {
    await database.embedded?.stop();
    throw error;
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received: refusing new connections, finishing requests in flight`);
    const deadline = setTimeout(() => {
      log.error(`Shutdown took longer than ${config.http.shutdownGraceMs} ms; exiting`);
      process.exit(1);
    }, config.http.shutdownGraceMs);
    deadline.unref();
    try {
      await app.close();
      await database.embedded?.stop();
      log.info('Stopped cleanly');
    } catch (error) {
      log.error({ err: error }, 'Shutdown failed');
      process.exitCode = 1;
    } finally {
      clearTimeout(deadline);
    }
  };
  for (const signal of SHUTDOWN_SIGNALS) process.once(signal, () => void shutdown(signal));

  await app.listen({ host: config.http.host, port: config.http.port });
  log.info(
    `Gatehouse listening on ${config.http.publicUrl}` +
      (config.docs.enabled ? ` (API docs at ${config.http.publicUrl}/docs)` : ''),
  );
}

bootstrap().catch((error: unknown) => {
  const reason =
    error instanceof ConfigError
      ? error.message
      : `failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
  process.stderr.write(`gatehouse: ${reason}\n`);
  process.exit(1);
});
