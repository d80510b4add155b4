import { Injectable } from '@nestjs/common';
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
import { ProviderCalls } from './provider-calls';
import { TokenVaultRepository } from './token-vault.repository';
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

/** What one trip to the provider ended in, as every caller waiting on it sees it. */
type Flight = { kind: 'minted'; minted: MintedAccessToken } | { kind: 'rejected' };

/**
 * The use of stored offline tokens: access tokens (refresh grant) for the owner or for a
 * service acting for them, a new offline token from a stored one, and introspection.
 *
 * One record, one trip to the provider at a time. Callers on this instance that ask while a
 * trip is under way wait for it and share its answer (single flight), so 50 concurrent requests
 * make one provider call; across instances the record's row lock, held during the call, makes
 * the next caller use the token the previous one stored. A single-use (rotating) offline token
 * is thus never spent twice, and its replacement is stored in the transaction that spent it.
 */
@Injectable()
export class OfflineTokenUse {
  private readonly flights = new Map<string, Promise<Flight>>();

  constructor(
    private readonly repository: TokenVaultRepository,
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
    const flight = await this.fly(token.id);
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
      throw new DomainError(CommonErrorCode.NotFound, 'No such offline token.');
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

  private fly(id: string): Promise<Flight> {
    const current = this.flights.get(id);
    if (current) return current;
    const flight = this.refresh(id).finally(() => this.flights.delete(id));
    this.flights.set(id, flight);
    return flight;
  }

  /**
   * One refresh grant with the record locked: the rotated token (if any) is stored, or an
   * `invalid_grant` marks the record revoked, in the same transaction.
   */
  private refresh(id: string): Promise<Flight> {
    return this.transactions.run(async (): Promise<Flight> => {
      const now = new Date();
      const token = await this.repository.findSealedForUpdate(id);
      if (!token) throw new DomainError(CommonErrorCode.NotFound, 'No such offline token.');
      if (token.status !== 'active') return { kind: 'rejected' };
      const configured = await this.provider.configured({ id: token.providerId });
      const owner = ownerOf(token);
      const stored = this.vault.open(owner, token.envelope);
      let response;
      try {
        response = await this.provider.refresh(configured, stored);
      } catch (error) {
        if (!(
          error instanceof DomainError && error.code === TokenVaultErrorCode.OfflineTokenRevoked
        )) {
          throw error;
        }
        await this.repository.markRevoked(id, now);
        await this.events.emit(
          'token_vault.token_rejected',
          { token_id: id, user_id: token.userId, provider_id: token.providerId },
          { actor: { type: 'system', id: 'token-vault', requestId: null, ip: null } },
        );
        return { kind: 'rejected' };
      }
      const next = response.refresh_token;
      const rotated = typeof next === 'string' && next.length > 0 && next !== stored;
      if (rotated) {
        const sealed = this.vault.seal(owner, next);
        await this.repository.rotate(
          id,
          {
            envelope: sealed.envelope,
            keyId: sealed.keyId,
            tokenHash: sealed.tokenHash,
            expiresAt: offlineTokenExpiry(response, now) ?? token.expiresAt,
          },
          now,
        );
      } else {
        await this.repository.markUsed(id, now);
      }
      return {
        kind: 'minted',
        minted: {
          accessToken: response.access_token,
          tokenType: response.token_type ?? 'Bearer',
          expiresIn: typeof response.expires_in === 'number' ? response.expires_in : null,
          scope: typeof response.scope === 'string' ? response.scope : null,
          rotated,
        },
      };
    });
  }
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

function revoked(): DomainError {
  return new DomainError(
    TokenVaultErrorCode.OfflineTokenRevoked,
    'The identity provider no longer accepts this offline token: ask the user for consent again.',
  );
}
