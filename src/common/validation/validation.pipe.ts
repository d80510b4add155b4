import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { invalidFields } from '../errors/invalid-fields';
import { FieldError } from '../errors/problem';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([constraint, message]) => ({
      field,
      message: constraint === 'whitelistValidation' ? 'is not an allowed field' : message,
    }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * A DTO class that recognises the common shape of a valid body or query by itself, for the few routes
 * where class-transformer and class-validator cost more than the work (the decision point). It
 * must answer null for anything it is not sure the DTO's rules accept, and otherwise exactly what
 * the full pipe would produce: refusals and their errors always come from the full pipe.
 */
export interface FastPathDto {
  acceptIfPlainlyValid(value: unknown): object | null;
}

const hasFastPath = (metatype: unknown): metatype is FastPathDto =>
  typeof (metatype as Partial<FastPathDto> | undefined)?.acceptIfPlainlyValid === 'function';

class GatehouseValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const accepted =
      (metadata.type === 'body' || metadata.type === 'query') && hasFastPath(metadata.metatype)
        ? metadata.metatype.acceptIfPlainlyValid(value)
        : null;
    return accepted ? Promise.resolve(accepted) : super.transform(value, metadata);
  }
}

/**
 * The global pipe: unknown fields are refused, payloads become DTO instances, and failures are
 * a 422 problem listing every offending field. Values are never echoed back.
 */
export function createValidationPipe(): ValidationPipe {
  return new GatehouseValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => invalidFields(flatten(errors)),
  });
}
