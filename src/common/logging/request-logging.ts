import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Level, Logger } from 'pino';
import { RequestLogContext, requestLogContext } from './request-log-context';

const levelFor = (status: number): Level =>
  status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';

/**
 * One access line per request, and the request id on every line logged while it is served.
 * Fastify hooks rather than Nest middleware: the context is entered before any other hook runs,
 * unmatched routes are logged too, and a request that logs nothing else costs no child logger.
 */
export function registerRequestLogging(fastify: FastifyInstance, root: Logger): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    requestLogContext.run(new RequestLogContext(root, request.id), done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    logAccess(root, levelFor(reply.statusCode), 'request completed', request, reply);
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    logAccess(root, 'info', 'request aborted by the client', request);
    done();
  });
}

/**
 * The access line of a request answered outside the hooks above (Fastify's framework errors,
 * refused before routing), written when its response is.
 */
export function logAccessWhenSent(
  root: Logger,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  reply.raw.once('finish', () => {
    logAccess(root, levelFor(reply.statusCode), 'request completed', request, reply);
  });
}

function logAccess(
  root: Logger,
  level: Level,
  message: string,
  request: FastifyRequest,
  reply?: FastifyReply,
): void {
  if (!root.isLevelEnabled(level)) return;
  // `req` and `res` go through pinoOptions' serializers: method, path without query, status.
  root[level](
    {
      request_id: request.id,
      ip: request.ip,
      req: request.raw,
      ...(reply ? { res: reply.raw, responseTime: reply.elapsedTime } : {}),
    },
    message,
  );
}
