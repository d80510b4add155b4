import { timingSafeEqual } from 'node:crypto';
import { isUUID } from 'class-validator';
import { DomainError } from '../../common/errors/domain-error';
import { AuditErrorCode } from '../../common/errors/error-code';

export type CursorDirection = 'older' | 'newer';

export interface CursorPosition {
  direction: CursorDirection;
  /** The id the page starts after (exclusive), in `direction`. */
  id: string;
}

/** How a cursor is signed: an HMAC under the audit index key (AuditKeyring.mac). */
export type CursorMac = (payload: string) => Promise<Buffer>;

/**
 * Cursors of the audit log's lists: opaque, signed, and bound to the filter (and, for a user's
 * activity, the user) they were issued for. One altered, made up, or used with other filters is
 * refused as a 400 before any query runs, never answered with a wrong page.
 */
export class AuditCursors {
  constructor(
    private readonly mac: CursorMac,
    private readonly scope: string,
  ) {}

  async encode(position: CursorPosition): Promise<string> {
    const payload = Buffer.from(`${position.direction}:${position.id}`, 'utf8').toString(
      'base64url',
    );
    const tag = await this.mac(`${this.scope}\0${payload}`);
    return `${payload}.${tag.toString('base64url')}`;
  }

  async decode(cursor: string): Promise<CursorPosition> {
    const refuse = () =>
      new DomainError(
        AuditErrorCode.InvalidCursor,
        'The cursor was not issued by this list for these filters.',
        { errors: [{ field: 'cursor', message: 'is not a cursor of this list and filter' }] },
      );
    const [payload, tag, ...rest] = cursor.split('.');
    if (!payload || !tag || rest.length > 0) throw refuse();
    const expected = await this.mac(`${this.scope}\0${payload}`);
    const given = Buffer.from(tag, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw refuse();
    const [direction, id] = Buffer.from(payload, 'base64url').toString('utf8').split(':');
    if ((direction !== 'older' && direction !== 'newer') || !isUUID(id)) throw refuse();
    return { direction, id };
  }
}
