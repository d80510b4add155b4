import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';
import { AuthEvent } from './auth-event.entity';

@Injectable()
export class AuthEventRepository {
  constructor(private readonly transactions: Transactions) {}

  /** Plain SQL without RETURNING: written on every login and refresh, read only by audits. */
  async insert(event: Omit<AuthEvent, 'id' | 'createdAt'>): Promise<void> {
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
}
