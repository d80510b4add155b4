import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import type { DestinationStream, LoggerOptions } from 'pino';
import { AppConfig } from '../../config/app-config';
import { scrubLogObject, scrubLogValue, scrubString } from './log-scrubber';

/** Set by an onRequest hook before the request logger exists: the client IP as Fastify sees it. */
export interface LoggedRequest extends IncomingMessage {
  clientIp?: string;
}

/** Logged values that the serializers in pinoOptions reduce to method, path and status. */
const SERIALIZED_KEYS: ReadonlySet<string> = new Set(['req', 'res']);

export function pinoOptions(config: AppConfig): LoggerOptions {
  return {
    level: config.log.level,
    base: { service: 'gatehouse' },
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

/** nestjs-pino/pino-http setup: one access-log line per request, the request id on every line. */
export function loggerModuleParams(config: AppConfig, destination?: DestinationStream): Params {
  const options = {
    ...pinoOptions(config),
    // Fastify resolved the id (and put it on the raw request); pino-http reuses it.
    genReqId: (req: IncomingMessage) => req.id,
    customAttributeKeys: { reqId: 'request_id' },
    quietReqLogger: true,
    customProps: (req: LoggedRequest) => ({ ip: req.clientIp }),
    wrapSerializers: false,
    customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) =>
      error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
  };
  return {
    pinoHttp: destination ? [options, destination] : options,
    // nestjs-pino's default pattern, `{/*splat}`, matches nothing under platform-fastify 12.
    forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
  };
}
