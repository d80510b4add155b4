import { DomainError } from './domain-error';
import { CommonErrorCode, OAuthErrorCode } from './error-code';
import type { MappedProblem } from './problem-mapper';

/** The RFC 6749 `error` values Gatehouse answers with: its own codes and the two generic ones. */
export type OAuthErrorValue = OAuthErrorCode | 'server_error' | 'temporarily_unavailable';

/** The body of an OAuth error response (RFC 6749 §5.2). */
export interface OAuthErrorBody {
  error: OAuthErrorValue;
  error_description: string;
}

export interface OAuthErrorResponse {
  status: number;
  body: OAuthErrorBody;
  headers: Record<string, string>;
}

/** The `WWW-Authenticate` challenge of a failed client authentication (RFC 6749 §5.2). */
export const CLIENT_AUTHENTICATION_CHALLENGE = 'Basic realm="gatehouse", charset="UTF-8"';

/**
 * The one status of each error an OAuth endpoint raises: 400, as RFC 6749 §5.2 gives every error
 * but `invalid_client`, which is a 401. The type makes a new code without a status a compile
 * error.
 */
export const OAUTH_ERROR_STATUS: { readonly [Code in OAuthErrorCode]: number } = {
  [OAuthErrorCode.InvalidRequest]: 400,
  [OAuthErrorCode.InvalidClient]: 401,
  [OAuthErrorCode.UnauthorizedClient]: 400,
  [OAuthErrorCode.UnsupportedGrantType]: 400,
  [OAuthErrorCode.InvalidScope]: 400,
};

const isOAuthErrorCode = (code: string): code is OAuthErrorCode =>
  Object.hasOwn(OAUTH_ERROR_STATUS, code);

/**
 * How an error raised on an OAuth endpoint (token, introspection, revocation) is answered: in
 * the RFC 6749 shape, whatever went wrong. The endpoints' own errors keep their code. Anything
 * else has been mapped to a problem already and keeps that problem's safe detail: a locked
 * throttle is `temporarily_unavailable` with its 429 and Retry-After, a failure of ours
 * `server_error` (`temporarily_unavailable` for a 503), and any other error of the request
 * `invalid_request` with 400.
 */
export function toOAuthErrorResponse(error: unknown, mapped: MappedProblem): OAuthErrorResponse {
  const { problem } = mapped;
  if (error instanceof DomainError && isOAuthErrorCode(error.code)) {
    return {
      status: OAUTH_ERROR_STATUS[error.code],
      body: { error: error.code, error_description: error.detail },
      headers:
        error.code === OAuthErrorCode.InvalidClient
          ? { 'www-authenticate': CLIENT_AUTHENTICATION_CHALLENGE }
          : {},
    };
  }
  if (problem.code === CommonErrorCode.TooManyRequests) {
    return {
      status: problem.status,
      body: { error: 'temporarily_unavailable', error_description: problem.detail },
      headers: { 'retry-after': mapped.headers['retry-after'] },
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
    problem.code === CommonErrorCode.UnsupportedMediaType
      ? 'The request body must be application/x-www-form-urlencoded.'
      : problem.detail;
  return {
    status: 400,
    body: { error: OAuthErrorCode.InvalidRequest, error_description: description },
    headers: {},
  };
}
