import { DomainError } from '../../common/errors/domain-error';
import { AuthErrorCode } from '../../common/errors/error-code';

/**
 * The one answer to a sign-in whose address or password is wrong, or whose account was erased
 * while it was checked: they must not be told apart.
 */
export function invalidCredentials(): DomainError {
  return new DomainError(AuthErrorCode.InvalidCredentials, 'The email or password is not correct.');
}
