import { parse } from '@bufbuild/cel';
import { CelSyntaxChecker } from './cel-syntax-checker';
import { ConditionInput } from './condition-input';
import { MAX_CONDITION_STEPS } from './condition-budget';
import { compileCondition, MAX_CONDITION_LENGTH } from './compiled-condition';
import { ConditionSyntaxError } from './condition-syntax-error';

/** `line:column reason` of the error compiling `source`, or 'ok'. */
function compileError(source: string): string {
  try {
    compileCondition(source);
    return 'ok';
  } catch (error) {
    if (!(error instanceof ConditionSyntaxError)) throw error;
    return `${error.position.line}:${error.position.column} ${error.reason}`;
  }
}

describe('compileCondition', () => {
  it.each([
    // [source, "line:column reason"]
    ['resource.owner_id == ', '1:21 expected an expression, found the end of the condition'],
    ['resource.owner_id = subject.id', '1:19 "=" is not an operator; did you mean "=="?'],
    ['subject.a & subject.b', '1:11 "&" is not an operator; did you mean "&&"?'],
    [
      'subject.id in ["a", "b"',
      '1:24 expected "]" to close the "[" at line 1, column 15, found the end of the condition',
    ],
    ['subject.name.startsWith(', '1:25 expected an expression, found the end of the condition'],
    [
      'has(resource.x) && f(a, b c)',
      '1:27 expected ")" to close the "(" at line 1, column 21, found "c"',
    ],
    ['subject.team == "red', '1:17 string starting here is not closed by "'],
    [
      'subject.level > 3 ? true',
      '1:25 expected ":" for the "?" at line 1, column 19, found the end of the condition',
    ],
    ['subject.tier == 0x', '1:17 expected hex digits after "0x"'],
    ['subject.id == résumé', '1:16 unexpected character "é"'],
    ['subject.if == 1 && if', '1:20 "if" is a reserved word'],
    ['subject.in == 1', '1:9 "in" cannot be used as a field name'],
    [
      'subject.a subject.b',
      '1:11 expected an operator or the end of the condition, found "subject"',
    ],
    ['', '1:1 expected an expression, found the end of the condition'],
  ])('locates the syntax error in %j', (source, expected) => {
    expect(compileError(source)).toBe(expected);
  });

  it('locates errors on later lines of a multi-line condition', () => {
    expect(compileError('resource.owner_id == subject.id &&\n  (subject.level > 3')).toBe(
      '2:21 expected ")" to close the "(" at line 2, column 3, found the end of the condition',
    );
    expect(compileError('subject.a == 1 ||\r\n  subject.b = 2')).toBe(
      '2:13 "=" is not an operator; did you mean "=="?',
    );
    expect(compileError('// owners only\nresource.owner_id ==\n\n   == subject.id')).toBe(
      '4:4 expected an expression, found "=="',
    );
    expect(compileError('subject.note == "first line\nsecond"')).toBe(
      '1:17 string starting here is not closed by " before the end of the line ' +
        '(use triple quotes for a string over several lines)',
    );
  });

  it('gives the offset too, counting from 0', () => {
    try {
      compileCondition('a &&\n  (b');
    } catch (error) {
      expect((error as ConditionSyntaxError).position).toEqual({ offset: 9, line: 2, column: 5 });
    }
    expect.assertions(1);
  });

  it.each([
    [
      'subjct.id == "x"',
      '1:1 unknown name "subjct"; a condition can use subject, resource, action, context',
    ],
    [
      'resource.owner_id == subject.id && usr.id == "x"',
      '1:36 unknown name "usr"; a condition can use subject, resource, action, context',
    ],
    ['lower(subject.name) == "x"', '1:1 unknown function "lower"'],
    ['subject.name.lowerAscii() == "x"', '1:14 unknown function "lowerAscii"'],
    ['exists(subject.roles)', '1:1 "exists" must be written as list.exists(x, predicate)'],
    ['x.Message{a: 1}', '1:1 message construction (x.Message{…}) is not supported'],
    ['"yes"', '1:1 a condition must produce a bool, but this produces a string'],
    [
      'subject.level + 1',
      '1:1 a condition must produce a bool, but this produces a result of "+", which is never a bool',
    ],
    ['size(subject.roles)', '1:1 a condition must produce a bool, but this produces int'],
    [
      'subject.roles.filter(r, r != "x")',
      '1:1 a condition must produce a bool, but this produces a list',
    ],
    ['subject.vip ? 1 : 2', '1:1 a condition must produce a bool, but this produces an int'],
  ])('refuses %j, which parses but could never work', (source, expected) => {
    expect(compileError(source)).toBe(expected);
  });

  it.each([
    'resource.owner_id == subject.id || subject.department == resource.department',
    'subject.roles.exists(r, r == "admin") && has(resource.owner_id)',
    '[1, 2].all(x, x > 0) && {"a": 1}.exists(k, k == "a")',
    'type(subject.level) == int || type(subject.level) == double',
    'timestamp(context.now) < timestamp("2030-01-01T00:00:00Z")',
    'duration("1h") > duration("30m") && int("3") == 3 && string(1) == "1"',
    'subject.name.matches("^a.*") && subject.name.contains("n") && subject.name.endsWith("n")',
    'dyn(subject.x) == 1 || subject.vip ? true : false',
    'action.startsWith("document:") // a trailing comment',
    '"""a\nb""" == subject.note',
    '.subject.id == "x"',
    'subject.m["k"] == 1',
  ])('compiles %j', (source) => {
    expect(compileError(source)).toBe('ok');
  });

  const NESTED =
    'a comprehension (all, exists, exists_one, map, filter) cannot be used inside another one';

  it.each([
    // The reviewer's payload: 100³ steps with a 100-element context list.
    ['context.l.all(a, context.l.all(b, context.l.all(c, true)))', `1:28 ${NESTED}`],
    // In the body, every macro.
    ['subject.roles.exists(r, resource.tags.all(t, t != r))', `1:39 ${NESTED}`],
    ['subject.roles.all(r, [r].exists_one(x, x == "a"))', `1:26 ${NESTED}`],
    ['subject.roles.exists(r, size(context.l.map(x, x)) > 0)', `1:40 ${NESTED}`],
    ['subject.roles.exists(r, context.l.filter(x, x == r) == [])', `1:35 ${NESTED}`],
    // In the range.
    ['context.l.map(x, [x]).exists(y, true)', `1:11 ${NESTED}`],
    ['context.l.filter(x, x > 1).all(y, y > 2)', `1:11 ${NESTED}`],
    // Literal lists need no attributes at all.
    ['[1, 2].all(a, [1, 2].all(b, [1, 2].all(c, a + b + c > 0)))', `1:22 ${NESTED}`],
  ])('refuses %j, a comprehension inside another, at the inner one', (source, expected) => {
    expect(compileError(source)).toBe(expected);
  });

  it('locates a nested comprehension on a later line', () => {
    expect(compileError('resource.tags.all(t,\n  subject.roles\n    .exists(r, r == t))')).toBe(
      `3:6 ${NESTED}`,
    );
  });

  it('compiles comprehensions side by side, and over 1,000 attribute values', () => {
    expect(
      compileError('subject.roles.exists(r, r == "a") && context.l.all(x, x > 0 && x in [1, 2])'),
    ).toBe('ok');
    const input = new ConditionInput({
      subject: { type: 'user', id: 'ann', roles: [], attributes: {} },
      action: 'x:y',
      resource: { type: 'doc', attributes: {} },
      context: { l: Array.from({ length: 999 }, (_, i) => i) },
    });
    expect(compileCondition('context.l.all(x, x >= 0)').evaluate(input)).toBe(true);
    expect(compileCondition('context.l.exists_one(x, x == 998)').evaluate(input)).toBe(true);
    expect(
      compileCondition('context.l.filter(x, x < 10) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]').evaluate(
        input,
      ),
    ).toBe(true);
    expect(compileCondition('size(context.l.map(x, x * 2.0)) == 999').evaluate(input)).toEqual(
      // Each element is appended to a list of all before it: about 500,000 steps.
      { error: `the condition takes more than ${MAX_CONDITION_STEPS} steps` },
    );
  });

  it(`fails a condition taking more than ${MAX_CONDITION_STEPS} steps, whatever its operators`, () => {
    const l = Array.from({ length: 998 }, (_, i) => i);
    const input = new ConditionInput({
      subject: { type: 'user', id: 'ann', roles: [], attributes: {} },
      action: 'x:y',
      resource: { type: 'doc', attributes: {} },
      context: {
        l: l.slice(0, 498),
        m: l.slice(0, 498),
        s: 'a'.repeat(30000),
        p: '(a?)'.repeat(2000),
      },
    });
    const budget = { error: `the condition takes more than ${MAX_CONDITION_STEPS} steps` };
    const repeated = (part: string, separator: string) =>
      Array.from({ length: 150 }, () => part).join(separator);
    for (const source of [
      // A list concatenated to itself to make a long range.
      `(${repeated('context.l', ' + ')}).exists(x, x == -1)`,
      // Work proportional to the list in a comprehension's body.
      `context.l.all(x, ${repeated('context.l == context.m', ' && ')})`,
      // Nodes that call no function, for each element.
      `context.l.all(x, ${repeated('context.m.size() > 0', ' && ')})`,
      // A `||` that would pass over the failed call still fails.
      `context.l.exists(x, ${repeated('!(x in context.m)', ' || ')}) || true`,
      // A regular expression over a long text.
      'context.s.matches(context.p)',
    ]) {
      expect(compileCondition(source).evaluate(input)).toEqual(budget);
    }
    // Every evaluation starts with the whole budget.
    expect(compileCondition('context.l.exists(x, x == 497)').evaluate(input)).toBe(true);
  });

  it(`refuses conditions longer than ${MAX_CONDITION_LENGTH} characters`, () => {
    const long = Array.from({ length: 300 }, (_, i) => `subject.a${i} == 1`).join(' && ');
    expect(long.length).toBeGreaterThan(MAX_CONDITION_LENGTH);
    expect(compileError(long)).toMatch(/^1:4097 a condition may be at most 4096 characters long$/);
  });

  it('refuses nesting too deep for the parser, at the start', () => {
    const deep = `${'('.repeat(1500)}true${')'.repeat(1500)}`;
    expect(compileError(deep)).toBe('1:1 the condition is nested too deeply');
  });

  it('restores the stack trace limit it lowers while evaluating', () => {
    const input = new ConditionInput({
      subject: { type: 'user', id: 'ann', roles: [], attributes: {} },
      action: 'x:y',
      resource: { type: 'doc', attributes: {} },
    });
    const before = Error.stackTraceLimit;
    expect(compileCondition('subject.missing == 1').evaluate(input)).toEqual({
      error: 'field not found: missing',
    });
    expect(Error.stackTraceLimit).toBe(before);
  });

  it('evaluates to true, false, or an error naming the cause', () => {
    const input = new ConditionInput({
      subject: { type: 'user', id: 'ann', roles: [], attributes: { level: 3, name: 'Ann' } },
      action: 'x:y',
      resource: { type: 'doc', id: '1', attributes: { owner_id: 'ann' } },
    });
    expect(compileCondition('resource.owner_id == subject.id').evaluate(input)).toBe(true);
    expect(compileCondition('subject.level > 5').evaluate(input)).toBe(false);
    expect(compileCondition('subject.missing == 1').evaluate(input)).toEqual({
      error: 'field not found: missing',
    });
    expect(compileCondition('subject.name > 1').evaluate(input)).toEqual({
      error: "found no matching overload for '_>_' applied to '(string, int)'",
    });
    expect(compileCondition('subject["name"]').evaluate(input)).toEqual({
      error: 'the condition produced string, not a bool',
    });
    // JSON numbers are doubles; comparisons with int literals work, arithmetic needs doubles.
    expect(compileCondition('subject.level * 2.0 == 6').evaluate(input)).toBe(true);
    expect(compileCondition('subject.level * 2 == 6').evaluate(input)).toEqual({
      error: "found no matching overload for '_*_' applied to '(double, int)'",
    });
    expect(compileCondition('int(subject.name) == 1').evaluate(input)).toMatchObject({
      error: expect.any(String) as string,
    });
  });
});

describe('CelSyntaxChecker', () => {
  // Everything @bufbuild/cel's parser accepts must pass here too, or a valid condition's
  // neighbour error would be reported at the wrong place.
  it.each([
    'a',
    '.a.b',
    'a.b.c(1, 2)',
    'f()',
    'a[0][1]',
    'a.b{c: 1, d: [1, 2,],}',
    '.a.b{}',
    '{"a": 1, "b": 2,}',
    '{}',
    '[]',
    '[1, 2,]',
    '1 + 2 * 3 / 4 % 5 - 6',
    '!!a',
    '--1',
    'a ? b : c ? d : e',
    'a < b < c',
    'a in b in c',
    'a || b && c',
    '1e5 + 1.5e-3 + .5 + 0x1F + 0x1Fu + 1u + 1U + 2.0',
    '-9223372036854775808',
    '"a" + \'b\' + """c\nd""" + \'\'\'e\'\'f\'\'\' + r"\\q" + R\'x\' + b"bytes" + B\'x\' + br"x" + bR"x"',
    '"\\x41\\u0041\\101\\"\\n"',
    'a.as',
    'a.if',
    'a . b',
    'a // comment\n&& b',
    '1.e5',
    '_x + A_b1',
  ])('accepts %j, as the parser does', (source) => {
    expect(() => parse(source)).not.toThrow();
    expect(CelSyntaxChecker.firstError(source)).toBeNull();
  });
});
