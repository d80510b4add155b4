import { Controller, Delete, HttpCode, Param } from '@nestjs/common';
import { ApiNoContentResponse, ApiNotFoundResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../../common/auth/require-permission.decorator';
import { uuidParam } from '../../common/validation/uuid-param.pipe';
import { AuditActor, RequestActor } from '../audit/audit-actor';
import { SecondFactorService } from '../auth/second-factor.service';

@ApiTags('mfa')
@Controller('v1/admin/users')
export class MfaAdminController {
  constructor(private readonly secondFactor: SecondFactorService) {}

  @Delete(':id/mfa')
  @HttpCode(204)
  @RequirePermission('users:reset_mfa')
  @ApiOperation({
    summary: 'Reset a user’s second factors',
    description:
      'Removes the authenticator app and the backup codes (a lost phone and lost codes) and ' +
      'ends every session and pending login of the user. Audited as `user.mfa_reset`. The user ' +
      'then signs in with the password alone, or enrolls again where a role requires a factor. ' +
      'Not for one’s own account (403): that takes DELETE /v1/mfa/totp.',
  })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'No such user.' })
  async reset(
    @Param('id', uuidParam('id')) id: string,
    @RequestActor() actor: AuditActor,
  ): Promise<void> {
    await this.secondFactor.resetByAdministrator(id, actor);
  }
}
