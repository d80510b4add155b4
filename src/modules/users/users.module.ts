import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { MailModule } from '../mail/mail.module';
import { CredentialAttempts } from './credential-attempts.service';
import { EmailTokenRepository } from './email-token.repository';
import { UserPreferencesRepository } from './user-preferences.repository';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  imports: [AuditModule, MailModule],
  controllers: [UsersController],
  providers: [
    UsersRepository,
    EmailTokenRepository,
    UserPreferencesRepository,
    UsersService,
    CredentialAttempts,
  ],
  exports: [UsersService, CredentialAttempts],
})
export class UsersModule {}
