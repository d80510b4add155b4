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
  Req,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { isUUID } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { Actor, RequestActor } from '../../common/auth/actor';
import { PermissionScoped } from '../../common/auth/permission-scoped.decorator';
import { Caller, CurrentCaller, CurrentPrincipal, Principal } from '../../common/auth/principal';
import { Public } from '../../common/auth/public.decorator';
import {
  decodeCursor,
  DEFAULT_PAGE_SIZE,
  Page,
  PageQueryDto,
  toPage,
} from '../../common/http/pagination';
import { uuidParam } from '../../common/validation/uuid-param.pipe';
import {
  AccessTokenDto,
  ConsentCallbackDto,
  ConsentQueryDto,
  ConsentStartedDto,
  OfflineTokenDto,
  OfflineTokenPageDto,
  StoredTokenDto,
  toOfflineTokenDto,
  TokenValidityDto,
  UseTokenDto,
  ValidateTokenDto,
} from './dto/token-vault.dto';
import { OfflineTokenUse } from './offline-token-use.service';
import { ConsentResponse, TokenVaultService } from './token-vault.service';

function consentResponse(dto: ConsentCallbackDto): ConsentResponse {
  return { state: dto.state, code: dto.code, iss: dto.iss, error: dto.error };
}

@ApiTags('token-vault')
@Controller('v1/token-vault')
export class TokenVaultController {
  constructor(
    private readonly vault: TokenVaultService,
    private readonly use: OfflineTokenUse,
  ) {}

  @Get('consent')
  @ApiBearerAuth()
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Ask the user for an offline token at a provider: the authorization URL',
    description:
      'Asks `openid offline_access` and `scopes`, with PKCE, a nonce and a signed, single-use ' +
      'state bound to the user and this session that expires after TOKEN_VAULT_CONSENT_TTL_SECONDS.',
  })
  @ApiOkResponse({ type: ConsentStartedDto })
  async consent(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ConsentQueryDto,
  ): Promise<ConsentStartedDto> {
    const started = await this.vault.consent(principal, {
      provider: query.provider,
      scopes: query.scopes ?? [],
      redirectUri: query.redirect_uri,
    });
    return {
      authorization_url: started.authorizationUrl,
      expires_at: started.expiresAt.toISOString(),
    };
  }

  @Get('callback')
  @Public()
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: "The provider's redirect after consent: stores the offline token",
    description:
      'The state authenticates the request: it names the user and session that asked, which ' +
      'must still be live. The same token stored again is the same record.',
  })
  @ApiOkResponse({ type: StoredTokenDto })
  async callback(
    @Query() query: ConsentCallbackDto,
    @Req() request: FastifyRequest,
  ): Promise<StoredTokenDto> {
    return toStored(
      await this.vault.complete(consentResponse(query), { kind: 'browser' }, originOf(request)),
    );
  }

  @Post('callback')
  @HttpCode(200)
  @ApiBearerAuth()
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Complete a consent from a web client that received the redirect',
    description: 'The state must be one this user started from this session.',
  })
  @ApiOkResponse({ type: StoredTokenDto })
  async complete(
    @CurrentPrincipal() principal: Principal,
    @Body() body: ConsentCallbackDto,
    @Req() request: FastifyRequest,
  ): Promise<StoredTokenDto> {
    return toStored(
      await this.vault.complete(
        consentResponse(body),
        { kind: 'user', userId: principal.userId, sessionId: principal.sessionId },
        originOf(request),
      ),
    );
  }

  @Get('tokens')
  @ApiBearerAuth()
  @ApiOperation({ summary: "The user's stored offline tokens (their records, never a token)" })
  @ApiOkResponse({ type: OfflineTokenPageDto })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: PageQueryDto,
  ): Promise<Page<OfflineTokenDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = query.cursor ? decodeCursor(query.cursor, (key) => isUUID(key)) : null;
    const rows = await this.vault.list(principal.userId, after, limit + 1);
    return toPage(rows, limit, (row) => row.id, toOfflineTokenDto);
  }

  @Get('tokens/:id')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'One stored offline token of the user (404 for another’s)' })
  @ApiOkResponse({ type: OfflineTokenDto })
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam('id')) id: string,
  ): Promise<OfflineTokenDto> {
    return toOfflineTokenDto(await this.vault.owned(principal.userId, id));
  }

  @Delete('tokens/:id')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Revoke the offline token at the provider and delete it',
    description:
      'Revocation per RFC 7009; the provider session is ended too (Keycloak admin API) when no ' +
      'other record shares it. See the README for the two Keycloak revocation behaviours.',
  })
  @ApiNoContentResponse()
  async delete(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam('id')) id: string,
    @RequestActor() actor: Actor,
  ): Promise<void> {
    await this.vault.delete(principal.userId, id, actor);
  }

  @Post('tokens/:id/access-token')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @PermissionScoped('token_vault:use')
  @ApiOperation({
    summary: 'A fresh access token from the offline token (refresh grant)',
    description:
      'By the owner, or by a service with `token_vault:use` naming the owner in `user_id` and ' +
      'allowed `offline_token:use` by the decision point. Concurrent requests for one record ' +
      'make one provider call. 409 `offline_token_revoked`: the user must consent again.',
  })
  @ApiOkResponse({ type: AccessTokenDto })
  async accessToken(
    @CurrentCaller() caller: Caller,
    @Param('id', uuidParam('id')) id: string,
    @Body() body: UseTokenDto,
    @RequestActor() actor: Actor,
  ): Promise<AccessTokenDto> {
    const minted = await this.use.accessToken(caller, id, body.user_id, actor);
    return {
      access_token: minted.accessToken,
      token_type: minted.tokenType,
      expires_in: minted.expiresIn,
      scope: minted.scope,
    };
  }

  @Post('tokens/:id/offline-token')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @PermissionScoped('token_vault:use')
  @ApiOperation({
    summary: 'A new offline token from the stored one, which it replaces',
    description: 'Same callers as `access-token`; answers the record, never the token.',
  })
  @ApiOkResponse({ type: StoredTokenDto })
  async renew(
    @CurrentCaller() caller: Caller,
    @Param('id', uuidParam('id')) id: string,
    @Body() body: UseTokenDto,
    @RequestActor() actor: Actor,
  ): Promise<StoredTokenDto> {
    const token = await this.use.renew(caller, id, body.user_id, actor);
    return { persistent_token_id: token.id, session_id: token.providerSessionId };
  }

  @Post('validate')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @PermissionScoped('token_vault:use')
  @ApiOperation({
    summary: "Whether a provider's token is active (RFC 7662 introspection at the provider)",
  })
  @ApiOkResponse({ type: TokenValidityDto })
  async validate(
    @CurrentCaller() caller: Caller,
    @Body() body: ValidateTokenDto,
  ): Promise<TokenValidityDto> {
    this.use.assertMayValidate(caller);
    const answer = await this.use.validate(body.provider, body.token);
    if (!answer.active) return { active: false };
    return {
      active: true,
      sub: answer.sub,
      client_id: answer.client_id,
      scope: answer.scope,
      exp: answer.exp,
      token_type: answer.token_type,
    };
  }
}

function toStored(stored: { recordId: string; providerSessionId: string | null }): StoredTokenDto {
  return { persistent_token_id: stored.recordId, session_id: stored.providerSessionId };
}

function originOf(request: FastifyRequest) {
  return { requestId: String(request.id), ip: request.ip };
}
