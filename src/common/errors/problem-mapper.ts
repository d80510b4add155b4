import { STATUS_CODES } from 'node:http';
import { HttpException } from '@nestjs/common';
import { ErrorCode } from './error-code';
import { Problem, PROBLEM_TYPE_PREFIX } from './problem';
import { ProblemException } from './problem.exception';

export interface ProblemContext {
  requestId: string;
  method: string;
  /** Request path without its query string. */
  path: string;
  /** False when no route matched the request (Fastify's not-found path). */
  routeMatched: boolean;
}

export interface MappedProblem {
  problem: Problem;
  /** An unexpected error: the caller logs it with its stack; the client sees nothing of it. */
  unexpected: boolean;
}

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: ErrorCode.BadRequest,
  401: ErrorCode.Unauthorized,
  403: ErrorCode.Forbidden,
  404: ErrorCode.NotFound,
  405: ErrorCode.MethodNotAllowed,
  406: ErrorCode.NotAcceptable,
  408: ErrorCode.RequestTimeout,
  409: ErrorCode.Conflict,
  413: ErrorCode.PayloadTooLarge,
  415: ErrorCode.UnsupportedMediaType,
  422: ErrorCode.ValidationFailed,
  429: ErrorCode.TooManyRequests,
  431: ErrorCode.HeadersTooLarge,
  503: ErrorCode.ServiceUnavailable,
};

/** Fastify's own request errors, rewritten in words that do not depend on its internals. */
const FASTIFY_ERRORS: Record<string, { status: number; code: ErrorCode; detail: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: ErrorCode.UnsupportedMediaType,
    detail: 'The request body must be sent as application/json.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: ErrorCode.MalformedBody,
    detail: 'The Content-Length header does not match the body.',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: ErrorCode.MalformedBody,
    detail: 'The request declares a JSON body but sends none.',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 400,
    code: ErrorCode.MalformedBody,
    detail: 'The request body is not valid JSON.',
  },
  FST_ERR_BAD_URL: {
    status: 400,
    code: ErrorCode.BadRequest,
    detail: 'The request URL is not valid (bad percent-encoding).',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: ErrorCode.PayloadTooLarge,
    detail: 'The request body is larger than this endpoint accepts.',
  },
};

/** Fastify's errors carry an `FST_…` code; Nest wraps 4xx ones in an HttpException `cause`. */
function fastifyErrorCode(error: unknown): string | undefined {
  for (const candidate of [error, error instanceof Error ? error.cause : undefined]) {
    const code = (candidate as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string' && code.startsWith('FST_')) return code;
  }
  return undefined;
}

export interface ProblemFields {
  status: number;
  code: ErrorCode;
  detail: string;
  requestId: string;
  /** Request path; absent when the request could not even be parsed. */
  instance?: string;
  extensions?: Record<string, unknown>;
}

export function buildProblem(fields: ProblemFields): Problem {
  return {
    type: `${PROBLEM_TYPE_PREFIX}${fields.code}`,
    title: STATUS_CODES[fields.status] ?? 'Error',
    status: fields.status,
    detail: fields.detail,
    instance: fields.instance,
    code: fields.code,
    request_id: fields.requestId,
    ...fields.extensions,
  };
}

function build(
  status: number,
  code: ErrorCode,
  detail: string,
  ctx: ProblemContext,
  extensions: Record<string, unknown> = {},
): Problem {
  return buildProblem({
    status,
    code,
    detail,
    requestId: ctx.requestId,
    instance: ctx.path,
    extensions,
  });
}

/** Turns anything thrown while serving a request into the problem the client receives. */
export function mapErrorToProblem(error: unknown, ctx: ProblemContext): MappedProblem {
  if (error instanceof ProblemException) {
    return {
      problem: build(error.getStatus(), error.code, error.detail, ctx, error.extensions),
      unexpected: false,
    };
  }

  const known = FASTIFY_ERRORS[fastifyErrorCode(error) ?? ''];
  if (known) {
    return { problem: build(known.status, known.code, known.detail, ctx), unexpected: false };
  }

  if (error instanceof HttpException) {
    const status = error.getStatus();
    if (status === 404 && !ctx.routeMatched) {
      const detail = `No route matches ${ctx.method} ${ctx.path}.`;
      return { problem: build(404, ErrorCode.RouteNotFound, detail, ctx), unexpected: false };
    }
    if (status === 500) return internal(ctx);
    if (status > 500) {
      // A deliberate 502–504 keeps its status (clients and proxies retry on them) but never
      // its message, which may quote a downstream error.
      const code = CODE_BY_STATUS[status] ?? ErrorCode.InternalError;
      const detail = 'The service cannot handle the request right now; try again later.';
      return { problem: build(status, code, detail, ctx), unexpected: false };
    }
    const code = CODE_BY_STATUS[status] ?? ErrorCode.BadRequest;
    return { problem: build(status, code, error.message, ctx), unexpected: false };
  }
  return internal(ctx);
}

function internal(ctx: ProblemContext): MappedProblem {
  return {
    problem: build(
      500,
      ErrorCode.InternalError,
      'An unexpected error occurred. Quote the request_id when reporting it.',
      ctx,
    ),
    unexpected: true,
  };
}
