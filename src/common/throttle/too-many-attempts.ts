import { ErrorCode } from '../errors/error-code';
import { ProblemException } from '../errors/problem.exception';

/** The 429 of a locked throttle: Retry-After in whole seconds, repeated in the body. */
export function tooManyAttempts(retryAfterSeconds: number): ProblemException {
  return new ProblemException(
    429,
    ErrorCode.TooManyRequests,
    'Too many attempts; try again later.',
    { retry_after: retryAfterSeconds },
    { 'retry-after': String(retryAfterSeconds) },
  );
}
