import { Body, Controller, Delete, HttpCode, Param } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Client, ClientInfo } from '../../common/auth/client-info';
import { CurrentPrincipal, Principal } from '../../common/auth/principal';
import { RequirePermission } from '../../common/auth/require-permission.decorator';
import { uuidParam } from '../../common/validation/uuid-param.pipe';
import { Actor, RequestActor } from '../../common/auth/actor';
import { secondFactorOf } from '../mfa/dto/mfa-requests.dto';
import { RemovedTotpDto, RemoveTotpDto } from './dto/second-factor.dto';
import { SecondFactorService } from './second-factor.service';

/**
 * Removing a user's second factor, by the user or by an administrator. Both end sessions, which
 * is why these routes are the auth module's and not among the mfa module's management routes.
 */
@ApiTags('mfa')
@Controller('v1')
export class SecondFactorRemovalController {
  constructor(private readonly secondFactor: SecondFactorService) {}

  @Delete('mfa/totp')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Remove the authenticator app and the backup codes',
    description:
      'Needs the password and a current code (or a backup code): a wrong one is 403 ' +
      'invalid_current_password or invalid_current_mfa_code. `end_other_sessions` also ends ' +
      'every other session of the account.',
  })
  @ApiOkResponse({ type: RemovedTotpDto })
  async remove(
    @CurrentPrincipal() principal: Principal,
    @Body() body: RemoveTotpDto,
    @Client() client: ClientInfo,
  ): Promise<RemovedTotpDto> {
    const ended = await this.secondFactor.removeFactor(
      principal,
      {
        password: body.password,
        proof: secondFactorOf(body),
        endOtherSessions: body.end_other_sessions ?? false,
      },
      client,
    );
    return { sessions_ended: ended };
  }

  @Delete('admin/users/:id/mfa')
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
    @RequestActor() actor: Actor,
  ): Promise<void> {
    await this.secondFactor.resetByAdministrator(id, actor);
  }
}
