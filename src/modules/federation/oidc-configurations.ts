import { Injectable } from '@nestjs/common';
import * as oidc from 'openid-client';
import { ExpiringCache } from '../../common/cache/expiring-cache';
import { ProviderWithSecrets } from './identity-providers.repository';
import { ProviderHttp } from './provider-http';
import { ProviderSecrets } from './provider-secrets';

/** How long a provider's discovery document is trusted before it is read again. */
const DISCOVERY_TTL_MS = 10 * 60 * 1000;
const MAX_PROVIDERS = 1000;

/**
 * openid-client's configuration of each provider: its discovery document (read through
 * ProviderHttp, so SSRF rules and timeouts hold) and our client's credentials. Keyed by the
 * provider's id and last change, so an edit takes effect at once; the JWKS is openid-client's
 * own cache, refetched when an ID token names an unknown `kid`.
 */
@Injectable()
export class OidcConfigurations {
  private readonly cache = new ExpiringCache<string, oidc.Configuration>({
    ttlMs: DISCOVERY_TTL_MS,
    maxEntries: MAX_PROVIDERS,
    whenFull: 'clear',
  });

  constructor(
    private readonly http: ProviderHttp,
    private readonly secrets: ProviderSecrets,
  ) {}

  of(provider: ProviderWithSecrets): Promise<oidc.Configuration> {
    const key = `${provider.id}:${provider.updatedAt.getTime()}`;
    return this.cache.getOrLoad(key, () => this.discover(provider));
  }

  private async discover(provider: ProviderWithSecrets): Promise<oidc.Configuration> {
    const issuer = new URL(provider.issuer);
    const secret = this.secrets.open(provider.id, 'client_secret', provider.clientSecretSealed);
    const configuration = await oidc.discovery(
      issuer,
      provider.clientId,
      { client_secret: secret },
      oidc.ClientSecretBasic(secret),
      {
        [oidc.customFetch]: this.http.fetch as oidc.CustomFetch,
        // Plain http only reaches a provider an operator allowed (FEDERATION_ALLOWED_HOSTS) and
        // only outside production: the issuer's rules (checkProviderUrl) refused the rest.
        execute: issuer.protocol === 'http:' ? [oidc.allowInsecureRequests] : [],
      },
    );
    // An ID token from the token endpoint is verified against the provider's JWKS too, not only
    // trusted for arriving over TLS (which OpenID Connect Core 3.1.3.7 would allow).
    oidc.enableNonRepudiationChecks(configuration);
    return configuration;
  }
}
