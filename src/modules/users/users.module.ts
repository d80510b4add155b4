import { Module } from '@nestjs/common';
import { CredentialAttempts } from './credential-attempts.service';
import { EmailTokenRepository } from './email-token.repository';
import { LastLogin } from './last-login';
import { UserPersonalData } from './user-personal-data';
import { UserPreferencesRepository } from './user-preferences.repository';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

/**
 * Accounts, profiles and the proofs of their mailboxes. Tells what changes as `user.*` events;
 * keeps `last_login_at` as a consumer of them. Its API and mails are UsersApiModule's.
 */
@Module({
  providers: [
    UsersRepository,
    EmailTokenRepository,
    UserPreferencesRepository,
    UsersService,
    CredentialAttempts,
    LastLogin,
    UserPersonalData,
  ],
  exports: [UsersService, CredentialAttempts],
})
export class UsersModule {}
