import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { isUUID } from 'class-validator';
import { Actor, RequestActor } from '../../common/auth/actor';
import { RequirePermission } from '../../common/auth/require-permission.decorator';
import {
  decodeCursor,
  DEFAULT_PAGE_SIZE,
  Page,
  PageDto,
  PageQueryDto,
  toPage,
} from '../../common/http/pagination';
import { uuidParam } from '../../common/validation/uuid-param.pipe';
import {
  CreateIdentityProviderDto,
  IdentityProviderDto,
  UpdateIdentityProviderDto,
} from './dto/identity-provider.dto';
import { IdentityProvider } from './identity-provider.entity';
import { IdentityProvidersService, ProviderSettings } from './identity-providers.service';

const ProviderListDto = PageDto(IdentityProviderDto, 'IdentityProviderListDto');

function webhookPath(provider: IdentityProvider): string | null {
  if (provider.kind === 'okta' || provider.kind === 'asgardeo') {
    return `/v1/webhooks/${provider.kind}/${provider.slug}`;
  }
  return null;
}

function toDto(
  provider: IdentityProvider,
  secrets: { managementApiToken: boolean; webhookSecret: boolean },
): IdentityProviderDto {
  return {
    id: provider.id,
    slug: provider.slug,
    display_name: provider.displayName,
    kind: provider.kind,
    issuer: provider.issuer,
    client_id: provider.clientId,
    scopes: provider.scopes,
    claim_mapping: provider.claimMapping,
    mfa_acr_values: provider.mfaAcrValues,
    jit_provisioning: provider.jitProvisioning,
    allowed_email_domains: provider.allowedEmailDomains,
    link_by_email: provider.linkByEmail,
    redirect_uris: provider.redirectUris,
    management_api_kind: provider.managementApiKind,
    management_api_url: provider.managementApiUrl,
    management_api_token_set: secrets.managementApiToken,
    webhook_secret_set: secrets.webhookSecret,
    enabled: provider.enabled,
    webhook_path: webhookPath(provider),
    created_at: provider.createdAt.toISOString(),
    updated_at: provider.updatedAt.toISOString(),
  };
}

function settingsOf(body: UpdateIdentityProviderDto): Partial<ProviderSettings> {
  const settings: Partial<ProviderSettings> = {
    slug: body.slug,
    displayName: body.display_name,
    issuer: body.issuer,
    clientId: body.client_id,
    clientSecret: body.client_secret,
    scopes: body.scopes,
    claimMapping: body.claim_mapping,
    mfaAcrValues: body.mfa_acr_values,
    jitProvisioning: body.jit_provisioning,
    allowedEmailDomains: body.allowed_email_domains,
    linkByEmail: body.link_by_email,
    redirectUris: body.redirect_uris,
    managementApiKind: body.management_api_kind,
    managementApiUrl: body.management_api_url,
    managementApiToken: body.management_api_token,
    webhookSecret: body.webhook_secret,
    enabled: body.enabled,
  };
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined));
}

/**
 * Identity providers (`/v1/admin/identity-providers`): secrets are write-only, every change is
 * audited.
 */
@ApiTags('identity providers')
@Controller('v1/admin/identity-providers')
export class IdentityProvidersController {
  constructor(private readonly providers: IdentityProvidersService) {}

  @Post()
  @RequirePermission('identity_providers:write')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Add an identity provider' })
  @ApiCreatedResponse({ type: IdentityProviderDto })
  async create(
    @Body() body: CreateIdentityProviderDto,
    @RequestActor() actor: Actor,
  ): Promise<IdentityProviderDto> {
    const provider = await this.providers.create(
      {
        scopes: [],
        claimMapping: {},
        mfaAcrValues: [],
        jitProvisioning: false,
        allowedEmailDomains: [],
        linkByEmail: false,
        managementApiKind: null,
        managementApiUrl: null,
        managementApiToken: undefined,
        webhookSecret: undefined,
        enabled: true,
        ...settingsOf(body),
        kind: body.kind,
      } as ProviderSettings,
      actor,
    );
    return toDto(provider, {
      managementApiToken: body.management_api_token !== undefined,
      webhookSecret: body.webhook_secret !== undefined,
    });
  }

  @Get()
  @RequirePermission('identity_providers:read')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'List identity providers, oldest first' })
  @ApiOkResponse({ type: ProviderListDto })
  async list(@Query() query: PageQueryDto): Promise<Page<IdentityProviderDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = query.cursor ? decodeCursor(query.cursor, (key) => isUUID(key)) : null;
    const rows = await this.providers.list(limit + 1, after);
    const secrets = await Promise.all(rows.map((row) => this.providers.secretsSet(row.id)));
    const byId = new Map(rows.map((row, i) => [row.id, secrets[i]]));
    return toPage(
      rows,
      limit,
      (row) => row.id,
      (row) => toDto(row, byId.get(row.id)!),
    );
  }

  @Get(':id')
  @RequirePermission('identity_providers:read')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'An identity provider (never its secrets)' })
  @ApiOkResponse({ type: IdentityProviderDto })
  @ApiNotFoundResponse()
  async get(@Param('id', uuidParam('id')) id: string): Promise<IdentityProviderDto> {
    const provider = await this.providers.get(id);
    return toDto(provider, await this.providers.secretsSet(id));
  }

  @Patch(':id')
  @RequirePermission('identity_providers:write')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Change an identity provider; a secret given replaces the stored one' })
  @ApiOkResponse({ type: IdentityProviderDto })
  @ApiNotFoundResponse()
  async update(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: UpdateIdentityProviderDto,
    @RequestActor() actor: Actor,
  ): Promise<IdentityProviderDto> {
    const provider = await this.providers.update(id, settingsOf(body), actor);
    return toDto(provider, await this.providers.secretsSet(id));
  }

  @Delete(':id')
  @RequirePermission('identity_providers:write')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Remove an identity provider',
    description: 'Its linked identities go with it; their users keep their accounts.',
  })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  async delete(
    @Param('id', uuidParam('id')) id: string,
    @RequestActor() actor: Actor,
  ): Promise<void> {
    await this.providers.delete(id, actor);
  }
}
