import 'reflect-metadata';
import cluster from 'node:cluster';
import { createRootLogger } from './common/logging/logger-options';
import { superviseWorkers } from './cluster-primary';
import { ConfigError } from './config/config.error';
import { loadConfig } from './config/load-config';
import type { RunningService } from './service';

const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

function bootstrap(args: string[]): void {
  const worker = args.includes('--worker');
  let config;
  try {
    config = loadConfig();
    // A worker works the job queues whatever JOBS_IN_PROCESS says: that is all it is for.
    if (worker) config = { ...config, jobs: { ...config.jobs, inProcess: true } };
    if (worker && !config.database.url) {
      throw new ConfigError([
        'DATABASE_URL: is required by --worker (the embedded database belongs to one process)',
      ]);
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`gatehouse: ${error.message}\n`);
    process.exit(1);
  }
  const log = createRootLogger(config).child({ context: 'Bootstrap' });
  if (!worker && cluster.isPrimary && config.http.workers > 1) {
    superviseWorkers(config, log, SHUTDOWN_SIGNALS);
    return;
  }
  const grace = config.http.shutdownGraceMs;

  // Loaded here, not above: a cluster's primary never loads the application.
  const booting: Promise<RunningService> = import('./service.js').then(({ startService }) =>
    startService(config, (message: string) => log.warn(message), worker ? 'worker' : 'api'),
  );
  let stopping = false;

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(
      worker
        ? `${signal} received: finishing the jobs in flight`
        : `${signal} received: refusing new connections, finishing requests in flight`,
    );
    setTimeout(() => {
      log.error(`Shutdown took longer than ${grace} ms; exiting`);
      process.exit(1);
    }, grace).unref();
    // A signal during boot lets the boot finish (or fail) first: cutting PGlite mid-write
    // could corrupt the embedded database.
    const service = await booting.catch(() => undefined);
    if (!service) return;
    try {
      await service.close();
      log.info('Stopped cleanly');
      process.exit(0);
    } catch (error) {
      log.error({ err: error }, 'Shutdown failed');
      process.exit(1);
    }
  };
  for (const signal of SHUTDOWN_SIGNALS) process.once(signal, () => void stop(signal));

  booting.then(
    () => {
      if (stopping) return;
      if (worker) {
        log.info('Gatehouse worker running jobs');
        return;
      }
      const docs = config.docs.enabled ? ` (API docs at ${config.http.publicUrl}/docs)` : '';
      log.info(`Gatehouse listening on ${config.http.publicUrl}${docs}`);
    },
    (error: unknown) => {
      // A variable found wrong only once the database is open (MFA_REQUIRED_ROLES) is told as
      // those loadConfig refuses are: the variable and what is wrong, no stack.
      if (error instanceof ConfigError) {
        log.fatal(`Gatehouse failed to start: ${error.message}`);
        process.exit(1);
      }
      log.fatal({ err: error }, 'Gatehouse failed to start');
      process.exit(1);
    },
  );
}

bootstrap(process.argv.slice(2));
