import cluster from 'node:cluster';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { AppConfig } from '../../config/app-config';
import { scrubLogObject, scrubLogValue, scrubString } from './log-scrubber';

/** Logged values that the serializers in pinoOptions reduce to method, path and status. */
const SERIALIZED_KEYS: ReadonlySet<string> = new Set(['req', 'res']);

export function pinoOptions(config: AppConfig): LoggerOptions {
  return {
    level: config.log.level,
    // Which of the workers (WEB_CONCURRENCY) logged a line, where there are several.
    base: cluster.isWorker
      ? { service: 'gatehouse', worker: cluster.worker?.id }
      : { service: 'gatehouse' },
    messageKey: 'msg',
    serializers: {
      req: (req: IncomingMessage & { originalUrl?: string }) => ({
        method: req.method,
        // Only the path: query strings are where careless clients put tokens.
        path: scrubString((req.originalUrl ?? req.url ?? '').split('?', 1)[0]),
      }),
      res: (res: ServerResponse) => ({ status: res.statusCode }),
      // The formatter below has already turned errors into scrubbed plain objects.
      err: (err: unknown) => err,
    },
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => scrubLogObject(object, SERIALIZED_KEYS),
    },
    hooks: {
      // Messages and their printf arguments are scrubbed too: `logger.info('for %s', email)`
      // must not leak it. A leading object is the formatter's to scrub.
      logMethod(args, method) {
        const scrubbed = args.map((arg, index) =>
          index === 0 && typeof arg === 'object' ? arg : scrubLogValue(arg),
        );
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
    transport:
      config.log.format === 'pretty'
        ? { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } }
        : undefined,
  };
}

/** The service's logger: to standard output (or the given destination, in tests). */
export function createRootLogger(config: AppConfig, destination?: DestinationStream): Logger {
  if (!destination) return pino(pinoOptions(config));
  // A transport and a destination exclude each other; a given destination wins.
  return pino({ ...pinoOptions(config), transport: undefined }, destination);
}
