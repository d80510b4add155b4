import { Injectable } from '@nestjs/common';
import { DomainError } from '../../../common/errors/domain-error';
import { FederationErrorCode } from '../../../common/errors/error-code';
import { ProviderWithSecrets } from '../identity-providers.repository';
import { ProviderHttp } from '../provider-http';
import { ProviderSecrets } from '../provider-secrets';
import { Fetch, ManagementApi, RateLimitedGet, RateLimitPolicy } from './management-api';
import { OktaManagementApi } from './okta-management-api';
import { ScimManagementApi } from './scim-management-api';

/** 429s waited out in a row before a call fails (and its job is retried later). */
const RATE_LIMIT: RateLimitPolicy = { maxWaits: 5, maxWaitMs: 65_000 };
/** A health probe never waits out a rate limit: a 429 is its answer. */
const NO_WAITING: RateLimitPolicy = { maxWaits: 0, maxWaitMs: 0 };

function baseOf(url: string): string {
  return url.replace(/\/+$/, '');
}

/** The management API client of a provider, with its token opened for this use only. */
@Injectable()
export class ManagementApis {
  constructor(
    private readonly http: ProviderHttp,
    private readonly secrets: ProviderSecrets,
  ) {}

  /**
   * The client of a provider's management API, or null when none is configured; its requests
   * end when `signal` aborts.
   */
  forProbe(provider: ProviderWithSecrets, signal: AbortSignal): ManagementApi | null {
    const { managementApiKind, managementApiUrl, managementApiTokenSealed } = provider;
    if (!managementApiKind || !managementApiUrl || !managementApiTokenSealed) return null;
    return this.of(provider, {
      policy: NO_WAITING,
      fetch: (url, init) => this.http.fetch(url, { ...init, signal }),
    });
  }

  of(
    provider: ProviderWithSecrets,
    { policy, fetch }: { policy: RateLimitPolicy; fetch: Fetch } = {
      policy: RATE_LIMIT,
      fetch: this.http.fetch,
    },
  ): ManagementApi {
    const { managementApiKind: kind, managementApiUrl: url, managementApiTokenSealed } = provider;
    if (!kind || !url || !managementApiTokenSealed) {
      throw new DomainError(
        FederationErrorCode.SyncNotConfigured,
        'The identity provider has no management API (kind, URL and token) to sync from.',
      );
    }
    const token = this.secrets.open(provider.id, 'management_api_token', managementApiTokenSealed);
    const get = new RateLimitedGet(fetch, policy);
    return kind === 'okta'
      ? new OktaManagementApi(baseOf(url), token, get)
      : new ScimManagementApi(baseOf(url), token, get);
  }

  /**
   * A client of an Okta org's management API with an SSWS token, through the same SSRF guard,
   * timeout and rate-limit handling as the providers' (HR onboarding's enrichment uses it).
   */
  okta(orgUrl: string, token: string): OktaManagementApi {
    return new OktaManagementApi(
      baseOf(orgUrl),
      token,
      new RateLimitedGet(this.http.fetch, RATE_LIMIT),
    );
  }
}
