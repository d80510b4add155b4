import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AccessModule } from '../access/access.module';
import { AuthModule } from '../auth/auth.module';
import { MailModule } from '../mail/mail.module';
import { UsersModule } from '../users/users.module';
import { AccountErasure } from './account-erasure.service';
import { AdminUserDataController } from './admin-user-data.controller';
import { MyDataController } from './my-data.controller';
import { PersonalDataExportRepository } from './personal-data-export.repository';
import { PersonalDataExports } from './personal-data-exports.service';
import { PersonalDataSources } from './personal-data-sources';
import { PrivacyMails } from './privacy-mails';

/**
 * GDPR: personal data exports, to which every module contributes its files (`@PersonalData`),
 * and erasure, which every module hears of (`user.deleted`) in the erasing transaction.
 */
@Module({
  imports: [DiscoveryModule, UsersModule, AuthModule, AccessModule, MailModule],
  controllers: [MyDataController, AdminUserDataController],
  providers: [
    PersonalDataExportRepository,
    PersonalDataSources,
    PersonalDataExports,
    AccountErasure,
    PrivacyMails,
  ],
})
export class PrivacyModule {}
