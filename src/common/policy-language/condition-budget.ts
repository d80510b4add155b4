import {
  type CelFunc,
  type CelValue,
  CelScalar,
  celEnv,
  celFunc,
  celMethod,
  isCelError,
  isCelList,
  isCelMap,
  type parse,
} from '@bufbuild/cel';

type ParsedCondition = ReturnType<typeof parse>;
type Expr = ParsedCondition['expr'];

/**
 * Steps one evaluation of a condition may take: about 60 ms of the slowest kind. A step is one
 * element of a value a function is given (a list's elements, nested ones included, a string's
 * characters), or one node of a comprehension's body for each element of its range; a regular
 * expression costs the product of its text's and its pattern's lengths.
 */
export const MAX_CONDITION_STEPS = 200_000;

export const BUDGET_EXCEEDED = `the condition takes more than ${MAX_CONDITION_STEPS} steps`;

/** The function every comprehension's loop condition is wrapped in, to charge for its iterations. */
const ITERATION = '@gatehouse_iteration';

/**
 * Counts the steps of the condition being evaluated. Evaluation is synchronous, so one meter
 * serves every condition of the process, one at a time.
 */
class StepMeter {
  private remaining = 0;

  start(): void {
    this.remaining = MAX_CONDITION_STEPS;
  }

  get exceeded(): boolean {
    return this.remaining < 0;
  }

  /** Throws once the budget is spent; every function call after that fails at once. */
  charge(steps: number): void {
    this.remaining -= steps;
    if (this.remaining < 0) throw new Error(BUDGET_EXCEEDED);
  }

  /** The size of `values`, nested values included, counted no further than the budget left. */
  sizeOf(values: readonly CelValue[]): number {
    const limit = this.remaining + 1;
    let size = 0;
    const pending = [...values];
    while (pending.length > 0 && size < limit) {
      const value = pending.pop();
      if (typeof value === 'string' || value instanceof Uint8Array) {
        size += value.length;
      } else if (isCelList(value) || isCelMap(value)) {
        size += value.size;
        for (const element of isCelList(value) ? value : value.values()) {
          if (size >= limit) break;
          if (isCelList(element) || isCelMap(element)) pending.push(element);
          else size += typeof element === 'string' ? element.length : 0;
        }
      }
    }
    return size;
  }
}

export const stepMeter = new StepMeter();

/** The standard library, each function charging for the size of what it is given first. */
function meteredStandardLibrary(): CelFunc[] {
  return [...celEnv().funcs].map((func) => {
    const impl = function (this: CelValue | undefined, ...args: CelValue[]) {
      stepMeter.charge(stepsOf(func.name, this, args));
      const result = func.call(0, this, args);
      // Never undefined: this wrapper was chosen for arguments of the same types.
      if (result === undefined) throw new Error(`no overload of ${func.id} for its arguments`);
      // Passed on as it is: a CelError thrown from a function is returned unchanged.
      if (isCelError(result)) throw result;
      return result;
    };
    return func.target === undefined
      ? celFunc(func.name, func.arguments, func.result, impl)
      : celMethod(func.name, func.target, func.arguments, func.result, impl);
  });
}

/** Steps a call takes: in proportion to the size of what it is given. */
function stepsOf(name: string, target: CelValue | undefined, args: CelValue[]): number {
  // RE2 runs in time proportional to the text times the pattern.
  if (name === 'matches' && target !== undefined) {
    return (stepMeter.sizeOf([target]) + 1) * (stepMeter.sizeOf(args) + 1);
  }
  // Concatenation never looks into elements, but iterating a chain of k lazily concatenated
  // lists takes k steps per element: charging both lengths keeps such chains short.
  if (name === '_+_') return args.reduce<number>((sum, arg) => sum + lengthOf(arg), 1);
  return stepMeter.sizeOf(target === undefined ? args : [target, ...args]) + 1;
}

function lengthOf(value: CelValue): number {
  if (typeof value === 'string' || value instanceof Uint8Array) return value.length;
  return isCelList(value) || isCelMap(value) ? value.size : 0;
}

/**
 * `@gatehouse_iteration(condition, steps)`: whether a comprehension goes on to its next element,
 * after charging the `steps` its body takes; never once the budget is spent, so that a spent
 * budget stops every comprehension instead of failing each call of its body.
 */
const iteration = celFunc(
  ITERATION,
  [CelScalar.BOOL, CelScalar.INT],
  CelScalar.BOOL,
  (proceed: boolean, steps: bigint) => {
    stepMeter.charge(Number(steps));
    return proceed;
  },
);

/** Functions of the environment conditions are planned in: all of them count their steps. */
export const METERED_FUNCTIONS: readonly CelFunc[] = [...meteredStandardLibrary(), iteration];

/**
 * Wraps the loop condition of every comprehension in ITERATION, with the number of nodes its
 * body evaluates for each element: the body's functions charge for what they are given, but its
 * other nodes (`x.a`, `x[0]`, `&&`, a list literal) would otherwise run uncounted.
 */
export function meterComprehensions(parsed: ParsedCondition): void {
  // Every node the parser made, struct entries included, has a position.
  const ids = Object.keys(parsed.sourceInfo?.positions ?? {}).map(BigInt);
  let nextId = ids.reduce((max, id) => (id > max ? id : max), 0n) + 1n;
  const node = (exprKind: Expr['exprKind']): Expr => ({
    $typeName: 'cel.expr.Expr',
    id: nextId++,
    exprKind,
  });
  const visit = (expr: Expr): void => {
    for (const child of children(expr)) visit(child);
    if (expr.exprKind.case !== 'comprehensionExpr') return;
    const comprehension = expr.exprKind.value;
    const { loopCondition, loopStep } = comprehension;
    if (loopCondition === undefined) return;
    const steps = 1 + nodeCount(loopCondition) + nodeCount(loopStep);
    const stepsConstant = node({
      case: 'constExpr',
      value: {
        $typeName: 'cel.expr.Constant',
        constantKind: { case: 'int64Value', value: BigInt(steps) },
      },
    });
    comprehension.loopCondition = node({
      case: 'callExpr',
      value: {
        $typeName: 'cel.expr.Expr.Call',
        function: ITERATION,
        args: [loopCondition, stepsConstant],
      },
    });
  };
  visit(parsed.expr);
}

function children(expr: Expr): Expr[] {
  const kind = expr.exprKind;
  const nodes: (Expr | undefined)[] = [];
  switch (kind.case) {
    case 'selectExpr':
      nodes.push(kind.value.operand);
      break;
    case 'callExpr':
      nodes.push(kind.value.target, ...kind.value.args);
      break;
    case 'listExpr':
      nodes.push(...kind.value.elements);
      break;
    case 'structExpr':
      for (const entry of kind.value.entries) {
        if (entry.keyKind.case === 'mapKey') nodes.push(entry.keyKind.value);
        nodes.push(entry.value);
      }
      break;
    case 'comprehensionExpr': {
      const { iterRange, accuInit, loopCondition, loopStep, result } = kind.value;
      nodes.push(iterRange, accuInit, loopCondition, loopStep, result);
      break;
    }
    default:
      break;
  }
  return nodes.filter((node) => node !== undefined);
}

function nodeCount(expr: Expr | undefined): number {
  return expr === undefined ? 0 : 1 + children(expr).reduce((sum, c) => sum + nodeCount(c), 0);
}
