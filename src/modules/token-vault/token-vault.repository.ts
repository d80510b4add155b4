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

/** A record whose lease a trip to the provider holds, with its envelope. */
export type LeasedToken = Pick<
  OfflineToken,
  'id' | 'userId' | 'providerId' | 'providerSessionId' | 'expiresAt' | 'envelope'
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

  /**
   * Takes the record's lease for a trip to the provider, in one statement: only an active
   * record that no trip holds (none, or its lease ran out by the database's clock). Answers the
   * record with its envelope, or null when another trip holds it or it is not active. The last
   * trip's shared answer goes with the old lease.
   */
  async claimLease(id: string, lease: string, leaseMs: number): Promise<LeasedToken | null> {
    const rows = await this.transactions.manager().query<
      {
        user_id: string;
        provider_id: string;
        provider_session_id: string | null;
        expires_at: Date | null;
        envelope: string;
      }[]
    >(
      `WITH claimed AS (
         UPDATE offline_tokens
            SET lease_id = $2, lease_until = now() + $3 * interval '1 millisecond',
                lease_waited = false, access_token_sealed = NULL, access_token_until = NULL
          WHERE id = $1 AND status = 'active' AND (lease_until IS NULL OR lease_until <= now())
          RETURNING user_id, provider_id, provider_session_id, expires_at, envelope
       )
       SELECT * FROM claimed`,
      [id, lease, leaseMs],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      id,
      userId: row.user_id,
      providerId: row.provider_id,
      providerSessionId: row.provider_session_id,
      expiresAt: row.expires_at,
      envelope: row.envelope,
    };
  }

  /**
   * Where the record's trips stand, by the database's clock: whether one holds it now, the last
   * one's id, and that trip's shared answer while it keeps (null otherwise). Null: no record.
   */
  async flightOf(id: string): Promise<{
    status: OfflineToken['status'];
    leaseId: string | null;
    leased: boolean;
    accessTokenSealed: string | null;
  } | null> {
    const rows = await this.transactions.manager().query<
      {
        status: OfflineToken['status'];
        lease_id: string | null;
        leased: boolean;
        shared: string | null;
      }[]
    >(
      `SELECT status, lease_id, coalesce(lease_until > now(), false) AS leased,
              CASE WHEN access_token_until > now() THEN access_token_sealed END AS shared
         FROM offline_tokens WHERE id = $1`,
      [id],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      status: row.status,
      leaseId: row.lease_id,
      leased: row.leased,
      accessTokenSealed: row.shared,
    };
  }

  /** A request of another instance waits on the trip `lease`: its answer is to be kept. */
  async markWaited(id: string, lease: string): Promise<void> {
    await this.transactions.manager().query(
      `UPDATE offline_tokens SET lease_waited = true
          WHERE id = $1 AND lease_id = $2 AND lease_until > now() AND NOT lease_waited`,
      [id, lease],
    );
  }

  /**
   * Records a trip's answer if it still holds the lease (none took it over since): the rotated
   * token when the provider rotated it, and, when a request of another instance waits on it
   * (`markWaited`), the access token shared with it for `shareMs`; the lease ends. False when the trip no longer held it.
   */
  async completeFlight(
    id: string,
    lease: string,
    answer: {
      rotated: {
        envelope: string;
        keyId: string;
        tokenHash: Buffer;
        expiresAt: Date | null;
      } | null;
      accessTokenSealed: string;
      shareMs: number;
    },
    now: Date,
  ): Promise<boolean> {
    const { rotated } = answer;
    const rows = await this.transactions.manager().query<{ id: string }[]>(
      `WITH completed AS (
         UPDATE offline_tokens
            SET lease_until = NULL, last_used_at = $3,
                access_token_sealed = CASE WHEN lease_waited THEN $4 END,
                access_token_until =
                  CASE WHEN lease_waited THEN now() + $5 * interval '1 millisecond' END,
                envelope = coalesce($6, envelope), key_id = coalesce($7, key_id),
                token_hash = coalesce($8, token_hash),
                expires_at = CASE WHEN $6::text IS NULL THEN expires_at ELSE $9 END,
                rotated_at = CASE WHEN $6::text IS NULL THEN rotated_at ELSE $3 END,
                updated_at = now()
          WHERE id = $1 AND lease_id = $2
          RETURNING id
       )
       SELECT id FROM completed`,
      [
        id,
        lease,
        now,
        answer.accessTokenSealed,
        answer.shareMs,
        rotated?.envelope ?? null,
        rotated?.keyId ?? null,
        rotated?.tokenHash ?? null,
        rotated?.expiresAt ?? null,
      ],
    );
    return rows.length > 0;
  }

  /** The provider refused the token (`invalid_grant`): revoked, if the trip still holds the lease. */
  async revokeInFlight(id: string, lease: string, now: Date): Promise<boolean> {
    const rows = await this.transactions.manager().query<{ id: string }[]>(
      `WITH revoked AS (
         UPDATE offline_tokens
            SET status = 'revoked', revoked_at = $3, lease_until = NULL, updated_at = now()
          WHERE id = $1 AND lease_id = $2
          RETURNING id
       )
       SELECT id FROM revoked`,
      [id, lease, now],
    );
    return rows.length > 0;
  }

  /** A trip that got no answer (the provider down) lets the next request try. */
  async releaseLease(id: string, lease: string): Promise<void> {
    await this.transactions
      .manager()
      .query('UPDATE offline_tokens SET lease_until = NULL WHERE id = $1 AND lease_id = $2', [
        id,
        lease,
      ]);
  }

  /**
   * Erasure: deletes every record of the user, answering each with its envelope, so that what
   * the provider still honours can be revoked after the transaction.
   */
  async deleteAllOf(userId: string): Promise<OfflineToken[]> {
    const rows = await this.transactions.manager().query<
      {
        id: string;
        provider_id: string;
        provider_session_id: string | null;
        status: OfflineToken['status'];
        envelope: string;
      }[]
    >(
      `WITH gone AS (
         DELETE FROM offline_tokens WHERE user_id = $1
         RETURNING id, provider_id, provider_session_id, status, envelope
       )
       SELECT * FROM gone`,
      [userId],
    );
    return rows.map((row) =>
      Object.assign(new OfflineToken(), {
        id: row.id,
        userId,
        providerId: row.provider_id,
        providerSessionId: row.provider_session_id,
        status: row.status,
        envelope: row.envelope,
      }),
    );
  }

  /** Live records of other users in the provider session (the session outlives their erasure). */
  countInSession(providerId: string, providerSessionId: string): Promise<number> {
    return this.tokens
      .createQueryBuilder('t')
      .where('t.providerId = :providerId AND t.providerSessionId = :providerSessionId', {
        providerId,
        providerSessionId,
      })
      .andWhere(`t.status = 'active'`)
      .getCount();
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
