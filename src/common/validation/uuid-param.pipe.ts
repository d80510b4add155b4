import { ParseUUIDPipe } from '@nestjs/common';
import { ErrorCode } from '../errors/error-code';
import { ProblemException } from '../errors/problem.exception';

/** A path parameter that must be a UUID; anything else is a 422 naming the parameter. */
export function uuidParam(name: string): ParseUUIDPipe {
  return new ParseUUIDPipe({
    exceptionFactory: () =>
      new ProblemException(422, ErrorCode.ValidationFailed, 'The request has 1 invalid field.', {
        errors: [{ field: name, message: 'must be a UUID' }],
      }),
  });
}
