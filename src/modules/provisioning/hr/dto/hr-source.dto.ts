import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { PageDto } from '../../../../common/http/pagination';
import { HR_AUTH_MODES, HrAuthMode, HrSource } from '../hr-source.entity';

export class CreateHrSourceDto {
  @ApiProperty({ example: 'Workday', maxLength: 100 })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/^[\p{L}\p{N} ._-]+$/u, { message: 'must be letters, digits, spaces, dots, dashes' })
  name!: string;

  @ApiProperty({
    enum: HR_AUTH_MODES,
    description:
      '`signature`: deliveries are signed per Standard Webhooks with the secret returned once; `api_key`: they carry the API key returned once in `X-API-Key`.',
  })
  @IsIn(HR_AUTH_MODES)
  auth_mode!: HrAuthMode;

  @ApiPropertyOptional({ minimum: 1, maximum: 100_000, default: 600 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  rate_limit_per_minute?: number;

  @ApiPropertyOptional({
    description: 'Okta group name → Gatehouse role name, granted when a hire is onboarded',
    example: { Engineering: 'engineer' },
  })
  @IsOptional()
  @IsObject()
  role_mappings?: Record<string, string>;
}

export class HrSourceDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: HR_AUTH_MODES })
  auth_mode!: HrAuthMode;

  @ApiProperty()
  rate_limit_per_minute!: number;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  role_mappings!: Record<string, string>;

  @ApiProperty()
  created_at!: string;
}

export class CreatedHrSourceDto extends HrSourceDto {
  @ApiProperty({
    description:
      'Shown this once: the signing secret (`whsec_…`) or the API key (`ghk_…`), never stored in clear.',
  })
  secret!: string;
}

export class HrSourceListDto extends PageDto(HrSourceDto, 'HrSourceList') {}

export function toHrSourceDto(source: HrSource): HrSourceDto {
  return {
    id: source.id,
    name: source.name,
    auth_mode: source.authMode,
    rate_limit_per_minute: source.rateLimitPerMinute,
    role_mappings: source.roleMappings,
    created_at: source.createdAt.toISOString(),
  };
}
