import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { hashOpaqueToken, issueOpaqueToken } from '../../common/crypto/opaque-token';
import { ErrorCode } from '../../common/errors/error-code';
import { ProblemException } from '../../common/errors/problem.exception';
import { Transactions } from '../../database/transactions';
import { AuditActor } from '../audit/audit-actor';
import { AuditService } from '../audit/audit.service';
import { isClientId, newClientId } from './client-identifiers';
import { ClientStatus, OAuthClient } from './oauth-client.entity';
import {
  ClientCredentials,
  ClientWithSecrets,
  MAX_ACTIVE_SECRETS,
  OAuthClientsRepository,
  SecretMetadata,
} from './oauth-clients.repository';

/**
 * How long an instance trusts its last look at a service token's client and revocation. A client
 * disabled, or a token revoked, anywhere stops authenticating requests on every instance within
 * this time (the bound is 5 s), as with sessions (SESSION_STATUS_CACHE_MS).
 */
export const CLIENT_TOKEN_STATUS_CACHE_MS = 2000;
const CLIENT_TOKEN_STATUS_CACHE_MAX_ENTRIES = 100_000;

/**
 * How long an instance trusts its last read of a client's status and active secrets when
 * authenticating it. A client disabled, or a secret removed or expired, anywhere stops
 * authenticating on every instance within this time (at once on the instance that changed it).
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

function notFound(): ProblemException {
  return new ProblemException(404, ErrorCode.NotFound, 'There is no such client.');
}

/** The audit target of a client: its public id, the one its own actions are recorded under. */
const target = (clientId: string) => ({ type: 'client', id: clientId });

/**
 * Service clients: their lifecycle and secrets (each change committed together with its audit
 * record), and the liveness of their tokens.
 */
@Injectable()
export class OAuthClientsService {
  private readonly tokenStatusCache = new Map<
    string,
    { clientId: string; live: boolean; until: number }
  >();
  /**
   * Client ids' credentials as last read, unknown ids included (null): a known and an unknown
   * client cost the same, a read every CLIENT_CREDENTIALS_CACHE_MS at most. Concurrent
   * authentications of one id share a read in progress.
   */
  private readonly credentialsCache = new Map<
    string,
    { credentials: ClientCredentials | null; until: number }
  >();
  private readonly credentialsLoading = new Map<string, Promise<ClientCredentials | null>>();
  /** Liveness reads in progress: the requests presenting one token at once share its read. */
  private readonly tokenStatusLoading = new Map<
    string,
    { clientId: string; live: Promise<boolean> }
  >();

  constructor(
    private readonly clients: OAuthClientsRepository,
    private readonly transactions: Transactions,
    private readonly audit: AuditService,
  ) {}

  /** A new active client with the client-credentials grant, and its first secret. */
  async create(
    input: { name: string; scopes: string[]; secretExpiresAt: Date | null },
    actor: AuditActor,
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
      await this.audit.record({
        actor,
        action: 'client.create',
        target: target(client.client.clientId),
        details: {
          name: client.client.name,
          allowed_scopes: client.client.allowedScopes,
          secret_id: client.secrets[0].id,
          secret_expires_at: input.secretExpiresAt?.toISOString() ?? null,
        },
      });
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
    actor: AuditActor,
    now = new Date(),
  ): Promise<IssuedSecret> {
    const { token, hash } = issueOpaqueToken('clientSecret');
    const added = await this.transactions.run(async () => {
      const result = await this.clients.addSecret(id, { hash, expiresAt }, now);
      if (typeof result === 'object') {
        await this.audit.record({
          actor,
          action: 'client.secret_add',
          target: target(result.clientId),
          details: { secret_id: result.secret.id, expires_at: expiresAt?.toISOString() ?? null },
        });
      }
      return result;
    });
    if (added === 'no_client') throw notFound();
    if (added === 'limit_reached') {
      throw new ProblemException(
        409,
        ErrorCode.SecretLimitReached,
        `The client already has ${MAX_ACTIVE_SECRETS} active secrets; remove one first.`,
      );
    }
    this.forgetCredentials(added.clientId);
    return { ...added.secret, secret: token };
  }

  /**
   * Removes a secret at once: requests presenting it fail from now on here and within
   * CLIENT_CREDENTIALS_CACHE_MS on other instances, and so do all the access tokens the client
   * holds (a token does not record which secret got it), on every instance within
   * CLIENT_TOKEN_STATUS_CACHE_MS. The client gets new ones with its other secret.
   */
  async removeSecret(
    id: string,
    secretId: string,
    actor: AuditActor,
    now = new Date(),
  ): Promise<void> {
    const removed = await this.transactions.run(async () => {
      const clientId = await this.clients.removeSecret(id, secretId, now);
      if (clientId) {
        await this.audit.record({
          actor,
          action: 'client.secret_remove',
          target: target(clientId),
          details: { secret_id: secretId },
        });
      }
      return clientId;
    });
    if (!removed) {
      throw new ProblemException(404, ErrorCode.NotFound, 'The client has no such secret.');
    }
    this.forgetClient(removed);
  }

  /**
   * Ends every access token the client was issued until now, leaving it active with its secrets
   * (for "a token may have leaked"): refused at once here and within CLIENT_TOKEN_STATUS_CACHE_MS
   * on every instance; tokens issued afterwards work.
   */
  async revokeTokens(id: string, actor: AuditActor, now = new Date()): Promise<void> {
    const retired = await this.transactions.run(async () => {
      const clientId = await this.clients.retireTokens(id, now);
      if (clientId) {
        await this.audit.record({
          actor,
          action: 'client.tokens_revoke',
          target: target(clientId),
          details: { tokens_valid_after: now.toISOString() },
        });
      }
      return clientId;
    });
    if (!retired) throw notFound();
    this.forgetClient(retired);
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
    actor: AuditActor,
    now = new Date(),
  ): Promise<ClientWithSecrets> {
    const updated = await this.transactions.run(async () => {
      const changed = await this.clients.setStatus(id, status, now);
      if (changed) {
        await this.audit.record({
          actor,
          action: status === 'disabled' ? 'client.disable' : 'client.enable',
          target: target(changed),
        });
      }
      return this.clients.findById(id);
    });
    if (!updated) throw notFound();
    this.forgetClient(updated.client.clientId);
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
    const client = isClientId(clientId) ? await this.credentialsOf(clientId, now) : null;
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

  /** The client's credentials, from the cache or from one read shared by concurrent callers. */
  private credentialsOf(clientId: string, now: Date): Promise<ClientCredentials | null> {
    const nowMs = Date.now();
    const cached = this.credentialsCache.get(clientId);
    if (cached && cached.until > nowMs) return Promise.resolve(cached.credentials);
    const pending = this.credentialsLoading.get(clientId);
    if (pending) return pending;
    const loading = this.clients
      .findCredentials(clientId, now)
      .then((credentials) => {
        // Only a read still current is kept: a change on this instance meanwhile dropped it.
        if (this.credentialsLoading.get(clientId) === loading) {
          if (this.credentialsCache.size >= CLIENT_CREDENTIALS_CACHE_MAX_ENTRIES) {
            this.evictExpiredCredentials(nowMs);
          }
          this.credentialsCache.set(clientId, {
            credentials,
            until: nowMs + CLIENT_CREDENTIALS_CACHE_MS,
          });
        }
        return credentials;
      })
      .finally(() => {
        if (this.credentialsLoading.get(clientId) === loading) {
          this.credentialsLoading.delete(clientId);
        }
      });
    this.credentialsLoading.set(clientId, loading);
    return loading;
  }

  /**
   * Whether a service access token (already verified) still authenticates requests: its client
   * exists and is active, the token was not revoked, and it was issued (`issuedAtMs`, milliseconds
   * since the epoch) after the client's tokens were last ended. Answers from a short per-instance
   * cache.
   */
  async isTokenLive(clientId: string, jti: string, issuedAtMs: number): Promise<boolean> {
    const nowMs = Date.now();
    const cached = this.tokenStatusCache.get(jti);
    if (cached && cached.until > nowMs && cached.clientId === clientId) return cached.live;
    const pending = this.tokenStatusLoading.get(jti);
    if (pending && pending.clientId === clientId) return pending.live;
    const live = this.clients.tokenState(clientId, jti, issuedAtMs).then((state) => {
      const isLive =
        state !== null && state.clientActive && !state.tokenRevoked && !state.tokenRetired;
      // Only a read still current is kept: a revocation or a disabling here meanwhile dropped it.
      if (this.tokenStatusLoading.get(jti)?.live === live) {
        if (this.tokenStatusCache.size >= CLIENT_TOKEN_STATUS_CACHE_MAX_ENTRIES) {
          this.evictExpired(nowMs);
        }
        const until = nowMs + CLIENT_TOKEN_STATUS_CACHE_MS;
        this.tokenStatusCache.set(jti, { clientId, live: isLive, until });
      }
      return isLive;
    });
    this.tokenStatusLoading.set(jti, { clientId, live });
    try {
      return await live;
    } finally {
      if (this.tokenStatusLoading.get(jti)?.live === live) this.tokenStatusLoading.delete(jti);
    }
  }

  /** Revokes one of the client's access tokens until it expires (RFC 7009). */
  async revokeToken(
    client: Pick<ClientCredentials, 'id'>,
    token: { jti: string; expiresAt: Date },
    now = new Date(),
  ): Promise<void> {
    await this.clients.revokeToken(
      { jti: token.jti, clientId: client.id, expiresAt: token.expiresAt },
      now,
    );
    this.tokenStatusCache.delete(token.jti);
    this.tokenStatusLoading.delete(token.jti);
  }

  private forgetClient(clientId: string): void {
    this.forgetCredentials(clientId);
    for (const [jti, entry] of this.tokenStatusCache) {
      if (entry.clientId === clientId) this.tokenStatusCache.delete(jti);
    }
    for (const [jti, entry] of this.tokenStatusLoading) {
      if (entry.clientId === clientId) this.tokenStatusLoading.delete(jti);
    }
  }

  /** This instance sees its own changes of a client's status or secrets at once. */
  private forgetCredentials(clientId: string): void {
    this.credentialsCache.delete(clientId);
    this.credentialsLoading.delete(clientId);
  }

  private evictExpiredCredentials(nowMs: number): void {
    for (const [clientId, entry] of this.credentialsCache) {
      if (entry.until <= nowMs) this.credentialsCache.delete(clientId);
    }
    // Still full of fresh entries (a burst of distinct ids): start over rather than grow.
    if (this.credentialsCache.size >= CLIENT_CREDENTIALS_CACHE_MAX_ENTRIES) {
      this.credentialsCache.clear();
    }
  }

  private evictExpired(nowMs: number): void {
    for (const [jti, entry] of this.tokenStatusCache) {
      if (entry.until <= nowMs) this.tokenStatusCache.delete(jti);
    }
    // Still full of fresh entries (a burst of distinct tokens): start over rather than grow.
    if (this.tokenStatusCache.size >= CLIENT_TOKEN_STATUS_CACHE_MAX_ENTRIES) {
      this.tokenStatusCache.clear();
    }
  }
}
