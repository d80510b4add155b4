import { Inject, Injectable } from '@nestjs/common';
import { RateLimiter } from '../../common/throttle/rate-limiter.service';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { OnPublished, PublishedEventOf } from '../events/on-event.decorator';
import * as templates from '../mail/mail-templates';
import { MailService } from '../mail/mail.service';
import { UsersService } from './users.service';

const HOUR_S = 60 * 60;
/** Mails asked for about one address: enough for a user who lost one, too few to flood it. */
const MAILS_PER_ADDRESS_PER_HOUR = 3;

const MAILED = [
  'user.created',
  'user.registration.duplicate',
  'user.email_verification.requested',
  'user.password_reset.requested',
  'user.password_reset_forced',
] as const;

type MailedEvent = PublishedEventOf<(typeof MAILED)[number]>;

/**
 * The mails that follow changes to accounts, queued as each event is published (in the
 * relay's transaction: the link's token and the queued mail commit together, once). Links are
 * made here, when the mail is queued, so no event ever carries a token. (An email change's
 * link is the exception: ProfileService makes it with the change, which shows it pending.) Mails anyone can cause
 * for an address they need not own (registration, verification, reset) count against that
 * address's hourly budget; beyond it they are silently not sent, which tells nothing about it.
 * Notices of changes the account's holder made (password, address, second factors) are the
 * mail module's SecurityNotices.
 * An administrator's invitation or forced reset is not budgeted: it is authenticated and audited.
 */
@Injectable()
export class AccountMails {
  constructor(
    private readonly users: UsersService,
    private readonly mail: MailService,
    private readonly rateLimiter: RateLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @OnPublished(...MAILED)
  async queue(events: MailedEvent[]): Promise<void> {
    for (const event of events) await this.queueFor(event);
  }

  private async queueFor(event: MailedEvent): Promise<void> {
    switch (event.type) {
      case 'user.created': {
        if (event.data.source === 'administrator') {
          const link = await this.users.issueEmailToken(event.data.user_id, 'invitation');
          return this.mail.enqueue(templates.invitation(event.data.email, link));
        }
        if (event.data.source !== 'registration' || !(await this.mayMail(event.data.email))) {
          return;
        }
        const link = await this.users.issueEmailToken(event.data.user_id, 'verify_email');
        return this.mail.enqueue(templates.verifyEmail(event.data.email, link));
      }
      case 'user.registration.duplicate':
        return this.tellOwnerOfRegistration(event.data.user_id);
      case 'user.email_verification.requested': {
        if (!(await this.mayMail(event.data.email))) return;
        const link = await this.users.issueEmailToken(event.data.user_id, 'verify_email');
        return this.mail.enqueue(templates.verifyEmail(event.data.email, link));
      }
      case 'user.password_reset.requested': {
        const user = await this.users.findById(event.data.user_id);
        if (!user || !(await this.mayMail(user.email))) return;
        const link = await this.users.issueEmailToken(user.id, 'reset_password');
        return this.mail.enqueue(templates.passwordReset(user.email, link));
      }
      case 'user.password_reset_forced': {
        const user = await this.users.findById(event.data.user_id);
        // Reactivated or suspended since: a link only for an account that can still use it.
        if (user?.status !== 'active') return;
        const link = await this.users.issueEmailToken(user.id, 'reset_password');
        return this.mail.enqueue(templates.forcedPasswordReset(user.email, link));
      }
    }
  }

  /**
   * Someone registered an address that has an account. Its owner is told how to sign in; or,
   * when the account was never confirmed, chooses the password: whoever registered first chose
   * the old one and may not own the mailbox, so confirming it would hand them the account.
   */
  private async tellOwnerOfRegistration(userId: string): Promise<void> {
    const user = await this.users.findById(userId);
    if (!user || !(await this.mayMail(user.email))) return;
    if (user.status === 'pending_verification') {
      await this.users.cancelEmailTokens(user.id, ['verify_email']);
      const link = await this.users.issueEmailToken(user.id, 'reset_password');
      await this.mail.enqueue(templates.finishRegistration(user.email, link));
      return;
    }
    const base = this.config.mail.webAppUrl;
    await this.mail.enqueue(
      templates.registrationAttempt(user.email, `${base}/login`, `${base}/forgot-password`),
    );
  }

  /** Per-address budget; exceeding it is silent. */
  private async mayMail(email: string): Promise<boolean> {
    const { allowed } = await this.rateLimiter.consume(
      `mail:${email}`,
      MAILS_PER_ADDRESS_PER_HOUR,
      HOUR_S,
    );
    return allowed;
  }
}
