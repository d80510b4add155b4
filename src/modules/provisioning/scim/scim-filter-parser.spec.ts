import fc from 'fast-check';
import { DomainError } from '../../../common/errors/domain-error';
import {
  COMPARE_OPERATORS,
  FilterNode,
  MAX_FILTER_DEPTH,
  MAX_FILTER_TERMS,
  parseFilter,
  parsePatchPath,
} from './scim-filter-parser';

const PATHS = [
  'userName',
  'name.givenName',
  'emails',
  'emails.value',
  'meta.lastModified',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber',
  'urn:ietf:params:scim:schemas:core:2.0:User:userName',
  '$ref',
];
const SUB_PATHS = ['type', 'value', 'primary', 'display'];

const value = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.string({ unit: fc.constantFrom('"', '\\', ' ', ')', ']', 'é', '\u0001', 'a') }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
  fc.boolean(),
  fc.constant(null),
);

function leaf(paths: string[]) {
  return fc.oneof(
    fc.record({ op: fc.constant('pr' as const), path: fc.constantFrom(...paths) }),
    fc.record({
      op: fc.constantFrom(...COMPARE_OPERATORS),
      path: fc.constantFrom(...paths),
      value,
    }),
  );
}

function tree(paths: string[], valuePaths: boolean): fc.Arbitrary<FilterNode> {
  const { node } = fc.letrec<{ node: FilterNode }>((self) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf(paths) as fc.Arbitrary<FilterNode>,
      fc.record({
        op: fc.constantFrom('and' as const, 'or' as const),
        left: self('node'),
        right: self('node'),
      }),
      fc.record({ op: fc.constant('not' as const), filter: self('node') }),
      ...(valuePaths
        ? [
            fc.record({
              op: fc.constant('valuePath' as const),
              path: fc.constant('emails'),
              filter: tree(SUB_PATHS, false),
            }) as fc.Arbitrary<FilterNode>,
          ]
        : []),
    ),
  }));
  return node;
}

/**
 * Renders a filter as a client could write it: keywords upper-cased where `upper` says, groups
 * around every operand of `and` and `or`.
 */
function render(node: FilterNode, upper: () => boolean): string {
  const word = (w: string) => (upper() ? w.toUpperCase() : w);
  switch (node.op) {
    case 'and':
    case 'or':
      return `(${render(node.left, upper)}) ${word(node.op)} (${render(node.right, upper)})`;
    case 'not':
      return `${word('not')} (${render(node.filter, upper)})`;
    case 'valuePath':
      return `${node.path}[${render(node.filter, upper)}]`;
    case 'pr':
      return `${node.path} ${word('pr')}`;
    default:
      return `${node.path} ${word(node.op)} ${JSON.stringify(node.value)}`;
  }
}

function scimTypeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return undefined;
}

describe('SCIM filter parser', () => {
  it('reads back every filter it is given, whatever the case of its keywords', () => {
    fc.assert(
      fc.property(
        tree(PATHS, true),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }),
        (filter, flips) => {
          let next = 0;
          const text = render(filter, () => flips[next++ % flips.length]);
          expect(parseFilter(text)).toEqual(filter);
        },
      ),
      { seed: 7_644, numRuns: 400 },
    );
  });

  it('binds not tighter than and, and and tighter than or', () => {
    const a = { op: 'pr', path: 'a' };
    const b = { op: 'pr', path: 'b' };
    const c = { op: 'pr', path: 'c' };
    expect(parseFilter('a pr or b pr and c pr')).toEqual({
      op: 'or',
      left: a,
      right: { op: 'and', left: b, right: c },
    });
    expect(parseFilter('a pr and b pr or c pr')).toEqual({
      op: 'or',
      left: { op: 'and', left: a, right: b },
      right: c,
    });
    expect(parseFilter('not (a pr) and b pr')).toEqual({
      op: 'and',
      left: { op: 'not', filter: a },
      right: b,
    });
    expect(parseFilter('a pr and b pr and c pr')).toEqual({
      op: 'and',
      left: { op: 'and', left: a, right: b },
      right: c,
    });
  });

  it('reads values as RFC 7159 JSON: strings with escapes, numbers, true, false, null', () => {
    expect(parseFilter('title eq "a\\"b\\u00e9"')).toEqual({
      op: 'eq',
      path: 'title',
      value: 'a"bé',
    });
    expect(parseFilter('x gt -1.5e3')).toMatchObject({ value: -1500 });
    expect(parseFilter('x eq TRUE')).toMatchObject({ value: true });
    expect(parseFilter('x ne null')).toMatchObject({ value: null });
  });

  it.each([
    '',
    'userName',
    'userName eq',
    'userName eq "a" and',
    'userName equals "a"',
    'userName eq a',
    'userName eq "a',
    'userName eq "\\x"',
    '(userName pr',
    'userName pr)',
    'not userName pr',
    'emails[type eq "a"',
    'emails[type[value eq "a"] pr]',
    '1abc pr',
    'name.given.x pr',
    'userName eq 01',
  ])('refuses %j as invalidFilter', (text) => {
    expect(scimTypeOf(() => parseFilter(text))).toBe('invalidFilter');
  });

  it('refuses filters beyond its bounds', () => {
    const deep = `${'not ('.repeat(MAX_FILTER_DEPTH + 1)}a pr${')'.repeat(MAX_FILTER_DEPTH + 1)}`;
    expect(scimTypeOf(() => parseFilter(deep))).toBe('invalidFilter');
    const wide = Array.from({ length: MAX_FILTER_TERMS + 1 }, () => 'a pr').join(' or ');
    expect(scimTypeOf(() => parseFilter(wide))).toBe('invalidFilter');
    expect(scimTypeOf(() => parseFilter(`a eq "${'x'.repeat(5000)}"`))).toBe('invalidFilter');
  });

  it('reads PATCH paths: attributes, value filters and a sub-attribute after them', () => {
    expect(parsePatchPath('name.familyName')).toEqual({
      path: 'name.familyName',
      filter: null,
      sub: null,
    });
    expect(parsePatchPath('emails[type eq "work"].value')).toEqual({
      path: 'emails',
      filter: { op: 'eq', path: 'type', value: 'work' },
      sub: 'value',
    });
    expect(parsePatchPath('members[value eq "2819c223"]')).toMatchObject({ sub: null });
    for (const bad of ['', 'emails[type eq "work"', 'emails[type eq "work"].', 'a b']) {
      expect(scimTypeOf(() => parsePatchPath(bad))).toBe('invalidPath');
    }
  });
});
