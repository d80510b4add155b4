import { Controller, Get, Header, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../../common/auth/require-permission.decorator';
import { DEFAULT_PAGE_SIZE } from '../../common/http/pagination';
import { AuditChainVerifier } from './audit-chain-verifier';
import { parseAuditFilter } from './audit-filter';
import { AuditQueries } from './audit-queries.service';
import { toAuditEventDto, toChainReportDto } from './audit-views';
import { AuditEventListDto, AuditEventQueryDto, ChainReportDto } from './dto/audit-event.dto';

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
