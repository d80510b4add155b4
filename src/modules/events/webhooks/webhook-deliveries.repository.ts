import { Injectable } from '@nestjs/common';
import { Transactions } from '../../../database/transactions';
import { PurgesExpired } from '../../retention/retention-purge.decorator';
import { DeliveryOutcome, WebhookDelivery } from './webhook-delivery.entity';

export type NewDelivery = Omit<WebhookDelivery, 'id' | 'endpoint'>;

export interface DeliveryFilter {
  eventId?: string;
  outcome?: DeliveryOutcome;
}

/** The delivery log; the only code that reads or writes `webhook_deliveries`. */
@Injectable()
export class WebhookDeliveriesRepository {
  constructor(private readonly transactions: Transactions) {}

  private get deliveries() {
    return this.transactions.manager().getRepository(WebhookDelivery);
  }

  async insert(deliveries: NewDelivery[]): Promise<void> {
    if (deliveries.length > 0) await this.deliveries.insert(deliveries);
  }

  /** An endpoint's attempts, newest first, before the one with id `before`. */
  list(
    endpointId: string,
    filter: DeliveryFilter,
    limit: number,
    before: string | null,
  ): Promise<WebhookDelivery[]> {
    const query = this.deliveries
      .createQueryBuilder('d')
      .where('d.endpoint_id = :endpointId', { endpointId })
      .orderBy('d.id', 'DESC')
      .limit(limit);
    if (before) query.andWhere('d.id < :before', { before });
    if (filter.eventId) query.andWhere('d.event_id = :eventId', { eventId: filter.eventId });
    if (filter.outcome) query.andWhere('d.outcome = :outcome', { outcome: filter.outcome });
    return query.getMany();
  }

  async attempted(endpointId: string, eventId: string): Promise<boolean> {
    return this.deliveries.existsBy({ endpointId, eventId });
  }

  /**
   * Deletes up to `limit` attempts made before `before` (IDX_webhook_deliveries_attempted_at).
   * The log only tells what happened: retries carry their own state in their jobs.
   */
  @PurgesExpired({
    kind: 'webhook_deliveries',
    retentionDays: (config) => config.retention.webhookDeliveriesDays,
  })
  async purgeAttempted(before: Date, limit: number): Promise<number> {
    const rows = await this.transactions.manager().query<{ id: string }[]>(
      `WITH gone AS (
         DELETE FROM webhook_deliveries WHERE id IN (
           SELECT id FROM webhook_deliveries WHERE attempted_at < $1
            ORDER BY attempted_at LIMIT $2 FOR UPDATE SKIP LOCKED
         ) RETURNING id
       )
       SELECT id FROM gone`,
      [before, limit],
    );
    return rows.length;
  }
}
