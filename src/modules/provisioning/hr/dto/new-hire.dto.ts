import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsEmail,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';
import { EnrichmentStatus, ENRICHMENT_STATUSES } from '../hr-enrichment.entity';

/** The seed's new-hire payload (`POST /v1/hr/webhook`). */
export class NewHireDto {
  @ApiProperty({ example: 'E-10042', maxLength: 100 })
  @IsString()
  @Matches(/^[\x21-\x7e]{1,100}$/, { message: 'must be 1-100 printable characters without spaces' })
  employee_id!: string;

  @ApiProperty({ maxLength: 100 })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  first_name!: string;

  @ApiProperty({ maxLength: 100 })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  last_name!: string;

  @ApiPropertyOptional({ maxLength: 100, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  preferred_name?: string | null;

  @ApiProperty({ example: 'ada@corp.example', maxLength: 254 })
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'must be an email address' })
  email!: string;

  @ApiPropertyOptional({ maxLength: 200, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  title?: string | null;

  @ApiPropertyOptional({ maxLength: 200, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  department?: string | null;

  @ApiProperty({ example: '2027-01-04', description: 'A date, YYYY-MM-DD' })
  @IsString()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date, YYYY-MM-DD' })
  @IsISO8601({ strict: true }, { message: 'must be a date, YYYY-MM-DD' })
  start_date!: string;
}

export class AcceptedHireDto {
  @ApiProperty({ enum: ['accepted'] })
  status!: 'accepted';

  @ApiProperty()
  message!: string;

  @ApiProperty()
  employee_id!: string;

  @ApiProperty()
  email!: string;
}

export class EnrichedApplicationDto {
  @ApiProperty()
  id!: string;

  @ApiProperty()
  label!: string;

  @ApiProperty()
  app_name!: string;

  @ApiProperty()
  link_url!: string;
}

/** The seed's enriched shape (its field names, `startDate` included). */
export class EnrichedEmployeeDto {
  @ApiProperty({
    format: 'uuid',
    nullable: true,
    description: 'The Gatehouse account; null until onboarded',
  })
  id!: string | null;

  @ApiProperty()
  name!: string;

  @ApiProperty()
  email!: string;

  @ApiProperty({ nullable: true })
  title!: string | null;

  @ApiProperty({ nullable: true })
  department!: string | null;

  @ApiProperty({ example: '2027-01-04' })
  startDate!: string;

  @ApiProperty({ type: [String], description: "Okta groups' names" })
  groups!: string[];

  @ApiProperty({ type: [EnrichedApplicationDto] })
  applications!: EnrichedApplicationDto[];

  @ApiProperty({ description: 'Enriched from Okta and linked to an account' })
  onboarded!: boolean;
}

export class EnrichmentStatusDto {
  @ApiProperty({ format: 'uuid' })
  enrichment_id!: string;

  @ApiProperty()
  employee_id!: string;

  @ApiProperty({ enum: ENRICHMENT_STATUSES })
  status!: EnrichmentStatus;

  @ApiProperty({ nullable: true, description: 'Why it failed, or why it waits' })
  reason!: string | null;

  @ApiProperty({ description: 'Runs of the enrichment so far' })
  attempts!: number;

  @ApiProperty()
  created_at!: string;

  @ApiProperty({ nullable: true })
  started_at!: string | null;

  @ApiProperty({ nullable: true })
  finished_at!: string | null;

  @ApiProperty({ nullable: true, description: 'When a waiting enrichment runs next' })
  next_attempt_at!: string | null;

  @ApiProperty()
  updated_at!: string;
}
