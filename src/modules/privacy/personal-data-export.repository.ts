import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';
import { PurgesExpired } from '../retention/retention-purge.decorator';
import { PersonalDataExportChunk } from './personal-data-export-chunk.entity';
import { PersonalDataExport } from './personal-data-export.entity';

/** How long a ready export's chunks outlive its link: a download under way at expiry finishes. */
const KEPT_PAST_EXPIRY_DAYS = 1;

@Injectable()
export class PersonalDataExportRepository {
  constructor(private readonly transactions: Transactions) {}

  private get exports() {
    return this.transactions.manager().getRepository(PersonalDataExport);
  }

  private get chunks() {
    return this.transactions.manager().getRepository(PersonalDataExportChunk);
  }

  /**
   * Serializes the export requests for one person until the transaction ends, so that two at
   * once see each other (the daily limit is a time window no unique index can express).
   */
  async lockRequestsOf(userId: string): Promise<void> {
    await this.transactions
      .manager()
      .query(`SELECT pg_advisory_xact_lock(hashtextextended('personal_data_export:' || $1, 0))`, [
        userId,
      ]);
  }

  /** The person's export asked for since `since` that is pending or ready, if any. */
  findRecent(userId: string, since: Date): Promise<PersonalDataExport | null> {
    return this.exports
      .createQueryBuilder('e')
      .where('e.user_id = :userId AND e.created_at > :since', { userId, since })
      .andWhere(`e.status IN ('pending', 'ready')`)
      .orderBy('e.created_at', 'DESC')
      .getOne();
  }

  async insert(
    fields: Pick<
      PersonalDataExport,
      'id' | 'userId' | 'requesterType' | 'requesterId' | 'sealedKey'
    >,
  ): Promise<PersonalDataExport> {
    await this.exports.insert(fields);
    return (await this.find(fields.userId, fields.id))!;
  }

  /** The person's export: another person's is not found. */
  find(userId: string, id: string): Promise<PersonalDataExport | null> {
    return this.exports.findOneBy({ id, userId });
  }

  /** The export with its sealed key, for the job that builds it and for downloads. */
  findWithKey(id: string): Promise<PersonalDataExport | null> {
    return this.exports
      .createQueryBuilder('e')
      .addSelect('e.sealedKey')
      .where('e.id = :id', { id })
      .getOne();
  }

  /** Starts the archive again: a job retried after a crash leaves no chunk of the first try. */
  async clearChunks(exportId: string): Promise<void> {
    await this.chunks.delete({ exportId });
  }

  async insertChunk(exportId: string, index: number, data: Buffer): Promise<void> {
    await this.chunks.insert({ exportId, index, data });
  }

  async chunk(exportId: string, index: number): Promise<Buffer | null> {
    return (await this.chunks.findOneBy({ exportId, index }))?.data ?? null;
  }

  /** Marks a pending export ready; false when it is no longer pending (or gone). */
  async markReady(
    id: string,
    fields: { chunks: number; sizeBytes: number; completedAt: Date; expiresAt: Date },
  ): Promise<boolean> {
    const result = await this.exports.update(
      { id, status: 'pending' },
      {
        status: 'ready',
        chunks: fields.chunks,
        sizeBytes: String(fields.sizeBytes),
        completedAt: fields.completedAt,
        expiresAt: fields.expiresAt,
      },
    );
    return (result.affected ?? 0) > 0;
  }

  async markFailed(id: string, error: string): Promise<void> {
    await this.exports.update(
      { id, status: 'pending' },
      { status: 'failed', error, completedAt: new Date(), expiresAt: new Date() },
    );
  }

  /** Deletes up to `limit` exports whose link expired before `before`, with their chunks. */
  @PurgesExpired({
    kind: 'personal_data_exports',
    retentionDays: () => KEPT_PAST_EXPIRY_DAYS,
  })
  async purgeExpired(before: Date, limit: number): Promise<number> {
    const rows = await this.transactions.manager().query<{ id: string }[]>(
      `WITH gone AS (
         DELETE FROM personal_data_exports WHERE id IN (
           SELECT id FROM personal_data_exports WHERE expires_at < $1
            ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
         ) RETURNING id
       )
       SELECT id FROM gone`,
      [before, limit],
    );
    return rows.length;
  }
}
