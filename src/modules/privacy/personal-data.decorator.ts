export const PERSONAL_DATA = Symbol('gatehouse:personal-data');

/** One file of a person's data export (GDPR Art. 15 and 20), contributed by the module holding it. */
export interface PersonalDataDefinition {
  /** The file's name in the archive, e.g. `sessions.json`; unique across modules. */
  file: string;
  /** One sentence for the archive's README: what the file holds. */
  describes: string;
}

/**
 * Answers what a module holds about one person, as plain JSON-serialisable data: ids, times and
 * the person's own fields; never a secret, a hash of one or a credential. An empty array (or
 * `null`) when the module holds nothing about them. A long list may be given as an async
 * iterable of its items (an async generator), which the export writes as a JSON array as it
 * reads them.
 */
export type PersonalDataFunction = (userId: string) => Promise<unknown> | AsyncIterable<unknown>;

/**
 * Marks the provider method that contributes one file to every person's data export. Found at
 * startup on every provider (`PersonalDataSources`); the export job calls each in turn.
 */
export function PersonalData(definition: PersonalDataDefinition) {
  return <M extends PersonalDataFunction>(
    target: object,
    key: string | symbol,
    _descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    Reflect.defineMetadata(PERSONAL_DATA, definition, target, key);
  };
}
