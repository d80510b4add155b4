import { mergePersonal, redactPersonal, splitPersonal } from './personal-fields';

describe('splitPersonal', () => {
  it('moves personal values out at their paths, leaving null in their place', () => {
    const details = {
      role_id: 'r1',
      email: 'ada@example.com',
      changes: { name: { from: 'Ada', to: 'Ada L.' }, status: { from: 'active', to: 'suspended' } },
      tags: ['a'],
    };
    const { details: clear, personal } = splitPersonal(details);
    expect(clear).toEqual({
      role_id: 'r1',
      email: null,
      changes: { name: null, status: { from: 'active', to: 'suspended' } },
      tags: ['a'],
    });
    expect(personal).toEqual({
      email: 'ada@example.com',
      changes: { name: { from: 'Ada', to: 'Ada L.' } },
    });
    expect(mergePersonal(clear, personal)).toEqual(details);
  });

  it('has nothing personal to keep for details without such values', () => {
    expect(splitPersonal({ role_id: 'r1', expires_at: null })).toEqual({
      details: { role_id: 'r1', expires_at: null },
      personal: null,
    });
  });

  it('shows erased values as null: the clear details alone', () => {
    const { details } = splitPersonal({ email: 'ada@example.com', kind: 'x' });
    expect(mergePersonal(details, null)).toEqual({ email: null, kind: 'x' });
  });
});

describe('redactPersonal', () => {
  it('blanks personal values at any depth, and the extra keys of the top level', () => {
    const data = {
      user_id: 'u1',
      from: 'ada@example.com',
      to: 'ada@example.org',
      changes: { before: { name: 'Ada', phone: '+441234' }, after: { locale: 'en' } },
      nested: { from: 'stays' },
    };
    expect(redactPersonal(data, ['from', 'to'])).toEqual({
      user_id: 'u1',
      from: null,
      to: null,
      changes: { before: { name: null, phone: null }, after: { locale: 'en' } },
      nested: { from: 'stays' },
    });
  });
});
