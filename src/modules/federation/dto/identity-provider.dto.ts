import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { MANAGEMENT_API_KINDS, PROVIDER_KINDS } from '../identity-provider.entity';

const SLUG = /^[a-z][a-z0-9-]{0,62}$/;
const CLAIM = /^[A-Za-z0-9_:./-]{1,200}$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/;

export class ClaimMappingDto {
  @ApiPropertyOptional({ default: 'email' })
  @IsOptional()
  @Matches(CLAIM, { message: 'must be a claim name' })
  email?: string;

  @ApiPropertyOptional({ default: 'name' })
  @IsOptional()
  @Matches(CLAIM, { message: 'must be a claim name' })
  name?: string;

  @ApiPropertyOptional({ default: 'phone_number' })
  @IsOptional()
  @Matches(CLAIM, { message: 'must be a claim name' })
  phone?: string;

  @ApiPropertyOptional({ default: 'locale' })
  @IsOptional()
  @Matches(CLAIM, { message: 'must be a claim name' })
  locale?: string;
}

/** The settings an administrator may change; every field optional (a PATCH). */
export class UpdateIdentityProviderDto {
  @ApiPropertyOptional({ example: 'okta', description: 'Path segment of its URLs' })
  @IsOptional()
  @Matches(SLUG, { message: 'must be lower-case letters, digits and -, starting with a letter' })
  slug?: string;

  @ApiPropertyOptional({ example: 'Corporate Okta', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  display_name?: string;

  @ApiPropertyOptional({ example: 'https://example.okta.com/oauth2/default', maxLength: 2048 })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  issuer?: string;

  @ApiPropertyOptional({ maxLength: 255 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  client_id?: string;

  @ApiPropertyOptional({ description: 'Write-only: never returned', maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  client_secret?: string;

  @ApiPropertyOptional({ example: ['openid', 'email', 'profile'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ArrayUnique()
  @Matches(SCOPE, { each: true, message: 'each must be a scope token' })
  scopes?: string[];

  @ApiPropertyOptional({ type: ClaimMappingDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ClaimMappingDto)
  claim_mapping?: ClaimMappingDto;

  @ApiPropertyOptional({
    description: "The provider's `acr` values that mean a second factor was used",
    example: ['http://schemas.openid.net/pape/policies/2007/06/multi-factor'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(500, { each: true })
  mfa_acr_values?: string[];

  @ApiPropertyOptional({
    description: 'Create an account at the first sign-in of an unknown person',
  })
  @IsOptional()
  @IsBoolean()
  jit_provisioning?: boolean;

  @ApiPropertyOptional({ example: ['example.com'], description: 'Empty: any domain' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @Matches(DOMAIN, { each: true, message: 'each must be a lower-case domain name' })
  allowed_email_domains?: string[];

  @ApiPropertyOptional({
    description:
      'Link an existing active account with the same address, when the provider says it verified it',
  })
  @IsOptional()
  @IsBoolean()
  link_by_email?: boolean;

  @ApiPropertyOptional({ example: ['https://app.example.com/auth/callback'] })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(2048, { each: true })
  redirect_uris?: string[];

  @ApiPropertyOptional({ enum: MANAGEMENT_API_KINDS, nullable: true })
  @IsOptional()
  @IsIn([...MANAGEMENT_API_KINDS, null])
  management_api_kind?: (typeof MANAGEMENT_API_KINDS)[number] | null;

  @ApiPropertyOptional({
    example: 'https://example.okta.com',
    description: 'Okta: the org URL; SCIM: the base URL ending before `/Users`',
    nullable: true,
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  management_api_url?: string | null;

  @ApiPropertyOptional({
    description: 'Write-only: an Okta API token (SSWS) or a SCIM bearer token',
    maxLength: 4000,
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(4000)
  management_api_token?: string;

  @ApiPropertyOptional({
    description:
      "Write-only. Okta: the event hook's Authorization header value; Asgardeo: the HMAC secret",
    minLength: 16,
    maxLength: 1000,
  })
  @IsOptional()
  @IsString()
  @MinLength(16)
  @MaxLength(1000)
  webhook_secret?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class CreateIdentityProviderDto extends UpdateIdentityProviderDto {
  @ApiProperty({ example: 'okta' })
  @Matches(SLUG, { message: 'must be lower-case letters, digits and -, starting with a letter' })
  declare slug: string;

  @ApiProperty({ example: 'Corporate Okta' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  declare display_name: string;

  @ApiProperty({ enum: PROVIDER_KINDS })
  @IsIn(PROVIDER_KINDS)
  kind!: (typeof PROVIDER_KINDS)[number];

  @ApiProperty()
  @IsString()
  @MaxLength(2048)
  declare issuer: string;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  declare client_id: string;

  @ApiProperty({ description: 'Write-only: never returned' })
  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  declare client_secret: string;

  @ApiProperty()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(2048, { each: true })
  declare redirect_uris: string[];
}

export class IdentityProviderDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() slug!: string;
  @ApiProperty() display_name!: string;
  @ApiProperty({ enum: PROVIDER_KINDS }) kind!: string;
  @ApiProperty() issuer!: string;
  @ApiProperty() client_id!: string;
  @ApiProperty() scopes!: string[];
  @ApiProperty({ type: ClaimMappingDto }) claim_mapping!: Required<ClaimMappingDto>;
  @ApiProperty() mfa_acr_values!: string[];
  @ApiProperty() jit_provisioning!: boolean;
  @ApiProperty() allowed_email_domains!: string[];
  @ApiProperty() link_by_email!: boolean;
  @ApiProperty() redirect_uris!: string[];
  @ApiProperty({ nullable: true, enum: MANAGEMENT_API_KINDS })
  management_api_kind!: string | null;
  @ApiProperty({ nullable: true }) management_api_url!: string | null;
  @ApiProperty({ description: 'Whether a management API token is stored (never the token)' })
  management_api_token_set!: boolean;
  @ApiProperty({ description: 'Whether a webhook secret is stored (never the secret)' })
  webhook_secret_set!: boolean;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ description: 'Where the provider sends its webhooks' })
  webhook_path!: string | null;
  @ApiProperty() created_at!: string;
  @ApiProperty() updated_at!: string;
}
