import { Inject, Injectable } from '@nestjs/common';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode, TradingAccountsErrorCode } from '../../common/errors/error-code';
import { RateLimiter } from '../../common/throttle/rate-limiter.service';
import { tooManyAttempts } from '../../common/throttle/too-many-attempts';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transactions';
import { AuthzService } from '../authz/authz.service';
import { DomainEvents } from '../events/domain-events.service';
import { TRADING_ACCOUNT_RESOURCE } from './trading-account-directory';
import { TradingAccountVault } from './trading-account-vault';
import { TradingAccountsRepository } from './trading-accounts.repository';

/** A broker session handed to a sibling service. */
export interface IssuedBrokerSession {
  accountId: string;
  broker: string;
  brokerUserId: string;
  apiKey: string;
  accessToken: string;
  expiresAt: Date;
}

/**
 * Broker sessions for sibling services that place orders for a user: answered only when the
 * decision point allows that user `trading_account:trade` on the account (so administrators'
 * policies apply), rate-limited per service, and every one audited (`session_issued`).
 */
@Injectable()
export class TradingAccountSessions {
  constructor(
    private readonly repository: TradingAccountsRepository,
    private readonly vault: TradingAccountVault,
    private readonly authz: AuthzService,
    private readonly events: DomainEvents,
    private readonly transactions: Transactions,
    private readonly limiter: RateLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async issue(accountId: string, userId: string, actor: Actor): Promise<IssuedBrokerSession> {
    const limit = await this.limiter.consume(
      `trading-session:${actor.id}`,
      this.config.tradingAccounts.sessionFetchesPerMinute,
      60,
    );
    if (!limit.allowed) {
      throw tooManyAttempts(limit.retryAfterSeconds, 'Too many broker session fetches; slow down.');
    }
    const account = await this.repository.findById(accountId);
    if (!account) throw new DomainError(CommonErrorCode.NotFound, 'No such trading account.');
    if (account.status !== 'active' || account.tokenExpiresAt.getTime() <= Date.now()) {
      throw new DomainError(
        TradingAccountsErrorCode.TradingAccountInactive,
        `The account's broker session is not usable (${account.status === 'active' ? 'expired' : account.status}); its owner must link it again.`,
      );
    }
    const decision = await this.authz.check(
      {
        subject: { type: 'user', id: userId },
        action: 'trading_account:trade',
        resource: { type: TRADING_ACCOUNT_RESOURCE, id: accountId },
      },
      false,
    );
    if (!decision.allowed) {
      throw new DomainError(CommonErrorCode.Forbidden, 'The user may not trade on this account.', {
        extensions: { decision_id: decision.decision_id },
      });
    }
    const session = await this.vault.session(account.id, account.app);
    await this.transactions.run(() =>
      this.events.emit(
        'trading_account.session_issued',
        { account_id: account.id, user_id: userId, client_id: actor.id ?? 'unknown' },
        { actor },
      ),
    );
    return {
      accountId: account.id,
      broker: account.broker,
      brokerUserId: account.brokerUserId,
      apiKey: session.app.apiKey,
      accessToken: session.accessToken,
      expiresAt: account.tokenExpiresAt,
    };
  }
}
