import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Param,
  Post,
  Query,
  StreamableFile,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { Actor, RequestActor } from '../../common/auth/actor';
import { RequirePermission } from '../../common/auth/require-permission.decorator';
import { DownloadQueryDto } from '../../common/http/download-query.dto';
import { uuidParam } from '../../common/validation/uuid-param.pipe';
import { AuditExport, AuditExportFormat } from './audit-export.entity';
import { AuditExports } from './audit-exports.service';
import { AuditExportDto, CreateAuditExportDto } from './dto/audit-export.dto';

const MEDIA_TYPES: Record<AuditExportFormat, string> = {
  ndjson: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8',
};

/** Exports of the audit log (`/v1/admin/audit-exports`): each its requester's alone. */
@ApiTags('audit')
@Controller('v1/admin/audit-exports')
export class AuditExportsController {
  constructor(private readonly exports: AuditExports) {}

  @Post()
  @HttpCode(202)
  @RequirePermission('audit:export')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Export the audit log for a filter, as NDJSON or CSV',
    description:
      'Built in the background; read the export until it is `ready`. Asking again for the same ' +
      'filter and format while one is pending answers that one.',
  })
  @ApiAcceptedResponse({ type: AuditExportDto })
  async create(
    @Body() body: CreateAuditExportDto,
    @RequestActor() actor: Actor,
  ): Promise<AuditExportDto> {
    const exported = await this.exports.request(
      actor,
      body.filter ?? {},
      body.format as AuditExportFormat,
    );
    return this.toDto(actor, exported);
  }

  @Get(':id')
  @RequirePermission('audit:export')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'An export you asked for: its status, and once ready a download link' })
  @ApiOkResponse({ type: AuditExportDto })
  @ApiNotFoundResponse()
  async get(
    @Param('id', uuidParam('id')) id: string,
    @RequestActor() actor: Actor,
  ): Promise<AuditExportDto> {
    return this.toDto(actor, await this.exports.get(actor, id));
  }

  @Get(':id/download')
  @RequirePermission('audit:export')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Download a ready export (the link of its status, with your token)',
    description: 'Decrypted as it streams. An altered or expired link is a 403.',
  })
  @ApiProduces(MEDIA_TYPES.ndjson, MEDIA_TYPES.csv)
  @ApiNotFoundResponse()
  async download(
    @Param('id', uuidParam('id')) id: string,
    @Query() query: DownloadQueryDto,
    @RequestActor() actor: Actor,
  ): Promise<StreamableFile> {
    const { exported, body } = await this.exports.download(
      actor,
      id,
      query.expires,
      query.signature,
    );
    return new StreamableFile(body, {
      type: MEDIA_TYPES[exported.format],
      disposition: `attachment; filename="audit-${exported.id}.${exported.format}"`,
    });
  }

  private async toDto(actor: Actor, exported: AuditExport): Promise<AuditExportDto> {
    const link =
      exported.status === 'ready' ? await this.exports.downloadLink(actor, exported) : null;
    return {
      id: exported.id,
      status: exported.status,
      format: exported.format,
      filter: exported.filter,
      rows: exported.rows === null ? null : Number(exported.rows),
      error: exported.error,
      created_at: exported.createdAt.toISOString(),
      completed_at: exported.completedAt?.toISOString() ?? null,
      download_url: link?.path ?? null,
      download_expires_at: link?.expiresAt.toISOString() ?? null,
    };
  }
}
