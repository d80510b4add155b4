import { Injectable, Logger } from '@nestjs/common';
import { Actor } from '../../common/auth/actor';
import { Caller } from '../../common/auth/principal';
import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode, TokenVaultErrorCode } from '../../common/errors/error-code';
import { Transactions } from '../../database/transactions';
import { AuthzService } from '../authz/authz.service';
import { DomainEvents } from '../events/domain-events.service';
import { OfflineToken } from './offline-token.entity';
import { offlineTokenExpiry, OfflineTokenVault } from './offline-token-vault';
import { OFFLINE_TOKEN_RESOURCE } from './offline-token-directory';
import { OfflineTokenLeases } from './offline-token-leases';
import { ConfiguredProvider, ProviderCalls } from './provider-calls';
import { LeasedToken, TokenVaultRepository } from './token-vault.repository';
import { ownerOf } from './token-vault.service';

/** The permission a service needs to use users' offline tokens, and the action decided on. */
export const TOKEN_VAULT_USE = 'token_vault:use';
export const OFFLINE_TOKEN_USE_ACTION = 'offline_token:use';

/** An access token minted from an offline token; never stored. */
export interface MintedAccessToken {
  accessToken: string;
  tokenType: string;
  expiresIn: number | null;
  scope: string | null;
  rotated: boolean;
}

/** How long at most a trip's access token is kept for the requests of other instances. */
const SHARE_MS = 10_000;

/** What one trip to the provider ended in, as every caller waiting on it sees it. */
type Flight = { kind: 'minted'; minted: MintedAccessToken } | { kind: 'rejected' };

/**
 * The use of stored offline tokens: access tokens (refresh grant) for the owner or for a
 * service acting for them, a new offline token from a stored one, and introspection.
 *
 * One record, one trip to the provider at a time (single flight), and no database connection
 * held while it is under way. Callers on this instance that ask during a trip share its answer
 * in memory; across instances the record's lease (OfflineTokenLeases) lets one trip go and the
 * others wait for its answer, which it keeps sealed in the record for them for a few seconds.
 * So 50 concurrent requests make one provider call, and a single-use (rotating) offline token
 * is never spent twice: its replacement is stored by the statement that ends the lease. Only
 * requests that were waiting on a trip share its access token; a later request makes a trip
 * of its own (each answer is fresh from the provider, as callers expect).
 */
@Injectable()
export class OfflineTokenUse {
  private readonly logger = new Logger(OfflineTokenUse.name);
  private readonly flights = new Map<string, Promise<Flight>>();

  constructor(
    private readonly repository: TokenVaultRepository,
    private readonly leases: OfflineTokenLeases,
    private readonly vault: OfflineTokenVault,
    private readonly provider: ProviderCalls,
    private readonly authz: AuthzService,
    private readonly events: DomainEvents,
    private readonly transactions: Transactions,
  ) {}

  /** A fresh access token from the record, for its owner or a service acting for `userId`. */
  async accessToken(caller: Caller, id: string, userId: string | undefined, actor: Actor) {
    const { token, minted } = await this.use(caller, id, userId);
    await this.transactions.run(() =>
      this.events.emit(
        'token_vault.access_token_issued',
        { ...usedBy(token, caller), rotated: minted.rotated },
        { actor },
      ),
    );
    return minted;
  }

  /**
   * A new offline token from the stored one (refresh grant): the provider's answer replaces the
   * stored token when it rotated it. Answers the record, never a token.
   */
  async renew(caller: Caller, id: string, userId: string | undefined, actor: Actor) {
    const { token } = await this.use(caller, id, userId);
    await this.transactions.run(() =>
      this.events.emit('token_vault.offline_token_renewed', usedBy(token, caller), { actor }),
    );
    return token;
  }

  /** One refresh grant for the caller, shared with whoever asks for the record meanwhile. */
  private async use(caller: Caller, id: string, userId: string | undefined) {
    const token = await this.usable(caller, id, userId);
    const flight = await this.fly(token);
    if (flight.kind === 'rejected') throw revoked();
    return { token, minted: flight.minted };
  }

  /** Users may; a service only with `token_vault:use`. */
  assertMayValidate(caller: Caller): void {
    if (caller.kind === 'service' && !caller.scopes.includes(TOKEN_VAULT_USE)) {
      throw new DomainError(
        CommonErrorCode.Forbidden,
        `A service needs the \`${TOKEN_VAULT_USE}\` permission to use the token vault.`,
      );
    }
  }

  /** RFC 7662 introspection of a token of the provider, with the provider's client credentials. */
  async validate(providerSlug: string, token: string) {
    const configured = await this.provider.configured({ slug: providerSlug });
    return this.provider.introspect(configured, token);
  }

  /**
   * The record, if the caller may use it: its owner, or a service with the permission that
   * names the owner and whom the decision point allows `offline_token:use` on it. Another
   * user's record, or one named with the wrong owner, is not found; a revoked one is a 409.
   */
  private async usable(
    caller: Caller,
    id: string,
    userId: string | undefined,
  ): Promise<OfflineToken> {
    const token = await this.repository.findById(id);
    const owner = caller.kind === 'user' ? caller.userId : userId;
    this.assertMayValidate(caller);
    if (!token || token.userId !== owner) {
      throw noSuchToken();
    }
    if (caller.kind === 'service') {
      const decision = await this.authz.check(
        {
          subject: { type: 'user', id: token.userId },
          action: OFFLINE_TOKEN_USE_ACTION,
          resource: { type: OFFLINE_TOKEN_RESOURCE, id: token.id },
        },
        false,
      );
      if (!decision.allowed) {
        throw new DomainError(
          CommonErrorCode.Forbidden,
          'The decision point does not allow this offline token to be used for the user.',
          { extensions: { decision_id: decision.decision_id } },
        );
      }
    }
    if (token.status !== 'active') throw revoked();
    return token;
  }

  private fly(token: OfflineToken): Promise<Flight> {
    const current = this.flights.get(token.id);
    if (current) return current;
    const flight = this.refresh(token).finally(() => this.flights.delete(token.id));
    this.flights.set(token.id, flight);
    return flight;
  }

  /**
   * This instance's trip for the record: the lease first (waiting on another instance's trip,
   * whose answer it then shares), then the refresh grant with no connection held.
   */
  private async refresh(token: OfflineToken): Promise<Flight> {
    const configured = await this.provider.configured({ id: token.providerId });
    const claim = await this.leases.claim(token.id, true);
    switch (claim.kind) {
      case 'gone':
        throw noSuchToken();
      case 'inactive':
        return { kind: 'rejected' };
      case 'shared':
        return {
          kind: 'minted',
          minted: fromShared(this.vault.openAccessToken(ownerOf(token), claim.accessTokenSealed)),
        };
      case 'lead':
        return this.lead(configured, claim.lease, claim.token);
    }
  }

  /**
   * One refresh grant under the lease, then one statement recording its answer: the rotated
   * token (if any) replaces the stored one, and the access token is kept sealed for the requests
   * of other instances that waited; or an `invalid_grant` marks the record revoked. No answer
   * (the provider down) releases the lease.
   */
  private async lead(
    configured: ConfiguredProvider,
    lease: string,
    token: LeasedToken,
  ): Promise<Flight> {
    const now = new Date();
    const owner = ownerOf(token);
    let stored: string;
    let response: Awaited<ReturnType<ProviderCalls['refresh']>>;
    try {
      stored = this.vault.open(owner, token.envelope);
      response = await this.provider.refresh(configured, stored);
    } catch (error) {
      if (!(
        error instanceof DomainError && error.code === TokenVaultErrorCode.OfflineTokenRevoked
      )) {
        await this.leases.release(token.id, lease);
        throw error;
      }
      const marked = await this.transactions.run(async () => {
        if (!(await this.repository.revokeInFlight(token.id, lease, now))) return false;
        await this.events.emit(
          'token_vault.token_rejected',
          { token_id: token.id, user_id: token.userId, provider_id: token.providerId },
          { actor: { type: 'system', id: 'token-vault', requestId: null, ip: null } },
        );
        return true;
      });
      // Refused because its person was erased meanwhile (their job revoked it): no record.
      if (!marked && !(await this.repository.flightOf(token.id))) throw noSuchToken();
      return { kind: 'rejected' };
    }
    const next = response.refresh_token;
    const rotated = typeof next === 'string' && next.length > 0 && next !== stored;
    const minted: MintedAccessToken = {
      accessToken: response.access_token,
      tokenType: response.token_type ?? 'Bearer',
      expiresIn: typeof response.expires_in === 'number' ? response.expires_in : null,
      scope: typeof response.scope === 'string' ? response.scope : null,
      rotated,
    };
    let replacement = null;
    if (rotated) {
      const sealed = this.vault.seal(owner, next);
      replacement = {
        envelope: sealed.envelope,
        keyId: sealed.keyId,
        tokenHash: sealed.tokenHash,
        expiresAt: offlineTokenExpiry(response, now) ?? token.expiresAt,
      };
    }
    const recorded = await this.repository.completeFlight(
      token.id,
      lease,
      {
        rotated: replacement,
        accessTokenSealed: this.vault.sealAccessToken(
          owner,
          JSON.stringify({ ...minted, mintedAt: now.getTime() } satisfies SharedAccessToken),
        ),
        shareMs: shareMs(minted),
      },
      now,
    );
    if (!recorded) {
      if (!(await this.repository.flightOf(token.id))) {
        // Its person was erased meanwhile (erasure does not wait for trips, and its job revokes
        // the token it read): the token this trip got is revoked too, and nothing is answered.
        await this.provider.retire(configured, rotated ? next : stored, {
          revoke: true,
          sessionId: null,
        });
        throw noSuchToken();
      }
      // A lease that outlived its length: the answer is the caller's, the record keeps its own.
      this.logger.warn({ token_id: token.id, rotated }, 'A trip ended after losing its lease');
    }
    return { kind: 'minted', minted };
  }
}

/** The shared answer of a trip as sealed: when it was minted, to tell the rest of its life. */
interface SharedAccessToken extends MintedAccessToken {
  mintedAt: number;
}

/**
 * How long a trip's access token is kept for the requests that waited on it: long enough for
 * them to look (they look every 50 ms at most), never more than half its life.
 */
function shareMs(minted: MintedAccessToken): number {
  return minted.expiresIn === null
    ? SHARE_MS
    : Math.min(SHARE_MS, Math.floor((minted.expiresIn * 1000) / 2));
}

function fromShared(sealed: string): MintedAccessToken {
  const { mintedAt, ...minted } = JSON.parse(sealed) as SharedAccessToken;
  const age = Math.floor((Date.now() - mintedAt) / 1000);
  return {
    ...minted,
    expiresIn: minted.expiresIn === null ? null : Math.max(minted.expiresIn - age, 0),
  };
}

/** Whose record was used, by whom: the fields of its events. */
function usedBy(token: OfflineToken, caller: Caller) {
  return {
    token_id: token.id,
    user_id: token.userId,
    provider_id: token.providerId,
    client_id: caller.kind === 'service' ? caller.clientId : null,
  };
}

function noSuchToken(): DomainError {
  return new DomainError(CommonErrorCode.NotFound, 'No such offline token.');
}

function revoked(): DomainError {
  return new DomainError(
    TokenVaultErrorCode.OfflineTokenRevoked,
    'The identity provider no longer accepts this offline token: ask the user for consent again.',
  );
}
