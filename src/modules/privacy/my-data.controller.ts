import {
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
  StreamableFile,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Client, ClientInfo } from '../../common/auth/client-info';
import { CurrentPrincipal, Principal } from '../../common/auth/principal';
import { RECENT_AUTH_SECONDS, RequireRecentAuth } from '../../common/auth/step-up.decorator';
import { DownloadQueryDto } from '../../common/http/download-query.dto';
import { uuidParam } from '../../common/validation/uuid-param.pipe';
import { AccountErasure } from './account-erasure.service';
import { AccountDeletionDto, PersonalDataExportDto } from './dto/personal-data-export.dto';
import { PersonalDataExport } from './personal-data-export.entity';
import { PersonalDataExports } from './personal-data-exports.service';
import { toExportDto, ZIP_MEDIA_TYPE } from './privacy-views';

const EXPORTS_PATH = '/v1/users/me/exports';

/** The signed-in user's own data: its export (`/v1/users/me/export`) and erasure. */
@ApiTags('privacy')
@ApiBearerAuth()
@Controller('v1/users/me')
export class MyDataController {
  constructor(
    private readonly exports: PersonalDataExports,
    private readonly erasure: AccountErasure,
  ) {}

  @Post('export')
  @HttpCode(202)
  @Header('cache-control', 'no-store')
  @RequireRecentAuth(RECENT_AUTH_SECONDS)
  @ApiOperation({
    summary: 'Export everything held about you (GDPR Art. 15 and 20)',
    description:
      'Needs a login (or step-up) within the last 10 minutes. Built in the background into a ' +
      'ZIP of JSON files with a README; you are mailed when it is ready, and download it from ' +
      'its status until a day after. One a day: asking again answers the same export.',
  })
  @ApiAcceptedResponse({ type: PersonalDataExportDto })
  async request(
    @CurrentPrincipal() principal: Principal,
    @Client() client: ClientInfo,
  ): Promise<PersonalDataExportDto> {
    const exported = await this.exports.request(
      principal.userId,
      { type: 'user', id: principal.userId },
      { client },
    );
    return this.toDto(principal, exported);
  }

  @Get('exports/:id')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'An export of your data: its status, and once ready a download link' })
  @ApiOkResponse({ type: PersonalDataExportDto })
  @ApiNotFoundResponse()
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam('id')) id: string,
  ): Promise<PersonalDataExportDto> {
    return this.toDto(principal, await this.exports.get(principal.userId, id));
  }

  @Get('exports/:id/download')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Download a ready export (the link of its status, with your token)',
    description: 'Decrypted as it streams. An altered or expired link is a 403.',
  })
  @ApiProduces(ZIP_MEDIA_TYPE)
  @ApiNotFoundResponse()
  async download(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam('id')) id: string,
    @Query() query: DownloadQueryDto,
  ): Promise<StreamableFile> {
    const { exported, body } = await this.exports.download(
      principal.userId,
      { type: 'user', id: principal.userId },
      id,
      query.expires,
      query.signature,
    );
    return new StreamableFile(body, {
      type: ZIP_MEDIA_TYPE,
      disposition: `attachment; filename="gatehouse-data-${exported.id}.zip"`,
    });
  }

  @Delete()
  @Header('cache-control', 'no-store')
  @RequireRecentAuth(RECENT_AUTH_SECONDS)
  @ApiOperation({
    summary: 'Delete your account and its data (GDPR Art. 17)',
    description:
      'Needs a login (or step-up) within the last 10 minutes. Every session ends at once. With a ' +
      'grace period (ACCOUNT_DELETION_GRACE_DAYS) the answer is 202 with when the account will be ' +
      'erased, and signing in before then cancels it; without one, 204 once it is erased. The ' +
      'last administrator cannot delete their account (409).',
  })
  @ApiAcceptedResponse({ type: AccountDeletionDto })
  @ApiNoContentResponse({ description: 'Erased' })
  async delete(
    @CurrentPrincipal() principal: Principal,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AccountDeletionDto | undefined> {
    const dueAt = await this.erasure.requestOwn(principal.userId, { client });
    if (!dueAt) {
      reply.status(204);
      return undefined;
    }
    reply.status(202);
    return { deletion_due_at: dueAt.toISOString() };
  }

  private toDto(principal: Principal, exported: PersonalDataExport): PersonalDataExportDto {
    const reader = { type: 'user' as const, id: principal.userId };
    const link =
      exported.status === 'ready'
        ? this.exports.downloadLink(reader, exported, EXPORTS_PATH)
        : null;
    return toExportDto(exported, link);
  }
}
