import { Inject, Injectable, Logger } from '@nestjs/common';
import * as oidc from 'openid-client';
import { DomainError } from '../../common/errors/domain-error';
import {
  CommonErrorCode,
  FederationErrorCode,
  TokenVaultErrorCode,
} from '../../common/errors/error-code';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { ProviderWithSecrets } from '../federation/identity-providers.service';
import { IdentityProvidersService } from '../federation/identity-providers.service';
import { OidcConfigurations } from '../federation/oidc-configurations';
import { ProviderHttp, ProviderUnreachable } from '../federation/provider-http';

/** A provider and openid-client's configuration of it. */
export interface ConfiguredProvider {
  provider: ProviderWithSecrets;
  configuration: oidc.Configuration;
}

/** How a provider's session ended when the vault asked (Keycloak's admin API). */
export type SessionEnding = 'ended' | 'already_gone' | 'not_supported' | 'failed';

/**
 * Everything the vault asks of a provider, through openid-client over ProviderHttp (SSRF rules,
 * pinned addresses, timeouts): the token endpoint (code and refresh grants), revocation (RFC
 * 7009), introspection (RFC 7662) and, for Keycloak, its admin API's session endpoint with a
 * token of the provider's own client (its service account needs `manage-users`). Failures become
 * domain errors: unreachable or 5xx → 502, `invalid_grant` → the offline token is revoked.
 */
@Injectable()
export class ProviderCalls {
  private readonly logger = new Logger(ProviderCalls.name);

  constructor(
    private readonly providers: IdentityProvidersService,
    private readonly configurations: OidcConfigurations,
    private readonly http: ProviderHttp,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The enabled provider (by id or slug) and its configuration; 404 when none. */
  async configured(where: { id: string } | { slug: string }): Promise<ConfiguredProvider> {
    const provider = await this.providers.enabledWithSecrets(where);
    if (!provider) throw new DomainError(CommonErrorCode.NotFound, 'No such identity provider.');
    try {
      return { provider, configuration: await this.configurations.of(provider) };
    } catch (error) {
      this.logger.warn({ provider: provider.slug, reason: describe(error) }, 'Discovery failed');
      throw unavailable();
    }
  }

  async refresh(
    { configuration }: ConfiguredProvider,
    offlineToken: string,
  ): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> {
    try {
      return await oidc.refreshTokenGrant(configuration, offlineToken);
    } catch (error) {
      throw this.failed(error, 'refresh');
    }
  }

  /** RFC 7009; Keycloak's `invalid_token` with a 200 (an unknown token) counts as done. */
  async revoke({ configuration }: ConfiguredProvider, offlineToken: string): Promise<void> {
    try {
      await oidc.tokenRevocation(configuration, offlineToken, { token_type_hint: 'refresh_token' });
    } catch (error) {
      if (error instanceof oidc.ResponseBodyError && error.error === 'invalid_token') return;
      throw this.failed(error, 'revocation');
    }
  }

  /**
   * Retires an offline token at the provider: revokes it (RFC 7009) unless told not to (a
   * Keycloak revoking per client would take the user's other tokens), a token the provider
   * already refuses counting as revoked; then ends `sessionId`, when given (the last record in
   * it). Provider failures of the revocation throw (502); the session's ending is reported.
   */
  async retire(
    configured: ConfiguredProvider,
    offlineToken: string,
    options: { revoke: boolean; sessionId: string | null },
  ): Promise<{ revoked: boolean; session: SessionEnding | null }> {
    let revoked = false;
    if (options.revoke) {
      try {
        await this.revoke(configured, offlineToken);
      } catch (error) {
        if (!(
          error instanceof DomainError && error.code === TokenVaultErrorCode.OfflineTokenRevoked
        ))
          throw error;
      }
      revoked = true;
    }
    const session =
      options.sessionId === null ? null : await this.endSession(configured, options.sessionId);
    return { revoked, session };
  }

  async introspect(
    { configuration }: ConfiguredProvider,
    token: string,
  ): Promise<oidc.IntrospectionResponse> {
    try {
      return await oidc.tokenIntrospection(configuration, token);
    } catch (error) {
      throw this.failed(error, 'introspection');
    }
  }

  /**
   * Ends the provider session (`DELETE /admin/realms/{realm}/sessions/{sid}?isOffline=true`) of a
   * Keycloak provider; other kinds have no such API. A 404 is a session already gone.
   */
  async endSession(configured: ConfiguredProvider, sessionId: string): Promise<SessionEnding> {
    const { provider, configuration } = configured;
    const admin = keycloakAdminBase(provider);
    if (provider.kind !== 'keycloak' || !admin) return 'not_supported';
    try {
      const grant = await oidc.clientCredentialsGrant(configuration);
      const response = await this.http.fetch(
        `${admin}/sessions/${encodeURIComponent(sessionId)}?isOffline=true`,
        { method: 'DELETE', headers: { authorization: `Bearer ${grant.access_token}` } },
      );
      if (response.status === 204 || response.status === 200) return 'ended';
      if (response.status === 404) return 'already_gone';
      this.logger.warn({ provider: provider.slug, status: response.status }, 'Session end refused');
      return 'failed';
    } catch (error) {
      this.logger.warn({ provider: provider.slug, reason: describe(error) }, 'Session end failed');
      return 'failed';
    }
  }

  /** Which Keycloak revocation the deployment's Keycloak does (EXTERNAL-CONTRACTS §4). */
  revocationScope(provider: ProviderWithSecrets): 'per_client' | 'per_session' {
    return provider.kind === 'keycloak' ? this.config.tokenVault.keycloakRevocation : 'per_session';
  }

  private failed(error: unknown, call: string): DomainError {
    if (error instanceof oidc.ResponseBodyError && error.error === 'invalid_grant') {
      return new DomainError(
        TokenVaultErrorCode.OfflineTokenRevoked,
        'The identity provider no longer accepts this offline token: ask the user for consent again.',
      );
    }
    this.logger.warn({ call, reason: describe(error) }, 'Identity provider call failed');
    if (isDown(error)) return unavailable();
    return new DomainError(
      FederationErrorCode.FederationRejected,
      'The identity provider refused the request.',
    );
  }
}

/** `…/realms/{realm}` → `…/admin/realms/{realm}`; null for an issuer not shaped as Keycloak's. */
function keycloakAdminBase(provider: ProviderWithSecrets): string | null {
  const issuer = new URL(provider.issuer);
  const match = /^(.*)\/realms\/([^/]+)\/?$/.exec(issuer.pathname);
  if (!match) return null;
  return `${issuer.origin}${match[1]}/admin/realms/${match[2]}`;
}

export function isDown(error: unknown): boolean {
  const status = (error as { status?: number }).status;
  return (
    error instanceof ProviderUnreachable ||
    (error instanceof Error && error.cause instanceof ProviderUnreachable) ||
    (typeof status === 'number' && status >= 500)
  );
}

/** What went wrong, without URLs (whose queries may carry codes) or tokens. */
export function describe(error: unknown): string {
  if (error instanceof ProviderUnreachable) return error.message;
  if (error instanceof oidc.ResponseBodyError) return `${error.status} ${error.error}`;
  if (error instanceof Error) {
    return `${error.name}: ${(error as { code?: string }).code ?? ''}`.slice(0, 200);
  }
  return 'unknown';
}

export function unavailable(): DomainError {
  return new DomainError(
    FederationErrorCode.ProviderUnavailable,
    'The identity provider could not be reached or failed; try again later.',
  );
}
