import { applyDecorators, createParamDecorator, ExecutionContext } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiConsumes } from '@nestjs/swagger';
import { errorCodes, FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error';
import { CommonErrorCode, OAuthErrorCode } from '../errors/error-code';

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/**
 * OAuth requests are a handful of short parameters and at most one token: these bounds keep the
 * parsing of a hostile body, which happens before the client is authenticated or throttled, cheap.
 */
export const MAX_FORM_BYTES = 8 * 1024;
export const MAX_FORM_PARAMETERS = 32;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route is an OAuth endpoint: form bodies, RFC 6749 errors (see OAuthEndpoint). */
    oauthEndpoint?: boolean;
  }
}

/** Every value of every parameter of a form body, as sent (in order). */
export type FormParameters = Map<string, string[]>;

const formBodies = new WeakSet<object>();

/**
 * Marks an OAuth endpoint (RFC 6749 §3.2, RFC 7662, RFC 7009): it takes
 * `application/x-www-form-urlencoded` bodies, which every other route refuses with 415, and its
 * errors are answered in the RFC 6749 shape instead of problem+json.
 */
export const OAuthEndpoint = () =>
  applyDecorators(RouteConfig({ oauthEndpoint: true }), ApiConsumes(FORM_CONTENT_TYPE));

/**
 * Parses form bodies, within the instance's body limit, for OAuth endpoints only: the rest of
 * the API speaks JSON, and a form posted to it stays the 415 it was before this parser existed.
 * Every value is kept, so that a repeated parameter can be refused rather than silently chosen.
 */
export function registerFormBodyParser(fastify: FastifyInstance): void {
  fastify.addContentTypeParser(
    FORM_CONTENT_TYPE,
    { parseAs: 'string', bodyLimit: MAX_FORM_BYTES },
    (request: FastifyRequest, body: string, done) => {
      if (!request.routeOptions.config.oauthEndpoint) {
        done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(FORM_CONTENT_TYPE), undefined);
        return;
      }
      const parameters: FormParameters = new Map();
      let count = 0;
      for (const [name, value] of new URLSearchParams(body)) {
        if (++count > MAX_FORM_PARAMETERS) {
          done(
            new DomainError(
              OAuthErrorCode.InvalidRequest,
              `A form has at most ${MAX_FORM_PARAMETERS} parameters.`,
            ),
            undefined,
          );
          return;
        }
        const values = parameters.get(name);
        if (values) values.push(value);
        else parameters.set(name, [value]);
      }
      formBodies.add(parameters);
      done(null, parameters);
    },
  );
}

/**
 * The parameters of the request's form body. A body of any other type (JSON included, which
 * Fastify parses before any route code runs) or none is a 415.
 */
export const FormBody = createParamDecorator(
  (_data: unknown, context: ExecutionContext): FormParameters => {
    const body = context.switchToHttp().getRequest<FastifyRequest>().body;
    if (typeof body === 'object' && body !== null && formBodies.has(body)) {
      return body as FormParameters;
    }
    throw new DomainError(
      CommonErrorCode.UnsupportedMediaType,
      `The request body must be ${FORM_CONTENT_TYPE}.`,
    );
  },
);
