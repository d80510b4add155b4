import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { serveThrottleStore } from './common/throttle/cluster-throttle-store';
import type { AppConfig } from './config/app-config';

/** After the workers' own grace, how long the primary waits before killing what is left. */
const KILL_MARGIN_MS = 5_000;

/**
 * The primary of WEB_CONCURRENCY worker processes, each a whole Gatehouse sharing the port
 * (node:cluster hands connections out in turn). It serves no requests: it starts the workers,
 * replaces one that dies, keeps the login and rate-limit counters they share when there is no
 * Redis, and on SIGTERM/SIGINT has every worker drain its requests and exits when all have.
 * A worker that dies before it listens (a bad database URL, a migration that fails) stops the
 * service instead of being started again and again.
 */
export function superviseWorkers(
  config: AppConfig,
  log: Logger,
  signals: readonly NodeJS.Signals[],
): void {
  const count = config.http.workers;
  const listening = new Set<Worker>();
  let stopping = false;
  let failed = false;
  const alive = () => Object.values(cluster.workers ?? {}).filter((w) => w && !w.isDead());
  const exitWhenAllStopped = () => {
    if (alive().length === 0) process.exit(failed ? 1 : 0);
  };

  const stopAll = (reason: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${reason}: every worker finishes its requests in flight`);
    for (const worker of alive()) worker?.process.kill('SIGTERM');
    setTimeout(() => {
      log.error(`Workers took longer than ${config.http.shutdownGraceMs} ms to stop; killing them`);
      for (const worker of alive()) worker?.process.kill('SIGKILL');
      process.exit(1);
    }, config.http.shutdownGraceMs + KILL_MARGIN_MS).unref();
    exitWhenAllStopped();
  };

  cluster.on(
    'message',
    serveThrottleStore(() => alive().filter((worker): worker is Worker => worker !== undefined)),
  );
  cluster.on('listening', (worker) => {
    listening.add(worker);
    if (listening.size === count && !stopping) {
      log.info(`Gatehouse listening on ${config.http.publicUrl} with ${count} workers`);
    }
  });
  cluster.on('exit', (worker, code, signal) => {
    const started = listening.delete(worker);
    if (stopping) {
      // A worker still starting may meet the SIGTERM before it handles signals: it ends by the
      // signal, having served nothing, which is a clean stop too.
      const stoppedWhileStarting = !started && signal === 'SIGTERM';
      if (code !== 0 && !stoppedWhileStarting) failed = true;
      exitWhenAllStopped();
      return;
    }
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (!started) {
      failed = true;
      log.fatal(`A worker stopped (${how}) before it listened; stopping the service`);
      stopAll('A worker could not start');
      return;
    }
    log.error(`Worker ${worker.process.pid} died (${how}); starting another`);
    cluster.fork();
  });
  for (const signal of signals) process.once(signal, () => stopAll(`${signal} received`));
  for (let i = 0; i < count; i++) cluster.fork();
}
