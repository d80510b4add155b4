import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { OnPublished, PublishedEventOf } from '../events/on-event.decorator';
import * as templates from '../mail/mail-templates';
import { MailService } from '../mail/mail.service';
import { UsersService } from '../users/users.service';

const MAILED = [
  'user.data_export.ready',
  'user.deletion_scheduled',
  'user.deletion_cancelled',
] as const;

type MailedEvent = PublishedEventOf<(typeof MAILED)[number]>;

/**
 * Tells the person by mail, as each event is published: their export is ready (never with a
 * link that downloads it: that needs them signed in), their account will be deleted and when,
 * or a sign-in cancelled that. Nothing for an account already erased.
 */
@Injectable()
export class PrivacyMails {
  constructor(
    private readonly users: UsersService,
    private readonly mail: MailService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @OnPublished(...MAILED)
  async queue(events: MailedEvent[]): Promise<void> {
    const base = this.config.mail.webAppUrl;
    for (const event of events) {
      const user = await this.users.findById(event.data.user_id);
      if (!user) continue;
      switch (event.type) {
        case 'user.data_export.ready': {
          const until = templates.formatWhen(new Date(event.data.expires_at), user.timezone);
          await this.mail.enqueue(templates.dataExportReady(user.email, until, base));
          break;
        }
        case 'user.deletion_scheduled': {
          const when = templates.formatWhen(new Date(event.data.due_at), user.timezone);
          await this.mail.enqueue(templates.accountDeletionScheduled(user.email, when, base));
          break;
        }
        case 'user.deletion_cancelled':
          await this.mail.enqueue(templates.accountDeletionCancelled(user.email, base));
          break;
      }
    }
  }
}
