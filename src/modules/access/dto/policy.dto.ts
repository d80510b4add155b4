import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import {
  actionPatternError,
  resourcePatternError,
  subjectPatternError,
} from '../../../common/policy-language/authz-patterns';
import { MAX_CONDITION_LENGTH } from '../../../common/policy-language/compiled-condition';
import { NAME_PATTERN } from '../built-in-roles';
import { POLICY_EFFECTS, PolicyEffect } from '../policy.entity';
import { EachSatisfies } from './each-satisfies.validator';
import { NAME_MESSAGE } from './role.dto';

const MAX_DESCRIPTION = 1000;
const MAX_ENTRIES = 100;
const MAX_ENTRY_LENGTH = 256;
/** Far beyond any sensible ordering, and inside PostgreSQL's integer. */
const MAX_PRIORITY = 1_000_000;

const list = (description: string, example: string[]) =>
  ApiProperty({
    type: [String],
    minItems: 1,
    maxItems: MAX_ENTRIES,
    description,
    example,
  });

/** A whole policy: POST creates one, PUT replaces every field of one. */
export class PolicyBodyDto {
  @ApiProperty({ pattern: NAME_PATTERN.source, example: 'trade-own' })
  @IsString()
  @Matches(NAME_PATTERN, { message: NAME_MESSAGE })
  name!: string;

  @ApiPropertyOptional({ maxLength: MAX_DESCRIPTION, default: '' })
  @ValidateIf((_, value) => value !== undefined)
  @IsString()
  @MaxLength(MAX_DESCRIPTION)
  description?: string;

  @ApiProperty({ enum: POLICY_EFFECTS })
  @IsIn(POLICY_EFFECTS)
  effect!: PolicyEffect;

  @ApiProperty({
    minimum: -MAX_PRIORITY,
    maximum: MAX_PRIORITY,
    example: 10,
    description: 'The highest-priority matching policy decides; role permissions count as 0',
  })
  @IsInt()
  @Min(-MAX_PRIORITY)
  @Max(MAX_PRIORITY)
  priority!: number;

  @list('`role:<name>`, `user:<id>`, `client:<client_id>` or `*` for anyone', ['role:trader'])
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ENTRIES)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(MAX_ENTRY_LENGTH, { each: true })
  @EachSatisfies(subjectPatternError)
  subjects!: string[];

  @list('`<type>:<verb>`, `<type>:*` or `*`', ['trading_account:trade'])
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ENTRIES)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(MAX_ENTRY_LENGTH, { each: true })
  @EachSatisfies(actionPatternError)
  actions!: string[];

  @list('`<type>:<id>`, `<type>:*` or `*`', ['trading_account:*'])
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ENTRIES)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(MAX_ENTRY_LENGTH, { each: true })
  @EachSatisfies(resourcePatternError)
  resources!: string[];

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: MAX_CONDITION_LENGTH,
    description:
      'CEL over `subject`, `resource`, `action` and `context`; compiled when saved, a 422 ' +
      'naming the line and column when it does not compile',
    example: 'resource.owner_id == subject.id',
  })
  @IsOptional()
  @IsString()
  @Length(1, MAX_CONDITION_LENGTH)
  condition?: string | null;

  @ApiPropertyOptional({ default: true })
  @ValidateIf((_, value) => value !== undefined)
  @IsBoolean()
  enabled?: boolean;
}

export class PolicyDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'trade-own' })
  name!: string;

  @ApiProperty()
  description!: string;

  @ApiProperty({ enum: POLICY_EFFECTS })
  effect!: PolicyEffect;

  @ApiProperty({ example: 10 })
  priority!: number;

  @ApiProperty({ type: [String], example: ['role:trader'] })
  subjects!: string[];

  @ApiProperty({ type: [String], example: ['trading_account:trade'] })
  actions!: string[];

  @ApiProperty({ type: [String], example: ['trading_account:*'] })
  resources!: string[];

  @ApiProperty({ type: String, nullable: true, example: 'resource.owner_id == subject.id' })
  condition!: string | null;

  @ApiProperty()
  enabled!: boolean;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;
}

export class PolicyWriteDto {
  @ApiProperty({ type: PolicyDto })
  policy!: PolicyDto;

  @ApiProperty({ description: 'The policy-set version that includes this change', example: 42 })
  policy_set_version!: number;
}
