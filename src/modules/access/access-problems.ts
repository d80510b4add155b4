import { DomainError } from '../../common/errors/domain-error';
import { AccessErrorCode, CommonErrorCode } from '../../common/errors/error-code';
import { invalidFields } from '../../common/errors/invalid-fields';

export function notFound(what: 'role' | 'policy' | 'user'): DomainError {
  return new DomainError(CommonErrorCode.NotFound, `The ${what} does not exist.`);
}

export function nameTaken(what: 'role' | 'policy'): DomainError {
  return new DomainError(AccessErrorCode.NameTaken, `Another ${what} has this name.`);
}

export function invalidField(field: string, message: string): DomainError {
  return invalidFields([{ field, message }]);
}
