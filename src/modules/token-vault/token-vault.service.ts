import { Inject, Injectable, Logger } from '@nestjs/common';
import * as oidc from 'openid-client';
import { Actor } from '../../common/auth/actor';
import { EnvelopeCipher } from '../../common/crypto/envelope-cipher';
import { DomainError } from '../../common/errors/domain-error';
import {
  CommonErrorCode,
  FederationErrorCode,
  TokenVaultErrorCode,
} from '../../common/errors/error-code';
import { uuidV7 } from '../../common/ids/uuid-v7';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transactions';
import { SessionService } from '../auth/session.service';
import { DomainEvents } from '../events/domain-events.service';
import { ProviderSecrets } from '../federation/provider-secrets';
import { ConsentBinding, ConsentState } from './consent-state';
import { OfflineToken } from './offline-token.entity';
import { offlineTokenExpiry, OfflineTokenVault } from './offline-token-vault';
import { OfflineTokenLeases } from './offline-token-leases';
import { ConfiguredProvider, describe, isDown, ProviderCalls, unavailable } from './provider-calls';
import { TokenVaultRepository } from './token-vault.repository';

const OFFLINE_ACCESS = 'offline_access';

interface PendingSecrets {
  nonce: string;
  verifier: string;
}

/** The provider's redirect back, as the browser or a web client hands it over. */
export interface ConsentResponse {
  state: string;
  code?: string;
  iss?: string;
  error?: string;
}

/** Who hands the redirect over: the browser itself (GET), or a signed-in web client (POST). */
export type ConsentCompleter =
  { kind: 'browser' } | { kind: 'user'; userId: string; sessionId: string };

/** The request a public route acts for, for the actor of what it changes. */
export interface RequestOrigin {
  requestId: string | null;
  ip: string | null;
}

export interface StoredOfflineToken {
  recordId: string;
  providerSessionId: string | null;
}

/**
 * Consent at a provider for an offline token, its storage and its deletion. The consent is an
 * authorization code flow asking `offline_access`, with PKCE S256, a nonce and a signed
 * single-use state bound to the user and session that asked; the code is exchanged with
 * openid-client, which checks the ID token (JWKS signature, `iss`, `aud`, `exp`, `nonce`, the
 * response's `iss`), and the offline token is stored sealed (OfflineTokenVault).
 */
@Injectable()
export class TokenVaultService {
  private readonly logger = new Logger(TokenVaultService.name);
  private readonly states: ConsentState;

  constructor(
    private readonly repository: TokenVaultRepository,
    private readonly leases: OfflineTokenLeases,
    private readonly vault: OfflineTokenVault,
    private readonly provider: ProviderCalls,
    private readonly secrets: ProviderSecrets,
    private readonly sessions: SessionService,
    private readonly events: DomainEvents,
    private readonly transactions: Transactions,
    cipher: EnvelopeCipher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.states = new ConsentState(cipher);
  }

  /** The provider's authorization URL asking for `offline_access` and `scopes`. */
  async consent(
    who: { userId: string; sessionId: string },
    request: { provider: string; scopes: string[]; redirectUri?: string },
    now = new Date(),
  ): Promise<{ authorizationUrl: string; expiresAt: Date }> {
    const configured = await this.provider.configured({ slug: request.provider });
    const { provider, configuration } = configured;
    const redirectUri = request.redirectUri ?? provider.redirectUris[0];
    if (!redirectUri || !provider.redirectUris.includes(redirectUri)) {
      throw new DomainError(
        FederationErrorCode.RedirectUriNotAllowed,
        'This redirect_uri is not registered for the provider.',
        { errors: [{ field: 'redirect_uri', message: 'is not registered for the provider' }] },
      );
    }
    const scopes = [...new Set(['openid', OFFLINE_ACCESS, ...request.scopes])];
    const consentId = uuidV7(now.getTime());
    const expiresAt = new Date(now.getTime() + this.config.tokenVault.consentTtlSeconds * 1000);
    const nonce = oidc.randomNonce();
    const verifier = oidc.randomPKCECodeVerifier();
    await this.repository.insertConsent({
      id: consentId,
      userId: who.userId,
      sessionId: who.sessionId,
      providerId: provider.id,
      scopes,
      redirectUri,
      secretsSealed: this.secrets.sealFor(consentSecretsContext(consentId), {
        nonce,
        verifier,
      } satisfies PendingSecrets),
      expiresAt,
    });
    const state = this.states.sign({ consentId, ...who, expiresAt });
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: scopes.join(' '),
      // Providers drop offline_access from a prompt without consent (OpenID Connect Core 11).
      prompt: 'consent',
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    return { authorizationUrl: url.toString(), expiresAt };
  }

  /** Exchanges the code of a consent and stores its offline token. */
  async complete(
    response: ConsentResponse,
    completer: ConsentCompleter,
    origin: RequestOrigin,
  ): Promise<StoredOfflineToken> {
    const now = new Date();
    const consent = await this.useConsent(response.state, completer, now);
    if (response.error !== undefined) {
      throw new DomainError(
        TokenVaultErrorCode.ConsentDenied,
        'The identity provider did not grant the consent.',
        { extensions: { provider_error: response.error.slice(0, 64) } },
      );
    }
    if (response.code === undefined) {
      throw new DomainError(CommonErrorCode.ValidationFailed, 'The callback carries no code.', {
        errors: [{ field: 'code', message: 'is required' }],
      });
    }
    const configured = await this.provider.configured({ id: consent.providerId });
    const tokens = await this.exchange(configured, consent, response);
    const claims = tokens.claims()!;
    const offlineToken = tokens.refresh_token;
    if (!offlineToken) {
      throw new DomainError(
        TokenVaultErrorCode.OfflineAccessNotGranted,
        'The identity provider granted no offline token (offline_access).',
      );
    }
    const sid =
      (typeof claims.sid === 'string' && claims.sid) ||
      (typeof tokens.session_state === 'string' && tokens.session_state) ||
      null;
    const granted = typeof tokens.scope === 'string' ? tokens.scope.split(' ') : consent.scopes;
    const owner = { recordId: uuidV7(), userId: consent.userId, providerId: consent.providerId };
    const sealed = this.vault.seal(owner, offlineToken);
    const actor: Actor = { type: 'user', id: consent.userId, ...origin };
    return this.transactions.run(async () => {
      const stored = await this.repository.upsert({
        id: owner.recordId,
        userId: owner.userId,
        providerId: owner.providerId,
        subject: claims.sub,
        providerSessionId: sid,
        scopes: granted.filter((scope) => scope.length > 0),
        envelope: sealed.envelope,
        keyId: sealed.keyId,
        tokenHash: sealed.tokenHash,
        expiresAt: offlineTokenExpiry(tokens, now),
      });
      await this.events.emit(
        'token_vault.token_stored',
        {
          token_id: stored.id,
          user_id: owner.userId,
          provider_id: owner.providerId,
          created: stored.created,
          scopes: granted.filter((scope) => scope.length > 0),
        },
        { actor },
      );
      return { recordId: stored.id, providerSessionId: sid };
    });
  }

  list(userId: string, after: string | null, limit: number): Promise<OfflineToken[]> {
    return this.repository.listOf(userId, after, limit);
  }

  /** The user's own record; 404 for another's, as for none. */
  async owned(userId: string, id: string): Promise<OfflineToken> {
    const token = await this.repository.findById(id);
    if (!token || token.userId !== userId) throw notFound();
    return token;
  }

  /**
   * Revokes the token at the provider (RFC 7009) and deletes the record; ends the provider
   * session too when no other record shares it. A Keycloak that revokes per client (before
   * 26.1) would take the user's other tokens with it: then only the token's own offline session
   * is ended (admin API), and nothing is revoked at the provider while another record shares it.
   * The record's lease is held during the provider calls (a trip under way is waited for, so the
   * token revoked is the one stored), and no database connection is.
   */
  async delete(userId: string, id: string, actor: Actor): Promise<void> {
    const found = await this.repository.findById(id);
    if (!found || found.userId !== userId) throw notFound();
    const configured =
      found.status === 'active' ? await this.configuredOrNull(found.providerId) : null;
    const claim = configured ? await this.leases.claim(id, false) : null;
    if (claim?.kind === 'gone') throw notFound();
    let providerRevoked = false;
    let providerSession: 'ended' | 'already_gone' | 'shared' | 'not_supported' | 'failed' | 'none' =
      found.providerSessionId === null ? 'none' : 'shared';
    if (configured && claim?.kind === 'lead') {
      const token = claim.token;
      try {
        const othersAtProvider = await this.repository.countOthersAtProvider(found);
        const othersInSession = await this.repository.countOthersInSession(found);
        const perClient = this.provider.revocationScope(configured.provider) === 'per_client';
        const retired = await this.provider.retire(
          configured,
          this.vault.open(ownerOf(token), token.envelope),
          {
            revoke: !perClient || othersAtProvider === 0,
            sessionId: othersInSession === 0 ? token.providerSessionId : null,
          },
        );
        providerRevoked = retired.revoked;
        providerSession = retired.session ?? providerSession;
      } catch (error) {
        await this.leases.release(id, claim.lease);
        throw error;
      }
    }
    await this.transactions.run(async () => {
      await this.repository.delete(id);
      await this.events.emit(
        'token_vault.token_deleted',
        {
          token_id: found.id,
          user_id: found.userId,
          provider_id: found.providerId,
          provider_revoked: providerRevoked,
          provider_session: providerSession,
        },
        { actor },
      );
    });
  }

  /** A provider deleted or disabled since: its tokens are deleted without a call to it. */
  private async configuredOrNull(providerId: string): Promise<ConfiguredProvider | null> {
    try {
      return await this.provider.configured({ id: providerId });
    } catch (error) {
      if (error instanceof DomainError && error.code === CommonErrorCode.NotFound) return null;
      throw error;
    }
  }

  /**
   * The consent a state names, used up now: signed by us for its user and session, unexpired,
   * unused; completed by that very user and session (POST), or by a browser while that session
   * is still live (GET). Any other state is refused alike.
   */
  private async useConsent(state: string, completer: ConsentCompleter, now: Date) {
    const consentId = ConsentState.consentIdOf(state);
    const found = consentId ? await this.repository.findConsent(consentId) : null;
    const binding: ConsentBinding | null = found
      ? {
          consentId: found.id,
          userId: found.userId,
          sessionId: found.sessionId,
          expiresAt: found.expiresAt,
        }
      : null;
    const valid =
      binding !== null &&
      this.states.verify(state, binding, now) &&
      (completer.kind === 'browser' ||
        (completer.userId === binding.userId && completer.sessionId === binding.sessionId));
    const consent = valid ? await this.repository.consumeConsent(binding.consentId, now) : null;
    if (!consent || !(await this.sessions.isLive(consent.sessionId, consent.userId))) {
      throw new DomainError(
        TokenVaultErrorCode.InvalidConsentState,
        'This consent is unknown, has expired, was already completed or is not yours: ask for it again.',
      );
    }
    return consent;
  }

  private async exchange(
    { configuration }: ConfiguredProvider,
    consent: { id: string; redirectUri: string; secretsSealed: string },
    response: ConsentResponse,
  ) {
    const { nonce, verifier } = this.secrets.openFor<PendingSecrets>(
      consentSecretsContext(consent.id),
      consent.secretsSealed,
    );
    const callback = new URL(consent.redirectUri);
    callback.searchParams.set('code', response.code!);
    callback.searchParams.set('state', response.state);
    if (response.iss !== undefined) callback.searchParams.set('iss', response.iss);
    try {
      return await oidc.authorizationCodeGrant(
        configuration,
        callback,
        {
          pkceCodeVerifier: verifier,
          expectedState: response.state,
          expectedNonce: nonce,
          idTokenExpected: true,
        },
        { redirect_uri: consent.redirectUri },
      );
    } catch (error) {
      this.logger.warn({ reason: describe(error) }, 'Offline token exchange refused');
      if (isDown(error)) throw unavailable();
      throw new DomainError(
        FederationErrorCode.FederationRejected,
        'The identity provider did not confirm this consent.',
      );
    }
  }
}

export function ownerOf(token: Pick<OfflineToken, 'id' | 'userId' | 'providerId'>) {
  return { recordId: token.id, userId: token.userId, providerId: token.providerId };
}

export function consentSecretsContext(consentId: string): string {
  return `token-vault-consent:${consentId}`;
}

function notFound(): DomainError {
  return new DomainError(CommonErrorCode.NotFound, 'No such offline token.');
}
