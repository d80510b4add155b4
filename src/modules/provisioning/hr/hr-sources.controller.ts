import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { isUUID } from 'class-validator';
import { Actor, RequestActor } from '../../../common/auth/actor';
import { RequirePermission } from '../../../common/auth/require-permission.decorator';
import { invalidFields } from '../../../common/errors/invalid-fields';
import {
  decodeCursor,
  DEFAULT_PAGE_SIZE,
  Page,
  PageQueryDto,
  toPage,
} from '../../../common/http/pagination';
import { uuidParam } from '../../../common/validation/uuid-param.pipe';
import {
  CreatedHrSourceDto,
  CreateHrSourceDto,
  HrSourceDto,
  HrSourceListDto,
  toHrSourceDto,
} from './dto/hr-source.dto';
import { HrSourcesService } from './hr-sources.service';

const DEFAULT_RATE_LIMIT = 600;
const MAX_MAPPINGS = 200;

function roleMappingsOf(body: CreateHrSourceDto): Record<string, string> {
  const mappings = body.role_mappings ?? {};
  const entries = Object.entries(mappings);
  if (
    entries.length > MAX_MAPPINGS ||
    entries.some(
      ([group, role]) =>
        group.length === 0 ||
        group.length > 200 ||
        typeof role !== 'string' ||
        !role ||
        role.length > 100,
    )
  ) {
    throw invalidFields([
      {
        field: 'role_mappings',
        message: `must map at most ${MAX_MAPPINGS} group names to role names`,
      },
    ]);
  }
  return mappings;
}

/** HR sources (`/v1/admin/hr-sources`): their credential is shown once, every change audited. */
@ApiTags('hr onboarding')
@Controller('v1/admin/hr-sources')
export class HrSourcesController {
  constructor(private readonly sources: HrSourcesService) {}

  @Post()
  @RequirePermission('hr_sources:write')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Register an HR source; its signing secret or API key is shown once' })
  @ApiCreatedResponse({ type: CreatedHrSourceDto })
  @ApiConflictResponse({ description: '`hr_source_name_taken`' })
  async create(
    @Body() body: CreateHrSourceDto,
    @RequestActor() actor: Actor,
  ): Promise<CreatedHrSourceDto> {
    const { source, secret } = await this.sources.create(
      {
        name: body.name,
        authMode: body.auth_mode,
        rateLimitPerMinute: body.rate_limit_per_minute ?? DEFAULT_RATE_LIMIT,
        roleMappings: roleMappingsOf(body),
      },
      actor,
    );
    return { ...toHrSourceDto(source), secret };
  }

  @Get()
  @RequirePermission('hr_sources:read')
  @ApiOperation({ summary: 'List HR sources, oldest first (never their credentials)' })
  @ApiOkResponse({ type: HrSourceListDto })
  async list(@Query() query: PageQueryDto): Promise<Page<HrSourceDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = query.cursor ? decodeCursor(query.cursor, (key) => isUUID(key)) : null;
    const rows = await this.sources.list(limit + 1, after);
    return toPage(rows, limit, (row) => row.id, toHrSourceDto);
  }

  @Get(':id')
  @RequirePermission('hr_sources:read')
  @ApiOperation({ summary: 'An HR source (never its credential)' })
  @ApiOkResponse({ type: HrSourceDto })
  @ApiNotFoundResponse()
  async get(@Param('id', uuidParam('id')) id: string): Promise<HrSourceDto> {
    return toHrSourceDto(await this.sources.get(id));
  }

  @Delete(':id')
  @RequirePermission('hr_sources:write')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Remove an HR source',
    description: 'Its deliveries are refused from then on and its enrichments go with it.',
  })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  async delete(
    @Param('id', uuidParam('id')) id: string,
    @RequestActor() actor: Actor,
  ): Promise<void> {
    await this.sources.delete(id, actor);
  }
}
