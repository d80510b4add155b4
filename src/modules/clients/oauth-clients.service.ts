import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ExpiringCache } from '../../common/cache/expiring-cache';
import { hashOpaqueToken, issueOpaqueToken } from '../../common/crypto/opaque-token';
import { DomainError } from '../../common/errors/domain-error';
import { ClientErrorCode, CommonErrorCode } from '../../common/errors/error-code';
import { Transactions } from '../../database/transactions';
import { Actor } from '../../common/auth/actor';
import { DomainEvents } from '../events/domain-events.service';
import { EventOf, OnBroadcast } from '../events/on-event.decorator';
import { isClientId, newClientId } from './client-identifiers';
import { OAuthClient } from './oauth-client.entity';
import { ClientStatus } from './client-model';
import {
  ClientWithSecrets,
  MAX_ACTIVE_SECRETS,
  OAuthClientsRepository,
  SecretMetadata,
} from './oauth-clients.repository';
import { ClientCredentials } from './client-model';

/**
 * How long an instance trusts its last look at a service token's client and revocation: the
 * safety net. The change's event reaches every instance within moments; should it be lost, a
 * client disabled, or a token revoked, anywhere still stops authenticating requests on every
 * instance within this time, as with sessions (SESSION_STATUS_CACHE_MS).
 */
export const CLIENT_TOKEN_STATUS_CACHE_MS = 2000;
const CLIENT_TOKEN_STATUS_CACHE_MAX_ENTRIES = 100_000;

/**
 * How long an instance trusts its last read of a client's status and active secrets when
 * authenticating it: the safety net of the change's event, as above. A secret that expires
 * (no event) stops authenticating within this time.
 */
export const CLIENT_CREDENTIALS_CACHE_MS = 2000;
const CLIENT_CREDENTIALS_CACHE_MAX_ENTRIES = 10_000;

/** `last_used_at` is kept to the minute: a busy client costs one write a minute, not one a token. */
const LAST_USED_RESOLUTION_S = 60;

/**
 * Compared against when a client has fewer active secrets than it may have (an unknown client
 * has none), so that every authentication does the same work. Random per process: it is the hash
 * of no secret anyone holds.
 */
const UNMATCHABLE_HASH = randomBytes(32);

export interface IssuedSecret extends SecretMetadata {
  /** `ghs_…`: shown once, never stored. */
  secret: string;
}

function notFound(): DomainError {
  return new DomainError(CommonErrorCode.NotFound, 'There is no such client.');
}

/**
 * Service clients: their lifecycle and secrets (each change committed together with its audit
 * record), and the liveness of their tokens.
 */
@Injectable()
export class OAuthClientsService {
  /**
   * Whether each service token (by client and `jti`) was live when last read. Requests that
   * present one token while its status is read share the read.
   */
  private readonly tokenStatuses = new ExpiringCache<string, boolean>({
    ttlMs: CLIENT_TOKEN_STATUS_CACHE_MS,
    maxEntries: CLIENT_TOKEN_STATUS_CACHE_MAX_ENTRIES,
    whenFull: 'clear',
  });
  /**
   * Client ids' credentials as last read, unknown ids included (null): a known and an unknown
   * client cost the same, a read every CLIENT_CREDENTIALS_CACHE_MS at most. Concurrent
   * authentications of one id share a read in progress.
   */
  private readonly credentials = new ExpiringCache<string, ClientCredentials | null>({
    ttlMs: CLIENT_CREDENTIALS_CACHE_MS,
    maxEntries: CLIENT_CREDENTIALS_CACHE_MAX_ENTRIES,
    whenFull: 'clear',
  });

  constructor(
    private readonly clients: OAuthClientsRepository,
    private readonly transactions: Transactions,
    private readonly events: DomainEvents,
  ) {}

  /** A new active client with the client-credentials grant, and its first secret. */
  async create(
    input: { name: string; scopes: string[]; secretExpiresAt: Date | null },
    actor: Actor,
  ): Promise<{ client: ClientWithSecrets; secret: IssuedSecret }> {
    const { token, hash } = issueOpaqueToken('clientSecret');
    const created = await this.transactions.run(async () => {
      const client = await this.clients.create(
        {
          clientId: newClientId(),
          name: input.name,
          allowedScopes: [...new Set(input.scopes)].sort(),
          grantTypes: ['client_credentials'],
        },
        { hash, expiresAt: input.secretExpiresAt },
      );
      await this.events.emit(
        'client.created',
        {
          client_id: client.client.clientId,
          name: client.client.name,
          allowed_scopes: client.client.allowedScopes,
          secret_id: client.secrets[0].id,
          secret_expires_at: input.secretExpiresAt?.toISOString() ?? null,
        },
        { actor },
      );
      return client;
    });
    return { client: created, secret: { ...created.secrets[0], secret: token } };
  }

  list(limit: number, after: string | null): Promise<ClientWithSecrets[]> {
    return this.clients.list(limit, after);
  }

  /** The client with this public `client_id`, or null. */
  findByClientId(clientId: string): Promise<OAuthClient | null> {
    return this.clients.findByClientId(clientId);
  }

  async get(id: string): Promise<ClientWithSecrets> {
    const client = await this.clients.findById(id);
    if (!client) throw notFound();
    return client;
  }

  /**
   * A further secret for rotation: the client's other secret keeps working until it is removed
   * or expires. Refused (409) while MAX_ACTIVE_SECRETS are active.
   */
  async addSecret(
    id: string,
    expiresAt: Date | null,
    actor: Actor,
    now = new Date(),
  ): Promise<IssuedSecret> {
    const { token, hash } = issueOpaqueToken('clientSecret');
    const added = await this.transactions.run(async () => {
      const result = await this.clients.addSecret(id, { hash, expiresAt }, now);
      if (typeof result === 'object') {
        await this.events.emit(
          'client.secret.created',
          {
            client_id: result.clientId,
            secret_id: result.secret.id,
            expires_at: expiresAt?.toISOString() ?? null,
          },
          { actor },
        );
      }
      return result;
    });
    if (added === 'no_client') throw notFound();
    if (added === 'limit_reached') {
      throw new DomainError(
        ClientErrorCode.SecretLimitReached,
        `The client already has ${MAX_ACTIVE_SECRETS} active secrets; remove one first.`,
      );
    }
    return { ...added.secret, secret: token };
  }

  /**
   * Removes a secret at once: requests presenting it fail from now on here and within
   * CLIENT_CREDENTIALS_CACHE_MS on other instances, and so do all the access tokens the client
   * holds (a token does not record which secret got it), on every instance within
   * CLIENT_TOKEN_STATUS_CACHE_MS. The client gets new ones with its other secret.
   */
  async removeSecret(id: string, secretId: string, actor: Actor, now = new Date()): Promise<void> {
    const removed = await this.transactions.run(async () => {
      const clientId = await this.clients.removeSecret(id, secretId, now);
      if (clientId) {
        await this.events.emit(
          'client.secret.removed',
          { client_id: clientId, secret_id: secretId },
          { actor },
        );
      }
      return clientId;
    });
    if (!removed) {
      throw new DomainError(CommonErrorCode.NotFound, 'The client has no such secret.');
    }
  }

  /**
   * Ends every access token the client was issued until now, leaving it active with its secrets
   * (for "a token may have leaked"): refused at once here and within CLIENT_TOKEN_STATUS_CACHE_MS
   * on every instance; tokens issued afterwards work.
   */
  async revokeTokens(id: string, actor: Actor, now = new Date()): Promise<void> {
    const retired = await this.transactions.run(async () => {
      const clientId = await this.clients.retireTokens(id, now);
      if (clientId) {
        await this.events.emit(
          'client.tokens_revoked',
          { client_id: clientId, tokens_valid_after: now.toISOString() },
          { actor },
        );
      }
      return clientId;
    });
    if (!retired) throw notFound();
  }

  /**
   * Disabling refuses the client at the OAuth endpoints at once here and within
   * CLIENT_CREDENTIALS_CACHE_MS on other instances, and its access tokens within
   * CLIENT_TOKEN_STATUS_CACHE_MS on every instance; they stay dead when it is enabled again (their
   * secrets may be what got it disabled), and it gets new ones. Setting the status it already has
   * changes (and records) nothing.
   */
  async setStatus(
    id: string,
    status: ClientStatus,
    actor: Actor,
    now = new Date(),
  ): Promise<ClientWithSecrets> {
    const updated = await this.transactions.run(async () => {
      const changed = await this.clients.setStatus(id, status, now);
      if (changed) {
        await this.events.emit(
          status === 'disabled' ? 'client.disabled' : 'client.enabled',
          { client_id: changed },
          { actor },
        );
      }
      return this.clients.findById(id);
    });
    if (!updated) throw notFound();
    return updated;
  }

  /**
   * The client whose id and secret these are (whatever its status), or null. The same work is
   * done whether the client exists or not and whatever secret is presented: the secret is hashed
   * and compared in constant time with MAX_ACTIVE_SECRETS hashes, padded with ones nothing
   * matches, so neither the answer nor its timing tells an unknown client from a wrong secret.
   * The client's row is read at most every CLIENT_CREDENTIALS_CACHE_MS, an unknown id's as often.
   */
  async authenticate(
    clientId: string,
    secret: string,
    now = new Date(),
  ): Promise<ClientCredentials | null> {
    const presented = hashOpaqueToken(secret);
    // A malformed id cannot exist: not looking it up tells nothing about clients that do.
    const client = isClientId(clientId)
      ? await this.credentials.getOrLoad(clientId, () =>
          this.clients.findCredentials(clientId, now),
        )
      : null;
    const candidates = client?.secretHashes ?? [];
    let matched = false;
    for (let i = 0; i < Math.max(MAX_ACTIVE_SECRETS, candidates.length); i++) {
      // Both operands always evaluated: no early exit on the first match.
      matched = timingSafeEqual(candidates[i] ?? UNMATCHABLE_HASH, presented) || matched;
    }
    return client && matched ? client : null;
  }

  /**
   * Notes a successful authentication (at most one write a minute per client). The credentials
   * are the cached ones: noting the time on them keeps the requests that share them from
   * writing it again.
   */
  async recordUse(client: ClientCredentials, now = new Date()): Promise<void> {
    const stale =
      client.lastUsedAt === null ||
      now.getTime() - client.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_S * 1000;
    if (!stale) return;
    client.lastUsedAt = now;
    await this.clients.touchLastUsed(client.id, now, LAST_USED_RESOLUTION_S);
  }

  /**
   * Whether a service access token (already verified) still authenticates requests: its client
   * exists and is active, the token was not revoked, and it was issued (`issuedAtMs`, milliseconds
   * since the epoch) after the client's tokens were last ended. Answers from a short per-instance
   * cache.
   */
  isTokenLive(clientId: string, jti: string, issuedAtMs: number): Promise<boolean> {
    return this.tokenStatuses.getOrLoad(tokenStatusKey(clientId, jti), async () => {
      const state = await this.clients.tokenState(clientId, jti, issuedAtMs);
      return state !== null && state.clientActive && !state.tokenRevoked && !state.tokenRetired;
    });
  }

  /** Revokes one of the client's access tokens until it expires (RFC 7009). */
  async revokeToken(
    client: Pick<ClientCredentials, 'id' | 'clientId'>,
    token: { jti: string; expiresAt: Date },
    now = new Date(),
  ): Promise<void> {
    await this.transactions.run(async () => {
      await this.clients.revokeToken(
        { jti: token.jti, clientId: client.id, expiresAt: token.expiresAt },
        now,
      );
      await this.events.emit('client.access_token.revoked', {
        client_id: client.clientId,
        jti: token.jti,
        expires_at: token.expiresAt.toISOString(),
      });
    });
  }

  /** A revoked token stops authenticating requests on this instance at once. */
  @OnBroadcast('client.access_token.revoked')
  forgetToken(event: EventOf<'client.access_token.revoked'>): void {
    this.tokenStatuses.delete(tokenStatusKey(event.data.client_id, event.data.jti));
  }

  /**
   * This instance reads the client's status, secrets and tokens afresh at their next use (its
   * status or secrets changed, or its tokens were ended): at once where the change was made,
   * and as soon as it is published on the others.
   */
  @OnBroadcast(
    'client.secret.created',
    'client.secret.removed',
    'client.tokens_revoked',
    'client.disabled',
    'client.enabled',
  )
  forgetClient({ data: { client_id: clientId } }: ClientChange): void {
    this.credentials.delete(clientId);
    const prefix = tokenStatusKey(clientId, '');
    this.tokenStatuses.deleteWhere((key) => key.startsWith(prefix));
  }
}

type ClientChange = EventOf<
  | 'client.secret.created'
  | 'client.secret.removed'
  | 'client.tokens_revoked'
  | 'client.disabled'
  | 'client.enabled'
>;

/** A token's key in the status cache: its client first, so that a client's tokens share a prefix. */
function tokenStatusKey(clientId: string, jti: string): string {
  return `${clientId} ${jti}`;
}
