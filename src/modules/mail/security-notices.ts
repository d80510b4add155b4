import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { describeDevice } from '../auth/device';
import { OnPublished, PublishedEventOf } from '../events/on-event.decorator';
import { UsersService } from '../users/users.service';
import { maskAddress } from './mail-address';
import * as templates from './mail-templates';
import { MailService } from './mail.service';
import { MailMessage } from './mailer';
import { NotifiedEventRepository } from './notified-event.repository';

const NOTIFIED = [
  'user.password_changed',
  'user.email_changed',
  'user.mfa.enrolled',
  'user.mfa.removed',
  'user.mfa.backup_codes_regenerated',
  'user.session.anomaly',
] as const;

type NotifiedEvent = PublishedEventOf<(typeof NOTIFIED)[number]>;

/**
 * Security notices (ASVS V6.3.7, V7.4.3): the user is told by mail when the password, the
 * address or a second factor changes, and of a sign-in from a device and network never seen
 * (`user.session.anomaly`). Each mail says what changed, when, from which device and address
 * when the user's request made the change, and what to do if it was not them; no secret, no
 * link that acts. Queued as the event is published (in the relay's transaction, as durable
 * mail), and once per event: the event id is claimed with the mail, so an event consumed
 * again (at least once delivery) mails nothing more.
 */
@Injectable()
export class SecurityNotices {
  constructor(
    private readonly users: UsersService,
    private readonly mail: MailService,
    private readonly notified: NotifiedEventRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @OnPublished(...NOTIFIED)
  async notify(events: NotifiedEvent[]): Promise<void> {
    for (const event of events) {
      const messages = await this.messagesFor(event);
      if (messages.length === 0 || !(await this.notified.claim(event.id))) continue;
      for (const message of messages) await this.mail.enqueue(message);
    }
  }

  private async messagesFor(event: NotifiedEvent): Promise<MailMessage[]> {
    if (event.type === 'user.mfa.removed' && !event.data.removed) return [];
    const user = await this.users.findById(event.data.user_id);
    if (!user) return [];
    const byAdministrator = event.type === 'user.mfa.removed' && event.data.by === 'administrator';
    const at =
      event.type === 'user.session.anomaly' ? new Date(event.data.auth_time) : event.occurredAt;
    const details: templates.NoticeDetails = {
      when: templates.formatWhen(at, user.timezone),
      // An administrator's device and address are not the user's to see.
      device: byAdministrator || !event.context.ip ? null : describeDevice(event.context.userAgent),
      ip: byAdministrator ? null : event.context.ip,
      webAppUrl: this.config.mail.webAppUrl,
    };
    switch (event.type) {
      case 'user.password_changed':
        return [templates.passwordChanged(user.email, event.data.method, details)];
      case 'user.email_changed':
        // The old address too: whoever lost the account there must learn of it.
        return [
          templates.emailChanged(event.data.from, maskAddress(event.data.to), details),
          templates.emailChangedTo(event.data.to, maskAddress(event.data.from), details),
        ];
      case 'user.mfa.enrolled':
        return [templates.secondFactorAdded(user.email, details)];
      case 'user.mfa.removed':
        return [templates.secondFactorRemoved(user.email, event.data.by, details)];
      case 'user.mfa.backup_codes_regenerated':
        return [templates.backupCodesRegenerated(user.email, event.data.count, details)];
      case 'user.session.anomaly':
        return [templates.newSignIn(user.email, { ...details, device: event.data.device })];
    }
  }
}
