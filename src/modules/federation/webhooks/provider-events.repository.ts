import { Injectable } from '@nestjs/common';
import { Transactions } from '../../../database/transactions';
import { PurgesExpired } from '../../retention/retention-purge.decorator';
import { ProviderEvent } from './provider-event.entity';

export type NewProviderEvent = Pick<
  ProviderEvent,
  'providerId' | 'eventId' | 'eventType' | 'subject' | 'occurredAt'
>;

/** Events providers' webhooks delivered; the only code that reads or writes their table. */
@Injectable()
export class ProviderEventsRepository {
  constructor(private readonly transactions: Transactions) {}

  private get events() {
    return this.transactions.manager().getRepository(ProviderEvent);
  }

  /** Stores the events not stored before (by provider and event id); returns the new rows' ids. */
  async insertEvents(events: NewProviderEvent[]): Promise<string[]> {
    if (events.length === 0) return [];
    const result = await this.events
      .createQueryBuilder()
      .insert()
      .values(events)
      .orIgnore()
      .returning(['id'])
      .execute();
    return (result.raw as { id: string }[]).map((row) => row.id);
  }

  /** The events among `ids` not processed yet. */
  unprocessedEvents(ids: string[]): Promise<ProviderEvent[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.events
      .createQueryBuilder('e')
      .where('e.id IN (:...ids) AND e.processed_at IS NULL', { ids })
      .getMany();
  }

  /**
   * Records each event's outcome, unless it was processed meanwhile (a replayed job): answers
   * the ids this call marked, so that only the first processing of an event is counted.
   */
  async markProcessed(outcomes: { id: string; outcome: string }[], at: Date): Promise<Set<string>> {
    if (outcomes.length === 0) return new Set();
    const rows = await this.transactions.manager().query<{ id: string }[]>(
      `WITH marked AS (
         UPDATE identity_provider_events e
            SET processed_at = $2, outcome = o.outcome
           FROM jsonb_to_recordset($1::jsonb) AS o(id uuid, outcome text)
          WHERE e.id = o.id AND e.processed_at IS NULL
         RETURNING e.id
       )
       SELECT id FROM marked`,
      [JSON.stringify(outcomes), at],
    );
    return new Set(rows.map((row) => row.id));
  }

  /**
   * Provider events received before `before`. Past the retention (days, where a provider's
   * redeliveries take seconds to hours) a redelivery is no longer recognised as a replay, which
   * is harmless: processing re-reads the user and never applies an older state over a newer one.
   * An event still unprocessed by then never will be (its job gave up long before).
   */
  @PurgesExpired({
    kind: 'identity_provider_events',
    retentionDays: (config) => config.retention.providerEventsDays,
  })
  async purgeEvents(before: Date, limit: number): Promise<number> {
    const rows = await this.transactions.manager().query<{ id: string }[]>(
      `WITH gone AS (
         DELETE FROM identity_provider_events WHERE id IN (
           SELECT id FROM identity_provider_events WHERE received_at < $1
            ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED
         ) RETURNING id
       )
       SELECT id FROM gone`,
      [before, limit],
    );
    return rows.length;
  }
}
