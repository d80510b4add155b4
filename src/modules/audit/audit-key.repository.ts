import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';

export interface StoredUserKey {
  userId: string;
  /** Null once destroyed. */
  sealedKey: string | null;
}

/** The audit module's keys: users' data keys and its own secrets, all sealed. */
@Injectable()
export class AuditKeyRepository {
  constructor(private readonly transactions: Transactions) {}

  async findUserKeys(userIds: string[]): Promise<StoredUserKey[]> {
    if (userIds.length === 0) return [];
    return this.transactions
      .manager()
      .query<StoredUserKey[]>(
        'SELECT user_id AS "userId", sealed_key AS "sealedKey" FROM audit_user_keys WHERE user_id = ANY($1::uuid[])',
        [userIds],
      );
  }

  /** Adds the keys of users that have none; a user's existing (or destroyed) key stays. */
  async insertUserKeys(keys: { userId: string; sealedKey: string }[]): Promise<void> {
    if (keys.length === 0) return;
    await this.transactions.manager().query(
      `INSERT INTO audit_user_keys (user_id, sealed_key)
       SELECT * FROM unnest($1::uuid[], $2::text[]) ON CONFLICT (user_id) DO NOTHING`,
      [keys.map((k) => k.userId), keys.map((k) => k.sealedKey)],
    );
  }

  /**
   * Destroys a user's key, or marks the user's key destroyed before any was made, so that none
   * is made later. Returns whether a key existed.
   */
  async destroyUserKey(userId: string): Promise<boolean> {
    const rows = await this.transactions.manager().query<{ existed: boolean }[]>(
      `INSERT INTO audit_user_keys (user_id, sealed_key, destroyed_at) VALUES ($1, NULL, now())
       ON CONFLICT (user_id) DO UPDATE SET sealed_key = NULL,
         destroyed_at = coalesce(audit_user_keys.destroyed_at, now())
       RETURNING (xmax <> 0) AS existed`,
      [userId],
    );
    return rows[0].existed;
  }

  async findSecret(name: string): Promise<string | null> {
    const rows = await this.transactions
      .manager()
      .query<{ sealed_key: string }[]>('SELECT sealed_key FROM audit_secrets WHERE name = $1', [
        name,
      ]);
    return rows[0]?.sealed_key ?? null;
  }

  /** Stores a secret unless one of that name exists; answers the one stored. */
  async insertSecret(name: string, sealedKey: string): Promise<string> {
    await this.transactions
      .manager()
      .query(
        'INSERT INTO audit_secrets (name, sealed_key) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING',
        [name, sealedKey],
      );
    return (await this.findSecret(name))!;
  }
}
