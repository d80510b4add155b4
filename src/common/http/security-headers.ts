import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * The headers Helmet sets with these options, worked out once. With no directive given as a
 * function (nonces, per-request values) every one of them is the same on every response, so
 * there is no need to run Helmet's fourteen middlewares for each request, let alone to rebuild
 * them as @fastify/helmet does (re-parsing the Content-Security-Policy each time).
 */
export function securityHeaders(options: HelmetOptions): Record<string, string> {
  const directives =
    typeof options.contentSecurityPolicy === 'object'
      ? Object.values(options.contentSecurityPolicy.directives ?? {})
      : [];
  if (directives.some((value) => [value].flat().some((item) => typeof item === 'function'))) {
    throw new Error('security headers: per-request CSP directives are not supported');
  }
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string) => (headers[name.toLowerCase()] = value),
    removeHeader: (name: string) => delete headers[name.toLowerCase()],
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  return headers;
}

/** Helmet's security headers on every response, errors included. */
export function registerSecurityHeaders(fastify: FastifyInstance, options: HelmetOptions): void {
  const headers = securityHeaders(options);
  fastify.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(headers);
    done();
  });
}
