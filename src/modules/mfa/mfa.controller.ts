import { Body, Controller, Get, Header, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Client, ClientInfo } from '../../common/auth/client-info';
import { CurrentPrincipal, Principal } from '../../common/auth/principal';
import {
  RECENT_AUTH_SECONDS,
  RequireAal,
  RequireRecentAuth,
} from '../../common/auth/step-up.decorator';
import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode } from '../../common/errors/error-code';
import { UsersService } from '../users/users.service';
import { TotpCodeDto } from './dto/mfa-requests.dto';
import {
  BackupCodesDto,
  MfaStatusDto,
  toTotpEnrollmentDto,
  TotpEnrollmentDto,
} from './dto/mfa-responses.dto';
import { MfaService } from './mfa.service';

@ApiTags('mfa')
@ApiBearerAuth()
@Controller('v1/mfa')
export class MfaController {
  constructor(
    private readonly mfa: MfaService,
    private readonly users: UsersService,
  ) {}

  @Get()
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'The signed-in user’s second factors and backup codes left' })
  @ApiOkResponse({ type: MfaStatusDto })
  async status(@CurrentPrincipal() principal: Principal): Promise<MfaStatusDto> {
    const status = await this.mfa.status(principal.userId);
    return {
      active_factors: status.totp === 'active' ? ['totp'] : [],
      totp: { status: status.totp, activated_at: status.activatedAt?.toISOString() ?? null },
      backup_codes_remaining: status.backupCodesRemaining,
    };
  }

  @Post('totp/enroll')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @RequireRecentAuth(RECENT_AUTH_SECONDS)
  @ApiOperation({
    summary: 'Start enrolling an authenticator app',
    description:
      'Needs a login (or step-up) within the last 10 minutes. Answers the seed, its otpauth URI ' +
      'and a QR code of it; the factor stays pending until POST /v1/mfa/totp/activate. A new ' +
      'enrollment replaces a pending one; an active factor must be removed first (409).',
  })
  @ApiOkResponse({ type: TotpEnrollmentDto })
  async enroll(
    @CurrentPrincipal() principal: Principal,
    @Client() client: ClientInfo,
  ): Promise<TotpEnrollmentDto> {
    const user = await this.users.findById(principal.userId);
    if (!user) throw new DomainError(CommonErrorCode.NotFound, 'The account no longer exists.');
    const enrollment = await this.mfa.startTotpEnrollment(user.id, user.email, client);
    return toTotpEnrollmentDto(enrollment);
  }

  @Post('totp/activate')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Activate the pending authenticator app with its first code',
    description:
      'Answers ten backup codes, shown this once. A wrong code (403 invalid_current_mfa_code) ' +
      'leaves the factor pending.',
  })
  @ApiOkResponse({ type: BackupCodesDto })
  async activate(
    @CurrentPrincipal() principal: Principal,
    @Body() body: TotpCodeDto,
    @Client() client: ClientInfo,
  ): Promise<BackupCodesDto> {
    return {
      backup_codes: await this.mfa.activateTotp(
        principal.userId,
        body.code,
        client,
        principal.sessionId,
      ),
    };
  }

  @Post('backup-codes/regenerate')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @RequireAal(2)
  @RequireRecentAuth(RECENT_AUTH_SECONDS)
  @ApiOperation({
    summary: 'Replace the backup codes',
    description:
      'Needs an authentication with a second factor within the last 10 minutes (step up with ' +
      'a code). The old codes stop working.',
  })
  @ApiOkResponse({ type: BackupCodesDto })
  async regenerate(
    @CurrentPrincipal() principal: Principal,
    @Client() client: ClientInfo,
  ): Promise<BackupCodesDto> {
    return {
      backup_codes: await this.mfa.regenerateBackupCodes(
        principal.userId,
        client,
        principal.sessionId,
      ),
    };
  }
}
