import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';
import { PurgesExpired } from '../retention/retention-purge.decorator';
import { OfflineToken } from './offline-token.entity';
import { TokenVaultConsent } from './token-vault-consent.entity';

export type NewOfflineToken = Pick<
  OfflineToken,
  | 'id'
  | 'userId'
  | 'providerId'
  | 'subject'
  | 'providerSessionId'
  | 'scopes'
  | 'envelope'
  | 'keyId'
  | 'tokenHash'
  | 'expiresAt'
>;

/** The only code that reads or writes `offline_tokens` and `token_vault_consents`. */
@Injectable()
export class TokenVaultRepository {
  constructor(private readonly transactions: Transactions) {}

  private get tokens() {
    return this.transactions.manager().getRepository(OfflineToken);
  }

  private get consents() {
    return this.transactions.manager().getRepository(TokenVaultConsent);
  }

  async insertConsent(consent: Omit<TokenVaultConsent, 'consumedAt' | 'createdAt'>): Promise<void> {
    await this.consents.insert(consent);
  }

  findConsent(id: string): Promise<TokenVaultConsent | null> {
    return this.consents.findOneBy({ id });
  }

  /**
   * Uses the consent once: one statement marks it consumed if it is unused and unexpired and
   * returns it; null otherwise (unknown, used, expired), whoever asks first wins.
   */
  async consumeConsent(id: string, now: Date): Promise<TokenVaultConsent | null> {
    const rows = await this.transactions.manager().query<
      {
        id: string;
        user_id: string;
        session_id: string;
        provider_id: string;
        scopes: string[];
        redirect_uri: string;
        secrets_sealed: string;
        expires_at: Date;
        created_at: Date;
      }[]
    >(
      `WITH used AS (
         UPDATE token_vault_consents SET consumed_at = $2
          WHERE id = $1 AND consumed_at IS NULL AND expires_at > $2
          RETURNING *
       )
       SELECT * FROM used`,
      [id, now],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.id,
      userId: row.user_id,
      sessionId: row.session_id,
      providerId: row.provider_id,
      scopes: row.scopes,
      redirectUri: row.redirect_uri,
      secretsSealed: row.secrets_sealed,
      expiresAt: row.expires_at,
      consumedAt: now,
      createdAt: row.created_at,
    };
  }

  /**
   * Stores the token, or finds the record that already holds it (same user, provider and hash):
   * that record keeps its envelope (sealed for its own id) and takes the newer session and
   * scopes. Answers the record's id and whether it was new.
   */
  async upsert(token: NewOfflineToken): Promise<{ id: string; created: boolean }> {
    const rows = await this.transactions.manager().query<{ id: string; created: boolean }[]>(
      `INSERT INTO offline_tokens
         (id, user_id, provider_id, subject, provider_session_id, scopes, envelope, key_id,
          token_hash, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (user_id, provider_id, token_hash) DO UPDATE
         SET provider_session_id = EXCLUDED.provider_session_id, scopes = EXCLUDED.scopes,
             expires_at = EXCLUDED.expires_at, status = 'active', revoked_at = NULL,
             updated_at = now()
       RETURNING id, (xmax = 0) AS created`,
      [
        token.id,
        token.userId,
        token.providerId,
        token.subject,
        token.providerSessionId,
        token.scopes,
        token.envelope,
        token.keyId,
        token.tokenHash,
        token.expiresAt,
      ],
    );
    return rows[0];
  }

  /** The user's records in creation order (UUIDv7), after the one with id `after`. */
  listOf(userId: string, after: string | null, limit: number): Promise<OfflineToken[]> {
    const query = this.tokens
      .createQueryBuilder('t')
      .where('t.userId = :userId', { userId })
      .orderBy('t.id', 'ASC')
      .limit(limit);
    if (after) query.andWhere('t.id > :after', { after });
    return query.getMany();
  }

  findById(id: string): Promise<OfflineToken | null> {
    return this.tokens.findOneBy({ id });
  }

  allOf(userId: string): Promise<OfflineToken[]> {
    return this.tokens.find({ where: { userId }, order: { id: 'ASC' } });
  }

  /** With its envelope, locked until the transaction ends: one use or rotation at a time. */
  findSealedForUpdate(id: string): Promise<OfflineToken | null> {
    return this.tokens
      .createQueryBuilder('t')
      .addSelect('t.envelope')
      .where('t.id = :id', { id })
      .setLock('pessimistic_write')
      .getOne();
  }

  async markUsed(id: string, now: Date): Promise<void> {
    await this.tokens.update({ id }, { lastUsedAt: now });
  }

  async rotate(
    id: string,
    sealed: { envelope: string; keyId: string; tokenHash: Buffer; expiresAt: Date | null },
    now: Date,
  ): Promise<void> {
    await this.tokens.update({ id }, { ...sealed, rotatedAt: now, lastUsedAt: now });
  }

  async markRevoked(id: string, now: Date): Promise<void> {
    await this.tokens.update({ id }, { status: 'revoked', revokedAt: now });
  }

  async delete(id: string): Promise<void> {
    await this.tokens.delete({ id });
  }

  /** Other live records of the user at the provider (whatever their provider session). */
  countOthersAtProvider(token: OfflineToken): Promise<number> {
    return this.tokens
      .createQueryBuilder('t')
      .where('t.userId = :userId AND t.providerId = :providerId AND t.id <> :id', token)
      .andWhere(`t.status = 'active'`)
      .getCount();
  }

  /** Other live records in the same provider session. */
  countOthersInSession(token: OfflineToken): Promise<number> {
    if (token.providerSessionId === null) return Promise.resolve(0);
    return this.tokens
      .createQueryBuilder('t')
      .where('t.providerId = :providerId AND t.providerSessionId = :providerSessionId', token)
      .andWhere(`t.id <> :id AND t.status = 'active'`, token)
      .getCount();
  }

  /** Consents used or expired: kept a day past their expiry, to tell a replay apart. */
  @PurgesExpired({ kind: 'token_vault_consents', retentionDays: () => 1 })
  async purgeSpentConsents(before: Date, limit: number): Promise<number> {
    const rows = await this.transactions.manager().query<{ id: string }[]>(
      `WITH gone AS (
         DELETE FROM token_vault_consents WHERE id IN (
           SELECT id FROM token_vault_consents WHERE expires_at < $1
            ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
         ) RETURNING id
       )
       SELECT id FROM gone`,
      [before, limit],
    );
    return rows.length;
  }
}
