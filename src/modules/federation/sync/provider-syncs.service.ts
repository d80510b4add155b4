import { Injectable, Logger } from '@nestjs/common';
import type { Job } from 'pg-boss';
import { Actor } from '../../../common/auth/actor';
import { DomainError } from '../../../common/errors/domain-error';
import { CommonErrorCode, FederationErrorCode } from '../../../common/errors/error-code';
import { Transactions } from '../../../database/transactions';
import { DomainEvents } from '../../events/domain-events.service';
import {
  errorMessage,
  JobHandler,
  JobOutcome,
  settleEach,
} from '../../events/jobs/job-handler.decorator';
import { JobQueue } from '../../events/jobs/job-queue.service';
import { UsersService } from '../../users/users.service';
import { IdentityProvidersRepository, ProviderWithSecrets } from '../identity-providers.repository';
import { LinkedIdentitiesRepository } from '../linked-identities.repository';
import { isTransient, ManagementApiError } from './management-api';
import { ManagementApis } from './management-apis';
import { ProviderSyncRepository } from './provider-sync.repository';
import { ProviderUserSync, SyncOutcome } from './provider-user-sync';
import { SyncMetrics } from './sync-metrics';
import { SyncRun } from './sync-run.entity';

export const SYNC_RUN_QUEUE = 'federation.sync-run';

interface SyncRunJob {
  run_id: string;
}

export interface UserSyncResult {
  identityId: string;
  providerId: string;
  outcome: SyncOutcome;
}

function unavailable(): DomainError {
  return new DomainError(
    FederationErrorCode.ProviderUnavailable,
    "The identity provider's management API could not be reached or failed; try again later.",
  );
}

/**
 * Syncs asked for by administrators: every linked user of a provider (a job that reads the
 * provider's users page by page, following its pagination and waiting out its rate limits,
 * saving where it got to after each page so that a restart resumes there), or one user's linked
 * identities at once. Each request is an `identity_provider.sync_requested` event, and so an
 * audit row; each change it makes is the users module's event.
 */
@Injectable()
export class ProviderSyncs {
  private readonly logger = new Logger(ProviderSyncs.name);

  constructor(
    private readonly providers: IdentityProvidersRepository,
    private readonly identities: LinkedIdentitiesRepository,
    private readonly repository: ProviderSyncRepository,
    private readonly apis: ManagementApis,
    private readonly userSync: ProviderUserSync,
    private readonly users: UsersService,
    private readonly metrics: SyncMetrics,
    private readonly events: DomainEvents,
    private readonly jobs: JobQueue,
    private readonly transactions: Transactions,
  ) {}

  /**
   * Starts a full sync of the provider, or answers the one running (asking its job again, so
   * that a run whose job was lost goes on). `started` tells which.
   */
  async start(providerId: string, actor: Actor): Promise<{ run: SyncRun; started: boolean }> {
    const provider = await this.providers.findWithSecrets({ id: providerId });
    if (!provider) throw new DomainError(CommonErrorCode.NotFound, 'No such identity provider.');
    this.apis.of(provider);
    return this.transactions.run(async () => {
      const created = await this.repository.startRun(provider.id);
      const run = created ?? (await this.repository.findRunning(provider.id));
      if (!run) throw new Error('a running sync vanished');
      await this.jobs.send(SYNC_RUN_QUEUE, { run_id: run.id } satisfies SyncRunJob, {
        singletonKey: run.id,
      });
      if (created) {
        await this.events.emit(
          'identity_provider.sync_requested',
          { provider_id: provider.id, run_id: run.id, user_id: null },
          { actor },
        );
      }
      return { run, started: created !== null };
    });
  }

  async get(providerId: string, runId: string): Promise<SyncRun> {
    const run = await this.repository.findRun(providerId, runId);
    if (!run) throw new DomainError(CommonErrorCode.NotFound, 'No such sync.');
    return run;
  }

  /** Brings one user's linked identities to the providers' current state, now. */
  async syncUser(userId: string, actor: Actor): Promise<UserSyncResult[]> {
    if (!(await this.users.findById(userId))) {
      throw new DomainError(CommonErrorCode.NotFound, 'The user does not exist.');
    }
    const identities = await this.identities.listOfUserForSync(userId);
    if (identities.length === 0) {
      throw new DomainError(
        FederationErrorCode.SyncNotConfigured,
        'The user has no identity at a provider with a management API.',
      );
    }
    const results: UserSyncResult[] = [];
    for (const identity of identities) {
      const provider = (await this.providers.findWithSecrets({ id: identity.providerId }))!;
      let remote;
      try {
        remote = await this.apis.of(provider).getUser(identity.subject);
      } catch (error) {
        if (isTransient(error) || error instanceof ManagementApiError) throw unavailable();
        throw error;
      }
      const outcome = await this.transactions.run(async () => {
        await this.events.emit(
          'identity_provider.sync_requested',
          { provider_id: provider.id, run_id: null, user_id: userId },
          { actor },
        );
        return this.userSync.apply(
          provider,
          remote ?? {
            id: identity.subject,
            status: 'deactivated',
            updatedAt: new Date(),
            claims: {},
          },
        );
      });
      if (outcome === 'updated') this.metrics.userSynced(provider.kind, 'user');
      results.push({ identityId: identity.id, providerId: provider.id, outcome });
    }
    return results;
  }

  @JobHandler({
    name: SYNC_RUN_QUEUE,
    retryLimit: 10,
    retryDelaySeconds: 10,
    retryBackoff: true,
    retryDelayMaxSeconds: 600,
    expireInSeconds: 3600,
  })
  async work(jobs: Job<SyncRunJob>[]): Promise<JobOutcome[]> {
    return settleEach(jobs, (job) => this.run(job.data.run_id));
  }

  /**
   * Works a run from where it got to. A provider down or rate limiting past patience fails the
   * job (retried later, resuming at the saved page); any other failure ends the run as failed.
   */
  async run(runId: string): Promise<void> {
    const run = await this.transactions.run(() => this.repository.findRunForUpdate(runId));
    if (!run || run.status !== 'running') return;
    const provider = await this.providers.findWithSecrets({ id: run.providerId });
    if (!provider) return;
    try {
      await this.pages(provider, run);
    } catch (error) {
      if (isTransient(error)) throw error;
      this.logger.warn({ provider: provider.slug, reason: errorMessage(error) }, 'Sync failed');
      await this.repository.finishRun(runId, 'failed', errorMessage(error).slice(0, 300));
    }
  }

  private async pages(provider: ProviderWithSecrets, run: SyncRun): Promise<void> {
    const api = this.apis.of(provider);
    let cursor = run.cursor;
    for (;;) {
      const page = await api.listUsers(cursor);
      // The page's changes and where the next page is commit together: a restart resumes at
      // the first page not applied.
      const updated = await this.transactions.run(async () => {
        const outcomes = await this.userSync.applyAll(provider, page.users);
        const count = [...outcomes.values()].filter((outcome) => outcome === 'updated').length;
        await this.repository.recordPage(run.id, page.next, page.users.length, count);
        if (!page.next) await this.repository.finishRun(run.id, 'completed', null);
        return count;
      });
      this.metrics.userSynced(provider.kind, 'full', updated);
      if (!page.next) return;
      cursor = page.next;
    }
  }
}
