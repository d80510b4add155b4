import { Injectable, Logger } from '@nestjs/common';
import type { Job } from 'pg-boss';
import { Actor, systemActor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { TradingAccountsErrorCode } from '../../common/errors/error-code';
import { Transactions } from '../../database/transactions';
import { DomainEvents } from '../events/domain-events.service';
import { CATCH_UP_JOB, JobHandler, JobOutcome } from '../events/jobs/job-handler.decorator';
import { BrokerError, KiteBroker } from './kite-broker';
import { TradingAccount } from './trading-account.entity';
import { TradingAccountVault } from './trading-account-vault';
import { TradingAccountsRepository } from './trading-accounts.repository';
import { brokerProblem } from './trading-accounts.service';

export const SYNC_QUEUE = 'trading_accounts.sync';
/** An active account's profile is read again once it is this old. */
const SYNC_EVERY_MS = 60 * 60 * 1000;
const BATCH = 100;

type SyncOutcome = 'synced' | 'expired' | 'refused' | 'unavailable';

/**
 * Keeps accounts in step with the broker: every account whose session passed its daily expiry
 * is marked `expired`; active accounts are read again (`/user/profile`, `/user/margins`) once
 * an hour, at Kite's rate per app (the broker's pace, shared with links and unlinks), trying a
 * call again on a 429. A TokenException marks the account expired
 * (the owner is mailed to link again); a PermissionException `revoked`; nonsense `error`.
 */
@Injectable()
export class TradingAccountSync {
  private readonly logger = new Logger(TradingAccountSync.name);

  constructor(
    private readonly repository: TradingAccountsRepository,
    private readonly vault: TradingAccountVault,
    private readonly broker: KiteBroker,
    private readonly events: DomainEvents,
    private readonly transactions: Transactions,
  ) {}

  @JobHandler({ name: SYNC_QUEUE, ...CATCH_UP_JOB, cron: '*/5 * * * *' })
  async run(jobs: Job<object>[]): Promise<JobOutcome[]> {
    await this.expireDue(new Date());
    const due = await this.repository.dueForSync(new Date(Date.now() - SYNC_EVERY_MS), BATCH);
    for (const id of due) {
      const account = await this.repository.findById(id);
      if (!account || account.status !== 'active') continue;
      // The broker is down: the rest waits for the next run.
      if ((await this.syncAccount(account, systemActor('sync'))) === 'unavailable') break;
    }
    return jobs.map((job) => ({ id: job.id, status: 'completed' }));
  }

  /** Marks the accounts whose session ended by the clock; how many. */
  async expireDue(now: Date): Promise<number> {
    let count = 0;
    for (;;) {
      const expired = await this.transactions.run(async () => {
        const accounts = await this.repository.lockExpiredSessions(now, BATCH);
        for (const account of accounts) await this.markExpired(account, systemActor('sync'));
        return accounts.length;
      });
      count += expired;
      if (expired < BATCH) return count;
    }
  }

  /** An on-demand sync by the owner or a manager: the refusal tells them what to do. */
  async syncNow(account: TradingAccount, actor: Actor): Promise<void> {
    const outcome = await this.syncAccount(account, actor, { throwOnFailure: true });
    if (outcome === 'expired' || outcome === 'refused') {
      throw new DomainError(
        TradingAccountsErrorCode.TradingAccountInactive,
        'The broker no longer accepts this account’s session; link it again.',
      );
    }
  }

  private async syncAccount(
    account: TradingAccount,
    actor: Actor,
    { throwOnFailure } = { throwOnFailure: false },
  ): Promise<SyncOutcome> {
    const session = await this.vault.session(account.id, account.app);
    for (let attempt = 0; ; attempt++) {
      try {
        const profile = await this.broker.profile(session.app, session.accessToken);
        const at = new Date();
        await this.transactions.run(async () => {
          await this.repository.saveSync(account.id, profile, at);
          await this.events.emit(
            'trading_account.profile_synced',
            { account_id: account.id, user_id: account.ownerId, synced_at: at.toISOString() },
            { actor },
          );
        });
        return 'synced';
      } catch (error) {
        if (!(error instanceof BrokerError)) throw error;
        if (error.failure === 'rate_limited' && attempt < 3) continue;
        return this.failed(account, error, actor, throwOnFailure);
      }
    }
  }

  private async failed(
    account: TradingAccount,
    error: BrokerError,
    actor: Actor,
    throwOnFailure: boolean,
  ): Promise<SyncOutcome> {
    this.logger.warn(`Sync of a trading account failed: ${error.message}`);
    if (error.failure === 'rate_limited' || error.failure === 'unavailable') {
      if (throwOnFailure) throw brokerProblem(error);
      return 'unavailable';
    }
    await this.transactions.run(async () => {
      const locked = await this.repository.lockById(account.id);
      if (!locked || locked.status !== 'active') return;
      if (error.failure === 'token') return this.markExpired(locked, actor);
      const status = error.failure === 'permission' ? 'revoked' : 'error';
      const reason = error.message.slice(0, 200);
      await this.repository.setStatus(account.id, status, reason);
      await this.events.emit(
        'trading_account.status_changed',
        { account_id: account.id, user_id: account.ownerId, status, reason },
        { actor },
      );
    });
    return error.failure === 'token' ? 'expired' : 'refused';
  }

  private async markExpired(account: TradingAccount, actor: Actor): Promise<void> {
    await this.repository.setStatus(account.id, 'expired', null);
    await this.events.emit(
      'trading_account.expired',
      { account_id: account.id, user_id: account.ownerId, expired_at: new Date().toISOString() },
      { actor },
    );
  }
}
