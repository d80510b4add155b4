import fc from 'fast-check';
import { cannotNamePrototypeKeys, nestsDeeperThan } from './json-body';

/** How many arrays and objects the value holds inside one another, counted on the value. */
function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

describe('nestsDeeperThan', () => {
  it('agrees with the depth of the parsed value, whatever strings hold', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 6 }), (value, limit) => {
        const deeper = depthOf(value) > limit;
        expect(nestsDeeperThan(JSON.stringify(value), limit)).toBe(deeper);
        expect(nestsDeeperThan(JSON.stringify(value, null, 2), limit)).toBe(deeper);
      }),
      { seed: 64, numRuns: 500 },
    );
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(nestsDeeperThan('{"a":"[[[{{{"}', 1)).toBe(false);
    expect(nestsDeeperThan('{"a":"\\"[[[["}', 1)).toBe(false);
    expect(nestsDeeperThan('{"a\\\\":[[1]]}', 2)).toBe(true);
    expect(nestsDeeperThan('{"a\\\\\\"[[":[[1]]}', 3)).toBe(false);
    expect(nestsDeeperThan('{"a":"[[[', 1)).toBe(false);
  });

  it('finds thousands of levels in one pass', () => {
    expect(nestsDeeperThan('['.repeat(100_000), 64)).toBe(true);
    expect(nestsDeeperThan(`${'{"a":'.repeat(64)}1${'}'.repeat(64)}`, 64)).toBe(false);
    expect(nestsDeeperThan(`${'{"a":'.repeat(65)}1${'}'.repeat(65)}`, 64)).toBe(true);
  });
});

describe('cannotNamePrototypeKeys', () => {
  it('passes text without the names or escapes', () => {
    expect(
      cannotNamePrototypeKeys('{"checks":[{"action":"read","resource":{"type":"doc"}}]}'),
    ).toBe(true);
  });

  it.each([
    '{"__proto__":{}}',
    '{"constructor":{"prototype":{}}}',
    '{"\\u005f_proto__":{}}',
    '{"c\\u006fnstructor":{}}',
    '{"note":"a \\u00e9 anywhere"}',
  ])('sends %s to the checking parser', (text) => {
    expect(cannotNamePrototypeKeys(text)).toBe(false);
  });
});
