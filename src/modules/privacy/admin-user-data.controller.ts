import {
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Param,
  Post,
  Query,
  StreamableFile,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { Actor, RequestActor } from '../../common/auth/actor';
import { RequirePermission } from '../../common/auth/require-permission.decorator';
import { DownloadQueryDto } from '../../common/http/download-query.dto';
import { uuidParam } from '../../common/validation/uuid-param.pipe';
import { AccountErasure } from './account-erasure.service';
import { PersonalDataExportDto } from './dto/personal-data-export.dto';
import { PersonalDataExport } from './personal-data-export.entity';
import { PersonalDataExports } from './personal-data-exports.service';
import { toExportDto, ZIP_MEDIA_TYPE } from './privacy-views';

/** Administrators acting on a person's data rights: exports for them, and erasure. */
@ApiTags('privacy')
@Controller('v1/admin/users')
export class AdminUserDataController {
  constructor(
    private readonly exports: PersonalDataExports,
    private readonly erasure: AccountErasure,
  ) {}

  @Post(':id/export')
  @HttpCode(202)
  @RequirePermission('users:export')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Export everything held about a user, for a request of theirs',
    description:
      'As `POST /v1/users/me/export`: one a day per user, asked by them or by an administrator ' +
      '(asking again answers the same export); the user is mailed when it is ready.',
  })
  @ApiAcceptedResponse({ type: PersonalDataExportDto })
  @ApiNotFoundResponse()
  async request(
    @Param('id', uuidParam('id')) userId: string,
    @RequestActor() actor: Actor,
  ): Promise<PersonalDataExportDto> {
    return this.toDto(actor, await this.exports.request(userId, actor, { actor }));
  }

  @Get(':id/exports/:exportId')
  @RequirePermission('users:export')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'An export of a user’s data: its status, and once ready a download link',
  })
  @ApiOkResponse({ type: PersonalDataExportDto })
  @ApiNotFoundResponse()
  async get(
    @Param('id', uuidParam('id')) userId: string,
    @Param('exportId', uuidParam('exportId')) exportId: string,
    @RequestActor() actor: Actor,
  ): Promise<PersonalDataExportDto> {
    return this.toDto(actor, await this.exports.get(userId, exportId));
  }

  @Get(':id/exports/:exportId/download')
  @RequirePermission('users:export')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Download a ready export of a user’s data (the link of its status, with your token)',
    description:
      'Decrypted as it streams. A link altered, made for another reader or expired is a 403.',
  })
  @ApiProduces(ZIP_MEDIA_TYPE)
  @ApiNotFoundResponse()
  async download(
    @Param('id', uuidParam('id')) userId: string,
    @Param('exportId', uuidParam('exportId')) exportId: string,
    @Query() query: DownloadQueryDto,
    @RequestActor() actor: Actor,
  ): Promise<StreamableFile> {
    const { exported, body } = await this.exports.download(
      userId,
      actor,
      exportId,
      query.expires,
      query.signature,
    );
    return new StreamableFile(body, {
      type: ZIP_MEDIA_TYPE,
      disposition: `attachment; filename="gatehouse-data-${exported.id}.zip"`,
    });
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermission('users:delete')
  @ApiOperation({
    summary: 'Erase a user and their personal data, at once (GDPR Art. 17)',
    description:
      'Sessions end and every row of personal data is deleted in one transaction; audit rows ' +
      'about the user stay, their personal fields unreadable (their key destroyed), the hash ' +
      'chain intact. Refused (409) for your own account and for the last administrator.',
  })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: '`self_lockout` or `last_administrator`' })
  async erase(
    @Param('id', uuidParam('id')) userId: string,
    @RequestActor() actor: Actor,
  ): Promise<void> {
    await this.erasure.eraseByAdministrator(userId, actor);
  }

  private toDto(actor: Actor, exported: PersonalDataExport): PersonalDataExportDto {
    const link =
      exported.status === 'ready'
        ? this.exports.downloadLink(actor, exported, `/v1/admin/users/${exported.userId}/exports`)
        : null;
    return toExportDto(exported, link);
  }
}
