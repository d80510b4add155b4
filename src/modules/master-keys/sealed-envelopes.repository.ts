import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';
import { KeyColumn, SealedColumn } from './sealed-columns';

/** An envelope as read for resealing: its row's key (as text) and the envelope. */
export interface SealedRow {
  id: string[];
  /** The values of the column's `bound` columns, as text. */
  bound: string[];
  envelope: string;
}

/** A resealed envelope, written only if the row still holds the one it replaces. */
export interface ResealedRow extends SealedRow {
  resealed: string;
}

/** Envelopes of this version only: older or other formats (the audit log's `k1.`) are not ours. */
const SEALED = (column: SealedColumn) =>
  `${column.envelope} LIKE 'v1.%'${column.where ? ` AND ${column.where}` : ''}`;
const KEY_ID = (column: SealedColumn) => `split_part(${column.envelope}, '.', 2)`;

const asText = ({ column, type }: KeyColumn) =>
  type === 'bytea' ? `encode("${column}", 'hex')` : `"${column}"::text`;
const fromText = ({ type }: KeyColumn, value: string) =>
  type === 'bytea' ? `decode(${value}, 'hex')` : `${value}::${type}`;

/**
 * The envelopes of the columns in SEALED_COLUMNS, read and rewritten in batches by their key:
 * each batch is one statement, committed on its own, so an interrupted rewrap keeps every
 * batch it finished.
 */
@Injectable()
export class SealedEnvelopesRepository {
  constructor(private readonly transactions: Transactions) {}

  /** False for the job queue's table before pg-boss installed it. */
  async exists(column: SealedColumn): Promise<boolean> {
    const [row] = await this.transactions
      .manager()
      .query<{ found: boolean }[]>('SELECT to_regclass($1) IS NOT NULL AS found', [column.table]);
    return row.found;
  }

  /** How many envelopes of the column each master key sealed. */
  async countByKey(column: SealedColumn): Promise<Map<string, number>> {
    const rows = await this.transactions.manager().query<{ key_id: string; count: string }[]>(
      `SELECT ${KEY_ID(column)} AS key_id, count(*) AS count
         FROM ${column.table} WHERE ${SEALED(column)} GROUP BY 1`,
    );
    return new Map(rows.map((r) => [r.key_id, Number(r.count)]));
  }

  /** The next envelopes after `after` (by primary key) that `keyId` did not seal. */
  async notSealedUnder(
    column: SealedColumn,
    keyId: string,
    after: string[] | null,
    limit: number,
  ): Promise<SealedRow[]> {
    const key = column.id.map((c) => `"${c.column}"`).join(', ');
    const params: unknown[] = [keyId, limit];
    let from = '';
    if (after) {
      const bounds = column.id.map((c, i) => fromText(c, `$${i + 3}`));
      from = ` AND (${key}) > (${bounds.join(', ')})`;
      params.push(...after);
    }
    const rows = await this.transactions.manager().query<Record<string, string>[]>(
      `SELECT ${column.id.map((c, i) => `${asText(c)} AS id${i}`).join(', ')},
              ${(column.bound ?? []).map((c, i) => `"${c}"::text AS bound${i}, `).join('')}${column.envelope} AS envelope
         FROM ${column.table}
        WHERE ${SEALED(column)} AND ${KEY_ID(column)} <> $1${from}
        ORDER BY ${key} LIMIT $2`,
      params,
    );
    return rows.map((row) => ({
      id: column.id.map((_, i) => row[`id${i}`]),
      bound: (column.bound ?? []).map((_, i) => row[`bound${i}`]),
      envelope: row.envelope,
    }));
  }

  /**
   * Writes the resealed envelopes in one statement. A row whose envelope changed meanwhile
   * (a credential replaced, a secret rotated) keeps its newer value. Returns how many were
   * written.
   */
  async replace(column: SealedColumn, rows: ResealedRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const ids = column.id.map((_, i) => `rewrap_id${i}`);
    const [written] = await this.transactions.manager().query<{ count: number }[]>(
      `WITH written AS (
         UPDATE ${column.table} SET ${column.assign('u.rewrap_value')}
           FROM unnest(${['$1', '$2', ...ids.map((_, i) => `$${i + 3}`)].map((p) => `${p}::text[]`).join(', ')})
                AS u(rewrap_old, rewrap_value, ${ids.join(', ')})
          WHERE ${column.envelope} = u.rewrap_old
            AND ${column.id.map((c, i) => `"${c.column}" = ${fromText(c, `u.${ids[i]}`)}`).join(' AND ')}
         RETURNING 1)
       SELECT count(*)::int AS count FROM written`,
      [
        rows.map((r) => r.envelope),
        rows.map((r) => r.resealed),
        ...column.id.map((_, i) => rows.map((r) => r.id[i])),
      ],
    );
    return written.count;
  }
}
