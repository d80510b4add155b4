import { RouteConfig } from '@nestjs/platform-fastify';
import { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error';
import { CommonErrorCode } from '../errors/error-code';

declare module 'fastify' {
  interface FastifyRequest {
    /** The JSON body as received, on routes marked `RawBody()`. */
    rawBody?: string;
  }
}

/** Marks a route whose JSON body's text is kept as `request.rawBody` (signature checks). */
export const RawBody = () => RouteConfig({ rawBody: true });

/**
 * How deep a JSON body may nest. No request of the API comes near it (the deepest, an authz
 * check, holds attributes nested at most 32 levels within a few levels of envelope), and the
 * validation pipe's class-transformer recurses once per level: thousands of levels overflow its
 * stack, a 500, before any validator runs.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * True when the JSON text opens more than `limit` arrays or objects inside one another. One pass
 * over the text, before it is parsed; brackets inside strings do not count. Text that is not
 * JSON is left to the parser to refuse.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/**
 * Fastify's JSON parser (prototype poisoning refused, as by default), after the depth check: a
 * body nested too deeply is a 400 `malformed_body` naming the limit. SCIM clients send the same
 * JSON as `application/scim+json` (RFC 7644 §3.1).
 */
export function registerJsonBodyParser(fastify: FastifyInstance): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser(
    ['application/json', 'application/scim+json'],
    { parseAs: 'string' },
    (request: FastifyRequest, body: string, done) => {
      if (nestsDeeperThan(body, MAX_JSON_DEPTH)) {
        done(
          new DomainError(
            CommonErrorCode.MalformedBody,
            `The request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep.`,
          ),
          undefined,
        );
        return;
      }
      // A route that checks a signature over the exact bytes (RawBody) keeps them.
      if ((request.routeOptions.config as { rawBody?: boolean } | undefined)?.rawBody) {
        request.rawBody = body;
      }
      void parse(request, body, done);
    },
  );
}
