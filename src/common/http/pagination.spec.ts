import { DomainError } from '../errors/domain-error';
import { CommonErrorCode } from '../errors/error-code';
import { decodeCursor, encodeCursor, toPage } from './pagination';

const isName = (key: string) => /^[a-z][a-z0-9_-]*$/.test(key);

describe('cursor pagination', () => {
  it('round-trips a key through an opaque, URL-safe cursor', () => {
    const cursor = encodeCursor('trade-own_2');
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain('trade');
    expect(decodeCursor(cursor, isName)).toBe('trade-own_2');
  });

  it.each([
    ['not base64url', '!!!'],
    ['padded', `${encodeCursor('ab')}=`],
    ['empty', ''],
    ['a key this list never issues', encodeCursor('Not A Name')],
  ])('refuses a cursor that is %s with a 422 naming `cursor`', (_case, cursor) => {
    let thrown: unknown;
    try {
      decodeCursor(cursor, isName);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DomainError);
    const refusal = thrown as DomainError;
    expect(refusal.code).toBe(CommonErrorCode.ValidationFailed);
    expect(refusal.details.errors).toEqual([
      { field: 'cursor', message: 'is not a cursor of this list' },
    ]);
  });

  it('gives a next cursor only when more rows than the limit came back', () => {
    const rows = ['a', 'b', 'c'];
    const full = toPage(
      rows,
      2,
      (r) => r,
      (r) => r.toUpperCase(),
    );
    expect(full).toEqual({ items: ['A', 'B'], next_cursor: encodeCursor('b') });
    expect(
      toPage(
        rows,
        3,
        (r) => r,
        (r) => r,
      ),
    ).toEqual({ items: rows, next_cursor: null });
    expect(
      toPage(
        [],
        3,
        (r: string) => r,
        (r) => r,
      ),
    ).toEqual({ items: [], next_cursor: null });
  });
});
