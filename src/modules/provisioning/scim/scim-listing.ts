import { ScimErrorCode } from '../../../common/errors/error-code';
import { resolveAttributePath } from './scim-attribute-path';
import { compileFilter } from './scim-filter';
import { ScimObject } from './scim-filter-evaluator';
import { FilterSql, ScimStorage } from './scim-filter-sql';
import { ListRequest } from './scim-list-request';
import { compileProjection } from './scim-projection';
import { ResourceTypeDefinition } from './scim-schema';

/** What one page of a list reads: the rows matching `where` (built by `filter`), in order. */
export interface ListPage {
  filter: FilterSql;
  where: string;
  /** An expression of FilterSql.orderBy, or null for creation order. */
  order: { by: string | null; descending: boolean };
  offset: number;
  limit: number;
}

/** One page of a resource table, as a repository reads it. */
export type PageQuery = (page: ListPage) => Promise<{ resources: ScimObject[]; total: number }>;

/**
 * A list or search of one resource type: the filter compiled to SQL (its parameters after the
 * repository's scope, `$1`), `sortBy` to an order, the page read, each resource cut to the
 * attributes asked for. Every part of the request is checked before the database is asked.
 */
export async function listResources(
  resource: ResourceTypeDefinition,
  storage: ScimStorage,
  request: ListRequest,
  page: PageQuery,
): Promise<{ resources: ScimObject[]; total: number }> {
  const projection = compileProjection(resource, request);
  const filter = new FilterSql(storage, 2);
  const where = request.filter ? filter.where(compileFilter(request.filter, resource)) : 'TRUE';
  const by = request.sortBy
    ? filter.orderBy(resolveAttributePath(resource, request.sortBy, ScimErrorCode.InvalidValue))
    : null;
  const { resources, total } = await page({
    filter,
    where,
    order: { by, descending: request.descending },
    offset: request.startIndex - 1,
    limit: request.count,
  });
  return { resources: resources.map(projection), total };
}
