import { Controller, Get, Header, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../../common/auth/require-permission.decorator';
import { DEFAULT_PAGE_SIZE } from '../../common/http/pagination';
import { AuditChainVerifier, ChainReport } from './audit-chain-verifier';
import { parseAuditFilter } from './audit-filter';
import { AuditEntry, AuditQueries } from './audit-queries.service';
import {
  AuditEventDto,
  AuditEventListDto,
  AuditEventQueryDto,
  ChainReportDto,
} from './dto/audit-event.dto';

export function toAuditEventDto(entry: AuditEntry): AuditEventDto {
  return {
    id: entry.id,
    kind: entry.kind,
    occurred_at: entry.occurredAt.toISOString(),
    action: entry.action,
    outcome: entry.outcome,
    reason: entry.reason,
    actor: entry.actor,
    target: entry.target,
    user_id: entry.userId,
    session_id: entry.sessionId,
    request_id: entry.requestId,
    ip: entry.ip,
    user_agent: entry.userAgent,
    network: entry.network,
    details: entry.details,
    seq: entry.seq,
  };
}

export function toChainReportDto(report: ChainReport): ChainReportDto {
  const latest = report.checkpoints.latest;
  return {
    valid: report.valid,
    rows_checked: report.rowsChecked,
    unsealed_rows: report.unsealedRows,
    head_seq: report.head?.seq ?? null,
    checkpoints_checked: report.checkpoints.checked,
    latest_checkpoint: latest
      ? {
          seq: latest.seq,
          signed_at: latest.signedAt.toISOString(),
          kid: latest.kid,
          key: latest.key,
        }
      : null,
    finding: report.finding
      ? {
          kind: report.finding.kind,
          seq: report.finding.seq,
          row_id: report.finding.rowId,
          detail: report.finding.detail,
        }
      : null,
  };
}

/** The audit log for administrators (`/v1/admin/audit-events`). */
@ApiTags('audit')
@Controller('v1/admin/audit-events')
export class AuditEventsController {
  constructor(
    private readonly queries: AuditQueries,
    private readonly verifier: AuditChainVerifier,
  ) {}

  @Get()
  @RequirePermission('audit:read')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'The timeline of administrative changes and authentication events, newest first',
    description:
      'Filters combine (all must hold). `next_cursor` pages to older rows, `prev_cursor` to newer ' +
      'ones; a cursor only works with the filters it was issued for.',
  })
  @ApiOkResponse({ type: AuditEventListDto })
  @ApiBadRequestResponse({ description: 'A filter or the cursor is invalid; `errors` names it.' })
  async list(@Query() query: AuditEventQueryDto): Promise<AuditEventListDto> {
    const { limit, cursor, ...filters } = query;
    const page = await this.queries.list(
      parseAuditFilter(filters),
      limit ?? DEFAULT_PAGE_SIZE,
      cursor,
    );
    return {
      items: page.items.map(toAuditEventDto),
      next_cursor: page.nextCursor,
      prev_cursor: page.prevCursor,
    };
  }

  @Post('verify')
  @HttpCode(200)
  @RequirePermission('audit:verify')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Check the hash chain and the signed checkpoints',
    description:
      'Reads the whole log in order; `finding` names the first row changed, deleted, inserted ' +
      'or reordered, or the checkpoint that does not hold.',
  })
  @ApiOkResponse({ type: ChainReportDto })
  async verify(): Promise<ChainReportDto> {
    return toChainReportDto(await this.verifier.verify());
  }
}
