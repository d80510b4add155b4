import { CommonErrorCode } from './error-code';
import { DomainError } from './domain-error';
import { FieldError } from './problem';

/** A request refused for its fields, in the validation pipe's words. */
export function invalidFields(errors: FieldError[]): DomainError {
  const count = `${errors.length} invalid field${errors.length === 1 ? '' : 's'}`;
  return new DomainError(CommonErrorCode.ValidationFailed, `The request has ${count}.`, { errors });
}
