import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';
import { AuditExport } from './audit-export.entity';

const COLUMNS = `id, requester_type AS "requesterType", requester_id AS "requesterId", format, filter,
  fingerprint, status, rows, chunks, error, created_at AS "createdAt", completed_at AS "completedAt"`;

/** What makes two exports the same: who asked, for which filter, in which format. */
export type ExportIdentity = Pick<
  AuditExport,
  'requesterType' | 'requesterId' | 'format' | 'filter' | 'fingerprint'
>;

export type NewAuditExport = ExportIdentity & Pick<AuditExport, 'id' | 'sealedKey'>;

@Injectable()
export class AuditExportRepository {
  constructor(private readonly transactions: Transactions) {}

  /**
   * A new pending export, or null when the requester has one pending for the same filter and
   * format (the unique index decides, so two requests at once make one).
   */
  async insertPending(fields: NewAuditExport): Promise<AuditExport | null> {
    const rows = await this.transactions.manager().query<AuditExport[]>(
      `INSERT INTO audit_exports (id, requester_type, requester_id, format, filter, fingerprint, sealed_key)
       VALUES ($7, $1, $2, $3, $4, $5, $6)
       ON CONFLICT (requester_type, requester_id, fingerprint, format) WHERE status = 'pending'
       DO NOTHING RETURNING ${COLUMNS}`,
      [
        fields.requesterType,
        fields.requesterId,
        fields.format,
        JSON.stringify(fields.filter),
        fields.fingerprint,
        fields.sealedKey,
        fields.id,
      ],
    );
    return rows[0] ?? null;
  }

  async findPending(fields: ExportIdentity): Promise<AuditExport | null> {
    const rows = await this.transactions.manager().query<AuditExport[]>(
      `SELECT ${COLUMNS} FROM audit_exports
        WHERE requester_type = $1 AND requester_id = $2 AND fingerprint = $3 AND format = $4
          AND status = 'pending'`,
      [fields.requesterType, fields.requesterId, fields.fingerprint, fields.format],
    );
    return rows[0] ?? null;
  }

  /** The export if this requester asked for it: another's is not found. */
  async findOwned(
    id: string,
    requesterType: string,
    requesterId: string,
  ): Promise<AuditExport | null> {
    const rows = await this.transactions.manager().query<AuditExport[]>(
      `SELECT ${COLUMNS} FROM audit_exports
        WHERE id = $1 AND requester_type = $2 AND requester_id = $3`,
      [id, requesterType, requesterId],
    );
    return rows[0] ?? null;
  }

  /** The export with its sealed key, for the job that builds it. */
  async findWithKey(id: string): Promise<AuditExport | null> {
    const rows = await this.transactions
      .manager()
      .query<AuditExport[]>(
        `SELECT ${COLUMNS}, sealed_key AS "sealedKey" FROM audit_exports WHERE id = $1`,
        [id],
      );
    return rows[0] ?? null;
  }

  async sealedKeyOf(id: string): Promise<string> {
    const [row] = await this.transactions
      .manager()
      .query<{ sealed_key: string }[]>('SELECT sealed_key FROM audit_exports WHERE id = $1', [id]);
    return row.sealed_key;
  }

  /** Starts the file again: a job retried after a crash leaves no chunk of the first attempt. */
  async clearChunks(id: string): Promise<void> {
    await this.transactions
      .manager()
      .query('DELETE FROM audit_export_chunks WHERE export_id = $1', [id]);
  }

  async insertChunk(id: string, index: number, data: Buffer): Promise<void> {
    await this.transactions
      .manager()
      .query('INSERT INTO audit_export_chunks (export_id, index, data) VALUES ($1, $2, $3)', [
        id,
        index,
        data,
      ]);
  }

  async chunk(id: string, index: number): Promise<Buffer | null> {
    const rows = await this.transactions
      .manager()
      .query<{ data: Buffer }[]>(
        'SELECT data FROM audit_export_chunks WHERE export_id = $1 AND index = $2',
        [id, index],
      );
    return rows[0]?.data ?? null;
  }

  async markReady(id: string, rows: number, chunks: number): Promise<void> {
    await this.transactions.manager().query(
      `UPDATE audit_exports SET status = 'ready', rows = $2, chunks = $3, completed_at = now()
        WHERE id = $1 AND status = 'pending'`,
      [id, rows, chunks],
    );
  }

  async markFailed(id: string, error: string): Promise<void> {
    await this.transactions.manager().query(
      `UPDATE audit_exports SET status = 'failed', error = $2, completed_at = now()
        WHERE id = $1 AND status = 'pending'`,
      [id, error],
    );
  }
}
