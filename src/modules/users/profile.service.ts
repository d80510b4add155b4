import { Injectable } from '@nestjs/common';
import { ClientInfo } from '../../common/auth/client-info';
import { Transactions } from '../../database/transactions';
import { DomainEvents } from '../events/domain-events.service';
import { maskAddress } from '../mail/mail-address';
import * as templates from '../mail/mail-templates';
import { MailService } from '../mail/mail.service';
import { ProfileChanges } from './users.repository';
import { EmailChangeRequest, UsersService } from './users.service';

/**
 * A user's changes to their own profile. Profile fields change at once; an email change needs
 * the current password and takes effect when the new address confirms it
 * (`POST /auth/verify-email`). Its link is issued, and its mails queued, by the request's own
 * transaction: the pending address shows at once, and the mails exist exactly when it does.
 */
@Injectable()
export class ProfileService {
  constructor(
    private readonly users: UsersService,
    private readonly mail: MailService,
    private readonly events: DomainEvents,
    private readonly transactions: Transactions,
  ) {}

  async update(
    userId: string,
    changes: ProfileChanges,
    emailChange: EmailChangeRequest | null,
    client: ClientInfo,
  ): Promise<void> {
    const email = emailChange && (await this.users.checkEmailChange(userId, emailChange, client));
    await this.transactions.run(async () => {
      await this.users.updateProfile(userId, changes, { client });
      if (!email) return;
      const link = await this.users.issueEmailToken(userId, 'change_email', email.to);
      await this.events.emit(
        'user.email_change.requested',
        { user_id: userId, from: email.from, to: email.to },
        { client },
      );
      await this.mail.enqueue(templates.emailChangeNotice(email.from, maskAddress(email.to)));
      // Whether the new address is taken is only revealed to whoever controls it.
      if (!(await this.users.findByEmail(email.to))) {
        await this.mail.enqueue(templates.emailChangeVerify(email.to, link));
      }
    });
  }
}
