import { type CelMap, isCelList, isCelMap, type parse } from '@bufbuild/cel';
import type { AuthzRequest } from './authz-request';
import { MAX_CONDITION_STEPS } from './condition-budget';
import { PreparedSubject } from './prepared-subject';

type Expr = ReturnType<typeof parse>['expr'];

/** The values this path compares: CEL's string, double, int, bool and null, as JS holds them. */
type Scalar = string | number | bigint | boolean | null;
/**
 * A node's value: a scalar, a map or list (a CelMap or CelList of a prepared subject, or the
 * plain object or array of a request's attributes), or UNDECIDED.
 */
type Node = (request: AuthzRequest) => unknown;
type Ordered = string | number | bigint | boolean;

/** This path cannot tell what the interpreter would answer: it decides instead. */
const UNDECIDED = Symbol('undecided');

/**
 * Steps the current evaluation has charged, as the metered standard library would have (see
 * condition-budget.ts): evaluations are synchronous and never nested, so one counter serves.
 */
let steps = 0;

/**
 * The conditions most policies hold (attribute lookups compared with each other or with
 * literals, joined by `&&`, `||` and `!`), evaluated directly on the request: @bufbuild/cel's
 * interpreter resolves names, dispatches overloads and wraps values at every call, which costs
 * about ten times more than the comparison itself, and needs the request's attributes
 * converted into its maps and lists first.
 *
 * It reads the request as ConditionBindingsBuilder presents it to the interpreter (`id`,
 * `type` and `roles` of the subject and `type` and `id` of the resource over attributes of
 * those names; own keys only; a prepared subject through its converted map), and only once
 * ConditionBindingsBuilder.accepts the request: a request it refuses fails every condition.
 * It answers only where it is certain of the interpreter's answer: when every lookup finds its
 * key and every operator gets operands of the types it handles here (the interpreter's own
 * overloads, applied with the same JavaScript operations), and when the steps charged stay
 * within the budget. Anything else (a missing key, a type mismatch, lists or maps compared, an
 * exhausted budget) is left to the interpreter, which then gives the answer, error and all.
 * Only evaluation is bypassed: compiling, checking and planning are unchanged.
 */
export class DirectCondition {
  private constructor(private readonly root: Node) {}

  /** Null unless the whole condition is made of what this path evaluates. */
  static compile(expr: Expr | undefined): DirectCondition | null {
    const root = expr === undefined ? null : compileNode(expr);
    return root === null ? null : new DirectCondition(root);
  }

  /**
   * The condition's result for a request ConditionBindingsBuilder accepts, or undefined when
   * the interpreter must evaluate it.
   */
  evaluate(request: AuthzRequest): boolean | undefined {
    steps = 0;
    const value = this.root(request);
    return typeof value === 'boolean' && steps <= MAX_CONDITION_STEPS ? value : undefined;
  }
}

function compileNode(expr: Expr): Node | null {
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'constExpr':
      return constant(kind.value.constantKind);
    case 'identExpr':
      // The other variables are maps, only ever looked into here (below).
      return kind.value.name === 'action' ? (request) => request.action : null;
    case 'selectExpr': {
      // `has(a.b)` is a select too, testing presence: left to the interpreter.
      const { operand, field, testOnly } = kind.value;
      if (testOnly || operand === undefined) return null;
      if (operand.exprKind.case === 'identExpr') {
        return variableField(operand.exprKind.value.name, field);
      }
      const compiled = compileNode(operand);
      return compiled === null ? null : select(compiled, field);
    }
    case 'callExpr': {
      if (kind.value.target !== undefined) return null;
      const args: Node[] = [];
      for (const arg of kind.value.args) {
        const compiled = compileNode(arg);
        if (compiled === null) return null;
        args.push(compiled);
      }
      return call(kind.value.function, args);
    }
    default:
      return null;
  }
}

function constant(kind: Extract<Expr['exprKind'], { case: 'constExpr' }>['value']['constantKind']) {
  let value: Scalar;
  switch (kind.case) {
    case 'stringValue':
    case 'doubleValue':
    case 'boolValue':
    case 'int64Value':
      value = kind.value;
      break;
    case 'nullValue':
      value = null;
      break;
    default:
      return null;
  }
  return () => value;
}

/** `subject.<field>`, `resource.<field>` or `context.<field>`, as the bindings would hold it. */
function variableField(variable: string, field: string): Node | null {
  switch (variable) {
    case 'subject':
      return (request) => {
        const { subject } = request;
        if (subject instanceof PreparedSubject) {
          const map = subject.conditionMap;
          return isCelMap(map) ? mapField(map, field) : UNDECIDED;
        }
        if (field === 'id') return subject.id;
        if (field === 'type') return subject.type;
        if (field === 'roles') return subject.roles;
        return ownField(subject.attributes, field);
      };
    case 'resource':
      return (request) => {
        const { resource } = request;
        if (field === 'type') return resource.type;
        if (field === 'id' && resource.id !== undefined) return resource.id;
        return ownField(resource.attributes, field);
      };
    case 'context':
      return (request) => ownField(request.context, field);
    default:
      return null;
  }
}

/** A field of a map, as the interpreter reads it; a missing one is its error. */
function select(operand: Node, field: string): Node {
  return (request) => {
    const value = operand(request);
    if (isCelMap(value)) return mapField(value, field);
    if (typeof value !== 'object' || value === null || isCelList(value) || Array.isArray(value)) {
      return UNDECIDED;
    }
    return ownField(value, field);
  };
}

function mapField(map: CelMap, field: string): unknown {
  const value = map.get(field);
  return value === undefined ? UNDECIDED : value;
}

/** An attribute, read as ConditionBindingsBuilder copies it: own keys, undefined left out. */
function ownField(object: object | undefined, field: string): unknown {
  if (object === undefined || object === null || !Object.hasOwn(object, field)) return UNDECIDED;
  const value = (object as Record<string, unknown>)[field];
  return value === undefined ? UNDECIDED : value;
}

function call(name: string, args: Node[]): Node | null {
  if (name === '_&&_' || name === '_||_') {
    // Left to right, stopping at the first operand that settles it, as the interpreter does.
    const settles = name === '_||_';
    return (request) => {
      for (const arg of args) {
        const value = arg(request);
        if (typeof value !== 'boolean') return UNDECIDED;
        if (value === settles) return settles;
      }
      return !settles;
    };
  }
  if (name === '!_' && args.length === 1) {
    const [operand] = args;
    return (request) => {
      const value = operand(request);
      if (typeof value !== 'boolean') return UNDECIDED;
      steps += 1;
      return !value;
    };
  }
  if (args.length !== 2) return null;
  const [left, right] = args;
  switch (name) {
    case '_==_':
      return binary(left, right, (l, r) => equals(l, r));
    case '_!=_':
      return binary(left, right, (l, r) => !equals(l, r));
    case '_<_':
      return binary(left, right, (l, r) => compare(l, r, less));
    case '_<=_':
      return binary(left, right, (l, r) => compare(l, r, lessOrEqual));
    case '_>_':
      return binary(left, right, (l, r) => compare(l, r, greater));
    case '_>=_':
      return binary(left, right, (l, r) => compare(l, r, greaterOrEqual));
    case '@in':
      return memberOf(left, right);
    default:
      return null;
  }
}

/**
 * An operator on two scalars, charged like the metered standard library (one step plus the
 * length of string operands) when the interpreter has an overload for them, which is when `op`
 * answers a boolean.
 */
function binary(left: Node, right: Node, op: (l: Scalar, r: Scalar) => boolean | null): Node {
  return (request) => {
    const l = left(request);
    if (!isScalar(l)) return UNDECIDED;
    const r = right(request);
    if (!isScalar(r)) return UNDECIDED;
    const result = op(l, r);
    if (result === null) return UNDECIDED;
    steps += 1 + lengthOf(l) + lengthOf(r);
    return result;
  };
}

/** `x in list` over a list of scalars, charged for the value, the list and its strings. */
function memberOf(value: Node, list: Node): Node {
  return (request) => {
    const x = value(request);
    if (!isScalar(x)) return UNDECIDED;
    const elements = list(request);
    const celList = isCelList(elements);
    if (!celList && !Array.isArray(elements)) return UNDECIDED;
    const size = celList ? elements.size : (elements as unknown[]).length;
    let charge = 1 + lengthOf(x) + size;
    let found = false;
    for (let i = 0; i < size; i++) {
      const element = celList ? elements.get(i) : (elements as unknown[])[i];
      if (!isScalar(element)) return UNDECIDED;
      charge += lengthOf(element);
      if (!found && equals(element, x)) found = true;
    }
    steps += charge;
    return found;
  };
}

const less = (a: Ordered, b: Ordered) => a < b;
const lessOrEqual = (a: Ordered, b: Ordered) => a <= b;
const greater = (a: Ordered, b: Ordered) => a > b;
const greaterOrEqual = (a: Ordered, b: Ordered) => a >= b;

const isScalar = (value: unknown): value is Scalar =>
  value === null ||
  typeof value === 'string' ||
  typeof value === 'number' ||
  typeof value === 'bigint' ||
  typeof value === 'boolean';

const lengthOf = (value: Scalar) => (typeof value === 'string' ? value.length : 0);

const isNumber = (value: Scalar): value is number | bigint =>
  typeof value === 'number' || typeof value === 'bigint';

/** CEL equality of scalars (@bufbuild/cel's `equals`): numbers across types, else identity. */
function equals(l: Scalar, r: Scalar): boolean {
  // Loose equality compares a double with an int exactly, as the interpreter does.
  return isNumber(l) && isNumber(r) ? l == r : l === r;
}

/**
 * An ordering operator where @bufbuild/cel has an overload: two strings, two bools, two doubles,
 * two ints, or a double and an int (compared as doubles, as its overloads do); null elsewhere.
 */
function compare(l: Scalar, r: Scalar, op: (a: Ordered, b: Ordered) => boolean): boolean | null {
  if (typeof l === 'number' && typeof r === 'bigint') return op(l, Number(r));
  if (typeof l === 'bigint' && typeof r === 'number') return op(Number(l), r);
  if (l === null || r === null || typeof l !== typeof r) return null;
  return op(l, r);
}
