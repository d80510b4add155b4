import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsOptional, ValidateNested } from 'class-validator';
import { AUDIT_EXPORT_FORMATS } from '../audit-export.entity';
import { AuditFilterDto } from './audit-event.dto';

export class CreateAuditExportDto {
  @ApiPropertyOptional({ type: AuditFilterDto, description: 'The filters of the audit log query' })
  @IsOptional()
  @ValidateNested()
  @Type(() => AuditFilterDto)
  filter?: AuditFilterDto;

  @ApiProperty({ enum: AUDIT_EXPORT_FORMATS })
  @IsIn(AUDIT_EXPORT_FORMATS)
  format!: string;
}

export class AuditExportDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: ['pending', 'ready', 'failed'] })
  status!: string;

  @ApiProperty({ enum: AUDIT_EXPORT_FORMATS })
  format!: string;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  filter!: Record<string, string>;

  @ApiProperty({ type: Number, nullable: true, description: 'Rows in the file, once ready' })
  rows!: number | null;

  @ApiProperty({ type: String, nullable: true })
  error!: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  completed_at!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'Once ready: where to download it, with the same token, until `download_expires_at`',
  })
  download_url!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  download_expires_at!: string | null;
}
