import { Injectable } from '@nestjs/common';
import { PersonalData } from '../privacy/personal-data.decorator';
import { UsersService } from './users.service';

/** The users module's part of a person's data export: the account and its preferences. */
@Injectable()
export class UserPersonalData {
  constructor(private readonly users: UsersService) {}

  @PersonalData({
    file: 'profile.json',
    describes:
      'Your account: email address and whether it is confirmed, name, phone, avatar, time zone, locale, status, when it was created and last signed into, and any deletion you asked for.',
  })
  async profileOf(userId: string): Promise<unknown> {
    const user = await this.users.findById(userId);
    if (!user) return null;
    return {
      id: user.id,
      email: user.email,
      email_verified_at: user.emailVerifiedAt,
      name: user.name,
      phone: user.phone,
      avatar_url: user.avatarUrl,
      timezone: user.timezone,
      locale: user.locale,
      status: user.status,
      last_login_at: user.lastLoginAt,
      deletion_requested_at: user.deletionRequestedAt,
      deletion_due_at: user.deletionDueAt,
      created_at: user.createdAt,
      updated_at: user.updatedAt,
    };
  }

  @PersonalData({
    file: 'preferences.json',
    describes: 'Your preferences: theme, notifications, watchlists and default trading account.',
  })
  async preferencesOf(userId: string): Promise<unknown> {
    const preferences = await this.users.getPreferences(userId);
    return {
      theme: preferences.theme,
      notifications: preferences.notifications,
      watchlists: preferences.watchlists,
      default_trading_account_id: preferences.defaultTradingAccountId,
    };
  }
}
