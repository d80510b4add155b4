import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';
import { PurgesExpired } from '../retention/retention-purge.decorator';

/** How long a provider event's id is remembered: far beyond any provider's redelivery. */
const RECEIVED_EVENTS_RETENTION_DAYS = 30;

/** Ids of provider events received; the only code that touches `received_provider_events`. */
@Injectable()
export class ReceivedProviderEventsRepository {
  constructor(private readonly transactions: Transactions) {}

  /** Records the ids; answers those not seen before (the others are replays or redeliveries). */
  async recordNew(providerId: string, eventIds: string[]): Promise<Set<string>> {
    if (eventIds.length === 0) return new Set();
    const rows = await this.transactions.manager().query<{ event_id: string }[]>(
      `WITH added AS (
         INSERT INTO received_provider_events (provider_id, event_id)
         SELECT $1, unnest($2::text[])
         ON CONFLICT DO NOTHING
         RETURNING event_id
       )
       SELECT event_id FROM added`,
      [providerId, eventIds],
    );
    return new Set(rows.map((row) => row.event_id));
  }

  @PurgesExpired({
    kind: 'received_provider_events',
    retentionDays: () => RECEIVED_EVENTS_RETENTION_DAYS,
  })
  async purgeOld(before: Date, limit: number): Promise<number> {
    const rows = await this.transactions.manager().query<{ event_id: string }[]>(
      `WITH gone AS (
         DELETE FROM received_provider_events WHERE (provider_id, event_id) IN (
           SELECT provider_id, event_id FROM received_provider_events WHERE received_at < $1
            ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED
         ) RETURNING event_id
       )
       SELECT event_id FROM gone`,
      [before, limit],
    );
    return rows.length;
  }
}
