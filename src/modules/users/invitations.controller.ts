import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNoContentResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Client, ClientInfo } from '../../common/auth/client-info';
import { Public } from '../../common/auth/public.decorator';
import { AcceptInvitationDto } from './dto/admin-users.dto';
import { UsersService } from './users.service';

/** The invitee's side of an administrator's invitation (`POST /v1/admin/users`). */
@ApiTags('auth')
@Controller('v1/invitations')
export class InvitationsController {
  constructor(private readonly users: UsersService) {}

  @Public()
  @Post('accept')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Accept an invitation: choose the password, activating the account',
    description:
      'With the token of the mailed link, once. An unknown, used or expired token is a 400 ' +
      '`invalid_or_expired_token`; a password the policy refuses is a 422 and leaves the ' +
      'token usable. Then sign in with `POST /v1/auth/login`.',
  })
  @ApiNoContentResponse()
  @ApiBadRequestResponse({ description: '`invalid_or_expired_token`' })
  accept(@Body() body: AcceptInvitationDto, @Client() client: ClientInfo): Promise<void> {
    return this.users.acceptInvitation(body.token, body.password, client);
  }
}
