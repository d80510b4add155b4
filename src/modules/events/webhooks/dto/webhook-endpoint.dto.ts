import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
} from 'class-validator';
import { PageQueryDto } from '../../../../common/http/pagination';
import { DELIVERY_ERRORS, DELIVERY_OUTCOMES, DeliveryOutcome } from '../webhook-delivery.entity';
import { DISABLED_REASONS } from '../webhook-endpoint.entity';

const EVENT_TYPES_DESCRIPTION =
  'Event types to deliver: exact types (`user.registered`), families (`user.*`, ' +
  '`user.session.*`) or `*` for every event; each must name at least one catalogued type';

export class CreateWebhookEndpointDto {
  @ApiProperty({ example: 'https://hooks.example.com/gatehouse', maxLength: 2048 })
  @IsString()
  @MaxLength(2048)
  url!: string;

  @ApiPropertyOptional({ maxLength: 500, default: '' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiProperty({ example: ['user.*'], description: EVENT_TYPES_DESCRIPTION })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  event_types!: string[];

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class UpdateWebhookEndpointDto {
  @ApiPropertyOptional({ maxLength: 2048 })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({ description: EVENT_TYPES_DESCRIPTION })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  event_types?: string[];

  @ApiPropertyOptional({ description: 'Enabling clears what delivery recorded against it' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class WebhookEndpointDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  url!: string;

  @ApiProperty()
  description!: string;

  @ApiProperty({ example: ['user.*'] })
  event_types!: string[];

  @ApiProperty()
  enabled!: boolean;

  @ApiProperty({
    enum: DISABLED_REASONS,
    nullable: true,
    description: 'Why delivery disabled it: 410 Gone, or failing for too long',
  })
  disabled_reason!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'While the previous secret still signs, after a rotation',
  })
  previous_secret_expires_at!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  failing_since!: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;
}

export class CreatedWebhookEndpointDto extends WebhookEndpointDto {
  @ApiProperty({ description: 'The signing secret (`whsec_…`), shown only in this response' })
  secret!: string;
}

export class RotatedSecretDto {
  @ApiProperty({ description: 'The new signing secret, shown only in this response' })
  secret!: string;

  @ApiProperty({ format: 'date-time', description: 'Until when the previous secret also signs' })
  previous_secret_expires_at!: string;
}

export class DeliveryQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  event_id?: string;

  @ApiPropertyOptional({ enum: DELIVERY_OUTCOMES })
  @IsOptional()
  @IsIn(DELIVERY_OUTCOMES)
  outcome?: DeliveryOutcome;
}

export class WebhookDeliveryDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid', description: 'The event, and the `webhook-id` sent' })
  event_id!: string;

  @ApiProperty()
  event_type!: string;

  @ApiProperty({ description: '1 for a first attempt or a redelivery, then 2, 3…' })
  attempt!: number;

  @ApiProperty({ enum: DELIVERY_OUTCOMES })
  outcome!: string;

  @ApiProperty({ type: Number, nullable: true })
  status_code!: number | null;

  @ApiProperty({ enum: DELIVERY_ERRORS, nullable: true })
  error!: string | null;

  @ApiProperty()
  latency_ms!: number;

  @ApiProperty({ type: String, nullable: true, description: 'The first KiB of the response' })
  response_body!: string | null;

  @ApiProperty({ format: 'date-time' })
  attempted_at!: string;
}

export class ReplayDto {
  @ApiProperty({ format: 'date-time', description: 'Events that occurred at or after this' })
  @IsISO8601({ strict: true })
  from!: string;

  @ApiProperty({ format: 'date-time', description: 'and before this; at most 7 days later' })
  @IsISO8601({ strict: true })
  to!: string;
}

export class ReplayQueuedDto {
  @ApiProperty({ description: 'Deliveries queued' })
  queued!: number;
}
