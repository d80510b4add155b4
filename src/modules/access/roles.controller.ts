import { Body, Controller, Delete, Get, Header, Param, Patch, Post, Query } from '@nestjs/common';
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
import {
  CreateRoleDto,
  PolicySetVersionDto,
  RoleDto,
  RoleWriteDto,
  UpdateRoleDto,
} from './dto/role.dto';
import { Role } from './role.entity';
import { RolesService, RoleWrite } from './roles.service';

const RoleListDto = PageDto(RoleDto, 'RoleListDto');

function toRoleDto(role: Role): RoleDto {
  return {
    id: role.id,
    name: role.name,
    description: role.description,
    permissions: role.permissions,
    built_in: role.builtIn,
    created_at: role.createdAt.toISOString(),
    updated_at: role.updatedAt.toISOString(),
  };
}

const toRoleWriteDto = ({ role, version }: RoleWrite): RoleWriteDto => ({
  role: toRoleDto(role),
  policy_set_version: version,
});

@ApiTags('roles')
@Controller('v1/roles')
export class RolesController {
  constructor(
    private readonly roles: RolesService,
    private readonly limits: DelegationLimits,
  ) {}

  @Get()
  @RequirePermission('roles:read')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'List roles by name' })
  @ApiOkResponse({ type: RoleListDto })
  async list(@Query() query: PageQueryDto): Promise<Page<RoleDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = query.cursor ? decodeCursor(query.cursor, (k) => NAME_PATTERN.test(k)) : null;
    const rows = await this.roles.list(after, limit + 1);
    return toPage(rows, limit, (role) => role.name, toRoleDto);
  }

  @Post()
  @RequirePermission('roles:write')
  @ApiOperation({
    summary: 'Create a role',
    description: 'A name another role has is a 409 (`name_taken`).',
  })
  @ApiCreatedResponse({ type: RoleWriteDto })
  async create(
    @Body() body: CreateRoleDto,
    @RequestActor() actor: Actor,
    @CurrentCaller() caller: Caller,
  ): Promise<RoleWriteDto> {
    await this.limits.assertMayHandOut(caller, {
      kind: 'permissions',
      patterns: body.permissions ?? [],
    });
    const written = await this.roles.create(
      { name: body.name, description: body.description ?? '', permissions: body.permissions ?? [] },
      actor,
    );
    return toRoleWriteDto(written);
  }

  @Get(':id')
  @RequirePermission('roles:read')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'One role' })
  @ApiOkResponse({ type: RoleDto })
  async get(@Param('id', uuidParam('id')) id: string): Promise<RoleDto> {
    return toRoleDto(await this.roles.get(id));
  }

  @Patch(':id')
  @RequirePermission('roles:write')
  @ApiOperation({
    summary: 'Change a role’s name, description or permissions',
    description:
      'Built-in roles keep their names (409 `built_in_role`); `admin` keeps every permission ' +
      'of Gatehouse’s own API (422). Policies naming a renamed role are rewritten to the new ' +
      'name. A change that changes nothing returns the current version.',
  })
  @ApiOkResponse({ type: RoleWriteDto })
  async update(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: UpdateRoleDto,
    @RequestActor() actor: Actor,
    @CurrentCaller() caller: Caller,
  ): Promise<RoleWriteDto> {
    if (body.permissions !== undefined) {
      await this.limits.assertMayHandOut(caller, {
        kind: 'permissions',
        patterns: body.permissions,
      });
    }
    const written = await this.roles.update(
      id,
      { name: body.name, description: body.description, permissions: body.permissions },
      actor,
    );
    return toRoleWriteDto(written);
  }

  @Delete(':id')
  @RequirePermission('roles:write')
  @ApiOperation({
    summary: 'Delete a role and its grants',
    description:
      'Built-in roles cannot be deleted (409 `built_in_role`), nor roles that policies name ' +
      'as a subject (409 `role_in_use`, listing them in `policies`).',
  })
  @ApiOkResponse({ type: PolicySetVersionDto })
  async delete(
    @Param('id', uuidParam('id')) id: string,
    @RequestActor() actor: Actor,
  ): Promise<PolicySetVersionDto> {
    return { policy_set_version: await this.roles.delete(id, actor) };
  }
}
