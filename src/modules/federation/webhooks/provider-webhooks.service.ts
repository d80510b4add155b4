import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import type { Job } from 'pg-boss';
import { DomainError } from '../../../common/errors/domain-error';
import { CommonErrorCode, FederationErrorCode } from '../../../common/errors/error-code';
import { Transactions } from '../../../database/transactions';
import { JobHandler, JobOutcome, settleEach } from '../../events/jobs/job-handler.decorator';
import { JobQueue } from '../../events/jobs/job-queue.service';
import { ProviderKind } from '../identity-provider.entity';
import { IdentityProvidersRepository, ProviderWithSecrets } from '../identity-providers.repository';
import { LinkedIdentitiesRepository } from '../linked-identities.repository';
import { ProviderSecrets } from '../provider-secrets';
import { ManagementApis } from '../sync/management-apis';
import { ProviderSyncRepository } from '../sync/provider-sync.repository';
import { ProviderUserSync } from '../sync/provider-user-sync';
import { SyncMetrics } from '../sync/sync-metrics';
import { asgardeoEvents, oktaEvents, ReceivedEvent } from './provider-event-payloads';

export const PROVIDER_EVENT_QUEUE = 'federation.provider-event';

interface ProviderEventJob {
  event_id: string;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Constant-time equality of two strings of any lengths (their digests are compared). */
function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

function refused(): DomainError {
  return new DomainError(
    FederationErrorCode.InvalidWebhookSignature,
    'The webhook authorization or signature is missing or wrong.',
  );
}

/**
 * Inbound webhooks of identity providers. A delivery is authenticated (Okta: the configured
 * `Authorization` value; Asgardeo: the HMAC-SHA256 of the raw body), its user events stored
 * once each (by provider and event id: a replay stores nothing) with a job for each, in one
 * transaction, and acknowledged: nothing is processed while the provider waits. The job re-reads
 * the user from the provider's management API, so that it applies the provider's current state
 * whatever order events come in, and brings the linked account to it (ProviderUserSync). A
 * provider that is down fails the job, which is retried with backoff.
 */
@Injectable()
export class ProviderWebhooks {
  private readonly logger = new Logger(ProviderWebhooks.name);

  constructor(
    private readonly providers: IdentityProvidersRepository,
    private readonly identities: LinkedIdentitiesRepository,
    private readonly repository: ProviderSyncRepository,
    private readonly secrets: ProviderSecrets,
    private readonly apis: ManagementApis,
    private readonly userSync: ProviderUserSync,
    private readonly metrics: SyncMetrics,
    private readonly jobs: JobQueue,
    private readonly transactions: Transactions,
  ) {}

  /** Okta's one-time verification: the challenge echoed, once the authorization is right. */
  async verifyOkta(slug: string, authorization: string | undefined): Promise<void> {
    const provider = await this.provider(slug, 'okta');
    this.checkOktaAuthorization(provider, authorization);
  }

  /** An Okta event hook delivery; returns how many events were new. */
  async receiveOkta(
    slug: string,
    authorization: string | undefined,
    body: unknown,
  ): Promise<number> {
    const provider = await this.provider(slug, 'okta');
    this.checkOktaAuthorization(provider, authorization);
    return this.store(provider, oktaEvents(body));
  }

  /** WebSub (un)subscription verification: only for an Asgardeo provider that exists. */
  async verifyAsgardeo(slug: string): Promise<void> {
    await this.provider(slug, 'asgardeo');
  }

  /** An Asgardeo (or WSO2 IS) event delivery; returns how many events were new. */
  async receiveAsgardeo(
    slug: string,
    signature: string | undefined,
    rawBody: string | undefined,
    body: unknown,
  ): Promise<number> {
    const provider = await this.provider(slug, 'asgardeo');
    if (!provider.webhookSecretSealed || !signature || rawBody === undefined) throw refused();
    const secret = this.secrets.open(provider.id, 'webhook_secret', provider.webhookSecretSealed);
    const expected = `sha256=${createHmac('sha256', secret).update(rawBody, 'utf8').digest('hex')}`;
    if (!sameSecret(signature.trim().toLowerCase(), expected)) throw refused();
    return this.store(provider, asgardeoEvents(body));
  }

  @JobHandler({
    name: PROVIDER_EVENT_QUEUE,
    retryLimit: 8,
    retryDelaySeconds: 5,
    retryBackoff: true,
    retryDelayMaxSeconds: 600,
    expireInSeconds: 300,
    batchSize: 20,
  })
  async work(jobs: Job<ProviderEventJob>[]): Promise<JobOutcome[]> {
    return settleEach(jobs, (job) => this.process(job.data.event_id));
  }

  /** Processes one stored event; an event processed before is left alone (a replayed job). */
  async process(eventId: string): Promise<void> {
    const event = await this.repository.findEvent(eventId);
    if (!event || event.processedAt) return;
    const provider = await this.providers.findWithSecrets({ id: event.providerId });
    if (!provider) return;
    const finish = async (outcome: string) => {
      const done = await this.transactions.run(async () => {
        const locked = await this.repository.findEventForUpdate(eventId);
        if (!locked || locked.processedAt) return false;
        await this.repository.markProcessed(eventId, outcome, new Date());
        return true;
      });
      if (done)
        this.metrics.eventProcessed(provider.kind, outcome, event.occurredAt, event.receivedAt);
    };
    const linked = await this.identities.linkedSubjects(provider.id, [event.subject]);
    if (linked.size === 0) return finish('not_linked');
    if (!provider.managementApiKind) return finish('sync_not_configured');
    const remote = await this.apis.of(provider).getUser(event.subject);
    const outcome = await this.userSync.apply(
      provider,
      remote ?? {
        // Deleted at the provider: deactivated here, as of the event.
        id: event.subject,
        status: 'deactivated',
        updatedAt: event.occurredAt,
        claims: {},
      },
    );
    if (outcome === 'updated') this.metrics.userSynced(provider.kind, 'webhook');
    await finish(outcome);
  }

  private async store(provider: ProviderWithSecrets, events: ReceivedEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    return this.transactions.run(async () => {
      const ids = await this.repository.insertEvents(
        events.map((event) => ({ providerId: provider.id, ...event })),
      );
      await this.jobs.sendMany(
        PROVIDER_EVENT_QUEUE,
        ids.map((id) => ({ data: { event_id: id } satisfies ProviderEventJob })),
      );
      if (ids.length < events.length) {
        this.logger.log(
          { provider: provider.slug, replayed: events.length - ids.length },
          'Provider webhook events already received',
        );
      }
      return ids.length;
    });
  }

  private checkOktaAuthorization(provider: ProviderWithSecrets, given: string | undefined): void {
    if (!provider.webhookSecretSealed || !given) throw refused();
    const expected = this.secrets.open(provider.id, 'webhook_secret', provider.webhookSecretSealed);
    if (!sameSecret(given, expected)) throw refused();
  }

  /** An enabled provider of that kind; any other answer is the same 404. */
  private async provider(slug: string, kind: ProviderKind): Promise<ProviderWithSecrets> {
    const provider = await this.providers.findWithSecrets({ slug });
    if (!provider || !provider.enabled || provider.kind !== kind) {
      throw new DomainError(CommonErrorCode.NotFound, 'No such identity provider webhook.');
    }
    return provider;
  }
}
