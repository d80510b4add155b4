import { DecisionIds } from './decision-ids';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('DecisionIds', () => {
  it('makes random version 4 UUIDs, never the same one twice, across refills', () => {
    const ids = new DecisionIds();
    const made = Array.from({ length: 5000 }, () => ids.next());
    for (const id of made) expect(id).toMatch(UUID_V4);
    expect(new Set(made).size).toBe(made.length);
  });

  it('uses every random bit but the version and variant', () => {
    // Over many ids, each hex digit position takes every value it may hold.
    const ids = new DecisionIds();
    const seen = Array.from({ length: 36 }, () => new Set<string>());
    for (let i = 0; i < 5000; i++) [...ids.next()].forEach((c, at) => seen[at].add(c));
    const sizes = seen.map((values) => values.size);
    const expected = [...'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'].map((c) =>
      c === 'x' ? 16 : c === 'y' ? 4 : 1,
    );
    expect(sizes).toEqual(expected);
  });

  it('gives separate generators separate ids', () => {
    const a = new DecisionIds();
    const b = new DecisionIds();
    expect(a.next()).not.toBe(b.next());
  });
});
