import { Body, Controller, Delete, Get, Header, Param, Post, Put, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../../common/auth/require-permission.decorator';
import {
  decodeCursor,
  DEFAULT_PAGE_SIZE,
  Page,
  PageDto,
  PageQueryDto,
  toPage,
} from '../../common/http/pagination';
import { uuidParam } from '../../common/validation/uuid-param.pipe';
import { DelegationLimits } from '../../common/auth/delegation-limits';
import { Caller, CurrentCaller } from '../../common/auth/principal';
import { Actor, RequestActor } from '../../common/auth/actor';
import { NAME_PATTERN } from './built-in-roles';
import { PolicyBodyDto, PolicyDto, PolicyWriteDto } from './dto/policy.dto';
import { PolicySetVersionDto } from './dto/role.dto';
import { PoliciesService, PolicyWrite } from './policies.service';
import { Policy } from './policy.entity';
import { PolicyFields } from './policy.repository';

const PolicyListDto = PageDto(PolicyDto, 'PolicyListDto');

function toPolicyDto(policy: Policy): PolicyDto {
  return {
    id: policy.id,
    name: policy.name,
    description: policy.description,
    effect: policy.effect,
    priority: policy.priority,
    subjects: policy.subjects,
    actions: policy.actions,
    resources: policy.resources,
    condition: policy.condition,
    enabled: policy.enabled,
    created_at: policy.createdAt.toISOString(),
    updated_at: policy.updatedAt.toISOString(),
  };
}

const toPolicyWriteDto = ({ policy, version }: PolicyWrite): PolicyWriteDto => ({
  policy: toPolicyDto(policy),
  policy_set_version: version,
});

function fieldsOf(body: PolicyBodyDto): PolicyFields {
  return {
    name: body.name,
    description: body.description ?? '',
    effect: body.effect,
    priority: body.priority,
    subjects: body.subjects,
    actions: body.actions,
    resources: body.resources,
    condition: body.condition ?? null,
    enabled: body.enabled ?? true,
  };
}

@ApiTags('policies')
@Controller('v1/policies')
export class PoliciesController {
  constructor(
    private readonly policies: PoliciesService,
    private readonly limits: DelegationLimits,
  ) {}

  @Get()
  @RequirePermission('policies:read')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'List policies by name' })
  @ApiOkResponse({ type: PolicyListDto })
  async list(@Query() query: PageQueryDto): Promise<Page<PolicyDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = query.cursor ? decodeCursor(query.cursor, (k) => NAME_PATTERN.test(k)) : null;
    const rows = await this.policies.list(after, limit + 1);
    return toPage(rows, limit, (policy) => policy.name, toPolicyDto);
  }

  @Post()
  @RequirePermission('policies:write')
  @ApiOperation({
    summary: 'Create a policy',
    description:
      'Answers with the policy and the policy-set version that includes it. A condition that ' +
      'does not compile is a 422 whose error names its line and column; a name another ' +
      'policy has is a 409 (`name_taken`).',
  })
  @ApiCreatedResponse({ type: PolicyWriteDto })
  async create(
    @Body() body: PolicyBodyDto,
    @RequestActor() actor: Actor,
    @CurrentCaller() caller: Caller,
  ): Promise<PolicyWriteDto> {
    await this.limits.assertMayHandOut(caller, { kind: 'policy', ...body });
    return toPolicyWriteDto(await this.policies.create(fieldsOf(body), actor));
  }

  @Get(':id')
  @RequirePermission('policies:read')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'One policy' })
  @ApiOkResponse({ type: PolicyDto })
  async get(@Param('id', uuidParam('id')) id: string): Promise<PolicyDto> {
    return toPolicyDto(await this.policies.get(id));
  }

  @Put(':id')
  @RequirePermission('policies:write')
  @ApiOperation({
    summary: 'Replace a policy',
    description:
      'Every field is replaced; optional ones left out take their defaults. A replacement ' +
      'identical to the stored policy returns the current version.',
  })
  @ApiOkResponse({ type: PolicyWriteDto })
  async replace(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: PolicyBodyDto,
    @RequestActor() actor: Actor,
    @CurrentCaller() caller: Caller,
  ): Promise<PolicyWriteDto> {
    await this.limits.assertMayHandOut(caller, { kind: 'policy', ...body });
    return toPolicyWriteDto(await this.policies.replace(id, fieldsOf(body), actor));
  }

  @Delete(':id')
  @RequirePermission('policies:write')
  @ApiOperation({ summary: 'Delete a policy' })
  @ApiOkResponse({ type: PolicySetVersionDto })
  async delete(
    @Param('id', uuidParam('id')) id: string,
    @RequestActor() actor: Actor,
  ): Promise<PolicySetVersionDto> {
    return { policy_set_version: await this.policies.delete(id, actor) };
  }
}
