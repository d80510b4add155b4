import { AsyncResource } from 'node:async_hooks';
import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
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
 * read. Each run publishes until nothing is left.
 *
 * A process that works jobs relays what its own commits wrote itself, at once, one run at a
 * time: commits made during a run make one more after it. A run at boot and the relay job
 * (every minute, and asked for with retries when a run fails) publish what a crash or a
 * failure left behind; a process that works no jobs (`--worker` processes do them) asks for
 * that job after its commits instead. The outbox, not
 * this process's memory, is what makes publication certain: a run that never happens only
 * delays it until the next one.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  /** The run of this process in progress, if any; `pending`: commits since it started. */
  private running: Promise<void> | null = null;
  private pending = false;
  private stopped = false;
  /**
   * Starts a run in the context this relay was made in: not in that of the request whose
   * commit asked for it (its request id, its finished transaction).
   */
  private readonly startRun = AsyncResource.bind(() => this.runHere());
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
   * A run in progress finishes while the database is still open; what commits later is left
   * to the next run of any process (a run publishes whatever is unpublished).
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** After a commit that wrote events: publish them. */
  request(): void {
    if (this.stopped) return;
    if (!this.jobs.worksHere) {
      this.askForRun();
      return;
    }
    this.pending = true;
    this.running ??= this.startRun();
  }

  private async runHere(): Promise<void> {
    try {
      while (this.pending && !this.stopped) {
        this.pending = false;
        await this.publishAll();
      }
    } catch (error) {
      if (this.stopped) return;
      // The relay job, retried with backoff, publishes what this run could not.
      this.logger.warn(`Could not publish events: ${(error as Error).message}`);
      this.askForRun();
    } finally {
      this.running = null;
    }
  }

  /**
   * Asks for a run of the relay job. A run asked for that has not started yet will publish
   * everything committed before it starts, so a request then costs nothing. That is known for sure only
   * of runs this process works (their start is seen); one another instance may have taken is
   * trusted for PENDING_RUN_TRUST_MS, and a request put off meanwhile is made after it. One
   * request is sent at a time; those made meanwhile become one more after it.
   */
  private askForRun(): void {
    const pendingFor = Date.now() - this.askedAt;
    if (this.askedAt > 0 && pendingFor < PENDING_RUN_TRUST_MS) {
      this.deferred ??= setTimeout(() => {
        this.deferred = null;
        this.askForRun();
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
    await this.publishAll();
    return jobs.map((job) => ({ id: job.id, status: 'completed' }));
  }

  private async publishAll(): Promise<void> {
    while ((await this.publishBatch()) === BATCH);
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
    let published: PublishedEvent[];
    try {
      published = await this.transactions.run(async (): Promise<PublishedEvent[]> => {
        const events = await this.outbox.publishNext(BATCH, EVENTS_NOTIFY_CHANNEL);
        if (events.length === 0) return events;
        const failed = await this.consumers.published(events, isolated);
        await this.jobs.sendMany(
          CONSUME_AGAIN_QUEUE,
          failed.flatMap(({ consumer, eventIds }) =>
            eventIds.map((id) => ({ data: { consumer, event_id: id } })),
          ),
        );
        this.tail.committing(events[events.length - 1].position);
        return events;
      });
    } catch (error) {
      this.tail.committing(0);
      throw error;
    }
    if (published.length > 0) this.tail.take(published);
    return published.length;
  }
}
