import { Body, Controller, Delete, Get, Header, Param, Put, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RequirePermission } from '../../common/auth/require-permission.decorator';
import { uuidParam } from '../../common/validation/uuid-param.pipe';
import { DelegationLimits } from '../../common/auth/delegation-limits';
import { Caller, CurrentCaller } from '../../common/auth/principal';
import { Actor, RequestActor } from '../../common/auth/actor';
import { AccessService } from './access.service';
import { PolicySetVersionDto } from './dto/role.dto';
import { GrantRoleDto, UserRoleDto, UserRolesDto, UserRoleWriteDto } from './dto/user-role.dto';
import { Grant } from './role.repository';
import { RolesService } from './roles.service';
import { UserRolesService } from './user-roles.service';

function toUserRoleDto(grant: Grant, now: Date): UserRoleDto {
  return {
    role_id: grant.roleId,
    role_name: grant.roleName,
    granted_by: grant.grantedBy,
    granted_at: grant.grantedAt.toISOString(),
    expires_at: grant.expiresAt?.toISOString() ?? null,
    active: grant.expiresAt === null || grant.expiresAt > now,
  };
}

@ApiTags('roles')
@Controller('v1/users/:userId/roles')
export class UserRolesController {
  constructor(
    private readonly userRoles: UserRolesService,
    private readonly access: AccessService,
    private readonly roles: RolesService,
    private readonly limits: DelegationLimits,
  ) {}

  @Get()
  @RequirePermission('roles:read')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'The roles granted to a user, and those the user holds now' })
  @ApiOkResponse({ type: UserRolesDto })
  async list(@Param('userId', uuidParam('userId')) userId: string): Promise<UserRolesDto> {
    const grants = await this.userRoles.grantsOf(userId);
    const now = new Date();
    return {
      items: grants.map((grant) => toUserRoleDto(grant, now)),
      effective_roles: await this.access.rolesOfUser(userId),
    };
  }

  @Put(':roleId')
  @RequirePermission('roles:write')
  @ApiOperation({
    summary: 'Grant a role to a user',
    description:
      '201 for a new grant, 200 when the user already held the role (its expiry is set to the ' +
      'one given). The implicit `user` role cannot be granted (422). Taking the last ' +
      'permanent `admin` grant of an active user away by setting an expiry is a 409 ' +
      '(`last_administrator`).',
  })
  @ApiCreatedResponse({ type: UserRoleWriteDto })
  @ApiOkResponse({ type: UserRoleWriteDto })
  async grant(
    @Param('userId', uuidParam('userId')) userId: string,
    @Param('roleId', uuidParam('roleId')) roleId: string,
    @Body() body: GrantRoleDto,
    @RequestActor() actor: Actor,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserRoleWriteDto> {
    const role = await this.roles.get(roleId);
    await this.limits.assertMayHandOut(caller, { kind: 'permissions', patterns: role.permissions });
    const expiresAt = body.expires_at ? new Date(body.expires_at) : null;
    const written = await this.userRoles.grantById(userId, roleId, expiresAt, actor);
    void reply.status(written.created ? 201 : 200);
    return {
      grant: toUserRoleDto(written.grant, new Date()),
      policy_set_version: written.version,
    };
  }

  @Delete(':roleId')
  @RequirePermission('roles:write')
  @ApiOperation({
    summary: 'Revoke a role from a user',
    description:
      'Revoking the last permanent `admin` grant held by an active user is a 409 ' +
      '(`last_administrator`).',
  })
  @ApiOkResponse({ type: PolicySetVersionDto })
  async revoke(
    @Param('userId', uuidParam('userId')) userId: string,
    @Param('roleId', uuidParam('roleId')) roleId: string,
    @RequestActor() actor: Actor,
  ): Promise<PolicySetVersionDto> {
    return { policy_set_version: await this.userRoles.revoke(userId, roleId, actor) };
  }
}
