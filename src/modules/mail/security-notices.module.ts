import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { MailModule } from './mail.module';
import { NotifiedEventRepository } from './notified-event.repository';
import { SecurityNotices } from './security-notices';

/**
 * The security notices mailed to users, consumers of account events. Apart from MailModule,
 * which every module that mails imports, since these need the users module to find whom to mail.
 */
@Module({
  imports: [MailModule, UsersModule],
  providers: [NotifiedEventRepository, SecurityNotices],
})
export class SecurityNoticesModule {}
