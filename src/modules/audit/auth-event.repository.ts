import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';
import { AuthEvent } from './auth-event.entity';

@Injectable()
export class AuthEventRepository {
  constructor(private readonly transactions: Transactions) {}

  async insert(event: Omit<AuthEvent, 'id' | 'createdAt'>): Promise<void> {
    await this.transactions.manager().getRepository(AuthEvent).insert(event);
  }
}
