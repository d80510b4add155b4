import { ValidateBy, ValidationOptions } from 'class-validator';

/**
 * Every string of an array passes `check`, which returns why a value is wrong or null (the
 * engine's pattern validators). The message names the first offending entry by its index.
 * Non-arrays and non-strings are left to `@IsArray` and `@IsString`.
 */
export function EachSatisfies(
  check: (value: string) => string | null,
  options?: ValidationOptions,
): PropertyDecorator {
  const firstError = (value: unknown): string | null => {
    if (!Array.isArray(value)) return null;
    for (const [index, entry] of value.entries()) {
      const error = typeof entry === 'string' ? check(entry) : null;
      if (error !== null) return `[${index}] ${error}`;
    }
    return null;
  };
  return ValidateBy(
    {
      name: 'eachSatisfies',
      validator: {
        validate: (value: unknown) => firstError(value) === null,
        defaultMessage: (args) => firstError(args?.value) ?? 'is not valid',
      },
    },
    options,
  );
}
