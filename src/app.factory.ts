import type { IncomingMessage } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { version } from '../package.json';
import { AppModule, AppModuleOptions } from './app.module';
import { ProblemDetailsFilter } from './common/errors/problem-details.filter';
import { mountOpenApi } from './common/http/openapi';
import { registerFormBodyParser } from './common/http/form-body';
import { registerJsonBodyParser } from './common/http/json-body';
import { MAX_PARAM_LENGTH } from './common/http/routing-limits';
import { answerClientError, frameworkErrorHandler } from './common/http/framework-errors';
import { REQUEST_ID_HEADER, resolveRequestId } from './common/http/request-id';
import { registerSecurityHeaders } from './common/http/security-headers';
import { AppLogger } from './common/logging/app-logger';
import { createRootLogger } from './common/logging/logger-options';
import { registerRequestLogging } from './common/logging/request-logging';
import { createValidationPipe } from './common/validation/validation.pipe';

/**
 * Builds the HTTP application exactly as it runs in production, without listening: main.ts
 * listens on a port, tests drive it through `inject`.
 */
export async function createApp(options: AppModuleOptions): Promise<NestFastifyApplication> {
  const { config } = options;
  const logger = createRootLogger(config, options.logDestination);
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimitBytes,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    trustProxy: config.http.trustProxy,
    requestIdHeader: false,
    genReqId: (raw: IncomingMessage) => resolveRequestId(raw.headers[REQUEST_ID_HEADER]),
    logger: false,
    // Fastify's own 503 body is not problem+json; during shutdown connections close after the
    // response in flight instead (onSend below), so nothing further arrives on them.
    return503OnClosing: false,
    frameworkErrors: frameworkErrorHandler(logger),
    clientErrorHandler: answerClientError,
    forceCloseConnections: 'idle',
  });
  const fastify = adapter.getInstance();
  // Responses finished during shutdown close their connection, so keep-alive clients reconnect
  // to another instance instead of holding this one open until their idle timeout.
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  registerRequestLogging(fastify, logger);
  // Callback hooks: an async one costs a promise on every request.
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
  // JSON is the body format the API speaks; anything else is a 415, except the forms the OAuth
  // endpoints take (RFC 6749 §3.2).
  fastify.removeContentTypeParser('text/plain');
  registerJsonBodyParser(fastify);
  registerFormBodyParser(fastify);

  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(options),
    adapter,
    {
      // Boot messages wait for pino (attached below). If the boot fails they are dropped, not
      // printed in Nest's coloured console format: the caller logs the failure as JSON.
      logger: false,
      bufferLogs: true,
      abortOnError: false,
      bodyParser: false,
    },
  );
  app.useLogger(new AppLogger(logger));
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.useGlobalPipes(createValidationPipe());
  registerSecurityHeaders(fastify, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        frameAncestors: ["'none'"],
        // Served over plain HTTP in development; TLS is the proxy's job in production.
        upgradeInsecureRequests: null,
      },
    },
    frameguard: { action: 'deny' },
  });
  if (config.http.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.http.corsOrigins,
      credentials: true,
      exposedHeaders: [REQUEST_ID_HEADER],
      maxAge: 600,
    });
  }
  if (config.docs.enabled) mountOpenApi(app, version);
  return app;
}
