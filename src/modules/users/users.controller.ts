import { Body, Controller, Get, Header, Patch, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Client, ClientInfo } from '../../common/auth/client-info';
import { CurrentPrincipal, Principal } from '../../common/auth/principal';
import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode } from '../../common/errors/error-code';
import { invalidFields } from '../../common/errors/invalid-fields';
import { PreferencesDto } from './dto/preferences.dto';
import { profileChangesOf } from './dto/profile-changes';
import { UpdateProfileDto } from './dto/update-profile.dto';
import { UserProfileDto } from './dto/user-profile.dto';
import { ProfileService } from './profile.service';
import { Preferences, UsersService } from './users.service';
import { toUserDto } from './user-views';

@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/users/me')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly profiles: ProfileService,
  ) {}

  @Get()
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'The signed-in user’s profile' })
  @ApiOkResponse({ type: UserProfileDto })
  me(@CurrentPrincipal() principal: Principal): Promise<UserProfileDto> {
    return this.profile(principal.userId);
  }

  @Patch()
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Change profile fields',
    description:
      'Name, phone, avatar, time zone and locale change at once. A new email address needs ' +
      '`current_password` and takes effect when the link mailed to it is followed.',
  })
  @ApiOkResponse({ type: UserProfileDto })
  async update(
    @CurrentPrincipal() principal: Principal,
    @Body() body: UpdateProfileDto,
    @Client() client: ClientInfo,
  ): Promise<UserProfileDto> {
    if ((body.email === undefined) !== (body.current_password === undefined)) {
      const field = body.email === undefined ? 'email' : 'current_password';
      throw invalidFields([
        { field, message: 'email and current_password must be given together' },
      ]);
    }
    const changes = profileChangesOf(body);
    const emailChange =
      body.email !== undefined && body.current_password !== undefined
        ? { email: body.email, currentPassword: body.current_password }
        : null;
    await this.profiles.update(principal.userId, changes, emailChange, client);
    return this.profile(principal.userId);
  }

  @Get('preferences')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'The signed-in user’s preferences (defaults until first saved)' })
  @ApiOkResponse({ type: PreferencesDto })
  async preferences(@CurrentPrincipal() principal: Principal): Promise<PreferencesDto> {
    return toPreferencesDto(await this.users.getPreferences(principal.userId));
  }

  @Put('preferences')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Replace the preferences document' })
  @ApiOkResponse({ type: PreferencesDto })
  async replacePreferences(
    @CurrentPrincipal() principal: Principal,
    @Body() body: PreferencesDto,
    @Client() client: ClientInfo,
  ): Promise<PreferencesDto> {
    const saved = await this.users.replacePreferences(
      principal.userId,
      {
        theme: body.theme,
        notifications: {
          security_alerts: body.notifications.security_alerts,
          product_updates: body.notifications.product_updates,
          price_alerts: body.notifications.price_alerts,
          channels: body.notifications.channels,
        },
        watchlists: body.watchlists.map((w) => ({ name: w.name, symbols: w.symbols })),
        defaultTradingAccountId: body.default_trading_account_id,
      },
      client,
    );
    return toPreferencesDto(saved);
  }

  private async profile(userId: string): Promise<UserProfileDto> {
    const user = await this.users.profile(userId);
    // The guard saw a live session a moment ago; an account deleted since then is simply gone.
    if (!user) throw new DomainError(CommonErrorCode.NotFound, 'The account no longer exists.');
    return Object.assign(toUserDto(user), { pending_email: user.pendingEmail });
  }
}

function toPreferencesDto(preferences: Preferences): PreferencesDto {
  return {
    theme: preferences.theme,
    notifications: preferences.notifications,
    watchlists: preferences.watchlists,
    default_trading_account_id: preferences.defaultTradingAccountId,
  };
}
