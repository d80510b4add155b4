import { ApiProperty } from '@nestjs/swagger';
import { PERSONAL_DATA_EXPORT_STATUSES } from '../personal-data-export.entity';

export class PersonalDataExportDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid', description: 'The person whose data it holds' })
  user_id!: string;

  @ApiProperty({ enum: PERSONAL_DATA_EXPORT_STATUSES })
  status!: string;

  @ApiProperty({
    enum: ['user', 'service'],
    description: 'Who asked for it: the person or an administrator',
  })
  requested_by_type!: string;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  completed_at!: string | null;

  @ApiProperty({ type: Number, nullable: true, description: 'The archive’s size once ready' })
  size_bytes!: number | null;

  @ApiProperty({ type: String, nullable: true })
  error!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'Once ready: the path that downloads the archive (a ZIP of JSON files with a README), with your token, until `download_expires_at`.',
  })
  download_url!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  download_expires_at!: string | null;
}

export class AccountDeletionDto {
  @ApiProperty({
    format: 'date-time',
    description: 'When the account will be erased; signing in before cancels it.',
  })
  deletion_due_at!: string;
}
