import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { Client, ClientInfo } from '../../common/auth/client-info';
import { CurrentPrincipal, Principal } from '../../common/auth/principal';
import { Public } from '../../common/auth/public.decorator';
import { uuidParam } from '../../common/validation/uuid-param.pipe';
import { exactlyOneOf } from '../../common/validation/exactly-one-of';
import { secondFactorOf } from '../mfa/dto/mfa-requests.dto';
import { toTotpEnrollmentDto, TotpEnrollmentDto } from '../mfa/dto/mfa-responses.dto';
import { AuthService, LoginResult } from './auth.service';
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
import {
  MfaChallengeDto,
  MfaLoginDto,
  MfaLoginResponseDto,
  MfaTokenDto,
  StepUpDto,
  StepUpResponseDto,
} from './dto/second-factor.dto';
import { SecondFactorService } from './second-factor.service';
import { TokenPair } from './token-pair';

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

export function toLoginDto(result: LoginResult): TokenPairDto | MfaChallengeDto {
  if (result.kind === 'tokens') return toTokenPairDto(result);
  const enrolling = result.purpose === 'enroll';
  return {
    mfa_required: true,
    mfa_enrollment_required: enrolling,
    mfa_token: result.mfaToken,
    expires_in: result.expiresIn,
    methods: enrolling ? ['totp'] : ['totp', 'backup_code'],
  };
}

@ApiTags('auth')
@ApiExtraModels(TokenPairDto, MfaChallengeDto)
@Controller('v1/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly secondFactor: SecondFactorService,
  ) {}

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
      'Repeated failures are answered with 429 and Retry-After. An account with a second ' +
      'factor (or whose role requires one) gets `mfa_required` and an `mfa_token` instead of ' +
      'tokens: POST /v1/auth/login/mfa completes the login.',
  })
  @ApiOkResponse({
    schema: {
      oneOf: [{ $ref: getSchemaPath(TokenPairDto) }, { $ref: getSchemaPath(MfaChallengeDto) }],
    },
  })
  async login(
    @Body() body: LoginDto,
    @Client() client: ClientInfo,
  ): Promise<TokenPairDto | MfaChallengeDto> {
    return toLoginDto(await this.auth.login(body, client));
  }

  @Public()
  @Post('login/mfa')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Complete a login with a second factor',
    description:
      'The mfa_token of the login and a code of the authenticator app or a backup code. Each ' +
      'code works once. A wrong code is 401 invalid_mfa_code with `attempts_remaining`; five ' +
      'use the mfa_token up. For a login that had to enroll, the first code activates the new ' +
      'factor and the answer carries the backup codes.',
  })
  @ApiOkResponse({ type: MfaLoginResponseDto })
  async loginMfa(
    @Body() body: MfaLoginDto,
    @Client() client: ClientInfo,
  ): Promise<MfaLoginResponseDto> {
    const login = await this.secondFactor.completeLogin(
      body.mfa_token,
      secondFactorOf(body),
      client,
    );
    return {
      ...toTokenPairDto(login),
      ...(login.backupCodes ? { backup_codes: login.backupCodes } : {}),
    };
  }

  @Public()
  @Post('login/mfa/enroll')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Enroll an authenticator app during a login that requires one',
    description:
      'Only with the mfa_token of a login answered with `mfa_enrollment_required`. The first ' +
      'code of the app then completes the login at POST /v1/auth/login/mfa.',
  })
  @ApiOkResponse({ type: TotpEnrollmentDto })
  async enrollDuringLogin(
    @Body() body: MfaTokenDto,
    @Client() client: ClientInfo,
  ): Promise<TotpEnrollmentDto> {
    const enrollment = await this.secondFactor.enrollDuringLogin(body.mfa_token, client);
    return toTotpEnrollmentDto(enrollment);
  }

  @Post('step-up')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Authenticate again within the session (step-up)',
    description:
      'The password gives a token with a new auth_time and acr aal1; a code or a backup code ' +
      'one with acr aal2. For routes that answer 401 insufficient_user_authentication. A wrong ' +
      'password is 403 invalid_current_password, a wrong code 403 invalid_current_mfa_code.',
  })
  @ApiOkResponse({ type: StepUpResponseDto })
  async stepUp(
    @CurrentPrincipal() principal: Principal,
    @Body() body: StepUpDto,
    @Client() client: ClientInfo,
  ): Promise<StepUpResponseDto> {
    const { field, value } = exactlyOneOf(body, ['password', 'code', 'backup_code']);
    const proof =
      field === 'password'
        ? ({ method: 'password', password: value } as const)
        : secondFactorOf({ [field]: value });
    const stepped = await this.secondFactor.stepUp(principal, proof, client);
    return {
      access_token: stepped.accessToken,
      token_type: 'Bearer',
      expires_in: stepped.expiresIn,
      acr: stepped.acr,
      auth_time: Math.floor(stepped.authTime.getTime() / 1000),
    };
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
