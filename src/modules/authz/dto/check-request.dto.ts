import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';

/** A concrete name: no wildcard, no whitespace (patterns belong in policies, not requests). */
const CONCRETE = /^[^\s*]+$/;
const CONCRETE_MESSAGE = 'must be a name without spaces or "*"';

export const MAX_BATCH_CHECKS = 100;

export class CheckSubjectDto {
  @ApiProperty({ enum: ['user', 'service'] })
  @IsIn(['user', 'service'])
  type!: 'user' | 'service';

  @ApiProperty({ description: 'A Gatehouse user id, or a service client_id', maxLength: 256 })
  @IsString()
  @Length(1, 256)
  @Matches(CONCRETE, { message: CONCRETE_MESSAGE })
  id!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Extra attributes; those Gatehouse knows (roles, status, profile) win over these.',
  })
  @IsOptional()
  @IsObject()
  attributes?: Record<string, unknown>;
}

export class CheckResourceDto {
  @ApiProperty({ example: 'trading_account', maxLength: 128 })
  @IsString()
  @Length(1, 128)
  @Matches(CONCRETE, { message: CONCRETE_MESSAGE })
  type!: string;

  @ApiPropertyOptional({ maxLength: 256 })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  @Matches(CONCRETE, { message: CONCRETE_MESSAGE })
  id?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  attributes?: Record<string, unknown>;
}

export class CheckRequestDto {
  @ApiProperty({ type: CheckSubjectDto })
  @ValidateNested()
  @Type(() => CheckSubjectDto)
  @IsObject()
  subject!: CheckSubjectDto;

  @ApiProperty({ example: 'trading_account:trade', maxLength: 128 })
  @IsString()
  @Length(1, 128)
  @Matches(CONCRETE, { message: CONCRETE_MESSAGE })
  action!: string;

  @ApiProperty({ type: CheckResourceDto })
  @ValidateNested()
  @Type(() => CheckResourceDto)
  @IsObject()
  resource!: CheckResourceDto;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  context?: Record<string, unknown>;

  @ApiPropertyOptional({
    description:
      'Never decide on an older policy set than this (the `policy_set_version` a change returned).',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  min_policy_set_version?: number;
}

export class BatchCheckRequestDto {
  @ApiProperty({ type: [CheckRequestDto], minItems: 1, maxItems: MAX_BATCH_CHECKS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH_CHECKS)
  @ValidateNested({ each: true })
  @Type(() => CheckRequestDto)
  checks!: CheckRequestDto[];
}
