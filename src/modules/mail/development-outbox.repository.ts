import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';
import { OutboxMail } from './outbox-mail.entity';

@Injectable()
export class DevelopmentOutboxRepository {
  constructor(private readonly transactions: Transactions) {}

  async add(mail: Pick<OutboxMail, 'recipient' | 'subject' | 'text' | 'link'>): Promise<void> {
    await this.transactions.manager().getRepository(OutboxMail).insert(mail);
  }

  /** Deletes every mail kept for this address, in the open transaction. */
  async deleteTo(recipient: string): Promise<void> {
    await this.transactions.manager().getRepository(OutboxMail).delete({ recipient });
  }
}
