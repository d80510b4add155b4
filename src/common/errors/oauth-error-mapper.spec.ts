import { DomainError } from './domain-error';
import { CommonErrorCode, OAuthErrorCode } from './error-code';
import { OAUTH_ERROR_STATUS, toOAuthErrorResponse } from './oauth-error-mapper';
import { mapErrorToProblem } from './problem-mapper';

const answer = (error: unknown) =>
  toOAuthErrorResponse(
    error,
    mapErrorToProblem(error, {
      requestId: 'r-1',
      method: 'POST',
      path: '/oauth/token',
      routeMatched: true,
    }),
  );

describe('toOAuthErrorResponse', () => {
  it('has one status for every error the OAuth endpoints raise', () => {
    expect(Object.keys(OAUTH_ERROR_STATUS).sort()).toEqual(Object.values(OAuthErrorCode).sort());
  });

  it('cannot be given a table that leaves a code without a status', () => {
    // @ts-expect-error: the typecheck refuses a table without every code's status
    const incomplete: typeof OAUTH_ERROR_STATUS = { [OAuthErrorCode.InvalidClient]: 401 };
    expect(Object.keys(incomplete)).toHaveLength(1);
  });

  it.each<[OAuthErrorCode, number]>([
    [OAuthErrorCode.InvalidRequest, 400],
    [OAuthErrorCode.InvalidClient, 401],
    [OAuthErrorCode.UnauthorizedClient, 400],
    [OAuthErrorCode.UnsupportedGrantType, 400],
    [OAuthErrorCode.InvalidScope, 400],
  ])('%s is %i in the RFC 6749 shape', (code, status) => {
    expect(answer(new DomainError(code, 'Why.'))).toMatchObject({
      status,
      body: { error: code, error_description: 'Why.' },
    });
  });

  it('challenges a failed client authentication with Basic', () => {
    expect(answer(new DomainError(OAuthErrorCode.InvalidClient, 'No.')).headers).toEqual({
      'www-authenticate': 'Basic realm="gatehouse", charset="UTF-8"',
    });
    expect(answer(new DomainError(OAuthErrorCode.InvalidScope, 'No.')).headers).toEqual({});
  });

  it('answers a locked throttle as temporarily_unavailable, 429 with Retry-After', () => {
    const locked = new DomainError(CommonErrorCode.TooManyRequests, 'Later.', {
      retryAfterSeconds: 12,
    });
    expect(answer(locked)).toEqual({
      status: 429,
      body: { error: 'temporarily_unavailable', error_description: 'Later.' },
      headers: { 'retry-after': '12' },
    });
  });

  it('answers any other error of the request as a 400 invalid_request with its safe detail', () => {
    expect(answer(new DomainError(CommonErrorCode.PayloadTooLarge, 'Too big.'))).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: 'Too big.' },
      headers: {},
    });
    expect(
      answer(new DomainError(CommonErrorCode.UnsupportedMediaType, 'JSON please.')).body,
    ).toEqual({
      error: 'invalid_request',
      error_description: 'The request body must be application/x-www-form-urlencoded.',
    });
  });

  it('answers failures of ours as server_error, an unavailable service as temporarily_unavailable', () => {
    expect(answer(new Error('SELECT secret'))).toMatchObject({
      status: 500,
      body: { error: 'server_error', error_description: expect.not.stringContaining('SELECT') },
    });
    expect(answer(new DomainError(CommonErrorCode.DependencyUnavailable, 'Down.'))).toMatchObject({
      status: 503,
      body: { error: 'temporarily_unavailable' },
    });
  });
});
