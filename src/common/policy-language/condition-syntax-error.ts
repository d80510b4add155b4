/** Where in a condition's source: offset from 0, line and column from 1, all in UTF-16 units. */
export interface SourcePosition {
  offset: number;
  line: number;
  column: number;
}

/** The position of `offset` in `source`; `\r\n`, `\r` and `\n` each end a line, as in CEL. */
export function sourcePosition(source: string, offset: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    const char = source.charCodeAt(i);
    if (char === 0x0a || (char === 0x0d && source.charCodeAt(i + 1) !== 0x0a)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset, line, column: offset - lineStart + 1 };
}

/**
 * A condition that cannot be compiled, with the position of the error so that an admin API can
 * answer a 422 pointing at it. `reason` is the message without the position; `policy` is set when
 * the condition belongs to a policy of a set being compiled.
 */
export class ConditionSyntaxError extends Error {
  override readonly name = 'ConditionSyntaxError';

  constructor(
    readonly reason: string,
    readonly position: SourcePosition,
    readonly policy?: { id: string; name: string },
  ) {
    super(
      `${policy ? `policy "${policy.name}" (${policy.id}): ` : ''}condition: ` +
        `line ${position.line}, column ${position.column}: ${reason}`,
    );
  }

  /** The same error, naming the policy whose condition it is. */
  inPolicy(policy: { id: string; name: string }): ConditionSyntaxError {
    return new ConditionSyntaxError(this.reason, this.position, {
      id: policy.id,
      name: policy.name,
    });
  }
}
