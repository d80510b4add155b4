import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job } from 'pg-boss';
import { uuidV7Time } from '../../common/ids/uuid-v7';
import { Transactions } from '../../database/transactions';
import { PublishedEvent } from './domain-event';
import { ConsumerFailed, EventConsumers } from './event-consumers';
import { EventTail, EVENTS_NOTIFY_CHANNEL } from './event-tail';
import { CatchUpRun } from './jobs/catch-up-run';
import { CATCH_UP_JOB, JobHandler, JobOutcome, settleEach } from './jobs/job-handler.decorator';
import { JobQueue } from './jobs/job-queue.service';
import { OutboxRepository } from './outbox.repository';

export const RELAY_QUEUE = 'events.relay';
export const CONSUME_AGAIN_QUEUE = 'events.consume';
/** Events published (and consumed) per transaction of the relay. */
const BATCH = 500;
/**
 * Runs of the relay start at least this far apart. An event committed after a quiet spell is
 * published at once; under a stream of commits each run publishes what the interval gathered.
 * A run costs a transaction of several statements whatever its size: with one run per login,
 * those statements cost PostgreSQL and the event loop more CPU than the login's own writes
 * (bench/RESULTS.md, login), CPU its argon2 verification then lacks.
 */
const RELAY_MIN_INTERVAL_MS = 50;
/**
 * The longest a relay-phase consumer waits for a row lock before its batch is published without
 * it (it is retried as a job, which waits as long as it takes). A relay run holds what its
 * consumers wrote so far (a user's new audit key, say) while it waits; a change of that user
 * holding the row and waiting for what the run wrote would otherwise deadlock with it, and
 * PostgreSQL (deadlock_timeout, 1 s) could end the change, not the run.
 */
const CONSUMER_LOCK_TIMEOUT_MS = 250;
/** How often `publishedThrough` looks again, and how long it waits at most by default. */
const PUBLISHED_THROUGH_POLL_MS = 20;
const PUBLISHED_THROUGH_TIMEOUT_MS = 10_000;

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
  private readonly runs: CatchUpRun;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly consumers: EventConsumers,
    private readonly jobs: JobQueue,
    private readonly tail: EventTail,
    private readonly transactions: Transactions,
  ) {
    this.runs = new CatchUpRun(jobs, this.logger, {
      queue: RELAY_QUEUE,
      what: 'publish events',
      delayMs: 0,
      minIntervalMs: RELAY_MIN_INTERVAL_MS,
      work: () => this.publishAll(),
    });
  }

  /** Events left unpublished by a process that stopped (or crashed) are published now. */
  onApplicationBootstrap(): void {
    this.request();
  }

  /**
   * A run in progress finishes while the database is still open; what commits later is left
   * to the next run of any process (a run publishes whatever is unpublished).
   */
  beforeApplicationShutdown(): Promise<void> {
    return this.runs.stop();
  }

  /** After a commit that wrote events: publish them. */
  request(): void {
    this.runs.request();
  }

  /**
   * Resolves true once every event emitted up to `instant` is published, with what its
   * consumers write (by this process's run or another instance's), or false after `timeoutMs`.
   * For a reader of what the consumers write that must hold what was done before it was asked
   * for: the exports (personal data, the audit log) and the audit rows of the sign-ins just
   * before them.
   */
  async publishedThrough(
    instant: Date,
    timeoutMs = PUBLISHED_THROUGH_TIMEOUT_MS,
  ): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const oldest = await this.outbox.oldestUnpublishedId();
      // Outbox ids are UUIDv7: the oldest unpublished one tells when it was emitted.
      const emittedAt = oldest === null ? null : uuidV7Time(oldest);
      if (emittedAt === null || emittedAt > instant.getTime()) return true;
      if (performance.now() >= deadline) return false;
      this.request();
      await sleep(PUBLISHED_THROUGH_POLL_MS);
    }
  }

  /**
   * For a reader of what the consumers write (an export): waits until what was emitted up to
   * `askedAt` is published; past the timeout it logs so and lets the reader go on with what is.
   */
  async awaitPublishedThrough(
    askedAt: Date,
    reader: { what: string; fields: Record<string, unknown> },
    timeoutMs = PUBLISHED_THROUGH_TIMEOUT_MS,
  ): Promise<void> {
    if (await this.publishedThrough(askedAt, timeoutMs)) return;
    this.logger.warn(
      reader.fields,
      `Events from before ${reader.what} was asked for are not all published yet; it holds what is`,
    );
  }

  @JobHandler({ name: RELAY_QUEUE, ...CATCH_UP_JOB })
  async relay(jobs: Job<object>[]): Promise<JobOutcome[]> {
    // From here on, what commits needs a run of its own; what committed before, this one takes.
    this.runs.jobStarted();
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
        await this.outbox.limitLockWaits(CONSUMER_LOCK_TIMEOUT_MS);
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
