import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../../common/auth/public.decorator';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { GRANTABLE_SCOPES } from '../clients/client-identifiers';
import { GRANT_TYPES } from '../clients/client-model';
import { ACCESS_TOKEN_TYPE } from './access-token.service';
import { DiscoveryDto } from './dto/discovery.dto';
import { CLIENT_AUTHENTICATION_METHODS } from './oauth-parameters';
import { JWKS_MAX_AGE_S, SigningKeyService } from './signing-key.service';

@ApiTags('well-known')
@Public()
@Controller('.well-known')
export class DiscoveryController {
  constructor(
    private readonly signingKeys: SigningKeyService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('openid-configuration')
  @Header('cache-control', `public, max-age=${JWKS_MAX_AGE_S}`)
  @ApiOperation({
    summary: 'Discovery document: issuer, keys and endpoints',
    description:
      'Metadata in the OpenID Connect Discovery / RFC 8414 format for what Gatehouse actually ' +
      'offers today: it issues RFC 9068 access tokens to users (password login) and to service ' +
      'clients (client-credentials grant); no ID tokens, no authorization endpoint.',
  })
  @ApiOkResponse({ type: DiscoveryDto })
  async discovery(): Promise<DiscoveryDto> {
    const base = this.config.http.publicUrl;
    const algorithms = await this.signingKeys.signingAlgorithms();
    return {
      issuer: base,
      jwks_uri: `${base}/.well-known/jwks.json`,
      login_endpoint: `${base}/v1/auth/login`,
      refresh_endpoint: `${base}/v1/auth/refresh`,
      logout_endpoint: `${base}/v1/auth/logout`,
      userinfo_endpoint: `${base}/v1/users/me`,
      token_endpoint: `${base}/oauth/token`,
      introspection_endpoint: `${base}/oauth/introspect`,
      revocation_endpoint: `${base}/oauth/revoke`,
      grant_types_supported: [...GRANT_TYPES],
      scopes_supported: [...GRANTABLE_SCOPES],
      token_endpoint_auth_methods_supported: [...CLIENT_AUTHENTICATION_METHODS],
      introspection_endpoint_auth_methods_supported: [...CLIENT_AUTHENTICATION_METHODS],
      revocation_endpoint_auth_methods_supported: [...CLIENT_AUTHENTICATION_METHODS],
      access_token_signing_alg_values_supported: algorithms,
      access_token_types_supported: [ACCESS_TOKEN_TYPE],
      access_token_audience: this.config.tokens.audience,
      subject_types_supported: ['public'],
      acr_values_supported: ['aal1', 'aal2'],
      mfa_login_endpoint: `${base}/v1/auth/login/mfa`,
      step_up_endpoint: `${base}/v1/auth/step-up`,
      claims_supported: [
        'iss',
        'sub',
        'aud',
        'exp',
        'iat',
        'jti',
        'sid',
        'amr',
        'acr',
        'auth_time',
        'client_id',
        'scope',
      ],
    };
  }
}
