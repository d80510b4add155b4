import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../../common/http/pagination';

/**
 * The filters of `GET /v1/admin/audit-events` (and of an export). Each is a string here; what
 * it must say is checked by parseAuditFilter, which answers 400 naming the filter at fault.
 */
export class AuditFilterDto {
  @ApiPropertyOptional({ enum: ['user', 'service', 'system'], default: 'user' })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  actor_type?: string;

  @ApiPropertyOptional({ description: 'The acting user’s id, client id or tool name' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  actor_id?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The user the row is about' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  user_id?: string;

  @ApiPropertyOptional({
    example: 'auth.*',
    description: 'An action (`role.create`) or a family (`auth.*`)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  action?: string;

  @ApiPropertyOptional({ enum: ['success', 'failure'] })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  outcome?: string;

  @ApiPropertyOptional({
    example: '203.0.113.0/24',
    description: 'An address, or a network from /8 to /24 (IPv4), /16 to /48 (IPv6)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  ip?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  request_id?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'From this instant (inclusive)' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Until this instant (exclusive)' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  to?: string;
}

/** Filters and `?limit=&cursor=`. */
export class AuditEventQueryDto extends IntersectionType(PageQueryDto, AuditFilterDto) {}

export class AuditPartyDto {
  @ApiProperty()
  type!: string;

  @ApiProperty({ type: String, nullable: true })
  id!: string | null;
}

export class AuditEventDto {
  @ApiProperty({ format: 'uuid', description: 'The domain event’s id' })
  id!: string;

  @ApiProperty({ enum: ['administrative', 'authentication'] })
  kind!: string;

  @ApiProperty({ format: 'date-time' })
  occurred_at!: string;

  @ApiProperty({ example: 'auth.login' })
  action!: string;

  @ApiProperty({ enum: ['success', 'failure'] })
  outcome!: string;

  @ApiProperty({ type: String, nullable: true })
  reason!: string | null;

  @ApiProperty({ type: AuditPartyDto })
  actor!: AuditPartyDto;

  @ApiProperty({ type: AuditPartyDto })
  target!: AuditPartyDto;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  user_id!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  session_id!: string | null;

  @ApiProperty({ type: String, nullable: true })
  request_id!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Null when erased or not recorded' })
  ip!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Null when erased or not recorded' })
  user_agent!: string | null;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.0/24' })
  network!: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Personal values (emails, names) are null once erased',
  })
  details!: Record<string, unknown>;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Position in the hash chain; null until sealed',
  })
  seq!: number | null;
}

export class AuditEventListDto {
  @ApiProperty({ type: [AuditEventDto] })
  items!: AuditEventDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Older rows; null on the last page' })
  next_cursor!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Newer rows; null when there were none',
  })
  prev_cursor!: string | null;
}

export class ActivityDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'date-time' })
  occurred_at!: string;

  @ApiProperty({ example: 'auth.login' })
  action!: string;

  @ApiProperty({ enum: ['success', 'failure'] })
  outcome!: string;

  @ApiProperty({ type: String, nullable: true })
  reason!: string | null;

  @ApiProperty({
    enum: ['you', 'administrator', 'service', 'system', 'unknown'],
    description:
      'Who did it: you, an administrator, a service, Gatehouse, or someone unknown (a failed sign-in)',
  })
  by!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Only for what happened from your devices or on your account',
  })
  ip!: string | null;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.0/24' })
  network!: string | null;

  @ApiProperty({ type: String, nullable: true })
  user_agent!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  session_id!: string | null;
}

export class ActivityListDto {
  @ApiProperty({ type: [ActivityDto] })
  items!: ActivityDto[];

  @ApiProperty({ type: String, nullable: true })
  next_cursor!: string | null;

  @ApiProperty({ type: String, nullable: true })
  prev_cursor!: string | null;
}

export class ChainFindingDto {
  @ApiProperty({
    enum: ['changed', 'deleted', 'inserted', 'reordered', 'rewritten', 'checkpoint_invalid'],
  })
  kind!: string;

  @ApiProperty({ type: Number, nullable: true, description: 'The chain position at fault' })
  seq!: number | null;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  row_id!: string | null;

  @ApiProperty()
  detail!: string;
}

export class CheckpointSummaryDto {
  @ApiProperty()
  seq!: number;

  @ApiProperty({ format: 'date-time' })
  signed_at!: string;

  @ApiProperty()
  kid!: string;

  @ApiProperty({
    enum: ['published', 'recorded'],
    description:
      '`recorded`: its key is no longer in the JWKS; compare the kid with an archived JWKS',
  })
  key!: string;
}

export class ChainReportDto {
  @ApiProperty()
  valid!: boolean;

  @ApiProperty()
  rows_checked!: number;

  @ApiProperty({ description: 'Rows written but not sealed yet (sealed within about a minute)' })
  unsealed_rows!: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      'The chain position up to which retention purged rows (a signed checkpoint): verification starts after it',
  })
  purged_through!: number | null;

  @ApiProperty({ type: Number, nullable: true })
  head_seq!: number | null;

  @ApiProperty()
  checkpoints_checked!: number;

  @ApiProperty({ type: CheckpointSummaryDto, nullable: true })
  latest_checkpoint!: CheckpointSummaryDto | null;

  @ApiProperty({ type: ChainFindingDto, nullable: true, description: 'The first fault found' })
  finding!: ChainFindingDto | null;
}
