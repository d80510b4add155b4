import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Length,
  Matches,
  ValidateIf,
} from 'class-validator';
import { PageDto } from '../../../common/http/pagination';
import { OFFLINE_TOKEN_STATUSES, OfflineToken } from '../offline-token.entity';

/** RFC 6749 §3.3 scope-token. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,200}$/;
const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

export class ConsentQueryDto {
  @ApiProperty({ description: 'The identity provider’s slug.', example: 'keycloak' })
  @IsString()
  @Matches(SLUG, { message: 'must be a provider slug' })
  provider!: string;

  @ApiPropertyOptional({
    description:
      'Scopes to ask for besides `openid offline_access`, separated by spaces or commas.',
    example: 'profile reports:read',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.split(/[\s,]+/).filter((scope) => scope.length > 0) : value,
  )
  @ArrayMaxSize(20)
  @Matches(SCOPE_TOKEN, { each: true, message: 'each scope must be an RFC 6749 scope token' })
  scopes?: string[];

  @ApiPropertyOptional({
    description: 'Where the provider sends the browser back; one the provider has registered.',
  })
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['https', 'http'] })
  @Length(1, 2048)
  redirect_uri?: string;
}

export class ConsentStartedDto {
  @ApiProperty({ description: 'Send the browser here; the provider asks the user to consent.' })
  authorization_url!: string;

  @ApiProperty({ description: 'The consent must come back before this time.' })
  expires_at!: string;
}

/** The provider's redirect back: a code and the state, or an error and the state. */
export class ConsentCallbackDto {
  @ApiProperty()
  @IsString()
  @Length(1, 512)
  state!: string;

  @ApiPropertyOptional({ description: 'Absent when the provider answers with `error`.' })
  @ValidateIf((o: ConsentCallbackDto) => o.error === undefined)
  @IsString()
  @Length(1, 2048)
  code?: string;

  @ApiPropertyOptional({ description: 'The issuer the provider names (RFC 9207).' })
  @IsOptional()
  @IsString()
  @Length(1, 2048)
  iss?: string;

  @ApiPropertyOptional({ example: 'access_denied' })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  error?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(0, 1024)
  error_description?: string;
}

export class StoredTokenDto {
  @ApiProperty({ description: 'The record holding the offline token.' })
  persistent_token_id!: string;

  @ApiProperty({ nullable: true, type: String, description: 'The provider session (`sid`).' })
  session_id!: string | null;
}

/** A service names the user it acts for; the owner names nobody. */
export class UseTokenDto {
  @ApiPropertyOptional({ description: 'The owner, when a service acts for them.' })
  @IsOptional()
  @IsUUID()
  user_id?: string;
}

export class AccessTokenDto {
  @ApiProperty()
  access_token!: string;

  @ApiProperty({ example: 'Bearer' })
  token_type!: string;

  @ApiProperty({ nullable: true, type: Number })
  expires_in!: number | null;

  @ApiProperty({ nullable: true, type: String })
  scope!: string | null;
}

export class ValidateTokenDto {
  @ApiProperty({ description: 'The provider’s slug.' })
  @IsString()
  @Matches(SLUG, { message: 'must be a provider slug' })
  provider!: string;

  @ApiProperty({ description: 'An access or refresh token the provider issued.' })
  @IsString()
  @Length(1, 16384)
  token!: string;
}

export class TokenValidityDto {
  @ApiProperty()
  active!: boolean;

  @ApiPropertyOptional()
  sub?: string;

  @ApiPropertyOptional()
  client_id?: string;

  @ApiPropertyOptional()
  scope?: string;

  @ApiPropertyOptional({ description: 'Seconds since the epoch.' })
  exp?: number;

  @ApiPropertyOptional()
  token_type?: string;
}

export class OfflineTokenDto {
  @ApiProperty()
  id!: string;

  @ApiProperty()
  provider_id!: string;

  @ApiProperty({ description: 'The user’s `sub` at the provider.' })
  subject!: string;

  @ApiProperty({ nullable: true, type: String })
  session_id!: string | null;

  @ApiProperty({ type: [String] })
  scopes!: string[];

  @ApiProperty({ enum: OFFLINE_TOKEN_STATUSES })
  status!: string;

  @ApiProperty({ nullable: true, type: String })
  expires_at!: string | null;

  @ApiProperty({ nullable: true, type: String })
  last_used_at!: string | null;

  @ApiProperty({ nullable: true, type: String })
  rotated_at!: string | null;

  @ApiProperty({ nullable: true, type: String })
  revoked_at!: string | null;

  @ApiProperty()
  created_at!: string;
}

export class OfflineTokenPageDto extends PageDto(OfflineTokenDto, 'OfflineTokenPage') {}

export function toOfflineTokenDto(token: OfflineToken): OfflineTokenDto {
  return {
    id: token.id,
    provider_id: token.providerId,
    subject: token.subject,
    session_id: token.providerSessionId,
    scopes: token.scopes,
    status: token.status,
    expires_at: token.expiresAt?.toISOString() ?? null,
    last_used_at: token.lastUsedAt?.toISOString() ?? null,
    rotated_at: token.rotatedAt?.toISOString() ?? null,
    revoked_at: token.revokedAt?.toISOString() ?? null,
    created_at: token.createdAt.toISOString(),
  };
}
