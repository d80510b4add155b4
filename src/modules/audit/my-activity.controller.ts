import { Controller, Get, Header, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '../../common/auth/principal';
import { DEFAULT_PAGE_SIZE, PageQueryDto } from '../../common/http/pagination';
import { AuditEntry, AuditQueries } from './audit-queries.service';
import { ActivityDto, ActivityListDto } from './dto/audit-event.dto';

/** Who did it, as the user is told: never another person's id or address. */
function byWhom(entry: AuditEntry, userId: string): string {
  if (entry.actor.type === 'user') return entry.actor.id === userId ? 'you' : 'administrator';
  if (entry.actor.type === 'anonymous') return 'unknown';
  return entry.actor.type;
}

function toActivityDto(entry: AuditEntry, userId: string): ActivityDto {
  const by = byWhom(entry, userId);
  // Where an administrator or a service acted from is theirs, not the user's to see.
  const ownNetwork = by === 'you' || by === 'unknown';
  return {
    id: entry.id,
    occurred_at: entry.occurredAt.toISOString(),
    action: entry.action,
    outcome: entry.outcome,
    reason: entry.reason,
    by,
    ip: ownNetwork ? entry.ip : null,
    network: ownNetwork ? entry.network : null,
    user_agent: ownNetwork ? entry.userAgent : null,
    session_id: entry.sessionId,
  };
}

/** A user's own security timeline (`/v1/users/me/activity`). */
@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/users/me/activity')
export class MyActivityController {
  constructor(private readonly queries: AuditQueries) {}

  @Get()
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Your security timeline, newest first',
    description:
      'Sign-ins and failed attempts with their device and network, password and email changes, ' +
      'second factors added or removed, sessions ended, and what administrators changed on your ' +
      'account. Token refreshes are left out.',
  })
  @ApiOkResponse({ type: ActivityListDto })
  async list(
    @Query() query: PageQueryDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ActivityListDto> {
    const page = await this.queries.activity(
      principal.userId,
      query.limit ?? DEFAULT_PAGE_SIZE,
      query.cursor,
    );
    return {
      items: page.items.map((entry) => toActivityDto(entry, principal.userId)),
      next_cursor: page.nextCursor,
      prev_cursor: page.prevCursor,
    };
  }
}
