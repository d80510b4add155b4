import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Client, ClientInfo } from '../../common/auth/client-info';
import { CurrentPrincipal, Principal } from '../../common/auth/principal';
import { Public } from '../../common/auth/public.decorator';
import { uuidParam } from '../../common/validation/uuid-param.pipe';
import { AuthService, TokenPair } from './auth.service';
import { describeDevice } from './device';
import {
  ChangePasswordDto,
  EmailDto,
  LoginDto,
  RefreshDto,
  RegisterDto,
  ResetPasswordDto,
  TokenDto,
} from './dto/auth-requests.dto';
import { AcceptedDto, SessionListDto, TokenPairDto } from './dto/auth-responses.dto';

const ACCEPTED: AcceptedDto = {
  message: 'If the address can be used, a message is on its way to it.',
};

function toTokenPairDto(pair: TokenPair): TokenPairDto {
  return {
    access_token: pair.accessToken,
    token_type: 'Bearer',
    expires_in: pair.expiresIn,
    refresh_token: pair.refreshToken,
    refresh_expires_in: pair.refreshExpiresIn,
    session_id: pair.sessionId,
  };
}

@ApiTags('auth')
@Controller('v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('register')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Create an account',
    description:
      'Answers 202 whether or not the address already has an account. A new address gets a ' +
      'verification link (24 h); the owner of an active account a notice; an address whose ' +
      'account was never confirmed a link to choose its password (1 h), since whoever ' +
      'registered it first may not own the mailbox.',
  })
  @ApiAcceptedResponse({ type: AcceptedDto })
  async register(@Body() body: RegisterDto, @Client() client: ClientInfo): Promise<AcceptedDto> {
    await this.auth.register(body, client);
    return ACCEPTED;
  }

  @Public()
  @Post('verify-email')
  @HttpCode(204)
  @ApiOperation({ summary: 'Confirm an address with the token from the mailed link' })
  @ApiNoContentResponse()
  verifyEmail(@Body() body: TokenDto, @Client() client: ClientInfo): Promise<void> {
    return this.auth.verifyEmail(body.token, client);
  }

  @Public()
  @Post('verify-email/resend')
  @HttpCode(202)
  @ApiOperation({ summary: 'Mail a new verification link (always 202)' })
  @ApiAcceptedResponse({ type: AcceptedDto })
  async resend(@Body() body: EmailDto, @Client() client: ClientInfo): Promise<AcceptedDto> {
    await this.auth.resendVerification(body.email, client);
    return ACCEPTED;
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Sign in with email and password',
    description:
      'A wrong password and an unknown address give the same 401 `invalid_credentials`. ' +
      'Repeated failures are answered with 429 and Retry-After.',
  })
  @ApiOkResponse({ type: TokenPairDto })
  async login(@Body() body: LoginDto, @Client() client: ClientInfo): Promise<TokenPairDto> {
    return toTokenPairDto(await this.auth.login(body, client));
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Exchange a refresh token for a new token pair',
    description:
      'The presented refresh token dies. Presenting one that was already exchanged ends its ' +
      'session (reuse detection).',
  })
  @ApiOkResponse({ type: TokenPairDto })
  async refresh(@Body() body: RefreshDto, @Client() client: ClientInfo): Promise<TokenPairDto> {
    return toTokenPairDto(await this.auth.refresh(body.refresh_token, client));
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End the current session' })
  @ApiNoContentResponse()
  logout(@CurrentPrincipal() principal: Principal, @Client() client: ClientInfo): Promise<void> {
    return this.auth.logout(principal, client);
  }

  @Post('logout-all')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End every session of the signed-in user, this one included' })
  @ApiNoContentResponse()
  async logoutAll(
    @CurrentPrincipal() principal: Principal,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.auth.logoutAll(principal, client);
  }

  @Get('sessions')
  @Header('cache-control', 'no-store')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The signed-in user’s live sessions' })
  @ApiOkResponse({ type: SessionListDto })
  async sessions(@CurrentPrincipal() principal: Principal): Promise<SessionListDto> {
    const sessions = await this.auth.listSessions(principal.userId);
    return {
      items: sessions.map((s) => ({
        id: s.id,
        device: describeDevice(s.userAgent),
        user_agent: s.userAgent,
        ip: s.ip,
        created_at: s.createdAt.toISOString(),
        last_seen_at: s.lastSeenAt.toISOString(),
        current: s.id === principal.sessionId,
      })),
    };
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End one of the signed-in user’s sessions' })
  @ApiNoContentResponse()
  revokeSession(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam('id')) id: string,
    @Client() client: ClientInfo,
  ): Promise<void> {
    return this.auth.revokeSession(principal, id, client);
  }

  @Public()
  @Post('password/forgot')
  @HttpCode(202)
  @ApiOperation({ summary: 'Mail a password reset link (valid 1 h; always 202)' })
  @ApiAcceptedResponse({ type: AcceptedDto })
  async forgot(@Body() body: EmailDto, @Client() client: ClientInfo): Promise<AcceptedDto> {
    await this.auth.forgotPassword(body.email, client);
    return ACCEPTED;
  }

  @Public()
  @Post('password/reset')
  @HttpCode(204)
  @ApiOperation({ summary: 'Set a new password with a reset token; ends every session' })
  @ApiNoContentResponse()
  reset(@Body() body: ResetPasswordDto, @Client() client: ClientInfo): Promise<void> {
    return this.auth.resetPassword(body, client);
  }

  @Post('password/change')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Change the password; ends every other session' })
  @ApiNoContentResponse()
  changePassword(
    @CurrentPrincipal() principal: Principal,
    @Body() body: ChangePasswordDto,
    @Client() client: ClientInfo,
  ): Promise<void> {
    return this.auth.changePassword(
      principal,
      { currentPassword: body.current_password, newPassword: body.new_password },
      client,
    );
  }
}
