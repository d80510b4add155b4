import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Param,
  Patch,
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
import { Actor, RequestActor } from '../../common/auth/actor';
import { RequirePermission } from '../../common/auth/require-permission.decorator';
import { invalidFields } from '../../common/errors/invalid-fields';
import { DEFAULT_PAGE_SIZE, Page, PageDto } from '../../common/http/pagination';
import { uuidParam } from '../../common/validation/uuid-param.pipe';
import { describeDevice } from '../auth/device';
import { toLinkedIdentityDto } from '../federation/dto/linked-identity.dto';
import { AdminUsersService, UserDetail } from './admin-users.service';
import {
  AdminUpdateUserDto,
  AdminUserDetailDto,
  AdminUserDto,
  InviteUserDto,
  SessionsEndedDto,
  StatusChangeDto,
  UserSearchQueryDto,
} from './dto/admin-users.dto';
import { toUserDto } from './user-views';
import { profileChangesOf } from './dto/profile-changes';
import { decodeSearchCursor, encodeSearchCursor, SearchShape } from './user-search-cursor';
import { UserSearch } from './users.repository';
import { StatusChange } from './users.service';

const UserListDto = PageDto(AdminUserDto, 'AdminUserListDto');

function toDetailDto(detail: UserDetail, now = Date.now()): AdminUserDetailDto {
  return {
    ...toUserDto(detail.user),
    roles: detail.grants.map((grant) => ({
      role_id: grant.roleId,
      role_name: grant.roleName,
      granted_at: grant.grantedAt.toISOString(),
      expires_at: grant.expiresAt?.toISOString() ?? null,
      active: grant.expiresAt === null || grant.expiresAt.getTime() > now,
    })),
    factors: detail.totpActivatedAt
      ? [{ kind: 'totp', created_at: detail.totpActivatedAt.toISOString() }]
      : [],
    backup_codes_remaining: detail.backupCodesRemaining,
    sessions: detail.sessions.map((session) => ({
      id: session.id,
      device: describeDevice(session.userAgent),
      ip: session.ip,
      created_at: session.createdAt.toISOString(),
      last_used_at: session.lastSeenAt.toISOString(),
    })),
    identities: detail.identities.map(toLinkedIdentityDto),
  };
}

/** A range's bound; a `from` after its `to` is a 422 naming the `from`. */
function rangeOf(
  fromField: string,
  from: string | undefined,
  to: string | undefined,
): { from?: Date; to?: Date } | undefined {
  if (from === undefined && to === undefined) return undefined;
  const range = {
    from: from === undefined ? undefined : new Date(from),
    to: to === undefined ? undefined : new Date(to),
  };
  if (range.from && range.to && range.from.getTime() > range.to.getTime()) {
    throw invalidFields([{ field: fromField, message: 'must not be after the end of its range' }]);
  }
  return range;
}

function searchShapeOf(query: UserSearchQueryDto): SearchShape {
  const filter: UserSearch = {
    emailPrefix: query.email,
    namePrefix: query.name,
    status: query.status,
    role: query.role,
    identityProvider: query.identity_provider,
    created: rangeOf('created_from', query.created_from, query.created_to),
    lastLogin: rangeOf('last_login_from', query.last_login_from, query.last_login_to),
  };
  return { filter, sort: { by: query.sort ?? 'created_at', order: query.order ?? 'desc' } };
}

const NOT_FOUND = 'No such user.';

/**
 * The administrators' user lifecycle. Each route needs a permission of its own, which the
 * built-in `admin` role holds; every change is a domain event and an audit row with the values
 * before and after.
 */
@ApiTags('admin users')
@Controller('v1/admin/users')
export class AdminUsersController {
  constructor(private readonly admin: AdminUsersService) {}

  @Get()
  @RequirePermission('users:read')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Search users',
    description:
      'Every filter is optional and all apply together: `email` and `name` are ' +
      'case-insensitive prefixes, `role` a role held now, `identity_provider` (a slug or id) ' +
      'a provider the user is linked to, the ranges include `*_from` and ' +
      'exclude `*_to` (a `from` after its `to` is a 422). Sorted by `created_at` (default, ' +
      'newest first) or `email`; `next_cursor` continues the same search only.',
  })
  @ApiOkResponse({ type: UserListDto })
  async search(@Query() query: UserSearchQueryDto): Promise<Page<AdminUserDto>> {
    const shape = searchShapeOf(query);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = query.cursor ? decodeSearchCursor(shape, query.cursor) : null;
    const rows = await this.admin.search(shape.filter, shape.sort, after, limit + 1);
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return {
      items: items.map(toUserDto),
      next_cursor:
        rows.length > limit && last
          ? encodeSearchCursor(shape, { key: last.sortKey, id: last.id })
          : null,
    };
  }

  @Post()
  @RequirePermission('users:invite')
  @ApiOperation({
    summary: 'Invite a user',
    description:
      'Creates an `invited` account without a password and mails the address a single-use ' +
      'link (valid 72 h) to choose one (`POST /v1/invitations/accept`), which activates it. ' +
      'An address that has an account is a 409 `email_taken`.',
  })
  @ApiCreatedResponse({ type: AdminUserDto })
  @ApiConflictResponse({ description: '`email_taken`' })
  async invite(@Body() body: InviteUserDto, @RequestActor() actor: Actor): Promise<AdminUserDto> {
    return toUserDto(await this.admin.invite({ email: body.email, name: body.name.trim() }, actor));
  }

  @Get(':id')
  @RequirePermission('users:read')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'A user with roles, second factors, live sessions and linked identities',
    description: 'Factors are named by kind and time, never with a secret.',
  })
  @ApiOkResponse({ type: AdminUserDetailDto })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  async get(@Param('id', uuidParam('id')) id: string): Promise<AdminUserDetailDto> {
    return toDetailDto(await this.admin.get(id));
  }

  @Patch(':id')
  @RequirePermission('users:update')
  @ApiOperation({
    summary: 'Change profile fields',
    description: 'Name, phone, avatar, time zone and locale; `null` clears an optional one.',
  })
  @ApiOkResponse({ type: AdminUserDto })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  async update(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: AdminUpdateUserDto,
    @RequestActor() actor: Actor,
  ): Promise<AdminUserDto> {
    return toUserDto(await this.admin.update(id, profileChangesOf(body), actor));
  }

  @Post(':id/suspend')
  @RequirePermission('users:suspend')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Suspend a user',
    description:
      'The account cannot sign in and every session ends (requests with its tokens are ' +
      'refused within 2 s, refresh tokens at once). Not one’s own account (409 ' +
      '`self_lockout`), nor the last administrator (409 `last_administrator`); a deactivated ' +
      'account is a 409 `account_status_conflict`. Suspending a suspended account changes nothing.',
  })
  @ApiOkResponse({ type: AdminUserDto })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  @ApiConflictResponse({
    description: '`self_lockout`, `last_administrator`, `account_status_conflict`',
  })
  suspend(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: StatusChangeDto,
    @RequestActor() actor: Actor,
  ): Promise<AdminUserDto> {
    return this.changeStatus(id, 'suspend', body.reason ?? null, actor);
  }

  @Post(':id/deactivate')
  @RequirePermission('users:suspend')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Deactivate a user',
    description:
      'As suspending, for an account that is closed rather than held. Not one’s own account ' +
      '(409 `self_lockout`), nor the last administrator (409 `last_administrator`).',
  })
  @ApiOkResponse({ type: AdminUserDto })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  @ApiConflictResponse({ description: '`self_lockout`, `last_administrator`' })
  deactivate(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: StatusChangeDto,
    @RequestActor() actor: Actor,
  ): Promise<AdminUserDto> {
    return this.changeStatus(id, 'deactivate', body.reason ?? null, actor);
  }

  @Post(':id/reactivate')
  @RequirePermission('users:suspend')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Reactivate a suspended or deactivated user',
    description:
      'The account can sign in again (its ended sessions stay ended). A pending or invited ' +
      'account is a 409 `account_status_conflict`; an active one is left as it is.',
  })
  @ApiOkResponse({ type: AdminUserDto })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  @ApiConflictResponse({ description: '`account_status_conflict`' })
  reactivate(
    @Param('id', uuidParam('id')) id: string,
    @RequestActor() actor: Actor,
  ): Promise<AdminUserDto> {
    return this.changeStatus(id, 'reactivate', null, actor);
  }

  @Post(':id/password-reset')
  @RequirePermission('users:reset_password')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Force a password reset',
    description:
      'The current password stops working at once, every session ends, and the user is ' +
      'mailed a reset link (valid 1 h; `POST /v1/auth/password/forgot` gives a new one). Only ' +
      'for an active account (409 `account_status_conflict`); not one’s own (409 ' +
      '`self_lockout`: use `POST /v1/auth/password/change`), nor the last administrator’s.',
  })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: NOT_FOUND })
  @ApiConflictResponse({
    description: '`self_lockout`, `last_administrator`, `account_status_conflict`',
  })
  forcePasswordReset(
    @Param('id', uuidParam('id')) id: string,
    @RequestActor() actor: Actor,
  ): Promise<void> {
    return this.admin.forcePasswordReset(id, actor);
  }

  @Delete(':id/sessions')
  @RequirePermission('users:revoke_sessions')
  @HttpCode(200)
  @ApiOperation({
    summary: 'End every session of a user',
    description: 'The user can sign in again; to keep them out, suspend the account.',
  })
  @ApiOkResponse({ type: SessionsEndedDto })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  async revokeSessions(
    @Param('id', uuidParam('id')) id: string,
    @RequestActor() actor: Actor,
  ): Promise<SessionsEndedDto> {
    return { sessions_ended: await this.admin.revokeSessions(id, actor) };
  }

  @Delete(':id/sessions/:sessionId')
  @RequirePermission('users:revoke_sessions')
  @HttpCode(204)
  @ApiOperation({ summary: 'End one session of a user' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'No such user, or no such live session of theirs.' })
  revokeSession(
    @Param('id', uuidParam('id')) id: string,
    @Param('sessionId', uuidParam('sessionId')) sessionId: string,
    @RequestActor() actor: Actor,
  ): Promise<void> {
    return this.admin.revokeSession(id, sessionId, actor);
  }

  private async changeStatus(
    id: string,
    change: StatusChange,
    reason: string | null,
    actor: Actor,
  ): Promise<AdminUserDto> {
    return toUserDto(await this.admin.changeStatus(id, change, reason, actor));
  }
}
