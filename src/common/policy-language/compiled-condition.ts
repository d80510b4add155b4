import {
  type CelResult,
  CelScalar,
  celEnv,
  celType,
  isCelError,
  mapType,
  parse,
  plan,
} from '@bufbuild/cel';
import { CelSyntaxChecker } from './cel-syntax-checker';
import {
  BUDGET_EXCEEDED,
  METERED_FUNCTIONS,
  meterComprehensions,
  stepMeter,
} from './condition-budget';
import type { ConditionBindings } from './condition-bindings';
import type { ConditionInput } from './condition-input';
import { ConditionChecker } from './condition-checker';
import { DirectCondition } from './direct-condition';
import { ConditionSyntaxError, sourcePosition } from './condition-syntax-error';

/** Longer conditions are refused: parsing is slow (about half a millisecond for a short one). */
export const MAX_CONDITION_LENGTH = 4096;

const attributes = mapType(CelScalar.STRING, CelScalar.DYN);
const VARIABLES = {
  subject: attributes,
  resource: attributes,
  action: CelScalar.STRING,
  context: attributes,
};
const ENV = celEnv({ variables: VARIABLES, funcs: [...METERED_FUNCTIONS] });
const VARIABLE_NAMES: ReadonlySet<string> = new Set(Object.keys(VARIABLES));

/** true or false, or why the condition could not be evaluated (which never allows anything). */
export type ConditionResult = boolean | { error: string };

/** A condition parsed, checked and planned once, evaluated for any number of requests. */
export class CompiledCondition {
  private constructor(
    readonly source: string,
    private readonly program: (bindings: ConditionBindings) => CelResult,
    /** The same condition for the direct path, when it is simple enough for one. */
    private readonly direct: DirectCondition | null,
  ) {}

  /** Throws ConditionSyntaxError with the position of the first error found. */
  static compile(source: string): CompiledCondition {
    if (source.length > MAX_CONDITION_LENGTH) {
      throw new ConditionSyntaxError(
        `a condition may be at most ${MAX_CONDITION_LENGTH} characters long`,
        sourcePosition(source, MAX_CONDITION_LENGTH),
      );
    }
    try {
      const parsed = parseCondition(source);
      const problem = ConditionChecker.firstProblem(ENV, VARIABLE_NAMES, parsed, source);
      if (problem !== null) throw problem;
      meterComprehensions(parsed);
      return new CompiledCondition(source, plan(ENV, parsed), DirectCondition.compile(parsed.expr));
    } catch (error) {
      // Recursive descent, in @bufbuild/cel and here, runs out of stack before 1,000 levels.
      if (error instanceof RangeError) {
        throw new ConditionSyntaxError(
          'the condition is nested too deeply',
          sourcePosition(source, 0),
        );
      }
      if (error instanceof ConditionSyntaxError) throw error;
      throw new ConditionSyntaxError(
        error instanceof Error ? error.message : String(error),
        sourcePosition(source, 0),
      );
    }
  }

  /** The interpreter's answer, through the direct path when that can give it. */
  evaluate(input: ConditionInput): ConditionResult {
    if (this.direct !== null && input.acceptable) {
      const answer = this.direct.evaluate(input.request);
      if (answer !== undefined) return answer;
    }
    const { bindings } = input;
    return 'error' in bindings ? bindings : this.interpret(bindings);
  }

  /** The answer of @bufbuild/cel's interpreter, which defines what a condition means. */
  interpret(bindings: ConditionBindings): ConditionResult {
    stepMeter.start();
    // @bufbuild/cel's errors are Error objects, and only their message is ever read here:
    // capturing a stack trace for each (a missing attribute is one) cost seven times the rest of
    // the evaluation. Evaluation is synchronous, so nothing else runs under the lowered limit.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    let result: CelResult;
    try {
      result = this.program(bindings);
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    // A spent budget fails the condition even when `||` or `&&` passed over the failed call.
    if (stepMeter.exceeded) return { error: BUDGET_EXCEEDED };
    if (typeof result === 'boolean') return result;
    if (isCelError(result)) return { error: result.message };
    return { error: `the condition produced ${String(celType(result))}, not a bool` };
  }
}

/** Parses, telling where the first error is when the expression does not parse. */
function parseCondition(source: string): ReturnType<typeof parse> {
  try {
    // CEL's grammar ends a comment at a newline; without one, a trailing comment would not parse.
    return parse(`${source}\n`);
  } catch (error) {
    if (error instanceof RangeError) throw error;
    throw CelSyntaxChecker.firstError(source) ?? parserError(source, error);
  }
}

/** @bufbuild/cel's own report, for whatever the syntax checker does not catch. */
function parserError(source: string, error: unknown): ConditionSyntaxError {
  const located = error as { rawMessage?: unknown; location?: { start?: { offset?: unknown } } };
  const offset = located.location?.start?.offset;
  return new ConditionSyntaxError(
    typeof located.rawMessage === 'string' ? located.rawMessage : String(error),
    sourcePosition(source, typeof offset === 'number' ? Math.min(offset, source.length) : 0),
  );
}

/** Compiles a policy condition when it is saved; throws ConditionSyntaxError. */
export function compileCondition(source: string): CompiledCondition {
  return CompiledCondition.compile(source);
}
