import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
} from 'class-validator';
import { IsDisplayName } from '../../../common/validation/profile-formats';
import { GRANTABLE_SCOPES } from '../client-identifiers';
import { CLIENT_STATUSES, ClientStatus, GRANT_TYPES } from '../client-model';

export class CreateClientDto {
  @ApiProperty({ example: 'Trading service', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  @IsDisplayName()
  name!: string;

  @ApiProperty({
    example: ['authz:check'],
    description: 'Scopes the client may request: permissions of Gatehouse’s own endpoints',
    enum: GRANTABLE_SCOPES,
    isArray: true,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(GRANTABLE_SCOPES.length)
  @ArrayUnique()
  @IsIn(GRANTABLE_SCOPES, { each: true })
  allowed_scopes!: string[];

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'When the first secret stops working; never when absent',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  secret_expires_at?: string;
}

export class AddSecretDto {
  @ApiPropertyOptional({
    format: 'date-time',
    description: 'When the new secret stops working; never when absent',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  expires_at?: string;
}

export class ClientSecretDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expires_at!: string | null;

  @ApiProperty({ description: 'False once it has expired' })
  active!: boolean;
}

export class IssuedSecretDto extends ClientSecretDto {
  @ApiProperty({ description: 'Shown only in this response; Gatehouse keeps a hash' })
  client_secret!: string;
}

export class ClientDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'ghc_4n0X1v2Qd8bq7WcT3yKfZg', description: 'Public identifier' })
  client_id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ example: ['authz:check'] })
  allowed_scopes!: string[];

  @ApiProperty({ enum: GRANT_TYPES, isArray: true })
  grant_types!: string[];

  @ApiProperty({ enum: CLIENT_STATUSES })
  status!: ClientStatus;

  @ApiProperty({ type: [ClientSecretDto], description: 'Secrets not removed, oldest first' })
  secrets!: ClientSecretDto[];

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Last authentication at an OAuth endpoint, to the minute',
  })
  last_used_at!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      'Access tokens the client was issued before this instant are refused (moved when it is ' +
      'disabled, when a secret is removed, and by revoke-tokens); null until then',
  })
  tokens_valid_after!: string | null;
}

export class CreatedClientDto extends ClientDto {
  @ApiProperty({ description: 'The first secret, shown only in this response' })
  client_secret!: string;
}
