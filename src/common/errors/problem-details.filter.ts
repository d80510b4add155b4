import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toOAuthErrorResponse } from './oauth-error-mapper';
import { mapErrorToProblem } from './problem-mapper';
import { PROBLEM_CONTENT_TYPE } from './problem';
import { isScimPath, SCIM_CONTENT_TYPE, toScimErrorResponse } from './scim-error-mapper';

/**
 * The single place where errors become responses: every error, Nest's and Fastify's included,
 * leaves as RFC 9457 problem+json carrying the request id, except on OAuth endpoints, whose
 * clients expect the RFC 6749 `{error, error_description}` shape whatever went wrong, and under
 * `/scim/v2`, whose clients expect SCIM's error shape (RFC 7644 §3.12).
 * Unexpected errors are logged with their stack and answered with a generic 500.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const mapped = mapErrorToProblem(error, {
      requestId: String(request.id),
      method: request.method,
      path: request.url.split('?', 1)[0],
      routeMatched: request.routeOptions?.url !== undefined,
    });
    const { problem, headers } = mapped;
    const oauth = request.routeOptions?.config?.oauthEndpoint
      ? toOAuthErrorResponse(error, mapped)
      : undefined;
    const scim = isScimPath(request.url) ? toScimErrorResponse(error, mapped) : undefined;
    // OAuth and SCIM endpoints' own errors (`invalid_request`, `invalidFilter`…) are no problem
    // code, hence "unexpected" to the problem mapper, yet answered as they should be: not ours
    // to log.
    const own = oauth ?? scim;
    const unexpected = mapped.unexpected && (own === undefined || own.status >= 500);
    if (unexpected) {
      this.logger.error(
        { err: error, request_id: problem.request_id },
        'Unhandled error while serving the request',
      );
    }
    if (reply.sent) return;
    if (oauth) {
      void reply
        .status(oauth.status)
        .headers({ ...oauth.headers, 'cache-control': 'no-store' })
        .header('content-type', 'application/json; charset=utf-8')
        .send(oauth.body);
      return;
    }
    if (scim) {
      void reply
        .status(scim.status)
        .headers(scim.headers)
        .header('content-type', `${SCIM_CONTENT_TYPE}; charset=utf-8`)
        .send(scim.body);
      return;
    }
    void reply
      .status(problem.status)
      .headers(headers)
      .header('content-type', PROBLEM_CONTENT_TYPE)
      .send(problem);
  }
}
