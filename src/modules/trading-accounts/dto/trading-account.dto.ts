import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length, Matches, ValidateIf } from 'class-validator';
import { PageDto } from '../../../common/http/pagination';
import { MEMBER_ROLES, MemberRole, TradingAccountMember } from '../trading-account-member.entity';
import { TradingAccount, TRADING_ACCOUNT_STATUSES } from '../trading-account.entity';
import { AccountWithRole } from '../trading-accounts.repository';

/** Kite's api_key and api_secret are short alphanumeric strings. */
const KITE_KEY = /^[A-Za-z0-9]+$/;

export class StartLinkDto {
  @ApiPropertyOptional({
    description: 'Your own Kite Connect app (with api_secret); else the platform app.',
  })
  @ValidateIf((o: StartLinkDto) => o.api_key !== undefined || o.api_secret !== undefined)
  @IsString()
  @Length(6, 64)
  @Matches(KITE_KEY, { message: 'must be letters and digits' })
  api_key?: string;

  @ApiPropertyOptional({ description: 'Kept in the vault, never returned.' })
  @ValidateIf((o: StartLinkDto) => o.api_key !== undefined || o.api_secret !== undefined)
  @IsString()
  @Length(6, 128)
  @Matches(KITE_KEY, { message: 'must be letters and digits' })
  api_secret?: string;
}

export class LinkStartedDto {
  @ApiProperty({ description: "Kite's login page; `redirect_params` carries the state back." })
  login_url!: string;

  @ApiProperty({ description: 'Signed, single-use; expires at `expires_at`.' })
  state!: string;

  @ApiProperty()
  expires_at!: string;
}

/** What Kite's redirect carries back (plus `state`, from `redirect_params`). */
export class LinkCallbackDto {
  @ApiProperty()
  @IsString()
  @Length(1, 512)
  state!: string;

  @ApiProperty()
  @IsString()
  @Length(1, 128)
  @Matches(KITE_KEY, { message: 'must be letters and digits' })
  request_token!: string;

  @ApiProperty({ example: 'success' })
  @IsString()
  @Length(1, 32)
  status!: string;

  @ApiPropertyOptional({ example: 'login' })
  @IsOptional()
  @IsString()
  @Length(1, 32)
  action?: string;

  @ApiPropertyOptional({ example: 'login' })
  @IsOptional()
  @IsString()
  @Length(1, 32)
  type?: string;
}

export class UpdateTradingAccountDto {
  @ApiProperty({ maxLength: 100 })
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'must not be blank' })
  display_name!: string;
}

export class BrokerProfileDto {
  @ApiProperty() name!: string;
  @ApiProperty() short_name!: string;
  @ApiProperty({ type: String, nullable: true }) email!: string | null;
  @ApiProperty() user_type!: string;
  @ApiProperty({ type: [String] }) exchanges!: string[];
  @ApiProperty({ type: [String] }) products!: string[];
  @ApiProperty({ type: [String] }) order_types!: string[];
  @ApiProperty({
    type: 'object',
    nullable: true,
    properties: {
      equity: { type: 'number', nullable: true },
      commodity: { type: 'number', nullable: true },
    },
  })
  margins!: { equity: number | null; commodity: number | null } | null;
}

export class TradingAccountDto {
  @ApiProperty() id!: string;
  @ApiProperty() owner_id!: string;
  @ApiProperty({ enum: ['owner', ...MEMBER_ROLES], description: "The caller's relation to it." })
  role!: string;
  @ApiProperty({ example: 'zerodha' }) broker!: string;
  @ApiProperty() broker_user_id!: string;
  @ApiProperty() display_name!: string;
  @ApiProperty({ enum: TRADING_ACCOUNT_STATUSES }) status!: string;
  @ApiProperty({ type: BrokerProfileDto }) profile!: BrokerProfileDto;
  @ApiProperty({ description: 'When the broker session ends by itself (06:00 IST).' })
  token_expires_at!: string;
  @ApiProperty() linked_at!: string;
  @ApiProperty() synced_at!: string;
}

export const TradingAccountPageDto = PageDto(TradingAccountDto, 'TradingAccountPage');

/** What the caller sees of an account: never a credential. */
export function toTradingAccountDto({ account, role }: AccountWithRole): TradingAccountDto {
  return {
    id: account.id,
    owner_id: account.ownerId,
    role,
    broker: account.broker,
    broker_user_id: account.brokerUserId,
    display_name: account.displayName,
    status: effectiveStatus(account),
    profile: account.profile,
    token_expires_at: account.tokenExpiresAt.toISOString(),
    linked_at: account.linkedAt.toISOString(),
    synced_at: account.syncedAt.toISOString(),
  };
}

/** `expired` as soon as the session's daily expiry passed, before the job records it. */
function effectiveStatus(account: TradingAccount): string {
  return account.status === 'active' && account.tokenExpiresAt.getTime() <= Date.now()
    ? 'expired'
    : account.status;
}

export class InviteMemberDto {
  @ApiProperty()
  @IsUUID()
  user_id!: string;

  @ApiProperty({ enum: MEMBER_ROLES })
  @IsIn(MEMBER_ROLES)
  role!: MemberRole;
}

export class ChangeMemberRoleDto {
  @ApiProperty({ enum: MEMBER_ROLES })
  @IsIn(MEMBER_ROLES)
  role!: MemberRole;
}

export class TransferOwnershipDto {
  @ApiProperty({ description: 'An active member, who becomes the owner.' })
  @IsUUID()
  user_id!: string;
}

export class InvitationAnswerDto {
  @ApiProperty({ enum: ['accept', 'decline'] })
  @IsIn(['accept', 'decline'])
  answer!: 'accept' | 'decline';
}

export class MemberDto {
  @ApiProperty() account_id!: string;
  @ApiProperty() user_id!: string;
  @ApiProperty({ enum: MEMBER_ROLES }) role!: string;
  @ApiProperty({ enum: ['invited', 'active'] }) status!: string;
  @ApiProperty({ type: String, nullable: true }) invited_by!: string | null;
  @ApiProperty() created_at!: string;
  @ApiProperty({ type: String, nullable: true }) accepted_at!: string | null;
}

export function toMemberDto(member: TradingAccountMember): MemberDto {
  return {
    account_id: member.accountId,
    user_id: member.userId,
    role: member.role,
    status: member.status,
    invited_by: member.invitedBy,
    created_at: member.createdAt.toISOString(),
    accepted_at: member.acceptedAt?.toISOString() ?? null,
  };
}

export class SessionRequestDto {
  @ApiProperty({ description: 'The user the service acts for.' })
  @IsUUID()
  user_id!: string;
}

export class BrokerSessionDto {
  @ApiProperty() account_id!: string;
  @ApiProperty() broker!: string;
  @ApiProperty() broker_user_id!: string;
  @ApiProperty() api_key!: string;
  @ApiProperty({ description: 'Use as `Authorization: token api_key:access_token`.' })
  access_token!: string;
  @ApiProperty() expires_at!: string;
}
