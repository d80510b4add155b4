import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { OnPublished, PublishedEventOf } from '../events/on-event.decorator';
import { MailService } from '../mail/mail.service';
import { UsersService } from '../users/users.service';

/**
 * Mails the owner of an account whose broker session ended, asking them to link it again: a
 * consumer of `trading_account.expired`, queued in the relay's transaction.
 */
@Injectable()
export class ExpiryNotices {
  constructor(
    private readonly users: UsersService,
    private readonly mail: MailService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @OnPublished('trading_account.expired')
  async notify(events: PublishedEventOf<'trading_account.expired'>[]): Promise<void> {
    for (const event of events) {
      const owner = await this.users.findById(event.data.user_id);
      if (!owner || owner.status !== 'active') continue;
      const link = `${this.config.mail.webAppUrl}/trading-accounts/${event.data.account_id}`;
      await this.mail.enqueue({
        to: owner.email,
        subject: 'Link your trading account again',
        text:
          'The broker session of one of your trading accounts has ended (sessions end every ' +
          'morning at 06:00 IST, or when you log in to Kite elsewhere). Nobody can trade on it ' +
          `until you link it again:\n\n${link}\n`,
        link,
      });
    }
  }
}
