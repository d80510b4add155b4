import { DomainError } from '../../common/errors/domain-error';
import { decodeSearchCursor, encodeSearchCursor, SearchShape } from './user-search-cursor';

const ID = '01890a5d-ac96-774b-bcce-b302099a8057';
const BY_CREATION: SearchShape = {
  filter: { emailPrefix: 'ada', created: { from: new Date('2025-01-01T00:00:00Z') } },
  sort: { by: 'created_at', order: 'desc' },
};
const BY_EMAIL: SearchShape = { filter: {}, sort: { by: 'email', order: 'asc' } };
const AT = '2025-03-04T05:06:07.123456Z';

function refusal(shape: SearchShape, cursor: string): unknown {
  try {
    decodeSearchCursor(shape, cursor);
  } catch (error) {
    return error;
  }
  throw new Error('the cursor was accepted');
}

function expectRefused(shape: SearchShape, cursor: string): void {
  const error = refusal(shape, cursor);
  expect(error).toBeInstanceOf(DomainError);
  expect(error).toMatchObject({
    code: 'validation_failed',
    details: { errors: [{ field: 'cursor', message: 'is not a cursor of this search' }] },
  });
}

const raw = (parts: unknown) => Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');

describe('the user search cursor', () => {
  it('gives back the position it was made of, for the search that made it', () => {
    const cursor = encodeSearchCursor(BY_CREATION, { key: AT, id: ID });
    expect(decodeSearchCursor(BY_CREATION, cursor)).toEqual({ key: AT, id: ID });
    const byEmail = encodeSearchCursor(BY_EMAIL, { key: 'ada@example.com', id: ID });
    expect(decodeSearchCursor(BY_EMAIL, byEmail)).toEqual({ key: 'ada@example.com', id: ID });
  });

  it('refuses it for another filter, sort key or order', () => {
    const cursor = encodeSearchCursor(BY_CREATION, { key: AT, id: ID });
    expectRefused({ ...BY_CREATION, filter: { emailPrefix: 'adb' } }, cursor);
    expectRefused({ ...BY_CREATION, sort: { by: 'created_at', order: 'asc' } }, cursor);
    expectRefused({ ...BY_CREATION, sort: { by: 'email', order: 'desc' } }, cursor);
  });

  it('refuses anything edited, truncated or made up', () => {
    const cursor = encodeSearchCursor(BY_CREATION, { key: AT, id: ID });
    const [, , digest] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as string[];
    expectRefused(BY_CREATION, cursor.slice(0, -1));
    expectRefused(BY_CREATION, `${cursor}A`);
    expectRefused(BY_CREATION, '!!!');
    expectRefused(BY_CREATION, raw({ key: AT, id: ID, digest }));
    expectRefused(BY_CREATION, raw([AT, ID]));
    expectRefused(BY_CREATION, raw([AT, 'not-a-uuid', digest]));
    expectRefused(BY_CREATION, raw(['2025-03-04T05:06:07Z', ID, digest]));
    expectRefused(BY_CREATION, raw(['2025-02-30T05:06:07.123456Z', ID, digest]));
    expectRefused(BY_CREATION, raw([7, ID, digest]));
    expectRefused(BY_CREATION, raw([AT, ID, `${digest.slice(0, -1)}B`]));
    // The same JSON written another way is not the cursor that was issued.
    expectRefused(
      BY_CREATION,
      Buffer.from(` ${JSON.stringify([AT, ID, digest])}`).toString('base64url'),
    );
  });

  it('refuses an empty or overlong address as the key of an email search', () => {
    const digest = (
      JSON.parse(
        Buffer.from(encodeSearchCursor(BY_EMAIL, { key: 'a', id: ID }), 'base64url').toString(),
      ) as string[]
    )[2];
    expectRefused(BY_EMAIL, raw(['', ID, digest]));
    expectRefused(BY_EMAIL, raw(['a'.repeat(321), ID, digest]));
  });
});
