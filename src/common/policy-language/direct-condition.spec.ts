import { parse } from '@bufbuild/cel';
import fc from 'fast-check';
import type { AuthzRequest, AuthzSubject } from './authz-request';
import { ConditionBindingsBuilder } from './condition-bindings';
import { MAX_CONDITION_STEPS } from './condition-budget';
import { CompiledCondition, compileCondition } from './compiled-condition';
import { ConditionInput } from './condition-input';
import { ConditionSyntaxError } from './condition-syntax-error';
import { DirectCondition } from './direct-condition';

/**
 * The direct path against @bufbuild/cel's interpreter, which defines what a condition means:
 * whatever the direct path answers, the interpreter answers too, and where it cannot tell, the
 * interpreter's answer (errors included) is what a condition gives.
 */

const request = (parts: Omit<AuthzRequest, 'action'>): AuthzRequest => ({
  action: 'doc:read',
  ...parts,
});

/** What the interpreter answers for the request: the definition. */
function interpreted(condition: CompiledCondition, of: AuthzRequest) {
  const bindings = ConditionBindingsBuilder.build(of);
  return 'error' in bindings ? bindings : condition.interpret(bindings);
}

const direct = (source: string) => DirectCondition.compile(parse(`${source}\n`).expr);

/** Attribute values of every kind JSON has, some equal across kinds (1 and 1.0, "1" and 1). */
const value = fc.oneof(
  { arbitrary: fc.constantFrom('x', 'y', '', '1', 'é', '\u{1F600}', '\uFFFF'), weight: 3 },
  { arbitrary: fc.constantFrom(0, -0, 1, 1.5, -3, 2 ** 53, 2 ** 53 + 2, 1e300), weight: 3 },
  { arbitrary: fc.boolean(), weight: 2 },
  { arbitrary: fc.constant(null), weight: 1 },
  { arbitrary: fc.constantFrom([], [1, 'x'], ['x', 'y'], [[1]], [{ x: 1 }]), weight: 1 },
  { arbitrary: fc.constantFrom({}, { x: 1 }, { x: 'x', y: { x: true } }), weight: 1 },
);
/** Mostly present, so that lookups usually find their key. */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>) =>
  fc.option(arbitrary, { freq: 8, nil: undefined });
const halfTheTime = <T>(arbitrary: fc.Arbitrary<T>) =>
  fc.option(arbitrary, { freq: 2, nil: undefined });
const attributes = fc
  .record({
    a: sometimes(value),
    b: sometimes(value),
    c: sometimes(value),
    n: sometimes(fc.oneof(value, fc.record({ x: value, y: fc.record({ x: value }) }))),
    // Names the bindings give to the subject's or the resource's own id, type and roles.
    id: halfTheTime(value),
    type: halfTheTime(value),
    roles: halfTheTime(value),
  })
  .map((record) => Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)));

const operand = fc.oneof(
  {
    arbitrary: fc
      .constantFrom('subject', 'resource', 'context')
      .chain((variable) =>
        fc
          .constantFrom('a', 'b', 'c', 'n', 'n.x', 'n.y.x', 'id', 'type', 'roles', 'missing')
          .map((path) => `${variable}.${path}`),
      ),
    weight: 6,
  },
  {
    arbitrary: fc.constantFrom('"x"', "'y'", '""', '"1"', '1', '-3', '0', '1.5', '-0.0', 'true'),
    weight: 3,
  },
  {
    arbitrary: fc.constantFrom(
      ...['action', 'subject', 'context', 'false', 'null', '9007199254740993', '1u', 'b"x"'],
      ...['[1, "x"]', '{"x": 1}', 'subject["a"]'],
    ),
    weight: 1,
  },
);
const comparison = fc
  .tuple(operand, fc.constantFrom('==', '!=', '<', '<=', '>', '>=', 'in'), operand)
  .map(([left, op, right]) => `${left} ${op} ${right}`);
const condition: fc.Arbitrary<string> = fc.letrec((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    comparison,
    operand,
    tie('expr').map((inner) => `!(${inner as string})`),
    fc
      .tuple(tie('expr'), fc.constantFrom('&&', '||'), tie('expr'))
      .map(([left, op, right]) => `(${left as string}) ${op} (${right as string})`),
    fc.constantFrom('has(subject.a)', 'subject.a.startsWith("x")', 'size(subject.roles) > 0'),
  ),
})).expr;

/** The condition compiled, or null when a save would refuse it (never a bool, unknown name…). */
function compiled(source: string): CompiledCondition | null {
  try {
    return compileCondition(source);
  } catch (error) {
    if (error instanceof ConditionSyntaxError) return null;
    throw error;
  }
}

describe('DirectCondition', () => {
  it('answers as the interpreter does, and leaves it everything else', () => {
    const decidedDirectly = { true: 0, false: 0 };
    fc.assert(
      fc.property(
        condition,
        fc.record({
          subject: attributes,
          prepared: fc.boolean(),
          roles: fc.constantFrom<string[]>([], ['x'], ['x', 'y']),
          resource: attributes,
          resourceId: fc.option(fc.constantFrom('1', 'x'), { nil: undefined }),
          context: fc.option(attributes, { nil: undefined }),
        }),
        (source, parts) => {
          const condition = compiled(source);
          fc.pre(condition !== null);
          const subject: AuthzSubject = {
            type: 'user',
            id: 'x',
            roles: parts.roles,
            attributes: parts.subject,
          };
          const asked = request({
            subject: parts.prepared ? ConditionBindingsBuilder.prepare(subject) : subject,
            resource: { type: 'doc', id: parts.resourceId, attributes: parts.resource },
            context: parts.context,
          });
          const expected = interpreted(condition, asked);
          expect(condition.evaluate(new ConditionInput(asked))).toEqual(expected);
          const answer = ConditionBindingsBuilder.accepts(asked)
            ? direct(source)?.evaluate(asked)
            : undefined;
          if (answer !== undefined) {
            decidedDirectly[`${answer}`]++;
            expect(answer).toBe(expected);
          }
        },
      ),
      { numRuns: 3000 },
    );
    // Not vacuous: the direct path answered hundreds of these conditions, both ways.
    expect(decidedDirectly.true).toBeGreaterThan(100);
    expect(decidedDirectly.false).toBeGreaterThan(100);
  });

  it('accepts exactly the requests whose bindings can be built', () => {
    const anything = fc.anything({
      maxDepth: 10,
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withNullPrototype: true,
      withObjectString: true,
      withSet: true,
      withSparseArray: true,
      withTypedArray: true,
      withUnicodeString: true,
    });
    const deep = fc.integer({ min: 6, max: 10 }).map((depth) => {
      let value: unknown = 1;
      for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { x: value } : [value];
      return value;
    });
    const many = fc.integer({ min: 990, max: 1010 }).map((n) => Array.from({ length: n }, String));
    const attribute = fc.oneof(value, anything, deep, many, fc.constant(undefined));
    const record = fc.oneof(
      fc.dictionary(fc.string({ maxLength: 3 }), attribute, { maxKeys: 3 }),
      anything,
    );
    fc.assert(
      fc.property(record, record, fc.option(record, { nil: undefined }), (s, r, c) => {
        const asked = request({
          subject: { type: 'user', id: 'x', roles: [], attributes: s as Record<string, unknown> },
          resource: { type: 'doc', attributes: r as Record<string, unknown> },
          context: c as Record<string, unknown> | undefined,
        });
        const built = ConditionBindingsBuilder.build(asked);
        expect(ConditionBindingsBuilder.accepts(asked)).toBe(!('error' in built));
      }),
      { numRuns: 3000 },
    );
  });

  it('handles the usual conditions itself, on prepared subjects too', () => {
    const asked = request({
      subject: { type: 'user', id: 'ann', roles: ['x'], attributes: { department: 'sales' } },
      resource: {
        type: 'doc',
        id: '1',
        attributes: { owner_id: 'ann', archived: true, department: 'sales', n: { x: null } },
      },
      context: { amount: 500 },
    });
    for (const [source, expected] of [
      ['resource.owner_id == subject.id', true],
      ['resource.archived == true', true],
      ['subject.department == resource.department && !resource.archived', false],
      ['context.amount > 10000 || resource.n.x == null', true],
      ['"x" in subject.roles && action == "doc:read"', true],
      ['context.amount <= 500.0 && context.amount >= 500', true],
    ] as const) {
      expect(direct(source)?.evaluate(asked)).toBe(expected);
      const prepared = { ...asked, subject: ConditionBindingsBuilder.prepare(asked.subject) };
      expect(direct(source)?.evaluate(prepared)).toBe(expected);
      expect(interpreted(compileCondition(source), asked)).toBe(expected);
    }
  });

  it('leaves missing keys, type mismatches and other operators to the interpreter', () => {
    const asked = request({
      subject: { type: 'user', id: 'ann', roles: [], attributes: { name: 'Ann', l: [1] } },
      resource: { type: 'doc', attributes: {} },
    });
    for (const source of [
      'subject.missing == 1',
      'subject.name > 1',
      'subject.l == [1]',
      'subject.name == 1 || subject.missing',
      'subject.name',
    ]) {
      expect(direct(source)?.evaluate(asked)).toBeUndefined();
    }
    for (const source of [
      'has(subject.name)',
      'subject.name.startsWith("A")',
      '1u == 1',
      '"name" in subject',
    ]) {
      expect(direct(source)).toBeNull();
    }
    expect(compileCondition('subject.missing == 1').evaluate(new ConditionInput(asked))).toEqual({
      error: 'field not found: missing',
    });
    expect(compileCondition('subject.name > 1').evaluate(new ConditionInput(asked))).toEqual({
      error: "found no matching overload for '_>_' applied to '(string, int)'",
    });
  });

  it(`leaves a condition that may take more than ${MAX_CONDITION_STEPS} steps to the interpreter`, () => {
    const long = 'a'.repeat(30_000);
    const asked = request({
      subject: { type: 'user', id: 'ann', roles: [], attributes: { s: long } },
      resource: { type: 'doc', attributes: { s: long } },
    });
    // Each comparison costs 60,001 steps: three stay within the budget, four do not.
    const comparisons = (n: number) =>
      Array.from({ length: n }, () => 'subject.s == resource.s').join(' && ');
    expect(direct(comparisons(3))?.evaluate(asked)).toBe(true);
    expect(direct(comparisons(4))?.evaluate(asked)).toBeUndefined();
    expect(compileCondition(comparisons(4)).evaluate(new ConditionInput(asked))).toEqual({
      error: `the condition takes more than ${MAX_CONDITION_STEPS} steps`,
    });
  });
});
