import { Module } from '@nestjs/common';
import { MailModule } from '../mail/mail.module';
import { AccountMails } from './account-mails';
import { ProfileService } from './profile.service';
import { UsersController } from './users.controller';
import { UsersModule } from './users.module';

/**
 * The users' own API (`/v1/users/me`) and the account mails, apart from UsersModule so that
 * tools that change accounts (the CLI) need no mailer: the mails follow from the events, in
 * the service that relays them.
 */
@Module({
  imports: [UsersModule, MailModule],
  controllers: [UsersController],
  providers: [ProfileService, AccountMails],
})
export class UsersApiModule {}
