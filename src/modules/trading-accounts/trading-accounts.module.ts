import { Module } from '@nestjs/common';
import { MailModule } from '../mail/mail.module';
import { UsersModule } from '../users/users.module';
import { ExpiryNotices } from './expiry-notices';
import { KiteBroker } from './kite-broker';
import { TradingAccountDirectory } from './trading-account-directory';
import { TradingAccountMembers } from './trading-account-members.service';
import { TradingAccountSessions } from './trading-account-sessions.service';
import { TradingAccountSync } from './trading-account-sync';
import { TradingAccountVault } from './trading-account-vault';
import { TradingAccountsController } from './trading-accounts.controller';
import { TradingAccountsRepository } from './trading-accounts.repository';
import { TradingAccountsService } from './trading-accounts.service';

/**
 * Trading accounts: Kite Connect links, the vault of their credentials, sharing, broker
 * sessions for sibling services, sync and expiry. It gives the decision point the attributes of
 * `trading_account` resources (TradingAccountDirectory, registered with the ResourceDirectory of
 * the global authz module).
 */
@Module({
  imports: [UsersModule, MailModule],
  controllers: [TradingAccountsController],
  providers: [
    TradingAccountsRepository,
    TradingAccountVault,
    KiteBroker,
    TradingAccountsService,
    TradingAccountMembers,
    TradingAccountSessions,
    TradingAccountSync,
    TradingAccountDirectory,
    ExpiryNotices,
  ],
  exports: [TradingAccountsService],
})
export class TradingAccountsModule {}
