import { isDeepStrictEqual } from 'node:util';

/** The fields whose values differ, before and after, as an audit event records a change. */
export function fieldChanges<T extends object>(
  before: T,
  after: T,
  fields: readonly (keyof T & string)[],
): { before: Partial<T>; after: Partial<T> } | null {
  const changed = fields.filter((field) => !isDeepStrictEqual(before[field], after[field]));
  if (changed.length === 0) return null;
  const pick = (source: T) =>
    Object.fromEntries(changed.map((field) => [field, source[field]])) as Partial<T>;
  return { before: pick(before), after: pick(after) };
}
