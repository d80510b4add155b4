import { fieldChanges } from './field-changes';

describe('fieldChanges', () => {
  const before = { name: 'trader', permissions: ['a:b', 'c:d'], priority: 1 };

  it('is null when no listed field differs, arrays compared by value', () => {
    const same = { name: 'trader', permissions: ['a:b', 'c:d'], priority: 1 };
    expect(fieldChanges(before, same, ['name', 'permissions', 'priority'])).toBeNull();
  });

  it('lists only the fields that differ, before and after', () => {
    const after = { name: 'trader', permissions: ['c:d', 'a:b'], priority: 2 };
    expect(fieldChanges(before, after, ['name', 'permissions', 'priority'])).toEqual({
      before: { permissions: ['a:b', 'c:d'], priority: 1 },
      after: { permissions: ['c:d', 'a:b'], priority: 2 },
    });
  });

  it('ignores fields it is not asked about', () => {
    const after = { ...before, priority: 5 };
    expect(fieldChanges(before, after, ['name'])).toBeNull();
  });
});
