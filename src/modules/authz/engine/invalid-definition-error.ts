/** A policy or role the engine cannot compile because a field breaks the pattern grammar. */
export class InvalidDefinitionError extends Error {
  override readonly name = 'InvalidDefinitionError';

  constructor(
    readonly definition:
      { kind: 'policy'; id: string; name: string } | { kind: 'role'; name: string },
    readonly field: string,
    readonly reason: string,
  ) {
    super(
      `${definition.kind === 'policy' ? `policy "${definition.name}" (${definition.id})` : `role "${definition.name}"`}: ` +
        `${field}: ${reason}`,
    );
  }
}
