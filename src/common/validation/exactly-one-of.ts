import { invalidFields } from '../errors/invalid-fields';

/**
 * Of alternative fields (a code or a backup code, say), exactly one must be present. A 422 in
 * the validation pipe's shape naming them otherwise; the value of the present one is returned.
 */
export function exactlyOneOf<T extends object, K extends keyof T & string>(
  body: T,
  fields: readonly K[],
): { field: K; value: NonNullable<T[K]> } {
  const present = fields.filter((field) => body[field] !== undefined && body[field] !== null);
  if (present.length === 1) {
    const field = present[0];
    return { field, value: body[field] as NonNullable<T[K]> };
  }
  const message =
    present.length === 0
      ? `one of ${fields.join(', ')} is required`
      : `only one of ${fields.join(', ')} may be given`;
  const named = present.length === 0 ? fields : present;
  throw invalidFields(named.map((field) => ({ field, message })));
}
