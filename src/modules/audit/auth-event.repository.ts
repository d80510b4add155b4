import { Injectable } from '@nestjs/common';
import { firstIdAt } from '../../common/ids/uuid-v7';
import { Transactions } from '../../database/transactions';
import { PurgesExpired } from '../retention/retention-purge.decorator';
import { AuthEvent } from './auth-event.entity';

export type AuthEventRow = Omit<AuthEvent, 'id'>;

@Injectable()
export class AuthEventRepository {
  constructor(private readonly transactions: Transactions) {}

  /** Any number of events in one statement, whose text does not depend on how many. */
  async insertMany(events: AuthEventRow[]): Promise<void> {
    const column = <K extends keyof AuthEventRow>(key: K) => events.map((event) => event[key]);
    await this.transactions.prepared(
      'auth_events.insert_many',
      `INSERT INTO auth_events (type, user_id, session_id, ip, user_agent, outcome, reason, created_at)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[],
                            $7::text[], $8::timestamptz[])`,
      [
        column('type'),
        column('userId'),
        column('sessionId'),
        column('ip'),
        column('userAgent'),
        column('outcome'),
        column('reason'),
        column('createdAt'),
      ],
    );
  }

  /** Erasure: the user's rows stay (ids, types, outcomes, times) without their network. */
  async forgetNetworkOf(userId: string): Promise<void> {
    await this.transactions.manager().query(
      `UPDATE auth_events SET ip = NULL, user_agent = NULL
          WHERE user_id = $1 AND (ip IS NOT NULL OR user_agent IS NOT NULL)`,
      [userId],
    );
  }

  /**
   * Deletes up to `limit` events that happened before `before`, oldest first, through the
   * primary key (UUIDv7 ids are in time order: no other index to keep up on every sign-in).
   */
  @PurgesExpired({
    kind: 'auth_events',
    retentionDays: (config) => config.retention.authEventsDays,
  })
  async purgeOlderThan(before: Date, limit: number): Promise<number> {
    const rows = await this.transactions.manager().query<{ id: string }[]>(
      `WITH gone AS (
         DELETE FROM auth_events WHERE id IN (
           SELECT id FROM auth_events WHERE id < $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED
         ) RETURNING id
       )
       SELECT id FROM gone`,
      [firstIdAt(before), limit],
    );
    return rows.length;
  }
}
