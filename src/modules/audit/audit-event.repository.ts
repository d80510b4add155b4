import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';
import { AuditEvent } from './audit-event.entity';

@Injectable()
export class AuditEventRepository {
  constructor(private readonly transactions: Transactions) {}

  async insert(event: Omit<AuditEvent, 'id' | 'createdAt'>): Promise<void> {
    await this.transactions
      .manager()
      .query(
        'INSERT INTO audit_events (actor_type, actor_id, action, target_type, target_id, details, request_id, ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
        [
          event.actorType,
          event.actorId,
          event.action,
          event.targetType,
          event.targetId,
          JSON.stringify(event.details),
          event.requestId,
          event.ip,
        ],
      );
  }
}
