import { ErrorCode } from '../../common/errors/error-code';
import { ProblemException } from '../../common/errors/problem.exception';

export function notFound(what: 'role' | 'policy' | 'user'): ProblemException {
  return new ProblemException(404, ErrorCode.NotFound, `The ${what} does not exist.`);
}

export function nameTaken(what: 'role' | 'policy'): ProblemException {
  return new ProblemException(409, ErrorCode.NameTaken, `Another ${what} has this name.`);
}

export function invalidField(field: string, message: string): ProblemException {
  return new ProblemException(422, ErrorCode.ValidationFailed, 'The request has 1 invalid field.', {
    errors: [{ field, message }],
  });
}
