import { Inject, Injectable } from '@nestjs/common';
import { ExpiringCache } from '../../common/cache/expiring-cache';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { IdentityProvidersRepository, ProviderWithSecrets } from './identity-providers.repository';
import { ProviderHttp, ProviderUnreachable } from './provider-http';
import { ManagementApiError } from './sync/management-api';
import { ManagementApis } from './sync/management-apis';

/**
 * How long a probe's result answers the health view: however often it is asked, each provider
 * is probed at most this often per instance.
 */
const PROBE_TTL_MS = 30_000;
const MAX_PROVIDERS = 1000;

export type ProbedPart = 'discovery' | 'management_api';

/** One part of a provider, as a probe found it. */
export interface PartProbe {
  up: boolean;
  latencyMs: number;
  /** Why it is down, as a code (`timeout`, `connection`, `http_503`…); never a URL or a secret. */
  error: string | null;
}

export interface ProviderProbe {
  providerId: string;
  slug: string;
  displayName: string;
  kind: string;
  checkedAt: Date;
  discovery: PartProbe;
  /** Null when the provider has no management API configured. */
  managementApi: PartProbe | null;
  /** The last failure of any part this instance saw, even if the provider is up again since. */
  lastError: { part: ProbedPart; error: string; at: Date } | null;
}

function reasonOf(error: unknown): string {
  if (error instanceof ProviderUnreachable) return error.reason;
  if (error instanceof ManagementApiError) {
    return error.providerCode === 'invalid_json' ? 'invalid_answer' : `http_${error.status}`;
  }
  return 'failed';
}

/**
 * Whether each enabled provider answers: its discovery document and, when configured, its
 * management API, each within HEALTH_CHECK_TIMEOUT_MS. A report of the providers', not of
 * Gatehouse's, health: readiness never depends on it. Results are cached for a short while, and
 * concurrent askers share one probe, so the view cannot be used to flood a provider.
 */
@Injectable()
export class ProviderReachability {
  private readonly probes = new ExpiringCache<string, ProviderProbe>({
    ttlMs: PROBE_TTL_MS,
    maxEntries: MAX_PROVIDERS,
    whenFull: 'clear',
  });
  private readonly lastErrors = new Map<string, NonNullable<ProviderProbe['lastError']>>();

  constructor(
    private readonly providers: IdentityProvidersRepository,
    private readonly http: ProviderHttp,
    private readonly apis: ManagementApis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Every enabled provider, in creation order, as last probed (probed now if not recently). */
  async report(): Promise<ProviderProbe[]> {
    const providers = await this.providers.listEnabledWithSecrets();
    const ids = new Set(providers.map((provider) => provider.id));
    for (const id of this.lastErrors.keys()) if (!ids.has(id)) this.lastErrors.delete(id);
    return Promise.all(
      providers.map((provider) =>
        this.probes.getOrLoad(`${provider.id}:${provider.updatedAt.getTime()}`, () =>
          this.probe(provider),
        ),
      ),
    );
  }

  private async probe(provider: ProviderWithSecrets): Promise<ProviderProbe> {
    const signal = AbortSignal.timeout(this.config.health.checkTimeoutMs);
    const api = this.apis.forProbe(provider, signal);
    const [discovery, managementApi] = await Promise.all([
      this.timed(() => this.discovery(provider, signal)),
      api
        ? this.timed(async () => {
            await api.probe();
            return null;
          })
        : Promise.resolve(null),
    ]);
    const checkedAt = new Date();
    const failed = (
      [
        ['discovery', discovery],
        ['management_api', managementApi],
      ] as const
    ).find(([, part]) => part && !part.up);
    if (failed) {
      this.lastErrors.set(provider.id, {
        part: failed[0],
        error: failed[1]!.error!,
        at: checkedAt,
      });
    }
    return {
      providerId: provider.id,
      slug: provider.slug,
      displayName: provider.displayName,
      kind: provider.kind,
      checkedAt,
      discovery,
      managementApi,
      lastError: this.lastErrors.get(provider.id) ?? null,
    };
  }

  /** Null when the discovery document answers, is JSON and names the configured issuer. */
  private async discovery(
    provider: ProviderWithSecrets,
    signal: AbortSignal,
  ): Promise<string | null> {
    const url = `${provider.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const response = await this.http.fetch(url, {
      headers: { accept: 'application/json' },
      signal,
    });
    if (!response.ok) return `http_${response.status}`;
    const document = (await response.json().catch(() => null)) as { issuer?: unknown } | null;
    if (document === null) return 'invalid_answer';
    return document.issuer === provider.issuer ? null : 'issuer_mismatch';
  }

  /** Runs a check that answers why the part is down (null when up), timing it. */
  private async timed(check: () => Promise<string | null>): Promise<PartProbe> {
    const started = performance.now();
    let error: string | null;
    try {
      error = await check();
    } catch (failure) {
      error = reasonOf(failure);
    }
    return { up: error === null, latencyMs: Math.round(performance.now() - started), error };
  }
}
