import { Inject, Injectable } from '@nestjs/common';
import { Actor } from '../../common/auth/actor';
import { ExpiringCache } from '../../common/cache/expiring-cache';
import { fieldChanges } from '../../common/changes/field-changes';
import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode, FederationErrorCode } from '../../common/errors/error-code';
import { uuidV7 } from '../../common/ids/uuid-v7';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transactions';
import { DomainEvents } from '../events/domain-events.service';
import { OnBroadcast } from '../events/on-event.decorator';
import {
  ClaimMapping,
  DEFAULT_CLAIM_MAPPING,
  IdentityProvider,
  ManagementApiKind,
  ProviderKind,
} from './identity-provider.entity';
import {
  IdentityProvidersRepository,
  ProviderChanges,
  ProviderWithSecrets,
} from './identity-providers.repository';
import { ProviderSecretKind, ProviderSecrets } from './provider-secrets';
import { checkOutboundUrl, checkRedirectUri, ProviderUrlRules } from './provider-url';

export interface ProviderSettings {
  slug: string;
  displayName: string;
  kind: ProviderKind;
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes: string[];
  claimMapping: Partial<ClaimMapping>;
  mfaAcrValues: string[];
  jitProvisioning: boolean;
  allowedEmailDomains: string[];
  linkByEmail: boolean;
  redirectUris: string[];
  managementApiKind: ManagementApiKind | null;
  managementApiUrl: string | null;
  managementApiToken: string | undefined;
  webhookSecret: string | undefined;
  enabled: boolean;
}

const DEFAULT_SCOPES = ['openid', 'email', 'profile'];

/** The fields an event tells of a provider (never a secret). */
const EVENT_FIELDS = [
  'slug',
  'displayName',
  'kind',
  'issuer',
  'clientId',
  'scopes',
  'jitProvisioning',
  'allowedEmailDomains',
  'linkByEmail',
  'redirectUris',
  'managementApiKind',
  'managementApiUrl',
  'enabled',
] as const;

/** How long an instance trusts what it read of an enabled provider, unless told of a change. */
const PROVIDER_CACHE_MS = 1000;

type EventFields = Pick<IdentityProvider, (typeof EVENT_FIELDS)[number]>;

function snake(fields: Partial<EventFields>) {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = value;
  }
  return out as {
    slug?: string;
    display_name?: string;
    kind?: string;
    issuer?: string;
    client_id?: string;
    scopes?: string[];
    jit_provisioning?: boolean;
    allowed_email_domains?: string[];
    link_by_email?: boolean;
    redirect_uris?: string[];
    management_api_kind?: string | null;
    management_api_url?: string | null;
    enabled?: boolean;
  };
}

/**
 * Identity providers as administrators manage them (`/v1/admin/identity-providers`). Secrets
 * are sealed as they arrive and never returned; every change is an `identity_provider.*` event
 * and so an audit row, in the change's transaction.
 */
@Injectable()
export class IdentityProvidersService {
  /**
   * Enabled providers as the hot paths read them (webhook deliveries, the token vault), by slug
   * or id: trusted for a second on an instance, and dropped at once when any provider changes.
   */
  private readonly enabled = new ExpiringCache<string, ProviderWithSecrets | null>({
    ttlMs: PROVIDER_CACHE_MS,
    maxEntries: 1000,
    whenFull: 'clear',
  });

  constructor(
    private readonly providers: IdentityProvidersRepository,
    private readonly secrets: ProviderSecrets,
    private readonly events: DomainEvents,
    private readonly transactions: Transactions,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private get urlRules(): ProviderUrlRules {
    return {
      allowedHosts: this.config.federation.allowedHosts,
      requireHttps: this.config.env === 'production',
    };
  }

  async create(settings: ProviderSettings, actor: Actor): Promise<IdentityProvider> {
    const id = uuidV7();
    this.checkUrls(settings);
    const scopes = settings.scopes.length > 0 ? settings.scopes : DEFAULT_SCOPES;
    this.checkScopes(scopes);
    this.checkManagement(settings.managementApiKind, settings.managementApiUrl);
    return this.transactions.run(async () => {
      const inserted = await this.providers.insert({
        id,
        slug: settings.slug,
        displayName: settings.displayName,
        kind: settings.kind,
        issuer: settings.issuer,
        clientId: settings.clientId,
        clientSecretSealed: this.secrets.seal(id, 'client_secret', settings.clientSecret),
        scopes,
        claimMapping: { ...DEFAULT_CLAIM_MAPPING, ...settings.claimMapping },
        mfaAcrValues: settings.mfaAcrValues,
        jitProvisioning: settings.jitProvisioning,
        allowedEmailDomains: settings.allowedEmailDomains,
        linkByEmail: settings.linkByEmail,
        redirectUris: settings.redirectUris,
        managementApiKind: settings.managementApiKind,
        managementApiUrl: settings.managementApiUrl,
        managementApiTokenSealed:
          settings.managementApiToken === undefined
            ? null
            : this.secrets.seal(id, 'management_api_token', settings.managementApiToken),
        webhookSecretSealed:
          settings.webhookSecret === undefined
            ? null
            : this.secrets.seal(id, 'webhook_secret', settings.webhookSecret),
        enabled: settings.enabled,
      });
      if (!inserted) throw slugTaken();
      const provider = (await this.providers.findById(id))!;
      await this.events.emit(
        'identity_provider.created',
        {
          provider_id: id,
          ...(snake(pickEventFields(provider)) as Required<ReturnType<typeof snake>>),
        },
        { actor },
      );
      return provider;
    });
  }

  async update(
    id: string,
    changes: Partial<ProviderSettings>,
    actor: Actor,
  ): Promise<IdentityProvider> {
    this.checkUrls(changes);
    if (changes.scopes) this.checkScopes(changes.scopes);
    return this.transactions.run(async () => {
      const current = await this.providers.findByIdForUpdate(id);
      if (!current) throw notFound();
      this.checkManagement(
        changes.managementApiKind === undefined
          ? current.managementApiKind
          : changes.managementApiKind,
        changes.managementApiUrl === undefined
          ? current.managementApiUrl
          : changes.managementApiUrl,
      );
      const { clientSecret, managementApiToken, webhookSecret, claimMapping, ...plain } = changes;
      const update: ProviderChanges = { ...plain };
      if (claimMapping) update.claimMapping = { ...current.claimMapping, ...claimMapping };
      const replaced: ProviderSecretKind[] = [];
      const replace = (kind: ProviderSecretKind, value: string | undefined) => {
        if (value === undefined) return;
        replaced.push(kind);
        return this.secrets.seal(id, kind, value);
      };
      const clientSecretSealed = replace('client_secret', clientSecret);
      if (clientSecretSealed) update.clientSecretSealed = clientSecretSealed;
      const tokenSealed = replace('management_api_token', managementApiToken);
      if (tokenSealed) update.managementApiTokenSealed = tokenSealed;
      const webhookSealed = replace('webhook_secret', webhookSecret);
      if (webhookSealed) update.webhookSecretSealed = webhookSealed;
      if (!(await this.providers.update(id, update))) throw slugTaken();
      const after = (await this.providers.findById(id))!;
      const changed = fieldChanges<EventFields>(
        pickEventFields(current),
        pickEventFields(after),
        EVENT_FIELDS,
      );
      if (changed || replaced.length > 0 || claimMapping || changes.mfaAcrValues) {
        await this.events.emit(
          'identity_provider.updated',
          {
            provider_id: id,
            changes: {
              before: snake(changed?.before ?? {}),
              after: snake(changed?.after ?? {}),
            },
            secrets_replaced: replaced,
          },
          { actor },
        );
      }
      return after;
    });
  }

  async delete(id: string, actor: Actor): Promise<void> {
    await this.transactions.run(async () => {
      const current = await this.providers.findByIdForUpdate(id);
      if (!current) throw notFound();
      await this.providers.delete(id);
      await this.events.emit(
        'identity_provider.deleted',
        { provider_id: id, slug: current.slug },
        { actor },
      );
    });
  }

  async get(id: string): Promise<IdentityProvider> {
    const provider = await this.providers.findById(id);
    if (!provider) throw notFound();
    return provider;
  }

  /** An enabled provider with its sealed secrets, for modules that call it for a user (the token vault). */
  enabledWithSecrets(
    where: { id: string } | { slug: string },
  ): Promise<ProviderWithSecrets | null> {
    const key = 'id' in where ? `id:${where.id}` : `slug:${where.slug}`;
    return this.enabled.getOrLoad(key, async () => {
      const provider = await this.providers.findWithSecrets(where);
      return provider?.enabled ? provider : null;
    });
  }

  /** A provider was added, changed or removed, here or on another instance. */
  @OnBroadcast(
    'identity_provider.created',
    'identity_provider.updated',
    'identity_provider.deleted',
  )
  providersChanged(): void {
    this.enabled.clear();
  }

  /** Whether each secret is stored: the admin view says so, never more. */
  async secretsSet(id: string): Promise<{ managementApiToken: boolean; webhookSecret: boolean }> {
    const provider = await this.providers.findWithSecrets({ id });
    return {
      managementApiToken: Boolean(provider?.managementApiTokenSealed),
      webhookSecret: Boolean(provider?.webhookSecretSealed),
    };
  }

  list(limit: number, after: string | null): Promise<IdentityProvider[]> {
    return this.providers.list(limit, after);
  }

  private checkUrls(settings: Partial<ProviderSettings>): void {
    if (settings.issuer !== undefined) checkOutboundUrl('issuer', settings.issuer, this.urlRules);
    if (settings.managementApiUrl) {
      checkOutboundUrl('management_api_url', settings.managementApiUrl, this.urlRules);
    }
    settings.redirectUris?.forEach((uri, i) => checkRedirectUri(`redirect_uris[${i}]`, uri));
  }

  private checkScopes(scopes: string[]): void {
    if (!scopes.includes('openid')) {
      throw new DomainError(CommonErrorCode.ValidationFailed, '`scopes` must include openid.', {
        errors: [{ field: 'scopes', message: 'must include openid' }],
      });
    }
  }

  private checkManagement(kind: ManagementApiKind | null, url: string | null): void {
    if ((kind === null) !== (url === null)) {
      throw new DomainError(
        CommonErrorCode.ValidationFailed,
        '`management_api_kind` and `management_api_url` go together.',
        { errors: [{ field: 'management_api_url', message: 'must be given with its kind' }] },
      );
    }
  }
}

function pickEventFields(provider: IdentityProvider): EventFields {
  return Object.fromEntries(EVENT_FIELDS.map((field) => [field, provider[field]])) as EventFields;
}

function notFound(): DomainError {
  return new DomainError(CommonErrorCode.NotFound, 'No such identity provider.');
}

function slugTaken(): DomainError {
  return new DomainError(FederationErrorCode.ProviderSlugTaken, 'Another provider has this slug.', {
    errors: [{ field: 'slug', message: 'is taken' }],
  });
}

/** A provider with its secrets opened, as the services that call it need it. */
export type { ProviderWithSecrets };
