import { DomainError } from '../errors/domain-error';
import { CommonErrorCode } from '../errors/error-code';

/** The refusal of a locked throttle, saying when to try again. */
export function tooManyAttempts(
  retryAfterSeconds: number,
  detail = 'Too many attempts; try again later.',
): DomainError {
  return new DomainError(CommonErrorCode.TooManyRequests, detail, { retryAfterSeconds });
}
