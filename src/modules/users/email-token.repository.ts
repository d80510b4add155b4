import { Injectable } from '@nestjs/common';
import { IsNull } from 'typeorm';
import { Transactions } from '../../database/transactions';
import { PurgesExpired } from '../retention/retention-purge.decorator';
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

  /**
   * Deletes up to `limit` tokens spent before `before`: used or superseded (`consumed_at`) or
   * expired, whichever came first (IDX_email_tokens_spent_at). Rows another transaction holds
   * (a token being used right now) are skipped.
   */
  @PurgesExpired({
    kind: 'email_tokens',
    retentionDays: (config) => config.retention.emailTokensDays,
  })
  async purgeSpent(before: Date, limit: number): Promise<number> {
    const rows = await this.transactions.manager().query<{ id: string }[]>(
      `WITH gone AS (
         DELETE FROM email_tokens WHERE id IN (
           SELECT id FROM email_tokens WHERE LEAST(consumed_at, expires_at) < $1
            ORDER BY LEAST(consumed_at, expires_at) LIMIT $2 FOR UPDATE SKIP LOCKED
         ) RETURNING id
       )
       SELECT id FROM gone`,
      [before, limit],
    );
    return rows.length;
  }
}
