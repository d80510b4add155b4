import { Logger, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { MailService } from './mail.service';
import { Mailer } from './mailer';
import { DevelopmentOutboxMailer } from './development-outbox-mailer';
import { DevelopmentOutboxRepository } from './development-outbox.repository';
import { SmtpMailer } from './smtp-mailer';

@Module({
  providers: [
    DevelopmentOutboxRepository,
    {
      provide: Mailer,
      inject: [APP_CONFIG, DevelopmentOutboxRepository],
      useFactory: ({ mail }: AppConfig, outbox: DevelopmentOutboxRepository): Mailer => {
        const logger = new Logger(MailModule.name);
        if (mail.smtpUrl) {
          // Scheme, host and port only: the URL's user and password stay out of the log.
          const { protocol, host } = new URL(mail.smtpUrl);
          logger.log(`Sending mail through ${protocol}//${host}`);
          return new SmtpMailer(mail.smtpUrl, mail.from);
        }
        logger.warn('SMTP_URL is not set: mails go to the development outbox, links logged');
        return new DevelopmentOutboxMailer(outbox);
      },
    },
    MailService,
  ],
  exports: [Mailer, MailService],
})
export class MailModule {}
