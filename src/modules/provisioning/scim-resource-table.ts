import { ProvisioningScope } from './provisioning-scope';
import { ListPage } from './scim/scim-listing';

type Query = <T>(sql: string, params: unknown[]) => Promise<T[]>;

/**
 * The reads every SCIM resource table (alias `r`) answers alike: one resource, and one page of
 * a filtered list, within what a provisioning scope sees. The scope is parameter `$1` either way
 * (a client's own rows, or every row), so a filter's parameters start at `$2`.
 */
export class ScimResourceTable<Row> {
  constructor(
    private readonly table: 'scim_users' | 'scim_groups',
    private readonly key: 'user_id' | 'id',
    private readonly query: Query,
  ) {}

  /** A scope that sees every row still mentions `$1`: a parameter no statement used has no type. */
  private visible(scope: ProvisioningScope): string {
    return scope.all ? '($1::text IS NOT NULL)' : 'r.client_id = $1';
  }

  /** The row if the scope sees it; locked until the transaction ends with `forUpdate`. */
  async find(id: string, scope: ProvisioningScope, forUpdate: boolean): Promise<Row | null> {
    const rows = await this.query<Row>(
      `SELECT r.* FROM ${this.table} r WHERE r.${this.key} = $2 AND ${this.visible(scope)}${forUpdate ? ' FOR UPDATE' : ''}`,
      [scope.clientId, id],
    );
    return rows[0] ?? null;
  }

  /** Of these ids, the ones the scope sees. */
  async visibleIds(ids: string[], scope: ProvisioningScope): Promise<Set<string>> {
    const rows = await this.query<Record<string, string>>(
      `SELECT r.${this.key} AS id FROM ${this.table} r
        WHERE r.${this.key} = ANY($2::uuid[]) AND ${this.visible(scope)}`,
      [scope.clientId, ids],
    );
    return new Set(rows.map((row) => row.id));
  }

  /** One page of the rows the scope sees that match `where` (built by `filter`), and how many match. */
  async page(
    scope: ProvisioningScope,
    { filter, where, order, offset, limit }: ListPage,
  ): Promise<{ rows: Row[]; total: number }> {
    const params = [scope.clientId, ...filter.params];
    const condition = `${this.visible(scope)} AND ${where}`;
    const [{ total }] = await this.query<{ total: number }>(
      `SELECT count(*)::int AS total FROM ${this.table} r WHERE ${condition}`,
      params,
    );
    if (limit === 0 || offset >= total) return { rows: [], total };
    const direction = order.descending ? 'DESC' : 'ASC';
    const orderBy = order.by
      ? `${order.by} ${direction}, r.${this.key} ${direction}`
      : `r.created_at, r.${this.key}`;
    const rows = await this.query<Row>(
      `SELECT r.* FROM ${this.table} r WHERE ${condition}
        ORDER BY ${orderBy} LIMIT ${limit} OFFSET ${offset}`,
      params,
    );
    return { rows, total };
  }
}
