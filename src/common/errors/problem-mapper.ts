import { STATUS_CODES } from 'node:http';
import { HttpException } from '@nestjs/common';
import { DomainError } from './domain-error';
import {
  AccessErrorCode,
  AuditErrorCode,
  AuthErrorCode,
  AuthzErrorCode,
  ClientErrorCode,
  CommonErrorCode,
  ErrorCode,
  EventsErrorCode,
  FederationErrorCode,
  HrErrorCode,
  MfaErrorCode,
  TokenVaultErrorCode,
  TradingAccountsErrorCode,
  UsersErrorCode,
} from './error-code';
import { Problem, PROBLEM_TYPE_PREFIX } from './problem';
import { MAX_PARAM_LENGTH } from '../http/routing-limits';

/**
 * The one HTTP status of each code, whoever raises it. The type makes a new code without a
 * status a compile error.
 */
export const PROBLEM_STATUS: { readonly [Code in ErrorCode]: number } = {
  [CommonErrorCode.BadRequest]: 400,
  [CommonErrorCode.MalformedBody]: 400,
  [CommonErrorCode.ValidationFailed]: 422,
  [CommonErrorCode.Unauthorized]: 401,
  [CommonErrorCode.Forbidden]: 403,
  [CommonErrorCode.NotFound]: 404,
  [CommonErrorCode.RouteNotFound]: 404,
  [CommonErrorCode.MethodNotAllowed]: 405,
  [CommonErrorCode.NotAcceptable]: 406,
  [CommonErrorCode.Conflict]: 409,
  [CommonErrorCode.PayloadTooLarge]: 413,
  [CommonErrorCode.UnsupportedMediaType]: 415,
  [CommonErrorCode.TooManyRequests]: 429,
  [CommonErrorCode.HeadersTooLarge]: 431,
  [CommonErrorCode.UriTooLong]: 414,
  [CommonErrorCode.RequestTimeout]: 408,
  [CommonErrorCode.DependencyUnavailable]: 503,
  [CommonErrorCode.InvalidDownloadLink]: 403,
  [CommonErrorCode.ServiceUnavailable]: 503,
  [CommonErrorCode.InternalError]: 500,
  [AuthErrorCode.InvalidCredentials]: 401,
  // Told only to whoever gave the right password: the request was authenticated and is refused.
  [AuthErrorCode.EmailNotVerified]: 403,
  [AuthErrorCode.AccountSuspended]: 403,
  [AuthErrorCode.AccountDeactivated]: 403,
  [AuthErrorCode.InvalidToken]: 401,
  [AuthErrorCode.InvalidOrExpiredToken]: 400,
  [AuthErrorCode.InvalidRefreshToken]: 401,
  // 403, not 401: the token is valid, and a client that fetched a new one would loop.
  [AuthErrorCode.UserTokenRequired]: 403,
  [AuthErrorCode.InsufficientUserAuthentication]: 401,
  // A signed-in user's wrong password: 403, or clients would take their token for invalid.
  [UsersErrorCode.InvalidCurrentPassword]: 403,
  [UsersErrorCode.EmailTaken]: 409,
  [UsersErrorCode.SelfLockout]: 409,
  [UsersErrorCode.AccountStatusConflict]: 409,
  [MfaErrorCode.InvalidMfaToken]: 401,
  // The second step of a login: the mfa_token and the code authenticate, as a password does.
  [MfaErrorCode.InvalidMfaCode]: 401,
  // A signed-in user's wrong code, like a wrong current password.
  [MfaErrorCode.InvalidCurrentMfaCode]: 403,
  [MfaErrorCode.MfaAlreadyEnabled]: 409,
  [MfaErrorCode.MfaNotEnabled]: 409,
  [MfaErrorCode.MfaEnrollmentNotStarted]: 409,
  [MfaErrorCode.MfaRequiredByRole]: 409,
  [ClientErrorCode.SecretLimitReached]: 409,
  [AccessErrorCode.NameTaken]: 409,
  [AccessErrorCode.BuiltInRole]: 409,
  [AccessErrorCode.RoleInUse]: 409,
  [AccessErrorCode.LastAdministrator]: 409,
  [AuthzErrorCode.PolicySetVersionUnavailable]: 422,
  [AuthzErrorCode.PrivilegeEscalation]: 403,
  [EventsErrorCode.InvalidWebhookUrl]: 400,
  [EventsErrorCode.UnknownEventTypes]: 400,
  [EventsErrorCode.EndpointDisabled]: 409,
  [EventsErrorCode.UnknownEventPosition]: 400,
  [EventsErrorCode.TooManyStreams]: 429,
  [AuditErrorCode.InvalidAuditFilter]: 400,
  [AuditErrorCode.InvalidCursor]: 400,
  [TradingAccountsErrorCode.InvalidLinkState]: 400,
  [TradingAccountsErrorCode.LinkStartedElsewhere]: 403,
  [TradingAccountsErrorCode.BrokerTokenRejected]: 400,
  [TradingAccountsErrorCode.BrokerAccountLinkedElsewhere]: 409,
  [TradingAccountsErrorCode.TradingAccountInactive]: 409,
  [TradingAccountsErrorCode.AlreadyMember]: 409,
  [TradingAccountsErrorCode.NoInvitation]: 404,
  [FederationErrorCode.ProviderSlugTaken]: 409,
  [FederationErrorCode.InvalidProviderUrl]: 400,
  [FederationErrorCode.RedirectUriNotAllowed]: 400,
  [FederationErrorCode.InvalidFederationState]: 400,
  [FederationErrorCode.FederationRejected]: 401,
  [FederationErrorCode.ProviderUnavailable]: 502,
  [FederationErrorCode.AccountNotLinked]: 403,
  [FederationErrorCode.EmailNotAcceptable]: 403,
  [FederationErrorCode.LastSignInMethod]: 409,
  [FederationErrorCode.InvalidWebhookSignature]: 401,
  [FederationErrorCode.SyncNotConfigured]: 409,
  [TokenVaultErrorCode.InvalidConsentState]: 400,
  [TokenVaultErrorCode.ConsentDenied]: 400,
  [TokenVaultErrorCode.OfflineAccessNotGranted]: 400,
  [TokenVaultErrorCode.OfflineTokenRevoked]: 409,
  [HrErrorCode.InvalidHrAuthentication]: 401,
  [HrErrorCode.HrSourceNameTaken]: 409,
};

/** The challenges of RFC 6750 §3 with which a refused Bearer token is answered. */
const BEARER_CHALLENGE = 'Bearer realm="gatehouse"';
const INVALID_TOKEN_CHALLENGE = `${BEARER_CHALLENGE}, error="invalid_token"`;

/** The codes of framework errors (Nest's HttpExceptions), by their status. */
const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: CommonErrorCode.BadRequest,
  401: CommonErrorCode.Unauthorized,
  403: CommonErrorCode.Forbidden,
  404: CommonErrorCode.NotFound,
  405: CommonErrorCode.MethodNotAllowed,
  406: CommonErrorCode.NotAcceptable,
  408: CommonErrorCode.RequestTimeout,
  409: CommonErrorCode.Conflict,
  413: CommonErrorCode.PayloadTooLarge,
  414: CommonErrorCode.UriTooLong,
  415: CommonErrorCode.UnsupportedMediaType,
  422: CommonErrorCode.ValidationFailed,
  429: CommonErrorCode.TooManyRequests,
  431: CommonErrorCode.HeadersTooLarge,
  503: CommonErrorCode.ServiceUnavailable,
};

/** Fastify's own request errors, rewritten in words that do not depend on its internals. */
const FASTIFY_ERRORS: Record<string, { code: ErrorCode; detail: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: CommonErrorCode.UnsupportedMediaType,
    detail: 'The request body must be sent as application/json.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: CommonErrorCode.MalformedBody,
    detail: 'The Content-Length header does not match the body.',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: CommonErrorCode.MalformedBody,
    detail: 'The request declares a JSON body but sends none.',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    code: CommonErrorCode.MalformedBody,
    detail: 'The request body is not valid JSON.',
  },
  FST_ERR_BAD_URL: {
    code: CommonErrorCode.BadRequest,
    detail: 'The request URL is not valid (bad percent-encoding).',
  },
  // find-my-way refuses to match a path parameter longer than `maxParamLength` (100).
  FST_ERR_MAX_PARAM_LENGTH: {
    code: CommonErrorCode.UriTooLong,
    detail: `A segment of the request path is longer than the ${MAX_PARAM_LENGTH} characters this server accepts.`,
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: CommonErrorCode.PayloadTooLarge,
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
  /** Response headers the problem needs (`Retry-After`, `WWW-Authenticate`). */
  headers: Record<string, string>;
  /** An unexpected error: the caller logs it with its stack; the client sees nothing of it. */
  unexpected: boolean;
}

export interface ProblemFields {
  code: ErrorCode;
  detail: string;
  requestId: string;
  /** Request path; absent when the request could not even be parsed. */
  instance?: string;
  extensions?: Record<string, unknown>;
}

export function buildProblem(fields: ProblemFields): Problem {
  const status = PROBLEM_STATUS[fields.code];
  return {
    type: `${PROBLEM_TYPE_PREFIX}${fields.code}`,
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail: fields.detail,
    instance: fields.instance,
    code: fields.code,
    request_id: fields.requestId,
    ...fields.extensions,
  };
}

/** Turns anything thrown while serving a request into the problem the client receives. */
export function mapErrorToProblem(error: unknown, ctx: ProblemContext): MappedProblem {
  if (error instanceof DomainError) {
    // An OAuth error outside an OAuth endpoint is a wiring error of ours.
    if (!isErrorCode(error.code)) return internal(ctx);
    return fromDomainError(error, error.code, ctx);
  }

  const fastifyCode = fastifyErrorCode(error);
  const known = FASTIFY_ERRORS[fastifyCode ?? ''];
  if (known) return expected(known.code, known.detail, ctx);
  // One the table does not name yet is still the client's fault when Fastify says it is: a
  // clear 4xx, never a 500 (framework errors reach us raw, not wrapped by Nest).
  const fastifyStatus = (error as { statusCode?: unknown }).statusCode;
  if (
    fastifyCode !== undefined &&
    !(error instanceof HttpException) &&
    typeof fastifyStatus === 'number' &&
    fastifyStatus >= 400 &&
    fastifyStatus < 500
  ) {
    const code = CODE_BY_STATUS[fastifyStatus] ?? CommonErrorCode.BadRequest;
    const detail = `The request was refused: ${STATUS_CODES[fastifyStatus] ?? 'Bad Request'}.`;
    return expected(code, detail, ctx);
  }

  if (error instanceof HttpException) {
    const status = error.getStatus();
    if (status === 404 && !ctx.routeMatched) {
      const detail = `No route matches ${ctx.method} ${ctx.path}.`;
      return expected(CommonErrorCode.RouteNotFound, detail, ctx);
    }
    if (status === 500) return internal(ctx);
    if (status > 500) {
      // Any other 5xx is a deliberate "try again later", but its message may quote a downstream
      // error: only the fact is told.
      const detail = 'The service cannot handle the request right now; try again later.';
      return expected(CommonErrorCode.ServiceUnavailable, detail, ctx);
    }
    return expected(CODE_BY_STATUS[status] ?? CommonErrorCode.BadRequest, error.message, ctx);
  }
  return internal(ctx);
}

function fromDomainError(error: DomainError, code: ErrorCode, ctx: ProblemContext): MappedProblem {
  const { errors, retryAfterSeconds, requiredAuthentication, extensions } = error.details;
  const headers: Record<string, string> = {};
  const members: Record<string, unknown> = { ...(errors ? { errors } : {}), ...extensions };
  if (retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(retryAfterSeconds);
    members.retry_after = retryAfterSeconds;
  }
  if (code === AuthErrorCode.InsufficientUserAuthentication) {
    const { acrValues, maxAgeSeconds } = requiredAuthentication ?? {};
    headers['www-authenticate'] = stepUpChallenge(acrValues, maxAgeSeconds);
    if (acrValues !== undefined) members.acr_values = acrValues;
    if (maxAgeSeconds !== undefined) members.max_age = maxAgeSeconds;
  } else if (code === AuthErrorCode.InvalidToken) {
    headers['www-authenticate'] = INVALID_TOKEN_CHALLENGE;
  } else if (code === CommonErrorCode.Unauthorized) {
    headers['www-authenticate'] = BEARER_CHALLENGE;
  }
  return { ...expected(code, error.detail, ctx, members), headers };
}

/**
 * RFC 9470: a token whose authentication is too weak or too old, and what would do (`acr_values`
 * and/or `max_age`).
 */
function stepUpChallenge(acrValues?: string, maxAgeSeconds?: number): string {
  const description = acrValues
    ? 'A second factor is required'
    : 'A more recent authentication is required';
  return [
    BEARER_CHALLENGE,
    'error="insufficient_user_authentication"',
    `error_description="${description}"`,
    ...(acrValues ? [`acr_values="${acrValues}"`] : []),
    ...(maxAgeSeconds !== undefined ? [`max_age="${maxAgeSeconds}"`] : []),
  ].join(', ');
}

function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(PROBLEM_STATUS, code);
}

function expected(
  code: ErrorCode,
  detail: string,
  ctx: ProblemContext,
  extensions: Record<string, unknown> = {},
): MappedProblem {
  const problem = buildProblem({
    code,
    detail,
    requestId: ctx.requestId,
    instance: ctx.path,
    extensions,
  });
  return { problem, headers: {}, unexpected: false };
}

function internal(ctx: ProblemContext): MappedProblem {
  const detail = 'An unexpected error occurred. Quote the request_id when reporting it.';
  return { ...expected(CommonErrorCode.InternalError, detail, ctx), unexpected: true };
}
