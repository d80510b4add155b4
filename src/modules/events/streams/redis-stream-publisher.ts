import { Inject, Injectable, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Job } from 'pg-boss';
import { REDIS } from '../../../common/redis/redis.module';
import { APP_CONFIG, AppConfig } from '../../../config/app-config';
import { Transactions } from '../../../database/transactions';
import { eventMessage, PublishedEvent } from '../domain-event';
import { CATCH_UP_JOB, JobHandler, JobOutcome } from '../jobs/job-handler.decorator';
import { JobQueue } from '../jobs/job-queue.service';
import { OnPublished } from '../on-event.decorator';
import { OutboxRepository } from '../outbox.repository';

export const REDIS_STREAM_QUEUE = 'events.redis_stream';
/** Events added per pipeline. */
const BATCH = 500;
/** Redis refuses an explicit id not above the stream's last one: that event is already there. */
const ALREADY_ADDED = /equal or smaller than the target stream top item/i;

/**
 * Adds every published event, once and in order, to the Redis stream EVENTS_REDIS_STREAM, with
 * the id `<position>-0` and the fields `type`, `id` and `data` (the JSON envelope), trimmed to
 * about EVENTS_REDIS_STREAM_MAX_LENGTH entries. A singleton job, asked for once each
 * publication commits and run every minute besides, that continues after the last entry of the
 * stream: the stream itself records how far it got, so a run that crashed after adding is not
 * added twice (Redis refuses the same id), and a Redis that is down only makes the job retry
 * with backoff; when it is back, everything missed is added in order. The stream's key must be
 * Gatehouse's alone: an entry with a higher id added by someone else would hide the events below.
 */
@Injectable()
export class RedisStreamPublisher {
  private readonly logger = new Logger(RedisStreamPublisher.name);

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly jobs: JobQueue,
    private readonly transactions: Transactions,
    @Inject(REDIS) private readonly redis: Redis | null,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Asks for a run once the relay's transaction has committed. At most one run waits
   * (stately), so a request made inside the transaction while one waited was dropped, and that
   * run could start and end before the commit, leaving these events to the minute's run. A
   * request that fails, or a crash before it, leaves them to that run too.
   */
  @OnPublished('*')
  async published(): Promise<void> {
    if (!this.config.events.redisStream) return;
    await this.transactions.afterCommit(async () => {
      await this.jobs.send(REDIS_STREAM_QUEUE, {}).catch((error: Error) => {
        this.logger.warn(`Could not ask for a ${REDIS_STREAM_QUEUE} job: ${error.message}`);
      });
    });
  }

  @JobHandler({ name: REDIS_STREAM_QUEUE, ...CATCH_UP_JOB })
  async publish(jobs: Job<object>[]): Promise<JobOutcome[]> {
    const stream = this.config.events.redisStream;
    if (stream && this.redis) await this.addMissing(this.redis, stream);
    return jobs.map((job) => ({ id: job.id, status: 'completed' }));
  }

  private async addMissing(redis: Redis, stream: string): Promise<void> {
    let last = await this.lastAdded(redis, stream);
    for (;;) {
      const events = await this.outbox.after(last, BATCH);
      if (events.length === 0) return;
      await this.add(redis, stream, events);
      last = events[events.length - 1].position;
      if (events.length < BATCH) return;
    }
  }

  /** The position of the stream's last entry; 0 when it has none. */
  private async lastAdded(redis: Redis, stream: string): Promise<number> {
    const [entry] = await redis.xrevrange(stream, '+', '-', 'COUNT', 1);
    return entry ? Number(entry[0].split('-')[0]) : 0;
  }

  private async add(redis: Redis, stream: string, events: PublishedEvent[]): Promise<void> {
    const pipeline = redis.pipeline();
    const maxLength = String(this.config.events.redisStreamMaxLength);
    for (const event of events) {
      pipeline.xadd(
        stream,
        'MAXLEN',
        '~',
        maxLength,
        `${event.position}-0`,
        'type',
        event.type,
        'id',
        event.id,
        'data',
        JSON.stringify(eventMessage(event)),
      );
    }
    const results = (await pipeline.exec()) ?? [];
    for (const [error] of results) {
      if (error && !ALREADY_ADDED.test(error.message)) throw error;
    }
  }
}
