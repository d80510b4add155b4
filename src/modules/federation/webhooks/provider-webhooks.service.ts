import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import type { Job } from 'pg-boss';
import { DomainError } from '../../../common/errors/domain-error';
import { CommonErrorCode, FederationErrorCode } from '../../../common/errors/error-code';
import { Transactions } from '../../../database/transactions';
import { ConcurrencyLimit } from '../../../common/concurrency/concurrency-limit';
import { errorMessage, JobHandler, JobOutcome } from '../../events/jobs/job-handler.decorator';
import { JobQueue } from '../../events/jobs/job-queue.service';
import { ProviderKind } from '../identity-provider.entity';
import { IdentityProvidersRepository, ProviderWithSecrets } from '../identity-providers.repository';
import { IdentityProvidersService } from '../identity-providers.service';
import { LinkedIdentitiesRepository } from '../linked-identities.repository';
import { ProviderSecrets } from '../provider-secrets';
import type { RemoteUser } from '../sync/management-api';
import { ManagementApis } from '../sync/management-apis';
import { ProviderUserSync } from '../sync/provider-user-sync';
import { SyncMetrics } from '../sync/sync-metrics';
import { ProviderEvent } from './provider-event.entity';
import { asgardeoEvents, oktaEvents, ReceivedEvent } from './provider-event-payloads';
import { ProviderEventsRepository } from './provider-events.repository';

export const PROVIDER_EVENT_QUEUE = 'federation.provider-event';
/** Events a worker takes at once: their users are read and applied together. */
const EVENTS_PER_BATCH = 50;
/** Users read from a provider's management API at once while processing a batch. */
const PROVIDER_READS_IN_PARALLEL = 4;

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

/** When the last of a user's events in a batch happened. */
function latestOccurrence(events: ProviderEvent[], subject: string): Date {
  let latest = 0;
  for (const event of events) {
    if (event.subject === subject) latest = Math.max(latest, event.occurredAt.getTime());
  }
  return new Date(latest);
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
 * transaction, and acknowledged: nothing is processed while the provider waits. The jobs, taken
 * in batches, re-read their users from the provider's management API, so that they apply the
 * provider's current state whatever order events come in, and bring the linked accounts to it
 * together (ProviderUserSync). A user the provider could not answer for fails its events' jobs,
 * which are retried with backoff.
 */
@Injectable()
export class ProviderWebhooks {
  private readonly logger = new Logger(ProviderWebhooks.name);

  constructor(
    private readonly providers: IdentityProvidersRepository,
    private readonly enabledProviders: IdentityProvidersService,
    private readonly identities: LinkedIdentitiesRepository,
    private readonly repository: ProviderEventsRepository,
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
    batchSize: EVENTS_PER_BATCH,
  })
  async work(jobs: Job<ProviderEventJob>[]): Promise<JobOutcome[]> {
    const failures = await this.processMany(jobs.map((job) => job.data.event_id));
    return jobs.map((job) => {
      const failure = failures.get(job.data.event_id);
      return failure === undefined
        ? { id: job.id, status: 'completed' }
        : { id: job.id, status: 'failed', output: { error: errorMessage(failure) } };
    });
  }

  /**
   * Processes stored events together, provider by provider: their linked users are re-read
   * from the management API a few at a time, applied in one transaction (ProviderUserSync), and
   * the events marked processed in one statement. An event processed before is left alone (a
   * replayed job). Answers the events that failed (their user could not be read or applied),
   * whose jobs are retried.
   */
  async processMany(eventIds: string[]): Promise<Map<string, unknown>> {
    const failures = new Map<string, unknown>();
    const byProvider = new Map<string, ProviderEvent[]>();
    for (const event of await this.repository.unprocessedEvents(eventIds)) {
      byProvider.set(event.providerId, [...(byProvider.get(event.providerId) ?? []), event]);
    }
    for (const [providerId, events] of byProvider) {
      try {
        for (const [eventId, error] of await this.processOf(providerId, events)) {
          failures.set(eventId, error);
        }
      } catch (error) {
        for (const event of events) failures.set(event.id, error);
      }
    }
    return failures;
  }

  private async processOf(
    providerId: string,
    events: ProviderEvent[],
  ): Promise<Map<string, unknown>> {
    const failures = new Map<string, unknown>();
    const provider = await this.providers.findWithSecrets({ id: providerId });
    if (!provider) return failures;
    const subjects = [...new Set(events.map((event) => event.subject))];
    const linked = await this.identities.linkedSubjects(provider.id, subjects);
    const outcomeOf = new Map<string, string>(
      subjects.map((subject) => [
        subject,
        !linked.has(subject)
          ? 'not_linked'
          : provider.managementApiKind
            ? 'unread'
            : 'sync_not_configured',
      ]),
    );
    const toRead = subjects.filter((subject) => outcomeOf.get(subject) === 'unread');
    if (toRead.length > 0) {
      const api = this.apis.of(provider);
      const limit = new ConcurrencyLimit(PROVIDER_READS_IN_PARALLEL);
      const reads = await Promise.allSettled(
        toRead.map((subject) => limit.run(() => api.getUser(subject))),
      );
      const remotes: RemoteUser[] = [];
      reads.forEach((read, index) => {
        const subject = toRead[index];
        if (read.status === 'rejected') {
          outcomeOf.delete(subject);
          for (const event of events)
            if (event.subject === subject) failures.set(event.id, read.reason);
          return;
        }
        remotes.push(
          read.value ?? {
            // Deleted at the provider: deactivated here, as of its latest event.
            id: subject,
            status: 'deactivated',
            updatedAt: latestOccurrence(events, subject),
            claims: {},
          },
        );
      });
      const applied = await this.userSync.applyAll(provider, remotes);
      for (const [subject, outcome] of applied) outcomeOf.set(subject, outcome);
      this.metrics.userSynced(
        provider.kind,
        'webhook',
        [...applied.values()].filter((outcome) => outcome === 'updated').length,
      );
    }
    const done = events.filter((event) => outcomeOf.has(event.subject));
    // One statement: it needs no transaction of its own.
    const marked = await this.repository.markProcessed(
      done.map((event) => ({ id: event.id, outcome: outcomeOf.get(event.subject)! })),
      new Date(),
    );
    for (const event of done) {
      if (marked.has(event.id)) {
        this.metrics.eventProcessed(
          provider.kind,
          outcomeOf.get(event.subject)!,
          event.occurredAt,
          event.receivedAt,
        );
      }
    }
    return failures;
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
    const provider = await this.enabledProviders.enabledWithSecrets({ slug });
    if (!provider || provider.kind !== kind) {
      throw new DomainError(CommonErrorCode.NotFound, 'No such identity provider webhook.');
    }
    return provider;
  }
}
