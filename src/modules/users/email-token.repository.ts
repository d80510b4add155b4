import { Injectable } from '@nestjs/common';
import { IsNull } from 'typeorm';
import { Transactions } from '../../database/transactions';
import { EmailToken, EmailTokenPurpose } from './email-token.entity';

@Injectable()
export class EmailTokenRepository {
  constructor(private readonly transactions: Transactions) {}

  private get tokens() {
    return this.transactions.manager().getRepository(EmailToken);
  }

  async insert(
    token: Pick<EmailToken, 'userId' | 'purpose' | 'tokenHash' | 'newEmail' | 'expiresAt'>,
  ): Promise<void> {
    await this.tokens.insert(token);
  }

  /** Ends every open token of a purpose, so only the newest link of a kind works. */
  async consumeOpen(userId: string, purpose: EmailTokenPurpose, at: Date): Promise<void> {
    await this.tokens.update({ userId, purpose, consumedAt: IsNull() }, { consumedAt: at });
  }

  /** The token row, locked until the transaction ends: a token is used at most once. */
  findByHashForUpdate(tokenHash: Buffer): Promise<EmailToken | null> {
    return this.tokens
      .createQueryBuilder('t')
      .where('t.tokenHash = :tokenHash', { tokenHash })
      .setLock('pessimistic_write')
      .getOne();
  }

  async markConsumed(id: string, at: Date): Promise<void> {
    await this.tokens.update({ id }, { consumedAt: at });
  }
}
