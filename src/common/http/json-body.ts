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
 * JSON is left to the parser to refuse. Strings, most of a body, are skipped with `indexOf`
 * (native) rather than read character by character: on a batch of 50 authorization checks that
 * halves what this check costs.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = closingQuote(text, i);
      if (i === -1) return false;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/** The index of the quote that closes the string opened at `open`, or -1 if none does. */
function closingQuote(text: string, open: number): number {
  let quote = open;
  for (;;) {
    quote = text.indexOf('"', quote + 1);
    if (quote === -1) return -1;
    // Escaped when an odd number of backslashes precedes it.
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return quote;
  }
}

/**
 * Whether the text cannot hold a `__proto__` or `constructor` key: neither name is in it, and no
 * `\u` escape that could spell one. Fastify's parser then only parses (its checks for those
 * keys, two regular expressions over the whole text, find nothing), so the text is parsed
 * directly; any other text goes through it.
 */
export function cannotNamePrototypeKeys(text: string): boolean {
  return !text.includes('\\u') && !text.includes('__proto__') && !text.includes('constructor');
}

/** The parsed text, or undefined when it is not JSON (no JSON text parses to undefined). */
function parsedOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
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
      const value = cannotNamePrototypeKeys(body) ? parsedOrUndefined(body) : undefined;
      if (value === undefined) void parse(request, body, done);
      else done(null, value);
    },
  );
}
