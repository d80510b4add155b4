import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { isUUID } from 'class-validator';
import { RequirePermission } from '../../common/auth/require-permission.decorator';
import { invalidFields } from '../../common/errors/invalid-fields';
import {
  decodeCursor,
  DEFAULT_PAGE_SIZE,
  Page,
  PageDto,
  PageQueryDto,
  toPage,
} from '../../common/http/pagination';
import { uuidParam } from '../../common/validation/uuid-param.pipe';
import { DelegationLimits } from '../../common/auth/delegation-limits';
import { Caller, CurrentCaller } from '../../common/auth/principal';
import { Actor, RequestActor } from '../../common/auth/actor';
import {
  AddSecretDto,
  ClientDto,
  ClientSecretDto,
  CreateClientDto,
  CreatedClientDto,
  IssuedSecretDto,
} from './dto/oauth-client.dto';
import { ClientWithSecrets, SecretMetadata } from './oauth-clients.repository';
import { IssuedSecret, OAuthClientsService } from './oauth-clients.service';

const ClientListDto = PageDto(ClientDto, 'ClientListDto');

function toSecretDto(secret: SecretMetadata, now: Date): ClientSecretDto {
  return {
    id: secret.id,
    created_at: secret.createdAt.toISOString(),
    expires_at: secret.expiresAt?.toISOString() ?? null,
    active: secret.expiresAt === null || secret.expiresAt > now,
  };
}

function toClientDto({ client, secrets }: ClientWithSecrets, now = new Date()): ClientDto {
  return {
    id: client.id,
    client_id: client.clientId,
    name: client.name,
    allowed_scopes: client.allowedScopes,
    grant_types: client.grantTypes,
    status: client.status,
    secrets: secrets.map((secret) => toSecretDto(secret, now)),
    created_at: client.createdAt.toISOString(),
    updated_at: client.updatedAt.toISOString(),
    last_used_at: client.lastUsedAt?.toISOString() ?? null,
    tokens_valid_after: client.tokensValidAfter?.toISOString() ?? null,
  };
}

function toIssuedSecretDto(secret: IssuedSecret): IssuedSecretDto {
  return { ...toSecretDto(secret, new Date()), client_secret: secret.secret };
}

/** An optional expiry from the request: it must lie ahead, or the secret would be born dead. */
function futureDate(value: string | undefined, field: string): Date | null {
  if (value === undefined) return null;
  const date = new Date(value);
  if (date.getTime() <= Date.now()) {
    throw invalidFields([{ field, message: 'must be in the future' }]);
  }
  return date;
}

/**
 * Administration of service clients. A secret appears in exactly one response, the one that
 * created it; rotation is: add a second secret, deploy it, remove the first.
 */
@ApiTags('clients')
@Controller('v1/admin/clients')
export class OAuthClientsController {
  constructor(
    private readonly clients: OAuthClientsService,
    private readonly limits: DelegationLimits,
  ) {}

  @Get()
  @RequirePermission('clients:read')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'List service clients, oldest first' })
  @ApiOkResponse({ type: ClientListDto })
  async list(@Query() query: PageQueryDto): Promise<Page<ClientDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = query.cursor ? decodeCursor(query.cursor, (key) => isUUID(key)) : null;
    const rows = await this.clients.list(limit + 1, after);
    const now = new Date();
    return toPage(
      rows,
      limit,
      (row) => row.client.id,
      (row) => toClientDto(row, now),
    );
  }

  @Post()
  @RequirePermission('clients:write')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Create a service client',
    description:
      'An active client with the client_credentials grant. The response carries its first ' +
      'secret, which is shown only here.',
  })
  @ApiCreatedResponse({ type: CreatedClientDto })
  async create(
    @Body() body: CreateClientDto,
    @RequestActor() actor: Actor,
    @CurrentCaller() caller: Caller,
  ): Promise<CreatedClientDto> {
    await this.limits.assertMayHandOut(caller, {
      kind: 'permissions',
      patterns: body.allowed_scopes,
    });
    const { client, secret } = await this.clients.create(
      {
        name: body.name.trim(),
        scopes: body.allowed_scopes,
        secretExpiresAt: futureDate(body.secret_expires_at, 'secret_expires_at'),
      },
      actor,
    );
    return { ...toClientDto(client), client_secret: secret.secret };
  }

  @Get(':id')
  @RequirePermission('clients:read')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'A service client and its secrets (never their values)' })
  @ApiOkResponse({ type: ClientDto })
  @ApiNotFoundResponse()
  async get(@Param('id', uuidParam('id')) id: string): Promise<ClientDto> {
    return toClientDto(await this.clients.get(id));
  }

  @Post(':id/secrets')
  @RequirePermission('clients:write')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Add a secret (rotation)',
    description:
      'The client’s other secret keeps working until it is removed or expires. A client has ' +
      'at most two active secrets: a third is a 409 `secret_limit_reached`. The new secret is ' +
      'shown only in this response.',
  })
  @ApiCreatedResponse({ type: IssuedSecretDto })
  @ApiNotFoundResponse()
  @ApiConflictResponse()
  async addSecret(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: AddSecretDto,
    @RequestActor() actor: Actor,
    @CurrentCaller() caller: Caller,
  ): Promise<IssuedSecretDto> {
    await this.assertMayWield(caller, id);
    const expiresAt = futureDate(body.expires_at, 'expires_at');
    return toIssuedSecretDto(await this.clients.addSecret(id, expiresAt, actor));
  }

  @Delete(':id/secrets/:secretId')
  @RequirePermission('clients:write')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Remove a secret: requests presenting it fail from now on',
    description:
      'Every access token the client holds stops working too (a token does not record which ' +
      'secret got it), within seconds on every instance; the client gets new ones with its ' +
      'other secret.',
  })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  removeSecret(
    @Param('id', uuidParam('id')) id: string,
    @Param('secretId', uuidParam('secretId')) secretId: string,
    @RequestActor() actor: Actor,
  ): Promise<void> {
    return this.clients.removeSecret(id, secretId, actor);
  }

  @Post(':id/revoke-tokens')
  @RequirePermission('clients:write')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Revoke every access token the client holds',
    description:
      'For a token that may have leaked: the tokens it was issued until now stop working within ' +
      'seconds on every instance, and introspect as inactive. The client stays active with its ' +
      'secrets, and the tokens it gets afterwards work.',
  })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  revokeTokens(
    @Param('id', uuidParam('id')) id: string,
    @RequestActor() actor: Actor,
  ): Promise<void> {
    return this.clients.revokeTokens(id, actor);
  }

  @Post(':id/disable')
  @RequirePermission('clients:write')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Disable a client',
    description:
      'It can no longer get tokens, and the tokens it holds stop working within seconds on ' +
      'every instance, for good: enabling it again restores its secrets but not those tokens.',
  })
  @ApiOkResponse({ type: ClientDto })
  @ApiNotFoundResponse()
  async disable(
    @Param('id', uuidParam('id')) id: string,
    @RequestActor() actor: Actor,
  ): Promise<ClientDto> {
    return toClientDto(await this.clients.setStatus(id, 'disabled', actor));
  }

  @Post(':id/enable')
  @RequirePermission('clients:write')
  @HttpCode(200)
  @ApiOperation({ summary: 'Enable a disabled client again' })
  @ApiOkResponse({ type: ClientDto })
  @ApiNotFoundResponse()
  async enable(
    @Param('id', uuidParam('id')) id: string,
    @RequestActor() actor: Actor,
    @CurrentCaller() caller: Caller,
  ): Promise<ClientDto> {
    await this.assertMayWield(caller, id);
    return toClientDto(await this.clients.setStatus(id, 'active', actor));
  }

  /** A working secret for a client, or the client back, hands out its scopes. */
  private async assertMayWield(caller: Caller, id: string): Promise<void> {
    const { client } = await this.clients.get(id);
    await this.limits.assertMayHandOut(caller, {
      kind: 'permissions',
      patterns: client.allowedScopes,
    });
  }
}
