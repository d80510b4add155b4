import { HttpException } from '@nestjs/common';
import { ErrorCode } from './error-code';
import { Problem } from './problem';

/**
 * The RFC 6749 error codes Gatehouse answers with: those of the token endpoint (§5.2) that the
 * client-credentials grant can meet, and the generic `server_error` and `temporarily_unavailable`
 * (§4.1.2.1).
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'server_error'
  | 'temporarily_unavailable';

/** The body of an OAuth error response (RFC 6749 §5.2). */
export interface OAuthErrorBody {
  error: OAuthErrorCode;
  error_description: string;
}

/**
 * An error of an OAuth endpoint (token, introspection, revocation), answered in the RFC 6749
 * shape instead of problem+json. `description` is shown to the client: never a secret.
 */
export class OAuthError extends HttpException {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    status = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(description, status);
  }
}

/** The `WWW-Authenticate` challenge of a failed client authentication (RFC 6749 §5.2). */
export const CLIENT_AUTHENTICATION_CHALLENGE = 'Basic realm="gatehouse", charset="UTF-8"';

export interface OAuthErrorResponse {
  status: number;
  body: OAuthErrorBody;
  headers: Record<string, string>;
}

/**
 * How an error raised on an OAuth endpoint is answered. Anything that is not an OAuthError
 * (a body Fastify could not parse, one too large, a failure of ours) has already been mapped
 * to a problem; it keeps that problem's safe description. Request errors are `invalid_request`
 * with 400, the status RFC 6749 §5.2 gives every error but `invalid_client`.
 */
export function toOAuthErrorResponse(error: unknown, problem: Problem): OAuthErrorResponse {
  if (error instanceof OAuthError) {
    return {
      status: error.getStatus(),
      body: { error: error.error, error_description: error.description },
      headers: error.headers,
    };
  }
  if (problem.status >= 500) {
    const code = problem.status === 503 ? 'temporarily_unavailable' : 'server_error';
    return {
      status: problem.status,
      body: { error: code, error_description: problem.detail },
      headers: {},
    };
  }
  const description =
    problem.code === ErrorCode.UnsupportedMediaType
      ? 'The request body must be application/x-www-form-urlencoded.'
      : problem.detail;
  return {
    status: 400,
    body: { error: 'invalid_request', error_description: description },
    headers: {},
  };
}
