import { Inject, Injectable, Logger } from '@nestjs/common';
import { Actor } from '../../common/auth/actor';
import { ClientInfo } from '../../common/auth/client-info';
import { EnvelopeCipher } from '../../common/crypto/envelope-cipher';
import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode, TradingAccountsErrorCode } from '../../common/errors/error-code';
import { uuidV7 } from '../../common/ids/uuid-v7';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transactions';
import { DomainEvents } from '../events/domain-events.service';
import { PersonalData } from '../privacy/personal-data.decorator';
import { BrokerApp, BrokerError, BrokerSession, KiteBroker } from './kite-broker';
import { LinkBrowserBinding } from './link-browser-binding';
import { LinkState } from './link-state';
import { kiteTokenExpiry } from './token-expiry';
import { TradingAccount } from './trading-account.entity';
import { TradingAccountVault } from './trading-account-vault';
import { AccountWithRole, TradingAccountsRepository } from './trading-accounts.repository';

export interface StartedLink {
  id: string;
  loginUrl: string;
  state: string;
  expiresAt: Date;
  /** For the starting browser's cookie: the redirect completes the link only where it is. */
  browserNonce: string;
}

export interface LinkCallback {
  state: string;
  requestToken: string;
  status: string;
}

/**
 * Whoever completes a link: the signed-in user (JSON form), or the browser back from the broker
 * with its cookies, which must hold the link's nonce (LinkBrowserBinding).
 */
export type LinkCompleter =
  { kind: 'user'; userId: string } | { kind: 'browser'; cookies: string | undefined };

/** The one refusal for a state that is not good for this caller, whatever the reason. */
function invalidState(): DomainError {
  return new DomainError(
    TradingAccountsErrorCode.InvalidLinkState,
    'The link state is invalid, expired or already used; start linking again.',
    { errors: [{ field: 'state', message: 'is invalid, expired or already used' }] },
  );
}

function notFound(): DomainError {
  return new DomainError(CommonErrorCode.NotFound, 'No such trading account.');
}

/** What the caller hears of a broker failure: never the broker's message (it may echo input). */
export function brokerProblem(error: BrokerError): DomainError {
  switch (error.failure) {
    case 'token':
    case 'input':
    case 'permission':
      return new DomainError(
        TradingAccountsErrorCode.BrokerTokenRejected,
        'The broker refused the login (the request token is invalid, expired or already used); start linking again.',
        { errors: [{ field: 'request_token', message: 'was refused by the broker' }] },
      );
    case 'rate_limited':
      return new DomainError(
        CommonErrorCode.DependencyUnavailable,
        'The broker is limiting requests; try again shortly.',
        { retryAfterSeconds: 1 },
      );
    case 'unavailable':
    case 'malformed':
      return new DomainError(
        CommonErrorCode.DependencyUnavailable,
        'The broker is unavailable; try again later.',
      );
  }
}

/**
 * Broker accounts linked through Kite Connect: linking (the login URL with a signed, expiring,
 * single-use state; the request token exchanged with its checksum), reading, renaming,
 * unlinking. Outbound calls to the broker are made outside any transaction.
 */
@Injectable()
export class TradingAccountsService {
  private readonly logger = new Logger(TradingAccountsService.name);
  private readonly linkState: LinkState;

  constructor(
    private readonly repository: TradingAccountsRepository,
    private readonly vault: TradingAccountVault,
    private readonly broker: KiteBroker,
    private readonly events: DomainEvents,
    private readonly transactions: Transactions,
    cipher: EnvelopeCipher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.linkState = new LinkState(cipher);
  }

  /** Starts a link with the platform's app, or with the user's own when given. */
  async startLink(userId: string, ownApp: BrokerApp | null): Promise<StartedLink> {
    if (!ownApp && !this.config.tradingAccounts.kite.platformApp) {
      throw new DomainError(
        CommonErrorCode.ValidationFailed,
        'No platform Kite Connect app is configured: give the api_key and api_secret of your own.',
        { errors: [{ field: 'api_key', message: 'is required (no platform app is configured)' }] },
      );
    }
    const id = uuidV7();
    const expiresAt = new Date(Date.now() + this.config.tradingAccounts.linkTtlSeconds * 1000);
    await this.repository.insertLink({
      id,
      userId,
      app: ownApp ? 'own' : 'platform',
      apiKeySealed: ownApp ? this.vault.links.seal(id, 'api_key', ownApp.apiKey).envelope : null,
      apiSecretSealed: ownApp
        ? this.vault.links.seal(id, 'api_secret', ownApp.apiSecret).envelope
        : null,
      expiresAt,
    });
    const { nonce, binding } = LinkBrowserBinding.create();
    const state = this.linkState.sign(id, expiresAt, binding);
    const apiKey = ownApp?.apiKey ?? this.vault.platformApp().apiKey;
    const loginUrl = new URL(this.config.tradingAccounts.kite.loginUrl);
    loginUrl.searchParams.set('v', '3');
    loginUrl.searchParams.set('api_key', apiKey);
    loginUrl.searchParams.set('redirect_params', new URLSearchParams({ state }).toString());
    return { id, loginUrl: loginUrl.toString(), state, expiresAt, browserNonce: nonce };
  }

  /**
   * Completes a link: the state is checked and spent (once, and only by the user who started
   * it when a user completes it), the request token exchanged, and the account created, or
   * updated when this broker user was linked before.
   */
  async completeLink(
    callback: LinkCallback,
    completer: LinkCompleter,
    client: ClientInfo,
  ): Promise<AccountWithRole> {
    const now = new Date();
    const verified = this.linkState.verify(callback.state, now);
    if (!verified) throw invalidState();
    const { linkId, browserBinding } = verified;
    // Before the state is spent: the browser that started the link can still complete it.
    if (
      completer.kind === 'browser' &&
      !LinkBrowserBinding.matches(completer.cookies, linkId, browserBinding)
    ) {
      throw new DomainError(
        TradingAccountsErrorCode.LinkStartedElsewhere,
        'This link was started in another browser (or its cookie is gone): finish it there, or start linking again here.',
      );
    }
    const link = await this.transactions.run(async () => {
      const consumed = await this.repository.consumeLink(linkId, now);
      // Thrown inside the transaction: a state presented by another user stays usable.
      if (!consumed || (completer.kind === 'user' && consumed.userId !== completer.userId)) {
        throw invalidState();
      }
      return consumed;
    });
    if (callback.status !== 'success') {
      throw new DomainError(
        TradingAccountsErrorCode.BrokerTokenRejected,
        'The broker login did not succeed; start linking again.',
        { errors: [{ field: 'status', message: 'is not success' }] },
      );
    }
    const ownApp =
      link.app === 'own'
        ? {
            apiKey: this.vault.links.open(link.id, 'api_key', link.apiKeySealed!),
            apiSecret: this.vault.links.open(link.id, 'api_secret', link.apiSecretSealed!),
          }
        : null;
    const app = ownApp ?? this.vault.platformApp();
    let session: BrokerSession;
    try {
      session = await this.broker.exchange(app, callback.requestToken);
    } catch (error) {
      if (error instanceof BrokerError) {
        this.logger.warn(`Request token exchange failed: ${error.message}`);
        throw brokerProblem(error);
      }
      throw error;
    }
    const actor: Actor = { type: 'user', id: link.userId, requestId: null, ip: client.ip };
    try {
      return await this.saveLinked(link.userId, link.app, ownApp, session, actor, client);
    } catch (error) {
      if (error instanceof DomainError) await this.invalidateQuietly(app, session.accessToken);
      throw error;
    }
  }

  private saveLinked(
    ownerId: string,
    appKind: TradingAccount['app'],
    ownApp: BrokerApp | null,
    session: BrokerSession,
    actor: Actor,
    client: ClientInfo,
  ): Promise<AccountWithRole> {
    const at = new Date();
    const tokenExpiresAt = kiteTokenExpiry(at);
    const fields = {
      ownerId,
      broker: 'zerodha' as const,
      brokerUserId: session.brokerUserId,
      app: appKind,
      displayName: `Zerodha ${session.brokerUserId}`,
      profile: session.profile,
      tokenExpiresAt,
      at,
    };
    return this.transactions.run(async () => {
      const { account, created } = await this.repository.lockOrCreate(fields);
      if (account.ownerId !== ownerId) {
        throw new DomainError(
          TradingAccountsErrorCode.BrokerAccountLinkedElsewhere,
          'This broker account is linked to another account here; its owner must unlink it first.',
        );
      }
      if (!created) await this.repository.relink(account.id, fields);
      await this.vault.store(account.id, {
        accessToken: session.accessToken,
        publicToken: session.publicToken,
        ownApp,
      });
      await this.events.emit(
        'trading_account.linked',
        {
          account_id: account.id,
          user_id: ownerId,
          broker: 'zerodha',
          broker_user_id: session.brokerUserId,
          relinked: !created,
          token_expires_at: tokenExpiresAt.toISOString(),
        },
        { actor, client },
      );
      return { account: (await this.repository.findById(account.id))!, role: 'owner' as const };
    });
  }

  @PersonalData({
    file: 'trading-accounts.json',
    describes:
      'The broker accounts you linked (broker user id, name, broker profile, status, times) and your memberships of accounts shared with you; never a broker credential.',
  })
  async personalData(userId: string): Promise<unknown> {
    const { owned, memberships } = await this.repository.personalDataOf(userId);
    return {
      owned: owned.map((account) => ({
        id: account.id,
        broker: account.broker,
        broker_user_id: account.brokerUserId,
        display_name: account.displayName,
        status: account.status,
        profile: account.profile,
        token_expires_at: account.tokenExpiresAt.toISOString(),
        linked_at: account.linkedAt.toISOString(),
        synced_at: account.syncedAt.toISOString(),
      })),
      memberships: memberships.map((member) => ({
        account_id: member.accountId,
        role: member.role,
        status: member.status,
        created_at: member.createdAt.toISOString(),
        accepted_at: member.acceptedAt?.toISOString() ?? null,
      })),
    };
  }

  list(userId: string, afterId: string | null, limit: number): Promise<AccountWithRole[]> {
    return this.repository.listVisible(userId, afterId, limit);
  }

  /** The account if the user owns it or is an active member; 404 otherwise, alike. */
  async get(userId: string, id: string): Promise<AccountWithRole> {
    const found = await this.repository.visibleTo(id, userId);
    if (!found) throw notFound();
    return found;
  }

  /** Renames the account (owner or manager). */
  async rename(
    userId: string,
    id: string,
    displayName: string,
    actor: Actor,
  ): Promise<AccountWithRole> {
    return this.transactions.run(async () => {
      const found = await this.manageable(userId, id);
      const before = found.account.displayName;
      if (before !== displayName) {
        await this.repository.updateDisplayName(id, displayName);
        await this.events.emit(
          'trading_account.updated',
          {
            account_id: id,
            user_id: found.account.ownerId,
            changes: { before: { display_name: before }, after: { display_name: displayName } },
          },
          { actor },
        );
      }
      return { account: (await this.repository.findById(id))!, role: found.role };
    });
  }

  /**
   * Unlinks the account (owner only): the broker is asked to end the session, then the account
   * and its credentials are deleted whatever the broker answered (it may be down; the session
   * then ends at its daily expiry).
   */
  async unlink(userId: string, id: string, actor: Actor): Promise<void> {
    const found = await this.repository.visibleTo(id, userId);
    if (!found || found.role !== 'owner') throw notFound();
    let invalidated = false;
    if (found.account.status === 'active') {
      const session = await this.vault.session(id, found.account.app);
      invalidated = await this.invalidateQuietly(session.app, session.accessToken);
    }
    await this.transactions.run(async () => {
      const account = await this.repository.lockById(id);
      if (!account || account.ownerId !== userId) throw notFound();
      await this.repository.delete(id);
      await this.events.emit(
        'trading_account.unlinked',
        {
          account_id: id,
          user_id: userId,
          broker: account.broker,
          broker_session_invalidated: invalidated,
        },
        { actor },
      );
    });
  }

  /** The account when the user owns or manages it: 404 to a stranger, 403 to another member. */
  async manageable(userId: string, id: string): Promise<AccountWithRole> {
    const found = await this.repository.visibleTo(id, userId);
    if (!found) throw notFound();
    if (found.role !== 'owner' && found.role !== 'manager') {
      throw new DomainError(
        CommonErrorCode.Forbidden,
        'Only the owner or a manager of the account may do this.',
      );
    }
    return found;
  }

  /** Ends a broker session; whether the broker confirmed. Logs a failure, never the token. */
  private async invalidateQuietly(app: BrokerApp, accessToken: string): Promise<boolean> {
    try {
      await this.broker.invalidate(app, accessToken);
      return true;
    } catch (error) {
      if (!(error instanceof BrokerError)) throw error;
      this.logger.warn(`Could not end a broker session: ${error.message}`);
      return false;
    }
  }
}
