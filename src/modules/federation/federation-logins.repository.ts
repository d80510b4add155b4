import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';
import { PurgesExpired } from '../retention/retention-purge.decorator';
import { FederationLogin } from './federation-login.entity';

/** Federated sign-ins in flight; the only code that reads or writes `federation_logins`. */
@Injectable()
export class FederationLoginsRepository {
  constructor(private readonly transactions: Transactions) {}

  private get logins() {
    return this.transactions.manager().getRepository(FederationLogin);
  }

  async insert(login: Omit<FederationLogin, 'consumedAt' | 'createdAt'>): Promise<void> {
    await this.logins.insert(login);
  }

  /**
   * Uses the sign-in of this state once: one statement marks it consumed if it is unused and
   * unexpired, and returns it; null otherwise (unknown, used, expired), whoever asks first wins.
   */
  async consume(stateHash: Buffer, now: Date): Promise<FederationLogin | null> {
    const rows = await this.transactions.manager().query<
      {
        state_hash: Buffer;
        provider_id: string;
        secrets_sealed: string;
        redirect_uri: string;
        expires_at: Date;
      }[]
    >(
      `WITH used AS (
         UPDATE federation_logins SET consumed_at = $2
          WHERE state_hash = $1 AND consumed_at IS NULL AND expires_at > $2
          RETURNING state_hash, provider_id, secrets_sealed, redirect_uri, expires_at
       )
       SELECT * FROM used`,
      [stateHash, now],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      stateHash: row.state_hash,
      providerId: row.provider_id,
      secretsSealed: row.secrets_sealed,
      redirectUri: row.redirect_uri,
      expiresAt: row.expires_at,
      consumedAt: now,
      createdAt: now,
    };
  }

  /** Sign-ins used or expired: nothing to keep them for beyond a day (to tell a replay apart). */
  @PurgesExpired({ kind: 'federation_logins', retentionDays: () => 1 })
  async purgeSpent(before: Date, limit: number): Promise<number> {
    const rows = await this.transactions.manager().query<{ state_hash: Buffer }[]>(
      `WITH gone AS (
         DELETE FROM federation_logins WHERE state_hash IN (
           SELECT state_hash FROM federation_logins WHERE expires_at < $1
            ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
         ) RETURNING state_hash
       )
       SELECT state_hash FROM gone`,
      [before, limit],
    );
    return rows.length;
  }
}
