import { z } from 'zod';

/**
 * One kind of domain event: the version of its payload schema, what it means, and the schema
 * itself. Payloads are strict objects: a field that is not in the schema is refused when the
 * event is emitted, so nothing slips into the outbox (and on to webhooks) by accident; they
 * carry ids and changed fields, never secrets, tokens or password hashes.
 *
 * A change that a consumer written for the current version could misread (a field removed,
 * renamed or retyped) is a new version; adding an optional field is not.
 */
export interface EventDefinition<S extends z.ZodType = z.ZodType> {
  version: number;
  description: string;
  data: S;
  /**
   * Top-level fields that hold a person's data under a name personal-fields.ts does not know
   * (`from`, `to` of an address change): blanked with the others when the person is erased.
   */
  personal?: readonly string[];
}

export function defineEvent<S extends z.ZodType>(definition: EventDefinition<S>) {
  return definition;
}

export const id = z.uuid();
export const timestamp = z.iso.datetime({ offset: true });

/** A field's values before and after a change, for the fields that changed. */
export function changesOf<S extends z.ZodRawShape>(shape: S) {
  const fields = z.strictObject(shape).partial();
  return z.strictObject({ before: fields, after: fields });
}
