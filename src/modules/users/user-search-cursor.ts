import { createHash } from 'node:crypto';
import { isUUID } from 'class-validator';
import { invalidFields } from '../../common/errors/invalid-fields';
import { SortOrder, UserSearch, UserSearchPosition, UserSort } from './users.repository';

/** The exact sort key of `created_at` a page ends on: microseconds, UTC. */
const MICROSECOND_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const MAX_EMAIL = 320;

/** The search a cursor continues: its filters and its order. */
export interface SearchShape {
  filter: UserSearch;
  sort: { by: UserSort; order: SortOrder };
}

/**
 * A digest of the filters and the order, so that a cursor only continues the search that issued
 * it: the same cursor with another filter would skip or repeat rows without anyone noticing.
 */
function digestOf({ filter, sort }: SearchShape): string {
  const canonical = JSON.stringify([
    filter.emailPrefix ?? null,
    filter.namePrefix ?? null,
    filter.status ?? null,
    filter.role ?? null,
    filter.created?.from?.toISOString() ?? null,
    filter.created?.to?.toISOString() ?? null,
    filter.lastLogin?.from?.toISOString() ?? null,
    filter.lastLogin?.to?.toISOString() ?? null,
    sort.by,
    sort.order,
    ...(filter.identityProvider === undefined ? [] : [filter.identityProvider]),
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest('base64url').slice(0, 22);
}

/**
 * The cursor of the administrators' user search: opaque to clients, it carries the last row's
 * sort key and id and a digest of the search. Anything but a cursor this search issued (edited,
 * truncated, from another filter or order) is a 422 naming `cursor`. A cursor edited into
 * another well-formed position of the same search is indistinguishable from one, and harmless:
 * it shows rows of the same search, which the caller may list anyway.
 */
export function encodeSearchCursor(shape: SearchShape, position: UserSearchPosition): string {
  const payload = JSON.stringify([position.key, position.id, digestOf(shape)]);
  return Buffer.from(payload, 'utf8').toString('base64url');
}

export function decodeSearchCursor(shape: SearchShape, cursor: string): UserSearchPosition {
  const refused = invalidFields([{ field: 'cursor', message: 'is not a cursor of this search' }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refused;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw refused;
  const [key, id, digest] = parsed as unknown[];
  if (typeof key !== 'string' || typeof id !== 'string' || typeof digest !== 'string') {
    throw refused;
  }
  const keyIsValid =
    shape.sort.by === 'email' ? key.length > 0 && key.length <= MAX_EMAIL : isMicrosecondTime(key);
  if (!keyIsValid || !isUUID(id) || digest !== digestOf(shape)) throw refused;
  const position = { key, id };
  if (encodeSearchCursor(shape, position) !== cursor) throw refused;
  return position;
}

/** A real instant (no 30 February): the database must never be the one to refuse it. */
function isMicrosecondTime(key: string): boolean {
  if (!MICROSECOND_TIME.test(key)) return false;
  const parsed = new Date(key);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 23) === key.slice(0, 23);
}
