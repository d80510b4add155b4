import { PersonalDataExportDto } from './dto/personal-data-export.dto';
import { PersonalDataExport } from './personal-data-export.entity';
import { DownloadLink } from './personal-data-exports.service';

/** An export as the API shows it, with the reader's download link once ready. */
export function toExportDto(
  exported: PersonalDataExport,
  link: DownloadLink | null,
): PersonalDataExportDto {
  return {
    id: exported.id,
    user_id: exported.userId,
    status: exported.status,
    requested_by_type: exported.requesterType,
    created_at: exported.createdAt.toISOString(),
    completed_at: exported.completedAt?.toISOString() ?? null,
    size_bytes: exported.sizeBytes === null ? null : Number(exported.sizeBytes),
    error: exported.error,
    download_url: link?.path ?? null,
    download_expires_at: link?.expiresAt.toISOString() ?? null,
  };
}

export const ZIP_MEDIA_TYPE = 'application/zip';
