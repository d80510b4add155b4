import { Injectable } from '@nestjs/common';
import { In, IsNull } from 'typeorm';
import { Transactions } from '../../database/transactions';
import { OAuthClientSecret } from './oauth-client-secret.entity';
import { OAuthClient } from './oauth-client.entity';
import { ClientCredentials, ClientStatus, GrantType } from './client-model';
import { RevokedClientToken } from './revoked-client-token.entity';

/** At most this many secrets of a client are active (neither removed nor expired) at once. */
export const MAX_ACTIVE_SECRETS = 2;

/** A client as the token endpoint needs it: its state and the hashes of its active secrets. */

interface CredentialsRow {
  id: string;
  client_id: string;
  status: ClientStatus;
  grant_types: GrantType[];
  allowed_scopes: string[];
  last_used_at: Date | null;
  secret_hashes: Buffer[];
}

export type SecretMetadata = Pick<OAuthClientSecret, 'id' | 'createdAt' | 'expiresAt'>;

/** A client and its secrets that were not removed (expired ones included), oldest first. */
export interface ClientWithSecrets {
  client: OAuthClient;
  secrets: SecretMetadata[];
}

export type NewClient = Pick<OAuthClient, 'clientId' | 'name' | 'allowedScopes' | 'grantTypes'>;

export interface NewSecret {
  hash: Buffer;
  expiresAt: Date | null;
}

/** The state that decides whether a service access token is still accepted. */
export interface ClientTokenState {
  clientActive: boolean;
  tokenRevoked: boolean;
  /** Issued before the client's `tokens_valid_after`. */
  tokenRetired: boolean;
}

const ACTIVE_SECRET = `s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > $2)`;

/**
 * Moves `tokens_valid_after` of client row `c` to `instant`, never back: an instance whose clock
 * lags cannot revive tokens that another instance ended.
 */
const retiredAt = (instant: string) => `GREATEST(c.tokens_valid_after, ${instant}::timestamptz)`;

/** Service clients, their secrets, and the revoked tokens of clients. */
@Injectable()
export class OAuthClientsRepository {
  constructor(private readonly transactions: Transactions) {}

  private get clients() {
    return this.transactions.manager().getRepository(OAuthClient);
  }

  private get secrets() {
    return this.transactions.manager().getRepository(OAuthClientSecret);
  }

  private query<T>(sql: string, parameters: unknown[]): Promise<T[]> {
    return this.transactions.manager().query<T[]>(sql, parameters);
  }

  /** The client with this public id and its active secrets' hashes, in one statement. */
  async findCredentials(clientId: string, now: Date): Promise<ClientCredentials | null> {
    const [row] = await this.query<CredentialsRow>(
      `SELECT c.id, c.client_id, c.status, c.grant_types, c.allowed_scopes, c.last_used_at,
              COALESCE(array_agg(s.secret_hash) FILTER (WHERE s.id IS NOT NULL), '{}') AS secret_hashes
         FROM oauth_clients c
         LEFT JOIN oauth_client_secrets s ON s.client_id = c.id AND ${ACTIVE_SECRET}
        WHERE c.client_id = $1
        GROUP BY c.id`,
      [clientId, now],
    );
    if (!row) return null;
    return {
      id: row.id,
      clientId: row.client_id,
      status: row.status,
      grantTypes: row.grant_types,
      allowedScopes: row.allowed_scopes,
      lastUsedAt: row.last_used_at,
      secretHashes: row.secret_hashes,
    };
  }

  /** Moves `last_used_at` to `at` unless it is already within `resolutionSeconds` of it. */
  async touchLastUsed(id: string, at: Date, resolutionSeconds: number): Promise<void> {
    await this.query(
      `UPDATE oauth_clients SET last_used_at = $2
        WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2::timestamptz - make_interval(secs => $3))`,
      [id, at, resolutionSeconds],
    );
  }

  /** A new client and its first secret, together. */
  create(client: NewClient, secret: NewSecret): Promise<ClientWithSecrets> {
    return this.transactions.run(async () => {
      const saved = await this.clients.save(this.clients.create(client));
      const savedSecret = await this.insertSecret(saved.id, secret);
      return { client: saved, secrets: [savedSecret] };
    });
  }

  /** Clients in creation order (UUIDv7), after the one with id `after`. */
  async list(limit: number, after: string | null): Promise<ClientWithSecrets[]> {
    const query = this.clients.createQueryBuilder('c').orderBy('c.id', 'ASC').limit(limit);
    if (after) query.where('c.id > :after', { after });
    const clients = await query.getMany();
    return this.withSecrets(clients);
  }

  findByClientId(clientId: string): Promise<OAuthClient | null> {
    return this.clients.findOneBy({ clientId });
  }

  async findById(id: string): Promise<ClientWithSecrets | null> {
    const client = await this.clients.findOneBy({ id });
    return client ? (await this.withSecrets([client]))[0] : null;
  }

  /**
   * Adds a secret unless the client already has MAX_ACTIVE_SECRETS active ones. The client row
   * is locked first, so concurrent additions queue and each counts the others' secrets.
   */
  addSecret(
    id: string,
    secret: NewSecret,
    now: Date,
  ): Promise<{ clientId: string; secret: SecretMetadata } | 'no_client' | 'limit_reached'> {
    return this.transactions.run(async () => {
      const [locked] = await this.query<{ client_id: string }>(
        'SELECT client_id FROM oauth_clients WHERE id = $1 FOR UPDATE',
        [id],
      );
      if (!locked) return 'no_client';
      const [{ active }] = await this.query<{ active: number }>(
        `SELECT count(*)::int AS active FROM oauth_client_secrets s WHERE s.client_id = $1 AND ${ACTIVE_SECRET}`,
        [id, now],
      );
      if (active >= MAX_ACTIVE_SECRETS) return 'limit_reached';
      return { clientId: locked.client_id, secret: await this.insertSecret(id, secret) };
    });
  }

  /**
   * Removes a secret of the client and ends the client's tokens issued before `now` (a token does
   * not say which secret got it), in one statement; returns the client's public id, or null when
   * it has no such secret (or it was already removed), and then changes nothing.
   */
  async removeSecret(id: string, secretId: string, now: Date): Promise<string | null> {
    // Wrapped in a SELECT: the driver answers a bare UPDATE with [rows, count], not the rows.
    const [row] = await this.query<{ client_id: string }>(
      `WITH removed AS (
         UPDATE oauth_client_secrets s SET revoked_at = $3
          WHERE s.id = $1 AND s.client_id = $2 AND s.revoked_at IS NULL
          RETURNING s.client_id
       ), retired AS (
         UPDATE oauth_clients c SET tokens_valid_after = ${retiredAt('$3')}, updated_at = now()
           FROM removed WHERE c.id = removed.client_id
          RETURNING c.client_id
       )
       SELECT client_id FROM retired`,
      [secretId, id, now],
    );
    return row?.client_id ?? null;
  }

  /**
   * Sets the client's status and returns its public id; null when there is no such client or it
   * already had that status. Disabling also ends the tokens it was issued before `now`, so that
   * enabling it again does not bring them back.
   */
  async setStatus(id: string, status: ClientStatus, now: Date): Promise<string | null> {
    const [row] = await this.query<{ client_id: string }>(
      `WITH changed AS (
         UPDATE oauth_clients c SET status = $2, updated_at = now(),
                tokens_valid_after = CASE WHEN $2 = 'disabled'
                  THEN ${retiredAt('$3')} ELSE c.tokens_valid_after END
          WHERE id = $1 AND status <> $2 RETURNING client_id
       )
       SELECT client_id FROM changed`,
      [id, status, now],
    );
    return row?.client_id ?? null;
  }

  /**
   * Ends the client's tokens issued before `now`, leaving it active; returns its public id, or
   * null when there is no such client.
   */
  async retireTokens(id: string, now: Date): Promise<string | null> {
    const [row] = await this.query<{ client_id: string }>(
      `WITH retired AS (
         UPDATE oauth_clients c SET tokens_valid_after = ${retiredAt('$2')}, updated_at = now()
          WHERE c.id = $1 RETURNING c.client_id
       )
       SELECT client_id FROM retired`,
      [id, now],
    );
    return row?.client_id ?? null;
  }

  /**
   * Whether the client is active, the token not revoked, and issued (`issuedAtMs`, milliseconds
   * since the epoch) after the client's `tokens_valid_after`; null for an unknown client. A token
   * of the very millisecond its client's tokens were ended counts as before: dead.
   */
  async tokenState(
    clientId: string,
    jti: string,
    issuedAtMs: number,
  ): Promise<ClientTokenState | null> {
    const [row] = await this.query<{ active: boolean; revoked: boolean; retired: boolean }>(
      `SELECT c.status = 'active' AS active,
              EXISTS (SELECT 1 FROM oauth_revoked_tokens r WHERE r.jti = $2) AS revoked,
              COALESCE(to_timestamp($3::float8 / 1000) <= c.tokens_valid_after, false) AS retired
         FROM oauth_clients c WHERE c.client_id = $1`,
      [clientId, jti, issuedAtMs],
    );
    return row
      ? { clientActive: row.active, tokenRevoked: row.revoked, tokenRetired: row.retired }
      : null;
  }

  /**
   * Records a revoked token until `expiresAt`, and drops the records whose tokens have expired
   * by now: revocations are rare, so pruning with them keeps the table small at no other cost.
   */
  async revokeToken(
    token: Pick<RevokedClientToken, 'jti' | 'clientId' | 'expiresAt'>,
    now: Date,
  ): Promise<void> {
    await this.query(
      `WITH pruned AS (DELETE FROM oauth_revoked_tokens WHERE expires_at <= $4)
       INSERT INTO oauth_revoked_tokens (jti, client_id, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (jti) DO NOTHING`,
      [token.jti, token.clientId, token.expiresAt, now],
    );
  }

  private async insertSecret(clientId: string, secret: NewSecret): Promise<SecretMetadata> {
    const saved = await this.secrets.save(
      this.secrets.create({ clientId, secretHash: secret.hash, expiresAt: secret.expiresAt }),
    );
    return { id: saved.id, createdAt: saved.createdAt, expiresAt: saved.expiresAt };
  }

  private async withSecrets(clients: OAuthClient[]): Promise<ClientWithSecrets[]> {
    if (clients.length === 0) return [];
    const secrets = await this.secrets.find({
      select: { id: true, clientId: true, createdAt: true, expiresAt: true },
      where: { clientId: In(clients.map((c) => c.id)), revokedAt: IsNull() },
      order: { id: 'ASC' },
    });
    return clients.map((client) => ({
      client,
      secrets: secrets
        .filter((s) => s.clientId === client.id)
        .map(({ id, createdAt, expiresAt }) => ({ id, createdAt, expiresAt })),
    }));
  }
}
