import { type CelEnv, parse } from '@bufbuild/cel';
import { ConditionSyntaxError, sourcePosition } from './condition-syntax-error';

type ParsedCondition = ReturnType<typeof parse>;
type Expr = ParsedCondition['expr'];

/**
 * Names a condition may use besides its variables: CEL's type denotations, as in
 * `type(x) == string`.
 */
const TYPE_NAMES = new Set([
  'bool',
  'bytes',
  'double',
  'int',
  'list',
  'map',
  'null_type',
  'string',
  'type',
  'uint',
  'google.protobuf.Duration',
  'google.protobuf.Timestamp',
]);

/** Operators the evaluator implements itself rather than through a registered function. */
const BUILT_IN_OPERATORS = new Set([
  '_[_]',
  '_[?_]',
  '_?._',
  '_?_:_',
  '_&&_',
  '_||_',
  '@not_strictly_false',
  '__not_strictly_false__',
]);

/** Macros, which the parser expands only when called the right way. */
const MACRO_USAGE: Record<string, string> = {
  has: 'has(resource.owner_id)',
  all: 'list.all(x, predicate)',
  exists: 'list.exists(x, predicate)',
  exists_one: 'list.exists_one(x, predicate)',
  map: 'list.map(x, expression)',
  filter: 'list.filter(x, predicate)',
};

const NESTED_COMPREHENSION =
  'a comprehension (all, exists, exists_one, map, filter) cannot be used inside another one';

interface Problem {
  offset: number;
  reason: string;
}

/**
 * What can be known about a parsed condition before it runs, without declared attribute types:
 * every name is a variable, a comprehension's own variable or a type; every function exists; the
 * outermost expression can produce a bool. @bufbuild/cel would only report these at evaluation,
 * for every request, as a diagnostic; an admin is better told when saving the policy.
 */
export class ConditionChecker {
  private readonly problems: Problem[] = [];

  private constructor(
    private readonly env: CelEnv,
    private readonly variables: ReadonlySet<string>,
    private readonly positions: Readonly<Record<string, number>>,
  ) {}

  /** The first problem in source order, or null when none is found. */
  static firstProblem(
    env: CelEnv,
    variables: ReadonlySet<string>,
    parsed: ParsedCondition,
    source: string,
  ): ConditionSyntaxError | null {
    const checker = new ConditionChecker(env, variables, parsed.sourceInfo?.positions ?? {});
    checker.visit(parsed.expr, new Set());
    checker.checkProducesBool(parsed.expr);
    const [first] = checker.problems.sort((a, b) => a.offset - b.offset);
    return first
      ? new ConditionSyntaxError(first.reason, sourcePosition(source, first.offset))
      : null;
  }

  private visit(expr: Expr | undefined, bound: ReadonlySet<string>): void {
    if (expr === undefined) return;
    const kind = expr.exprKind;
    switch (kind.case) {
      case 'identExpr':
        if (!this.isKnownName(kind.value.name, bound)) {
          this.report(expr, `unknown name "${kind.value.name}"; ${this.variablesHint()}`);
        }
        return;
      case 'selectExpr': {
        const qualified = qualifiedName(expr);
        if (qualified !== null && TYPE_NAMES.has(qualified)) return;
        this.visit(kind.value.operand, bound);
        return;
      }
      case 'callExpr':
        this.checkFunction(expr, kind.value.function, kind.value.target !== undefined);
        this.visit(kind.value.target, bound);
        for (const argument of kind.value.args) this.visit(argument, bound);
        return;
      case 'listExpr':
        for (const element of kind.value.elements) this.visit(element, bound);
        return;
      case 'structExpr':
        if (kind.value.messageName !== '') {
          this.report(expr, `message construction (${kind.value.messageName}{…}) is not supported`);
        }
        for (const entry of kind.value.entries) {
          if (entry.keyKind.case === 'mapKey') this.visit(entry.keyKind.value, bound);
          this.visit(entry.value, bound);
        }
        return;
      case 'comprehensionExpr': {
        const comprehension = kind.value;
        // One comprehension takes as many steps as its range has elements; one inside another
        // multiplies them (three over 1,000 values: a billion steps).
        const [inner] = nestedComprehensions(comprehension).sort(
          (a, b) => this.offsetOf(a) - this.offsetOf(b),
        );
        if (inner !== undefined) {
          // The node sits at the dot of `list.all(…)`; point at the macro's name after it.
          this.report(inner, NESTED_COMPREHENSION, 1);
        }
        this.visit(comprehension.iterRange, bound);
        this.visit(comprehension.accuInit, bound);
        const inside = new Set([...bound, comprehension.iterVar, comprehension.accuVar]);
        if (comprehension.iterVar2 !== '') inside.add(comprehension.iterVar2);
        this.visit(comprehension.loopCondition, inside);
        this.visit(comprehension.loopStep, inside);
        this.visit(comprehension.result, new Set([...bound, comprehension.accuVar]));
        return;
      }
      default:
        return;
    }
  }

  private isKnownName(name: string, bound: ReadonlySet<string>): boolean {
    return bound.has(name) || this.variables.has(name) || TYPE_NAMES.has(name);
  }

  private checkFunction(expr: Expr, name: string, isMethod: boolean): void {
    if (BUILT_IN_OPERATORS.has(name) || this.env.funcs.find(name) !== undefined) return;
    const usage = MACRO_USAGE[name];
    this.report(
      expr,
      usage === undefined ? `unknown function "${name}"` : `"${name}" must be written as ${usage}`,
      // A method call's node sits at the dot; point at the name after it.
      isMethod ? 1 : 0,
    );
  }

  /** Reports an outermost expression whose every possible result is something other than a bool. */
  private checkProducesBool(expr: Expr): void {
    const produced = this.nonBoolResult(expr);
    if (produced !== null) {
      this.problems.push({
        offset: this.startOf(expr),
        reason: `a condition must produce a bool, but this produces ${produced}`,
      });
    }
  }

  /** The type `expr` certainly produces when that is not bool, or null when it is or may be bool. */
  private nonBoolResult(expr: Expr): string | null {
    const kind = expr.exprKind;
    switch (kind.case) {
      case 'constExpr':
        return kind.value.constantKind.case === 'boolValue'
          ? null
          : constantTypeName(kind.value.constantKind.case);
      case 'listExpr':
        return 'a list';
      case 'structExpr':
        return 'a map';
      case 'comprehensionExpr':
        return kind.value.accuInit?.exprKind.case === 'listExpr' ? 'a list' : null;
      case 'callExpr': {
        if (kind.value.function === '_?_:_') {
          const [, whenTrue, whenFalse] = kind.value.args;
          const results = [whenTrue, whenFalse].map((branch) =>
            branch === undefined ? null : this.nonBoolResult(branch),
          );
          return results.every((result) => result !== null) ? results[0] : null;
        }
        const overloads = this.env.funcs.find(kind.value.function);
        if (overloads === undefined) return null;
        const results = new Set([...overloads].map((overload) => String(overload.result)));
        if (results.has('bool') || results.has('dyn')) return null;
        return results.size === 1
          ? [...results][0]
          : `a result of "${operatorText(kind.value.function)}", which is never a bool`;
      }
      default:
        return null;
    }
  }

  private report(expr: Expr, reason: string, shift = 0): void {
    this.problems.push({ offset: this.offsetOf(expr) + shift, reason });
  }

  private offsetOf(expr: Expr): number {
    return this.positions[expr.id.toString()] ?? 0;
  }

  /** Where an expression's text begins: its leftmost node, which for `a + b` is `a`, not `+`. */
  private startOf(expr: Expr): number {
    let start = this.offsetOf(expr);
    const kind = expr.exprKind;
    const children: (Expr | undefined)[] =
      kind.case === 'callExpr'
        ? [kind.value.target, ...kind.value.args]
        : kind.case === 'selectExpr'
          ? [kind.value.operand]
          : kind.case === 'comprehensionExpr'
            ? [kind.value.iterRange]
            : [];
    for (const child of children) {
      if (child !== undefined) start = Math.min(start, this.startOf(child));
    }
    return start;
  }

  private variablesHint(): string {
    return `a condition can use ${[...this.variables].join(', ')}`;
  }
}

type Comprehension = Extract<Expr['exprKind'], { case: 'comprehensionExpr' }>['value'];

/** The outermost comprehensions in any part of `comprehension`: its range, body and result. */
function nestedComprehensions(comprehension: Comprehension): Expr[] {
  return [
    comprehension.iterRange,
    comprehension.accuInit,
    comprehension.loopCondition,
    comprehension.loopStep,
    comprehension.result,
  ].flatMap(comprehensionsIn);
}

/** The outermost comprehensions within `expr`, `expr` included. */
function comprehensionsIn(expr: Expr | undefined): Expr[] {
  if (expr === undefined) return [];
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'comprehensionExpr':
      return [expr];
    case 'selectExpr':
      return comprehensionsIn(kind.value.operand);
    case 'callExpr':
      return [kind.value.target, ...kind.value.args].flatMap(comprehensionsIn);
    case 'listExpr':
      return kind.value.elements.flatMap(comprehensionsIn);
    case 'structExpr':
      return kind.value.entries.flatMap((entry) => [
        ...(entry.keyKind.case === 'mapKey' ? comprehensionsIn(entry.keyKind.value) : []),
        ...comprehensionsIn(entry.value),
      ]);
    default:
      return [];
  }
}

/** `a.b.c` for a chain of field selections on a name, or null for anything else. */
function qualifiedName(expr: Expr): string | null {
  const kind = expr.exprKind;
  if (kind.case === 'identExpr') return kind.value.name;
  if (kind.case !== 'selectExpr' || kind.value.operand === undefined) return null;
  const operand = qualifiedName(kind.value.operand);
  return operand === null ? null : `${operand}.${kind.value.field}`;
}

/** `+` for `_+_`, `-` for `-_`, `size()` for `size`. */
function operatorText(name: string): string {
  const operator = /^_?([^_a-zA-Z]+)_?$/.exec(name)?.[1];
  return operator ?? `${name}()`;
}

function constantTypeName(kind: string | undefined): string {
  switch (kind) {
    case 'int64Value':
      return 'an int';
    case 'uint64Value':
      return 'a uint';
    case 'doubleValue':
      return 'a double';
    case 'stringValue':
      return 'a string';
    case 'bytesValue':
      return 'bytes';
    default:
      return 'null';
  }
}
