import { Logger } from '@nestjs/common';
import { maskAddress } from './mail-address';
import { Mailer, MailMessage } from './mailer';
import { DevelopmentOutboxRepository } from './development-outbox.repository';

/**
 * The development outbox (no SMTP_URL): mails are stored instead of sent, and their links are
 * logged so that a developer can follow them. Production refuses to start without SMTP_URL, so
 * links never reach a production log this way.
 */
export class DevelopmentOutboxMailer extends Mailer {
  private readonly logger = new Logger(DevelopmentOutboxMailer.name);

  constructor(private readonly outbox: DevelopmentOutboxRepository) {
    super();
  }

  async send(message: MailMessage): Promise<void> {
    const link = message.link ?? null;
    await this.outbox.add({
      recipient: message.to,
      subject: message.subject,
      text: message.text,
      link,
    });
    this.logger.log(
      { to: maskAddress(message.to), subject: message.subject, link },
      'Mail kept in the development outbox',
    );
  }
}
