import { ParseUUIDPipe } from '@nestjs/common';
import { invalidFields } from '../errors/invalid-fields';

/** A path parameter that must be a UUID; anything else is a 422 naming the parameter. */
export function uuidParam(name: string): ParseUUIDPipe {
  return new ParseUUIDPipe({
    exceptionFactory: () => invalidFields([{ field: name, message: 'must be a UUID' }]),
  });
}
