import { Inject, Injectable } from '@nestjs/common';
import { EnvelopeCipher } from '../../common/crypto/envelope-cipher';
import { FieldVault } from '../../common/crypto/field-vault';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { BrokerApp } from './kite-broker';
import { CredentialField } from './trading-account-credential.entity';
import { BrokerAppKind } from './trading-account.entity';
import { TradingAccountsRepository } from './trading-accounts.repository';

/** The FieldVault purposes of accounts' credentials and of links' own apps. */
export const ACCOUNT_CREDENTIALS_PURPOSE = 'trading_accounts';
export const LINK_CREDENTIALS_PURPOSE = 'trading_account_links';

/** A usable broker session of an account: its app and access token. Never logged or returned to users. */
export interface AccountSession {
  app: BrokerApp;
  accessToken: string;
}

/**
 * The broker credentials of accounts, sealed field by field (bound to the account and the
 * field), and of links in progress (a user's own app, bound to the link).
 */
@Injectable()
export class TradingAccountVault {
  private readonly accounts: FieldVault;
  readonly links: FieldVault;

  constructor(
    cipher: EnvelopeCipher,
    private readonly repository: TradingAccountsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.accounts = new FieldVault(cipher, ACCOUNT_CREDENTIALS_PURPOSE);
    this.links = new FieldVault(cipher, LINK_CREDENTIALS_PURPOSE);
  }

  /** Replaces the account's credentials: its session, and its app when it is the owner's own. */
  async store(
    accountId: string,
    values: { accessToken: string; publicToken: string; ownApp: BrokerApp | null },
  ): Promise<void> {
    const plain: [CredentialField, string][] = [
      ['access_token', values.accessToken],
      ['public_token', values.publicToken],
    ];
    if (values.ownApp) {
      plain.push(['api_key', values.ownApp.apiKey], ['api_secret', values.ownApp.apiSecret]);
    }
    await this.repository.replaceCredentials(
      accountId,
      plain.map(([field, value]) => ({ field, ...this.accounts.seal(accountId, field, value) })),
    );
  }

  /** The account's app: the owner's own (from the vault) or the platform's. */
  async app(accountId: string, kind: BrokerAppKind): Promise<BrokerApp> {
    if (kind === 'platform') return this.platformApp();
    const sealed = await this.repository.sealedCredentials(accountId, ['api_key', 'api_secret']);
    return {
      apiKey: this.open(accountId, 'api_key', sealed.get('api_key')),
      apiSecret: this.open(accountId, 'api_secret', sealed.get('api_secret')),
    };
  }

  async session(accountId: string, kind: BrokerAppKind): Promise<AccountSession> {
    const sealed = await this.repository.sealedCredentials(accountId, ['access_token']);
    return {
      app: await this.app(accountId, kind),
      accessToken: this.open(accountId, 'access_token', sealed.get('access_token')),
    };
  }

  platformApp(): BrokerApp {
    const app = this.config.tradingAccounts.kite.platformApp;
    if (!app) throw new Error('no platform Kite Connect app is configured');
    return app;
  }

  private open(accountId: string, field: CredentialField, envelope: string | undefined): string {
    if (envelope === undefined) throw new Error(`the account has no ${field} in the vault`);
    return this.accounts.open(accountId, field, envelope);
  }
}
