import { ApiProperty } from '@nestjs/swagger';
import { USER_STATUSES, UserStatus } from '../user-status';

export class UserProfileDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'ada@example.com' })
  email!: string;

  @ApiProperty()
  email_verified!: boolean;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'An address waiting for its verification link to be followed',
  })
  pending_email!: string | null;

  @ApiProperty({ example: 'Ada Lovelace' })
  name!: string;

  @ApiProperty({ type: String, nullable: true, example: '+447911123456' })
  phone!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'https://cdn.example.com/ada.png' })
  avatar_url!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Europe/London' })
  timezone!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'en-GB' })
  locale!: string | null;

  @ApiProperty({ enum: USER_STATUSES })
  status!: UserStatus;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  last_login_at!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      'When the account will be erased, as its holder asked (`DELETE /v1/users/me`); signing in before cancels it. Null when no deletion is scheduled.',
  })
  deletion_due_at!: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;
}
