import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { CommonErrorCode } from '../errors/error-code';
import { PROBLEM_CONTENT_TYPE } from '../errors/problem';
import { buildProblem, mapErrorToProblem } from '../errors/problem-mapper';
import { isScimPath, SCIM_CONTENT_TYPE, toScimErrorResponse } from '../errors/scim-error-mapper';
import { logAccessWhenSent } from '../logging/request-logging';
import { REQUEST_ID_HEADER } from './request-id';

/**
 * Errors Fastify answers before any route, hook or Nest filter runs. They get the same
 * problem+json shape as every other error (SCIM's under `/scim/v2`).
 */

/**
 * Answers what Fastify refuses before routing: a URL it cannot decode (`/%zz`) or route (a path
 * parameter over `MAX_PARAM_LENGTH`), a failing route constraint. Neither the Nest filter nor the
 * request hooks see these requests, so the access line, and the error of an unexpected one, are
 * logged here, with the request id.
 */
export function frameworkErrorHandler(
  root: Logger,
): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    const mapped = mapErrorToProblem(error, {
      requestId: String(request.id),
      method: request.method,
      path: request.url.split('?', 1)[0],
      routeMatched: false,
    });
    const { problem, unexpected } = mapped;
    if (unexpected) {
      root.error(
        { err: error, request_id: problem.request_id },
        'Unhandled error while routing the request',
      );
    }
    logAccessWhenSent(root, request, reply);
    // SCIM clients parse nothing but SCIM's errors, under /scim/v2 whatever went wrong.
    if (isScimPath(request.url)) {
      const scim = toScimErrorResponse(error, mapped);
      void reply
        .status(scim.status)
        .headers(scim.headers)
        .header(REQUEST_ID_HEADER, request.id)
        .header('content-type', `${SCIM_CONTENT_TYPE}; charset=utf-8`)
        .send(scim.body);
      return;
    }
    void reply
      .status(problem.status)
      .header(REQUEST_ID_HEADER, request.id)
      .header('content-type', PROBLEM_CONTENT_TYPE)
      .send(problem);
  };
}

/** Bytes that are not a parseable HTTP request (headers too large, garbage, a stalled client). */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, detail] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [
          CommonErrorCode.HeadersTooLarge,
          'The request headers are larger than this server accepts.',
        ]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [CommonErrorCode.RequestTimeout, 'The request did not arrive in time.']
        : [CommonErrorCode.BadRequest, 'The request is not valid HTTP.'];
  const requestId = randomUUID();
  const problem = buildProblem({ code, detail, requestId });
  const body = JSON.stringify(problem);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `${REQUEST_ID_HEADER}: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy(error);
}
