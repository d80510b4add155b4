import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'pg-boss';
import { Transactions } from '../../database/transactions';
import { PublishedEvent } from './domain-event';
import { ConsumerFailed, EventConsumers } from './event-consumers';
import { EventTail, EVENTS_NOTIFY_CHANNEL } from './event-tail';
import { CATCH_UP_JOB, JobHandler, JobOutcome, settleEach } from './jobs/job-handler.decorator';
import { JobQueue } from './jobs/job-queue.service';
import { OutboxRepository } from './outbox.repository';

export const RELAY_QUEUE = 'events.relay';
export const CONSUME_AGAIN_QUEUE = 'events.consume';
/** How long a run asked for, whose start this process has not seen, is trusted to come. */
const PENDING_RUN_TRUST_MS = 250;
/** Events published (and consumed) per transaction of the relay. */
const BATCH = 500;

interface ConsumeAgain {
  consumer: string;
  event_id: string;
}

/**
 * Publishes committed events: gives them their position, runs the relay-phase consumers in the
 * same transaction (so an event is consumed exactly when it is published, and a crash leaves it
 * unpublished, to be relayed again), then tells every instance (NOTIFY) that there is more to
 * read. A job, asked for after every commit that wrote events and once a minute besides; at
 * most one waits and one runs at a time, and each run publishes until nothing is left.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap {
  private readonly logger = new Logger(OutboxRelay.name);
  private requesting = false;
  private again = false;
  /** When a run was last asked for that has not started in this process since (ms), or 0. */
  private askedAt = 0;
  /** A request put off while a run was already asked for, made once that is no longer sure. */
  private deferred: NodeJS.Timeout | null = null;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly consumers: EventConsumers,
    private readonly jobs: JobQueue,
    private readonly tail: EventTail,
    private readonly transactions: Transactions,
  ) {}

  /** Events left unpublished by a process that stopped (or crashed) are published now. */
  onApplicationBootstrap(): void {
    this.request();
  }

  /**
   * Asks for a relay run. A run asked for that has not started yet will publish everything
   * committed before it starts, so a request then costs nothing. That is known for sure only
   * of runs this process works (their start is seen); one another instance may have taken is
   * trusted for PENDING_RUN_TRUST_MS, and a request put off meanwhile is made after it. One
   * request is sent at a time; those made meanwhile become one more after it.
   */
  request(): void {
    const pendingFor = Date.now() - this.askedAt;
    if (this.askedAt > 0 && pendingFor < PENDING_RUN_TRUST_MS) {
      this.deferred ??= setTimeout(() => {
        this.deferred = null;
        this.request();
      }, PENDING_RUN_TRUST_MS - pendingFor).unref();
      return;
    }
    if (this.requesting) {
      this.again = true;
      return;
    }
    this.requesting = true;
    void (async () => {
      try {
        do {
          this.again = false;
          this.askedAt = Date.now();
          await this.jobs.send(RELAY_QUEUE, {}).catch((error: Error) => {
            this.askedAt = 0;
            // The minute's run, or the next commit, asks again.
            this.logger.warn(`Could not ask for a relay run: ${error.message}`);
          });
        } while (this.again);
      } finally {
        this.requesting = false;
      }
    })();
  }

  @JobHandler({ name: RELAY_QUEUE, ...CATCH_UP_JOB })
  async relay(jobs: Job<object>[]): Promise<JobOutcome[]> {
    // From here on, what commits needs a run of its own; what committed before, this one takes.
    this.askedAt = 0;
    if (this.deferred) clearTimeout(this.deferred);
    this.deferred = null;
    while ((await this.publishBatch()) === BATCH);
    return jobs.map((job) => ({ id: job.id, status: 'completed' }));
  }

  /** A relay-phase consumer that failed on an event, run on it alone until it succeeds. */
  @JobHandler({
    name: CONSUME_AGAIN_QUEUE,
    retryLimit: 15,
    retryDelaySeconds: 5,
    retryBackoff: true,
    retryDelayMaxSeconds: 3600,
    expireInSeconds: 300,
  })
  consumeAgain(jobs: Job<ConsumeAgain>[]): Promise<JobOutcome[]> {
    return settleEach(jobs, async ({ data }) => {
      const consumer = this.consumers.relayConsumer(data.consumer);
      if (!consumer) throw new Error(`no event consumer ${data.consumer} in this version`);
      await this.transactions.run(async () => {
        const event = await this.outbox.findPublished(data.event_id);
        // Gone past the retention window: nothing left to consume.
        if (event) await this.consumers.retry(consumer, event);
      });
    });
  }

  /**
   * Publishes the next batch. Its consumers run directly first; should one fail, the whole
   * transaction rolls back and the batch is published again with each consumer behind a
   * savepoint, so that the others' work commits and the failed one's events are retried alone.
   */
  private async publishBatch(): Promise<number> {
    try {
      return await this.publishNext(false);
    } catch (error) {
      if (!(error instanceof ConsumerFailed)) throw error;
      return this.publishNext(true);
    }
  }

  private async publishNext(isolated: boolean): Promise<number> {
    const published = await this.transactions.run(async (): Promise<PublishedEvent[]> => {
      const events = await this.outbox.publishNext(BATCH);
      if (events.length === 0) return events;
      const failed = await this.consumers.published(events, isolated);
      await this.jobs.sendMany(
        CONSUME_AGAIN_QUEUE,
        failed.flatMap(({ consumer, eventIds }) =>
          eventIds.map((id) => ({ data: { consumer, event_id: id } })),
        ),
      );
      await this.transactions
        .manager()
        .query('SELECT pg_notify($1, $2)', [
          EVENTS_NOTIFY_CHANNEL,
          String(events[events.length - 1].position),
        ]);
      return events;
    });
    if (published.length > 0) this.tail.take(published);
    return published.length;
  }
}
