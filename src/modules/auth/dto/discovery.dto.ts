import { ApiProperty } from '@nestjs/swagger';

export class DiscoveryDto {
  @ApiProperty({ example: 'https://id.example.com' })
  issuer!: string;

  @ApiProperty({ example: 'https://id.example.com/.well-known/jwks.json' })
  jwks_uri!: string;

  @ApiProperty({ description: 'Password login: returns an access and a refresh token' })
  login_endpoint!: string;

  @ApiProperty({ description: 'Refresh-token exchange (rotating)' })
  refresh_endpoint!: string;

  @ApiProperty({ description: 'Ends the session of the presented access token' })
  logout_endpoint!: string;

  @ApiProperty({ description: 'The signed-in user’s profile' })
  userinfo_endpoint!: string;

  @ApiProperty({ description: 'Client-credentials grant for service clients (RFC 6749 §4.4)' })
  token_endpoint!: string;

  @ApiProperty({ description: 'Token introspection (RFC 7662)' })
  introspection_endpoint!: string;

  @ApiProperty({ description: 'Token revocation (RFC 7009)' })
  revocation_endpoint!: string;

  @ApiProperty({ example: ['client_credentials'] })
  grant_types_supported!: string[];

  @ApiProperty({
    example: ['authz:check', 'oauth:introspect'],
    description: 'What a service client may be allowed: Gatehouse permissions, and introspection',
  })
  scopes_supported!: string[];

  @ApiProperty({ example: ['client_secret_basic', 'client_secret_post'] })
  token_endpoint_auth_methods_supported!: string[];

  @ApiProperty({ example: ['client_secret_basic', 'client_secret_post'] })
  introspection_endpoint_auth_methods_supported!: string[];

  @ApiProperty({ example: ['client_secret_basic', 'client_secret_post'] })
  revocation_endpoint_auth_methods_supported!: string[];

  @ApiProperty({
    description: 'Algorithms of the keys access tokens are (or will next be) signed with',
    example: ['ES256'],
  })
  access_token_signing_alg_values_supported!: string[];

  @ApiProperty({ example: ['at+jwt'] })
  access_token_types_supported!: string[];

  @ApiProperty({ example: 'gatehouse' })
  access_token_audience!: string;

  @ApiProperty({ example: ['public'] })
  subject_types_supported!: string[];

  @ApiProperty({
    description: 'The `acr` of access tokens: aal2 when the login or step-up used a second factor',
    example: ['aal1', 'aal2'],
  })
  acr_values_supported!: string[];

  @ApiProperty({
    description: 'Completes a login that answered `mfa_required` (Gatehouse extension)',
  })
  mfa_login_endpoint!: string;

  @ApiProperty({ description: 'Step-up within a session (RFC 9470; Gatehouse extension)' })
  step_up_endpoint!: string;

  @ApiProperty()
  claims_supported!: string[];
}
