import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';

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
}
