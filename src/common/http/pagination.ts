import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { invalidFields } from '../errors/invalid-fields';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

/** `?limit=&cursor=` of a list endpoint. */
export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;

  @ApiPropertyOptional({ description: '`next_cursor` of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  cursor?: string;
}

/** A page of a list: `next_cursor` is null on the last page. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Documents `{items, next_cursor}` for a list of `type` in OpenAPI. */
export function PageDto<T>(type: new () => T, name: string) {
  class PageOf {
    @ApiProperty({ type: [type] })
    items!: T[];

    @ApiProperty({ type: String, nullable: true, description: 'Null on the last page' })
    next_cursor!: string | null;
  }
  Object.defineProperty(PageOf, 'name', { value: name });
  return PageOf;
}

/**
 * Opaque to clients: the sort key of the last item of a page. Lists are keyset-paginated, so
 * rows inserted or deleted between pages neither repeat nor shift other rows.
 */
export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

/** The key a cursor carries; a 422 naming `cursor` when it is not one this list issued. */
export function decodeCursor(cursor: string, isKey: (key: string) => boolean): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (encodeCursor(key) !== cursor || !isKey(key)) {
    throw invalidFields([{ field: 'cursor', message: 'is not a cursor of this list' }]);
  }
  return key;
}

/** The page of `limit` items out of `rows`, which holds up to one more when more follow. */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  keyOf: (row: R) => string,
  toItem: (row: R) => T,
): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(toItem),
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null,
  };
}
