import { LinkedIdentityDto } from '../../federation/dto/linked-identity.dto';
import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import {
  IsEmail,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import { PageQueryDto } from '../../../common/http/pagination';
import { IsDisplayName } from '../../../common/validation/profile-formats';
import { USER_STATUSES, UserStatus } from '../user-status';
import { SortOrder, USER_SORTS, UserSort } from '../users.repository';
import { UpdateProfileDto } from './update-profile.dto';
import { UserProfileDto } from './user-profile.dto';

const DATE_TIME = { strict: true, strictSeparator: true } as const;
const DATE_TIME_MESSAGE = { message: 'must be an ISO 8601 date-time' };

/** `GET /v1/admin/users`: every filter optional, all of them applied together. */
export class UserSearchQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    description: 'A prefix of the address, case-insensitive',
    maxLength: 254,
    example: 'ada@',
  })
  @IsOptional()
  @IsString()
  @Length(1, 254)
  email?: string;

  @ApiPropertyOptional({
    description: 'A prefix of the name, case-insensitive',
    maxLength: 200,
    example: 'Ada',
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiPropertyOptional({ enum: USER_STATUSES })
  @IsOptional()
  @IsIn(USER_STATUSES)
  status?: UserStatus;

  @ApiPropertyOptional({
    description: 'Users holding the role now (an unexpired grant; `user`: every active user)',
    example: 'admin',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z][a-z0-9_-]{0,62}$/, { message: 'must be a role name' })
  role?: string;

  @ApiPropertyOptional({
    description: 'Users linked to the identity provider of this slug or id',
    example: 'okta',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'must be a provider slug or id' })
  identity_provider?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Created at or after' })
  @IsOptional()
  @IsISO8601(DATE_TIME, DATE_TIME_MESSAGE)
  created_from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Created before' })
  @IsOptional()
  @IsISO8601(DATE_TIME, DATE_TIME_MESSAGE)
  created_to?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Last signed in at or after' })
  @IsOptional()
  @IsISO8601(DATE_TIME, DATE_TIME_MESSAGE)
  last_login_from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Last signed in before' })
  @IsOptional()
  @IsISO8601(DATE_TIME, DATE_TIME_MESSAGE)
  last_login_to?: string;

  @ApiPropertyOptional({ enum: USER_SORTS, default: 'created_at' })
  @IsOptional()
  @IsIn(USER_SORTS)
  sort?: UserSort;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order?: SortOrder;
}

/** `POST /v1/admin/users`: the invitee's address and name. */
export class InviteUserDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'must be an email address' })
  email!: string;

  @ApiProperty({ example: 'Ada Lovelace', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  @IsDisplayName()
  name!: string;
}

/** `PATCH /v1/admin/users/{id}`: profile fields; the address is the user's own to change. */
export class AdminUpdateUserDto extends OmitType(UpdateProfileDto, [
  'email',
  'current_password',
] as const) {}

/** Why an account is suspended or deactivated, recorded with the change. */
export class StatusChangeDto {
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500 })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @MaxLength(500)
  reason?: string | null;
}

/** `POST /v1/invitations/accept`: the mailed token and the password the invitee chose. */
export class AcceptInvitationDto {
  @ApiProperty({ description: 'The token from the invitation link', example: 'ghi_…' })
  @IsString()
  @MaxLength(256)
  token!: string;

  @ApiProperty({ format: 'password', minLength: 12, maxLength: 256 })
  @IsString()
  @MaxLength(1024)
  password!: string;
}

/** A user as administrators list them: the profile its owner sees, without a pending address. */
export class AdminUserDto extends OmitType(UserProfileDto, ['pending_email'] as const) {}

export class AdminUserRoleDto {
  @ApiProperty({ format: 'uuid' })
  role_id!: string;

  @ApiProperty({ example: 'admin' })
  role_name!: string;

  @ApiProperty({ format: 'date-time' })
  granted_at!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expires_at!: string | null;

  @ApiProperty({ description: 'False once the grant has expired' })
  active!: boolean;
}

export class AdminUserFactorDto {
  @ApiProperty({ enum: ['totp'], description: 'The kind of factor; never its secret' })
  kind!: 'totp';

  @ApiProperty({ format: 'date-time', description: 'When it became active' })
  created_at!: string;
}

export class AdminUserSessionDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'Firefox on Linux' })
  device!: string;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  ip!: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time', description: 'Login or last refresh' })
  last_used_at!: string;
}

/** One user with their roles, second factors and live sessions. */
export class AdminUserDetailDto extends AdminUserDto {
  @ApiProperty({ type: [AdminUserRoleDto], description: 'Explicit grants, expired ones included' })
  roles!: AdminUserRoleDto[];

  @ApiProperty({ type: [AdminUserFactorDto] })
  factors!: AdminUserFactorDto[];

  @ApiProperty({ description: 'Unused backup codes (0 without a factor)' })
  backup_codes_remaining!: number;

  @ApiProperty({ type: [AdminUserSessionDto], description: 'Live sessions, most recent first' })
  sessions!: AdminUserSessionDto[];

  @ApiProperty({
    type: [LinkedIdentityDto],
    description: 'Identities at external identity providers linked to the account, oldest first',
  })
  identities!: LinkedIdentityDto[];
}

export class SessionsEndedDto {
  @ApiProperty({ description: 'How many live sessions ended' })
  sessions_ended!: number;
}
