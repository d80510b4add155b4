import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';
import { PurgesExpired } from '../retention/retention-purge.decorator';

@Injectable()
export class NotifiedEventRepository {
  constructor(private readonly transactions: Transactions) {}

  /**
   * Marks an event notified, in the open transaction (with the mail it queues); false when it
   * already was. Of two claims at once, the second waits for the first and then gets false.
   */
  async claim(eventId: string): Promise<boolean> {
    const rows = await this.transactions
      .manager()
      .query<{ event_id: string }[]>(
        'INSERT INTO mail_notified_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING event_id',
        [eventId],
      );
    return rows.length === 1;
  }

  /**
   * Claims older than the outbox keeps events: an event is delivered again only while it is
   * there (a retried consumer reads it from the outbox), so its claim is needed no longer.
   */
  @PurgesExpired({
    kind: 'notice_claims',
    retentionDays: (config) => config.events.retentionDays,
  })
  async purgeClaims(before: Date, limit: number): Promise<number> {
    const rows = await this.transactions.manager().query<{ event_id: string }[]>(
      `WITH gone AS (
         DELETE FROM mail_notified_events WHERE event_id IN (
           SELECT event_id FROM mail_notified_events WHERE notified_at < $1
            ORDER BY notified_at LIMIT $2 FOR UPDATE SKIP LOCKED
         ) RETURNING event_id
       )
       SELECT event_id FROM gone`,
      [before, limit],
    );
    return rows.length;
  }
}
