import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OutboxMail } from './outbox-mail.entity';

@Injectable()
export class DevelopmentOutboxRepository {
  constructor(private readonly dataSource: DataSource) {}

  async add(mail: Pick<OutboxMail, 'recipient' | 'subject' | 'text' | 'link'>): Promise<void> {
    await this.dataSource.getRepository(OutboxMail).insert(mail);
  }
}
