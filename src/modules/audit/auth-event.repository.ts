import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';
import { AuthEvent } from './auth-event.entity';

export type AuthEventRow = Omit<AuthEvent, 'id' | 'createdAt'>;

@Injectable()
export class AuthEventRepository {
  constructor(private readonly transactions: Transactions) {}

  /** Plain SQL without RETURNING: written on every login and refresh, read only by audits. */
  async insert(event: AuthEventRow): Promise<void> {
    await this.transactions
      .manager()
      .query(
        'INSERT INTO auth_events (type, user_id, session_id, ip, user_agent, outcome, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [
          event.type,
          event.userId,
          event.sessionId,
          event.ip,
          event.userAgent,
          event.outcome,
          event.reason,
        ],
      );
  }

  /** Any number of events in one statement, whose text does not depend on how many. */
  async insertMany(events: AuthEventRow[]): Promise<void> {
    const column = <K extends keyof AuthEventRow>(key: K) => events.map((event) => event[key]);
    await this.transactions.prepared(
      'auth_events.insert_many',
      `INSERT INTO auth_events (type, user_id, session_id, ip, user_agent, outcome, reason)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[])`,
      [
        column('type'),
        column('userId'),
        column('sessionId'),
        column('ip'),
        column('userAgent'),
        column('outcome'),
        column('reason'),
      ],
    );
  }
}
