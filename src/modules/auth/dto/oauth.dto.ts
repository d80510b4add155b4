import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** A successful token response (RFC 6749 §5.1); no refresh token for client credentials. */
export class ClientTokenDto {
  @ApiProperty()
  access_token!: string;

  @ApiProperty({ example: 'Bearer' })
  token_type!: 'Bearer';

  @ApiProperty({ example: 900 })
  expires_in!: number;

  @ApiProperty({ example: 'authz:check', description: 'The granted scopes, space-separated' })
  scope!: string;
}

/** An introspection response (RFC 7662 §2.2): `{active: false}` alone for any unusable token. */
export class IntrospectionDto {
  @ApiProperty()
  active!: boolean;

  @ApiPropertyOptional({
    enum: ['access_token', 'refresh_token'],
    description: 'Which kind of Gatehouse token this is',
  })
  token_use?: 'access_token' | 'refresh_token';

  @ApiPropertyOptional({ example: 'Bearer', description: 'Access tokens only' })
  token_type?: 'Bearer';

  @ApiPropertyOptional({ description: 'A service token’s scopes, space-separated' })
  scope?: string;

  @ApiPropertyOptional({ description: 'Service tokens only: the client the token was issued to' })
  client_id?: string;

  @ApiPropertyOptional({ description: 'A user id, or a service token’s client id' })
  sub?: string;

  @ApiPropertyOptional({ description: 'The session of a user’s token' })
  sid?: string;

  @ApiPropertyOptional()
  iss?: string;

  @ApiPropertyOptional({ description: 'Access tokens only' })
  aud?: string;

  @ApiPropertyOptional()
  iat?: number;

  @ApiPropertyOptional()
  exp?: number;

  @ApiPropertyOptional({ description: 'Access tokens only' })
  jti?: string;
}
