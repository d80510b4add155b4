import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, Matches } from 'class-validator';

export class GrantRoleDto {
  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the grant ends (in the future, with a UTC offset); null or absent: never',
  })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'must be an ISO 8601 date-time' })
  @Matches(/T.*(Z|[+-]\d{2}:?\d{2})$/i, { message: 'must be a date-time with a UTC offset' })
  expires_at?: string | null;
}

export class UserRoleDto {
  @ApiProperty({ format: 'uuid' })
  role_id!: string;

  @ApiProperty({ example: 'trader' })
  role_name!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The user id or client id that granted it, or `cli`',
  })
  granted_by!: string | null;

  @ApiProperty({ format: 'date-time' })
  granted_at!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expires_at!: string | null;

  @ApiProperty({ description: 'False once the grant has expired' })
  active!: boolean;
}

export class UserRolesDto {
  @ApiProperty({ type: [UserRoleDto], description: 'Explicit grants, expired ones included' })
  items!: UserRoleDto[];

  @ApiProperty({
    type: [String],
    example: ['trader', 'user'],
    description: 'The roles the user holds now: unexpired grants and, if active, `user`',
  })
  effective_roles!: string[];
}

export class UserRoleWriteDto {
  @ApiProperty({ type: UserRoleDto })
  grant!: UserRoleDto;

  @ApiProperty({ description: 'The policy-set version that includes this change', example: 42 })
  policy_set_version!: number;
}
