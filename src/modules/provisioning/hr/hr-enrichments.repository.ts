import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { Transactions } from '../../../database/transactions';
import { PurgesExpired } from '../../retention/retention-purge.decorator';
import { EnrichedApplication, EnrichedGroup, HrEnrichment } from './hr-enrichment.entity';

export type NewEnrichment = Pick<
  HrEnrichment,
  | 'id'
  | 'sourceId'
  | 'webhookId'
  | 'payloadHash'
  | 'employeeId'
  | 'firstName'
  | 'lastName'
  | 'preferredName'
  | 'email'
  | 'title'
  | 'department'
  | 'startDate'
>;

export interface EnrichmentResult {
  oktaUserId: string;
  userId: string;
  groups: EnrichedGroup[];
  applications: EnrichedApplication[];
}

/** HR enrichments; the only code that reads or writes `hr_enrichments`. */
@Injectable()
export class HrEnrichmentsRepository {
  constructor(private readonly transactions: Transactions) {}

  private get enrichments() {
    return this.transactions.manager().getRepository(HrEnrichment);
  }

  /**
   * Stores a new hire as `pending`, unless the source sent it already (the same `webhook-id`,
   * or the same employee and payload): then answers the enrichment stored first. The unique
   * indexes decide, so two deliveries at once store one row.
   */
  async insertOnce(row: NewEnrichment): Promise<{ enrichment: HrEnrichment; created: boolean }> {
    const inserted = await this.enrichments
      .createQueryBuilder()
      .insert()
      .into(HrEnrichment)
      .values({ ...row, status: 'pending' })
      .orIgnore()
      .returning('id')
      .execute();
    const created = (inserted.raw as unknown[]).length > 0;
    const enrichment = await this.enrichments
      .createQueryBuilder('e')
      .where('e.source_id = :source', { source: row.sourceId })
      .andWhere(
        row.webhookId === null
          ? 'e.employee_id = :employee AND e.payload_hash = :hash'
          : '(e.webhook_id = :webhook OR (e.employee_id = :employee AND e.payload_hash = :hash))',
        { webhook: row.webhookId, employee: row.employeeId, hash: row.payloadHash },
      )
      .orderBy('e.created_at', 'ASC')
      .getOne();
    if (!enrichment) throw new Error('an enrichment stored at once vanished');
    return { enrichment, created };
  }

  findById(id: string): Promise<HrEnrichment | null> {
    return this.enrichments.findOneBy({ id });
  }

  /** The employee's latest enrichment, in `statuses` if given (every source's). */
  latestOfEmployee(
    employeeId: string,
    statuses?: HrEnrichment['status'][],
  ): Promise<HrEnrichment | null> {
    return this.enrichments.findOne({
      where: { employeeId, ...(statuses ? { status: In(statuses) } : {}) },
      order: { createdAt: 'DESC' },
    });
  }

  /** Every enrichment linked to the account, oldest first (the person's data export). */
  allOfUser(userId: string): Promise<HrEnrichment[]> {
    return this.enrichments.find({ where: { userId }, order: { createdAt: 'ASC' } });
  }

  /**
   * Starts a run of the enrichment: `processing`, one more attempt. Null when it is finished
   * already (a duplicate job, or one run again after its work committed).
   */
  async startRun(id: string, now: Date): Promise<HrEnrichment | null> {
    const updated = await this.enrichments
      .createQueryBuilder()
      .update(HrEnrichment)
      .set({
        status: 'processing',
        attempts: () => 'attempts + 1',
        startedAt: () => 'COALESCE(started_at, :now)',
        nextAttemptAt: null,
      })
      .setParameter('now', now)
      .where('id = :id AND status IN (:...open)', { id, open: ['pending', 'processing'] })
      .execute();
    return (updated.affected ?? 0) > 0 ? this.findById(id) : null;
  }

  async complete(id: string, result: EnrichmentResult, now: Date): Promise<void> {
    await this.enrichments.update(
      { id },
      {
        status: 'completed',
        reason: null,
        oktaUserId: result.oktaUserId,
        userId: result.userId,
        groups: result.groups,
        applications: result.applications,
        finishedAt: now,
      },
    );
  }

  async fail(id: string, reason: string, now: Date): Promise<void> {
    await this.enrichments.update({ id }, { status: 'failed', reason, finishedAt: now });
  }

  /** Back to `pending` until `retryAt`, saying why it waits. */
  async wait(id: string, reason: string, retryAt: Date): Promise<void> {
    await this.enrichments.update({ id }, { status: 'pending', reason, nextAttemptAt: retryAt });
  }

  /**
   * Deletes up to `limit` enrichments that finished (completed or failed) before `before`, in
   * the order they finished (IDX_hr_enrichments_finished).
   */
  @PurgesExpired({
    kind: 'hr_enrichments',
    retentionDays: (config) => config.retention.hrEnrichmentsDays,
  })
  async purgeFinished(before: Date, limit: number): Promise<number> {
    return this.transactions.run(async () => {
      const gone = await this.transactions.manager().query<[unknown[], number]>(
        `DELETE FROM hr_enrichments WHERE id IN (
           SELECT id FROM hr_enrichments WHERE finished_at < $1
            ORDER BY finished_at LIMIT $2 FOR UPDATE SKIP LOCKED
         )`,
        [before, limit],
      );
      return gone[1];
    });
  }
}
