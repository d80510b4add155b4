import { Controller, Header, Headers, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Client, ClientInfo } from '../../common/auth/client-info';
import { Public } from '../../common/auth/public.decorator';
import { FormBody, FormParameters, OAuthEndpoint } from '../../common/http/form-body';
import { ClientTokenDto, IntrospectionDto } from './dto/oauth.dto';
import { OAuthService } from './oauth.service';

const CLIENT_AUTHENTICATION =
  'The client authenticates with HTTP Basic (`client_id:client_secret`, each form-encoded) or ' +
  'with `client_id` and `client_secret` in the body, never both. Errors are RFC 6749 ' +
  '`{error, error_description}`, not problem+json; a wrong secret and an unknown client are ' +
  'the same 401 `invalid_client`.';

const ApiForm = (
  properties: Record<string, { type: 'string'; description?: string }>,
  required: string[],
) => ApiBody({ schema: { type: 'object', properties, required } });

const clientCredentials = {
  client_id: { type: 'string', description: 'client_secret_post only' },
  client_secret: { type: 'string', description: 'client_secret_post only' },
} as const;

/**
 * OAuth 2.0 endpoints for service clients, at the root like the well-known documents (the paths
 * OAuth clients are configured with). They authenticate clients themselves, hence `@Public()`.
 */
@ApiTags('oauth')
@Public()
@Controller('oauth')
export class OAuthController {
  constructor(private readonly oauth: OAuthService) {}

  @Post('token')
  @OAuthEndpoint()
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @Header('pragma', 'no-cache')
  @ApiOperation({
    summary: 'Client-credentials grant: an access token for a service client',
    description:
      '`grant_type=client_credentials`, optional `scope` (space-separated, a subset of the ' +
      'client’s allowed scopes; all of them when absent). ' +
      CLIENT_AUTHENTICATION,
  })
  @ApiForm(
    {
      grant_type: { type: 'string', description: 'client_credentials' },
      scope: { type: 'string' },
      ...clientCredentials,
    },
    ['grant_type'],
  )
  @ApiOkResponse({ type: ClientTokenDto })
  token(
    @FormBody() body: FormParameters,
    @Headers('authorization') authorization: string | undefined,
    @Client() client: ClientInfo,
  ): Promise<ClientTokenDto> {
    return this.oauth.token({ form: body, authorization, client });
  }

  @Post('introspect')
  @OAuthEndpoint()
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Token introspection (RFC 7662)',
    description:
      'For clients holding the `oauth:introspect` scope (others get 400 `unauthorized_client`). ' +
      'Describes access tokens (users’ and services’) and refresh tokens; anything not usable ' +
      'right now is `{"active": false}`. ' +
      CLIENT_AUTHENTICATION,
  })
  @ApiForm(
    {
      token: { type: 'string' },
      token_type_hint: { type: 'string', description: 'access_token or refresh_token; optional' },
      ...clientCredentials,
    },
    ['token'],
  )
  @ApiOkResponse({ type: IntrospectionDto })
  introspect(
    @FormBody() body: FormParameters,
    @Headers('authorization') authorization: string | undefined,
    @Client() client: ClientInfo,
  ): Promise<IntrospectionDto> {
    return this.oauth.introspect({ form: body, authorization, client });
  }

  @Post('revoke')
  @OAuthEndpoint()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Token revocation (RFC 7009)',
    description:
      'Revokes one of the authenticated client’s own access tokens. Any other token is left ' +
      'alone with the same empty 200. ' +
      CLIENT_AUTHENTICATION,
  })
  @ApiForm(
    {
      token: { type: 'string' },
      token_type_hint: { type: 'string', description: 'access_token or refresh_token; optional' },
      ...clientCredentials,
    },
    ['token'],
  )
  @ApiOkResponse({ description: 'Revoked, or nothing to revoke' })
  revoke(
    @FormBody() body: FormParameters,
    @Headers('authorization') authorization: string | undefined,
    @Client() client: ClientInfo,
  ): Promise<void> {
    return this.oauth.revoke({ form: body, authorization, client });
  }
}
