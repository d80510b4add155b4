import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Job } from 'pg-boss';
import { systemActor } from '../../../common/auth/actor';
import { APP_CONFIG, AppConfig } from '../../../config/app-config';
import { Transactions } from '../../../database/transactions';
import { DomainEvent, PublishedEvent } from '../domain-event';
import { DomainEvents } from '../domain-events.service';
import { errorMessage, JobHandler, JobOutcome } from '../jobs/job-handler.decorator';
import { JobQueue } from '../jobs/job-queue.service';
import { OutboxRepository } from '../outbox.repository';
import { DeliveryOutcome } from './webhook-delivery.entity';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { DeliveryTarget, WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { WebhookMetrics } from './webhook-metrics';
import { WebhookSecrets } from './webhook-secrets';
import { SendResult, WebhookSender } from './webhook-sender';
import { signatureHeader } from './webhook-signature';

export const WEBHOOK_DELIVERY_QUEUE = 'webhooks.deliver';
const DAY_MS = 24 * 60 * 60 * 1000;
/** Who disables an endpoint that delivery gave up on, in its event and the audit trail. */
const DELIVERY_ACTOR = systemActor('webhooks');

/** One attempt to deliver one event to one endpoint. Carries ids only: no payload, no secret. */
export interface DeliveryJob {
  endpoint_id: string;
  event_id: string;
  /** 1 for a first attempt (or a redelivery), then 2, 3… */
  attempt: number;
  /** When the first attempt of this delivery was made (ISO 8601); absent on the first. */
  first_attempt_at?: string;
}

/** One attempt made, to be recorded. */
interface Attempt {
  job: DeliveryJob;
  target: DeliveryTarget;
  event: PublishedEvent;
  result: SendResult;
  attemptedAt: Date;
}

export interface DeliveryRequest {
  endpointId: string;
  eventId: string;
}

/** The body of a delivery (Standard Webhooks): the event's type, when it happened, its data. */
export function deliveryBody(event: DomainEvent): string {
  return JSON.stringify({
    type: event.type,
    timestamp: event.occurredAt.toISOString(),
    data: event.data,
  });
}

/** A failure no retry can mend: a refused address, or a 4xx other than 408 and 429. */
function isFinal(result: SendResult): boolean {
  if (result.error === 'address_refused') return true;
  const status = result.statusCode;
  return (
    result.error === 'http_status' &&
    status !== null &&
    status >= 400 &&
    status < 500 &&
    status !== 408 &&
    status !== 429
  );
}

/**
 * Webhook deliveries as durable jobs: one per (endpoint, event), queued in the transaction that
 * decided it (the relay's, a redelivery's, a replay's). Each attempt is signed afresh, logged,
 * and, when it failed for a reason a retry may mend (5xx, 408, 429, a redirect, a timeout, a
 * connection error), followed by a new job for the next attempt, written in the same
 * transaction as the log: initial delay doubling up to a maximum, with jitter, until the retry
 * window since the first attempt is over. A 410 disables the endpoint, and so does failing
 * without a success for WEBHOOK_DISABLE_AFTER_DAYS.
 */
@Injectable()
export class WebhookDeliveries {
  private readonly logger = new Logger(WebhookDeliveries.name);

  constructor(
    private readonly jobs: JobQueue,
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly log: WebhookDeliveriesRepository,
    private readonly outbox: OutboxRepository,
    private readonly sender: WebhookSender,
    private readonly secrets: WebhookSecrets,
    private readonly events: DomainEvents,
    private readonly transactions: Transactions,
    private readonly metrics: WebhookMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Queues a first attempt of each delivery, in the open transaction if there is one. */
  queue(deliveries: DeliveryRequest[]): Promise<void> {
    return this.jobs.sendMany(
      WEBHOOK_DELIVERY_QUEUE,
      deliveries.map(({ endpointId, eventId }) => ({
        data: { endpoint_id: endpointId, event_id: eventId, attempt: 1 } satisfies DeliveryJob,
      })),
    );
  }

  @JobHandler({
    name: WEBHOOK_DELIVERY_QUEUE,
    // Retries of the job itself, for when the database failed while an attempt was recorded;
    // a receiver's failures are retried by the schedule above, as new jobs.
    retryLimit: 10,
    retryDelaySeconds: 10,
    retryBackoff: true,
    retryDelayMaxSeconds: 600,
    // WEBHOOK_TIMEOUT_MS is at most 60 s.
    expireInSeconds: 90,
    deleteAfterSeconds: 24 * 60 * 60,
    // The attempts of a batch are sent side by side, and recorded together in one transaction;
    // four batches run at once, so one slow receiver holds up at most a quarter of them.
    batchSize: 20,
    concurrency: 4,
  })
  async deliver(jobs: Job<DeliveryJob>[]): Promise<JobOutcome[]> {
    try {
      await this.attemptAll(jobs.map((job) => job.data));
      return jobs.map((job) => ({ id: job.id, status: 'completed' }));
    } catch (error) {
      this.logger.error(
        { err: error, deliveries: jobs.length },
        'Webhook deliveries could not be recorded; they will be tried again',
      );
      const output = { error: errorMessage(error) };
      return jobs.map((job) => ({ id: job.id, status: 'failed', output }));
    }
  }

  private async attemptAll(jobs: DeliveryJob[]): Promise<void> {
    const [targets, events] = await Promise.all([
      this.endpoints.findTargets([...new Set(jobs.map((job) => job.endpoint_id))]),
      this.outbox.findPublishedMany([...new Set(jobs.map((job) => job.event_id))]),
    ]);
    const targetById = new Map(targets.map((target) => [target.id, target]));
    const eventById = new Map(events.map((event) => [event.id, event]));
    // Deleted or disabled since it was queued, or the event is past the outbox's retention:
    // nothing more goes to it.
    const due = jobs.flatMap((job) => {
      const target = targetById.get(job.endpoint_id);
      const event = eventById.get(job.event_id);
      return target?.enabled && event ? [{ job, target, event }] : [];
    });
    const made = await Promise.all(
      due.map(({ job, target, event }) => this.attempt(job, target, event)),
    );
    if (made.length === 0) return;
    const outcomes = await this.transactions.run(async (): Promise<DeliveryOutcome[]> => {
      await this.endpoints.lockInOrder([...new Set(made.map((attempt) => attempt.target.id))]);
      const outcomes: DeliveryOutcome[] = [];
      for (const attempt of made) outcomes.push(await this.settle(attempt));
      const succeeded = new Set(
        made.filter((_, i) => outcomes[i] === 'success').map((a) => a.target.id),
      );
      for (const endpointId of succeeded) await this.endpoints.recordSuccess(endpointId);
      await this.log.insert(
        made.map(({ job, target, event, result, attemptedAt }, i) => ({
          endpointId: target.id,
          eventId: event.id,
          eventType: event.type,
          attempt: job.attempt,
          outcome: outcomes[i],
          statusCode: result.statusCode,
          error: result.error,
          latencyMs: result.latencyMs,
          responseBody: result.responseBody,
          attemptedAt,
        })),
      );
      return outcomes;
    });
    made.forEach(({ job, target, event, result }, i) => {
      const outcome = outcomes[i];
      this.metrics.countAttempt(outcome);
      if (outcome === 'success') return;
      this.logger.warn(
        {
          endpoint_id: target.id,
          event_id: event.id,
          attempt: job.attempt,
          status: result.statusCode,
          error: result.error,
          outcome,
        },
        outcome === 'retrying'
          ? 'A webhook delivery failed; it will be retried'
          : 'A webhook delivery failed for good',
      );
    });
  }

  /** Signs and sends one event to one endpoint; what came of it is recorded with the batch. */
  private async attempt(
    job: DeliveryJob,
    target: DeliveryTarget,
    event: PublishedEvent,
  ): Promise<Attempt> {
    const body = deliveryBody(event);
    const attemptedAt = new Date();
    const timestamp = Math.floor(attemptedAt.getTime() / 1000);
    const result = await this.sender.post(
      target.url,
      {
        'content-type': 'application/json',
        'user-agent': 'Gatehouse-Webhooks/1',
        'webhook-id': event.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signatureHeader(
          this.keys(target, attemptedAt),
          event.id,
          timestamp,
          body,
        ),
      },
      body,
    );
    return { job, target, event, result, attemptedAt };
  }

  /** The current key, and the previous one while it is still valid after a rotation. */
  private keys(target: DeliveryTarget, now: Date): Buffer[] {
    const keys = [this.secrets.key(target.id, target.secretSealed)];
    if (
      target.previousSecretSealed &&
      target.previousSecretExpiresAt &&
      target.previousSecretExpiresAt > now
    ) {
      keys.push(this.secrets.key(target.id, target.previousSecretSealed));
    }
    return keys;
  }

  /**
   * What an attempt's result makes of the endpoint and the delivery (inside the transaction
   * that logs it): the endpoint's failing state, its disabling, and the next attempt's job.
   */
  private async settle({ job, target, result, attemptedAt }: Attempt): Promise<DeliveryOutcome> {
    // The batch clears a succeeding endpoint's failing state once, for all its successes.
    if (result.error === null) return 'success';
    const firstAttemptAt = job.first_attempt_at ? new Date(job.first_attempt_at) : attemptedAt;
    const failingSince = await this.endpoints.recordFailure(target.id, attemptedAt);
    const disableAfterMs = this.config.webhooks.disableAfterDays * DAY_MS;
    const reason =
      result.statusCode === 410
        ? 'gone'
        : failingSince && attemptedAt.getTime() - failingSince.getTime() >= disableAfterMs
          ? 'failing'
          : null;
    if (reason) {
      if (await this.endpoints.disable(target.id, reason)) {
        await this.events.emit(
          'webhook.endpoint.disabled',
          { endpoint_id: target.id, reason },
          { actor: DELIVERY_ACTOR },
        );
      }
      return 'failed';
    }
    if (isFinal(result)) return 'failed';
    // Retried while the window since the first attempt is not over: the last attempt comes
    // after it, so a delivery is tried for at least the whole window.
    const { windowSeconds } = this.config.webhooks.retry;
    if (attemptedAt.getTime() - firstAttemptAt.getTime() >= windowSeconds * 1000) return 'failed';
    const next = this.nextAttemptAt(job.attempt, attemptedAt);
    await this.jobs.send(
      WEBHOOK_DELIVERY_QUEUE,
      {
        endpoint_id: target.id,
        event_id: job.event_id,
        attempt: job.attempt + 1,
        first_attempt_at: firstAttemptAt.toISOString(),
      } satisfies DeliveryJob,
      { startAfter: next },
    );
    return 'retrying';
  }

  /** Initial delay doubling per attempt up to the maximum, each ±20 % at random. */
  private nextAttemptAt(attempt: number, after: Date): Date {
    const { initialDelaySeconds, maxDelaySeconds } = this.config.webhooks.retry;
    const base = Math.min(initialDelaySeconds * 2 ** Math.min(attempt - 1, 30), maxDelaySeconds);
    const jittered = base * (0.8 + Math.random() * 0.4);
    return new Date(after.getTime() + Math.round(jittered * 1000));
  }
}
