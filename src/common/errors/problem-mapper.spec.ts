import {
  BadRequestException,
  GatewayTimeoutException,
  HttpException,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { DomainError } from './domain-error';
import {
  AccessErrorCode,
  AuthErrorCode,
  AuthzErrorCode,
  ClientErrorCode,
  CommonErrorCode,
  ERROR_CODES,
  ErrorCode,
  MfaErrorCode,
  OAuthErrorCode,
  UsersErrorCode,
} from './error-code';
import { invalidFields } from './invalid-fields';
import { mapErrorToProblem, PROBLEM_STATUS, ProblemContext } from './problem-mapper';

const CONTEXT: ProblemContext = {
  requestId: 'r-1',
  method: 'POST',
  path: '/v1/things',
  routeMatched: true,
};

const map = (error: unknown, ctx = CONTEXT) => mapErrorToProblem(error, ctx);

describe('mapErrorToProblem', () => {
  it('has one status for every code of the catalogue, and a code for no other key', () => {
    expect(Object.keys(PROBLEM_STATUS).sort()).toEqual([...ERROR_CODES].sort());
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    for (const code of ERROR_CODES) {
      expect(PROBLEM_STATUS[code]).toBeGreaterThanOrEqual(400);
      expect(PROBLEM_STATUS[code]).toBeLessThan(600);
    }
  });

  it('cannot be given a table that leaves a code without a status', () => {
    // @ts-expect-error: the typecheck refuses a table without every code's status
    const incomplete: typeof PROBLEM_STATUS = { [CommonErrorCode.BadRequest]: 400 };
    expect(Object.keys(incomplete)).toHaveLength(1);
  });

  it('keeps the OAuth codes apart from the problem codes', () => {
    for (const code of Object.values(OAuthErrorCode)) {
      expect(ERROR_CODES).not.toContain(code);
    }
  });

  it.each<[ErrorCode, number]>([
    [CommonErrorCode.BadRequest, 400],
    [CommonErrorCode.MalformedBody, 400],
    [CommonErrorCode.ValidationFailed, 422],
    [CommonErrorCode.Unauthorized, 401],
    [CommonErrorCode.Forbidden, 403],
    [CommonErrorCode.NotFound, 404],
    [CommonErrorCode.RouteNotFound, 404],
    [CommonErrorCode.MethodNotAllowed, 405],
    [CommonErrorCode.NotAcceptable, 406],
    [CommonErrorCode.Conflict, 409],
    [CommonErrorCode.PayloadTooLarge, 413],
    [CommonErrorCode.UnsupportedMediaType, 415],
    [CommonErrorCode.TooManyRequests, 429],
    [CommonErrorCode.HeadersTooLarge, 431],
    [CommonErrorCode.UriTooLong, 414],
    [CommonErrorCode.RequestTimeout, 408],
    [CommonErrorCode.DependencyUnavailable, 503],
    [CommonErrorCode.ServiceUnavailable, 503],
    [AuthErrorCode.InvalidCredentials, 401],
    [AuthErrorCode.EmailNotVerified, 403],
    [AuthErrorCode.AccountSuspended, 403],
    [AuthErrorCode.AccountDeactivated, 403],
    [AuthErrorCode.InvalidToken, 401],
    [AuthErrorCode.InvalidOrExpiredToken, 400],
    [AuthErrorCode.InvalidRefreshToken, 401],
    [AuthErrorCode.UserTokenRequired, 403],
    [AuthErrorCode.InsufficientUserAuthentication, 401],
    [UsersErrorCode.InvalidCurrentPassword, 403],
    [UsersErrorCode.EmailTaken, 409],
    [MfaErrorCode.InvalidMfaToken, 401],
    [MfaErrorCode.InvalidMfaCode, 401],
    [MfaErrorCode.InvalidCurrentMfaCode, 403],
    [MfaErrorCode.MfaAlreadyEnabled, 409],
    [MfaErrorCode.MfaNotEnabled, 409],
    [MfaErrorCode.MfaEnrollmentNotStarted, 409],
    [MfaErrorCode.MfaRequiredByRole, 409],
    [ClientErrorCode.SecretLimitReached, 409],
    [AccessErrorCode.NameTaken, 409],
    [AccessErrorCode.BuiltInRole, 409],
    [AccessErrorCode.RoleInUse, 409],
    [AccessErrorCode.LastAdministrator, 409],
    [AuthzErrorCode.PolicySetVersionUnavailable, 422],
    [AuthzErrorCode.PrivilegeEscalation, 403],
  ])('%s is %i, with its type, title and detail', (code, status) => {
    const { problem, unexpected } = map(new DomainError(code, 'What went wrong.'));
    expect(unexpected).toBe(false);
    expect(problem).toEqual({
      type: `urn:gatehouse:problem:${code}`,
      title: expect.any(String),
      status,
      detail: 'What went wrong.',
      instance: '/v1/things',
      code,
      request_id: 'r-1',
    });
  });

  it('adds field errors and extension members to the body', () => {
    expect(map(invalidFields([{ field: 'name', message: 'is empty' }])).problem).toMatchObject({
      status: 422,
      detail: 'The request has 1 invalid field.',
      errors: [{ field: 'name', message: 'is empty' }],
    });
    const escalation = new DomainError(AuthzErrorCode.PrivilegeEscalation, 'No.', {
      extensions: { missing_permissions: ['roles:write'] },
    });
    expect(map(escalation).problem.missing_permissions).toEqual(['roles:write']);
  });

  it('tells when to retry in the Retry-After header and the body', () => {
    const locked = new DomainError(CommonErrorCode.TooManyRequests, 'Later.', {
      retryAfterSeconds: 30,
    });
    const { problem, headers } = map(locked);
    expect(problem).toMatchObject({ status: 429, retry_after: 30 });
    expect(headers).toEqual({ 'retry-after': '30' });
  });

  it('challenges a missing or refused access token as RFC 6750 says', () => {
    expect(map(new DomainError(CommonErrorCode.Unauthorized, 'Sign in.')).headers).toEqual({
      'www-authenticate': 'Bearer realm="gatehouse"',
    });
    expect(map(new DomainError(AuthErrorCode.InvalidToken, 'No.')).headers).toEqual({
      'www-authenticate': 'Bearer realm="gatehouse", error="invalid_token"',
    });
    expect(map(new DomainError(CommonErrorCode.Forbidden, 'No.')).headers).toEqual({});
  });

  it('says what a step-up needs, in the challenge and the body (RFC 9470)', () => {
    const stale = map(
      new DomainError(AuthErrorCode.InsufficientUserAuthentication, 'Step up.', {
        requiredAuthentication: { maxAgeSeconds: 600 },
      }),
    );
    expect(stale.problem).toMatchObject({ status: 401, max_age: 600 });
    expect(stale.problem).not.toHaveProperty('acr_values');
    expect(stale.headers['www-authenticate']).toBe(
      'Bearer realm="gatehouse", error="insufficient_user_authentication", ' +
        'error_description="A more recent authentication is required", max_age="600"',
    );
    const weak = map(
      new DomainError(AuthErrorCode.InsufficientUserAuthentication, 'Step up.', {
        requiredAuthentication: { acrValues: 'aal2' },
      }),
    );
    expect(weak.problem).toMatchObject({ acr_values: 'aal2' });
    expect(weak.headers['www-authenticate']).toBe(
      'Bearer realm="gatehouse", error="insufficient_user_authentication", ' +
        'error_description="A second factor is required", acr_values="aal2"',
    );
  });

  it('answers an OAuth error outside an OAuth endpoint as a failure of ours', () => {
    const { problem, unexpected } = map(new DomainError(OAuthErrorCode.InvalidClient, 'No.'));
    expect(unexpected).toBe(true);
    expect(problem).toMatchObject({ status: 500, code: 'internal_error' });
  });

  describe("the framework's errors", () => {
    it('become the catalogue code of their status, with its one status', () => {
      expect(map(new BadRequestException('Bad.')).problem).toMatchObject({
        status: 400,
        code: 'bad_request',
        detail: 'Bad.',
      });
      expect(map(new HttpException('Gone.', 410)).problem).toMatchObject({
        status: 400,
        code: 'bad_request',
      });
    });

    it('an unrouted request is route_not_found, naming method and path', () => {
      const { problem } = map(new NotFoundException(), { ...CONTEXT, routeMatched: false });
      expect(problem).toMatchObject({
        status: 404,
        code: 'route_not_found',
        detail: 'No route matches POST /v1/things.',
      });
    });

    it('a deliberate 5xx is service_unavailable, never with its message', () => {
      for (const error of [
        new ServiceUnavailableException('db 10.0.0.5 down'),
        new GatewayTimeoutException('upstream 10.0.0.6 slow'),
      ]) {
        const { problem, unexpected } = map(error);
        expect(unexpected).toBe(false);
        expect(problem).toMatchObject({ status: 503, code: 'service_unavailable' });
        expect(problem.detail).not.toMatch(/10\.0\.0/);
      }
    });

    it("Fastify's request errors keep their own words", () => {
      const error = Object.assign(new Error('raw'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
      expect(map(error).problem).toMatchObject({
        status: 400,
        code: 'malformed_body',
        detail: 'The request body is not valid JSON.',
      });
    });
  });

  describe('errors Fastify raises before routing (they arrive raw, not as HttpExceptions)', () => {
    const fastifyError = (code: string, statusCode: number) =>
      Object.assign(new Error(`raw ${code} with /v1/x/aaaa`), { code, statusCode });

    it('a path parameter over the router limit is 414 uri_too_long, saying the limit', () => {
      const { problem, unexpected } = map(fastifyError('FST_ERR_MAX_PARAM_LENGTH', 414), {
        ...CONTEXT,
        routeMatched: false,
      });
      expect(unexpected).toBe(false);
      expect(problem).toMatchObject({
        status: 414,
        code: 'uri_too_long',
        detail:
          'A segment of the request path is longer than the 100 characters this server accepts.',
      });
    });

    it('one the table does not name is the 4xx of its status, without its message', () => {
      const { problem, unexpected } = map(fastifyError('FST_ERR_SOMETHING_NEW', 413));
      expect(unexpected).toBe(false);
      expect(problem).toMatchObject({ status: 413, code: 'payload_too_large' });
      expect(problem.detail).toBe('The request was refused: Payload Too Large.');
      expect(map(fastifyError('FST_ERR_OTHER', 418)).problem).toMatchObject({
        status: 400,
        code: 'bad_request',
      });
    });

    it('a 5xx one stays an unexpected 500 to log', () => {
      const { problem, unexpected } = map(fastifyError('FST_ERR_ASYNC_CONSTRAINT', 500));
      expect(unexpected).toBe(true);
      expect(problem).toMatchObject({ status: 500, code: 'internal_error' });
    });
  });

  it('anything else is a generic 500 to log', () => {
    const { problem, unexpected } = map(new Error('SELECT password_hash FROM users'));
    expect(unexpected).toBe(true);
    expect(problem).toMatchObject({ status: 500, code: 'internal_error' });
    expect(problem.detail).not.toContain('SELECT');
  });
});
