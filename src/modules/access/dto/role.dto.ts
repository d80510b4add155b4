import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsString,
  Matches,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import { permissionError } from '../../../common/policy-language/authz-patterns';
import { NAME_PATTERN } from '../built-in-roles';
import { EachSatisfies } from './each-satisfies.validator';

export const NAME_MESSAGE =
  'must be 1-63 lower-case letters, digits, _ or -, starting with a letter';
const MAX_DESCRIPTION = 1000;
const MAX_PERMISSIONS = 200;
const MAX_PERMISSION_LENGTH = 128;

export class CreateRoleDto {
  @ApiProperty({ pattern: NAME_PATTERN.source, example: 'trader' })
  @IsString()
  @Matches(NAME_PATTERN, { message: NAME_MESSAGE })
  name!: string;

  @ApiPropertyOptional({ maxLength: MAX_DESCRIPTION, default: '' })
  @ValidateIf((_, value) => value !== undefined)
  @IsString()
  @MaxLength(MAX_DESCRIPTION)
  description?: string;

  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_PERMISSIONS,
    default: [],
    description: 'Action patterns the role allows on any resource: `users:read`, `users:*`',
    example: ['trading_accounts:trade'],
  })
  @ValidateIf((_, value) => value !== undefined)
  @IsArray()
  @ArrayMaxSize(MAX_PERMISSIONS)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(MAX_PERMISSION_LENGTH, { each: true })
  @EachSatisfies(permissionError)
  permissions?: string[];
}

/** Fields left out stay as they are. */
export class UpdateRoleDto {
  @ApiPropertyOptional({
    pattern: NAME_PATTERN.source,
    description: 'Built-in roles cannot be renamed',
  })
  @ValidateIf((_, value) => value !== undefined)
  @IsString()
  @Matches(NAME_PATTERN, { message: NAME_MESSAGE })
  name?: string;

  @ApiPropertyOptional({ maxLength: MAX_DESCRIPTION })
  @ValidateIf((_, value) => value !== undefined)
  @IsString()
  @MaxLength(MAX_DESCRIPTION)
  description?: string;

  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_PERMISSIONS,
    description: 'Replaces the list; `admin` must keep every Gatehouse permission',
  })
  @ValidateIf((_, value) => value !== undefined)
  @IsArray()
  @ArrayMaxSize(MAX_PERMISSIONS)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(MAX_PERMISSION_LENGTH, { each: true })
  @EachSatisfies(permissionError)
  permissions?: string[];
}

export class RoleDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'trader' })
  name!: string;

  @ApiProperty()
  description!: string;

  @ApiProperty({ type: [String], example: ['trading_accounts:trade'] })
  permissions!: string[];

  @ApiProperty({ description: 'The built-in `admin` and `user` roles' })
  built_in!: boolean;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;
}

export class RoleWriteDto {
  @ApiProperty({ type: RoleDto })
  role!: RoleDto;

  @ApiProperty({ description: 'The policy-set version that includes this change', example: 42 })
  policy_set_version!: number;
}

export class PolicySetVersionDto {
  @ApiProperty({ description: 'The policy-set version that includes this change', example: 42 })
  policy_set_version!: number;
}
