import { Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Actor, RequestActor } from '../../../common/auth/actor';
import { RequirePermission } from '../../../common/auth/require-permission.decorator';
import { uuidParam } from '../../../common/validation/uuid-param.pipe';
import { ProviderSyncs } from './provider-syncs.service';
import { SyncRun, SYNC_RUN_STATUSES, SyncRunStatus } from './sync-run.entity';

export class SyncRunDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) provider_id!: string;
  @ApiProperty({ enum: SYNC_RUN_STATUSES }) status!: SyncRunStatus;
  @ApiProperty() pages_read!: number;
  @ApiProperty({ description: "The provider's users read so far" }) users_seen!: number;
  @ApiProperty({ description: 'Linked accounts changed so far' }) users_updated!: number;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty() created_at!: string;
  @ApiProperty({ type: String, nullable: true }) finished_at!: string | null;
}

export class UserSyncResultDto {
  @ApiProperty({ format: 'uuid' }) identity_id!: string;
  @ApiProperty({ format: 'uuid' }) provider_id!: string;
  @ApiProperty({ enum: ['updated', 'unchanged', 'stale', 'not_linked'] }) outcome!: string;
}

export class UserSyncDto {
  @ApiProperty({ type: [UserSyncResultDto] }) items!: UserSyncResultDto[];
}

function toDto(run: SyncRun): SyncRunDto {
  return {
    id: run.id,
    provider_id: run.providerId,
    status: run.status,
    pages_read: run.pagesRead,
    users_seen: run.usersSeen,
    users_updated: run.usersUpdated,
    error: run.error,
    created_at: run.createdAt.toISOString(),
    finished_at: run.finishedAt?.toISOString() ?? null,
  };
}

/** Syncs from providers' management APIs, asked for by administrators (audited). */
@ApiTags('federation')
@Controller('v1/admin')
export class ProviderSyncsController {
  constructor(private readonly syncs: ProviderSyncs) {}

  @Post('identity-providers/:id/sync')
  @HttpCode(202)
  @RequirePermission('identity_providers:write')
  @ApiOperation({
    summary: "Sync every linked user from the provider's management API",
    description:
      'A job reads every user page by page (Okta `Link` headers, SCIM `startIndex`), waiting ' +
      'out rate limits, and brings each linked account to the provider’s state; it resumes ' +
      'where it got to after a restart. One runs per provider: asking again answers that one.',
  })
  @ApiAcceptedResponse({ type: SyncRunDto, headers: { location: { description: 'The run' } } })
  @ApiNotFoundResponse({ description: 'No such provider' })
  @ApiConflictResponse({ description: '`sync_not_configured`: no management API' })
  async start(
    @Param('id', uuidParam('id')) id: string,
    @RequestActor() actor: Actor,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SyncRunDto> {
    const { run } = await this.syncs.start(id, actor);
    void reply.header('location', `/v1/admin/identity-providers/${id}/syncs/${run.id}`);
    return toDto(run);
  }

  @Get('identity-providers/:id/syncs/:runId')
  @RequirePermission('identity_providers:read')
  @ApiOperation({ summary: 'A sync and its progress' })
  @ApiOkResponse({ type: SyncRunDto })
  @ApiNotFoundResponse({ description: 'No such sync of this provider' })
  async get(
    @Param('id', uuidParam('id')) id: string,
    @Param('runId', uuidParam('runId')) runId: string,
  ): Promise<SyncRunDto> {
    return toDto(await this.syncs.get(id, runId));
  }

  @Post('users/:id/sync')
  @HttpCode(200)
  @RequirePermission('identity_providers:write')
  @ApiOperation({
    summary: "Sync one user from their providers' management APIs, now",
    description:
      'Reads the user at each provider they are linked to that has a management API and ' +
      'brings the account to that state. A provider that cannot be reached is a 502.',
  })
  @ApiOkResponse({ type: UserSyncDto })
  @ApiNotFoundResponse({ description: 'No such user' })
  @ApiConflictResponse({ description: '`sync_not_configured`' })
  async syncUser(
    @Param('id', uuidParam('id')) id: string,
    @RequestActor() actor: Actor,
  ): Promise<UserSyncDto> {
    const results = await this.syncs.syncUser(id, actor);
    return {
      items: results.map((result) => ({
        identity_id: result.identityId,
        provider_id: result.providerId,
        outcome: result.outcome,
      })),
    };
  }
}
