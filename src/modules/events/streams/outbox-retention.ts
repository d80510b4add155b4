import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Job } from 'pg-boss';
import { APP_CONFIG, AppConfig } from '../../../config/app-config';
import { JobHandler, JobOutcome } from '../jobs/job-handler.decorator';
import { OutboxRepository } from '../outbox.repository';

export const OUTBOX_RETENTION_QUEUE = 'events.retention';
/** Rows deleted per statement, each its own transaction: no long lock, no huge WAL burst. */
const PURGE_BATCH = 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Deletes published events older than EVENTS_RETENTION_DAYS, hourly: past that window a stream
 * can no longer resume from them (it is told it missed events) and they cannot be replayed.
 * Unpublished events are never deleted.
 */
@Injectable()
export class OutboxRetention {
  private readonly logger = new Logger(OutboxRetention.name);

  constructor(
    private readonly outbox: OutboxRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @JobHandler({
    name: OUTBOX_RETENTION_QUEUE,
    policy: 'stately',
    retryLimit: 5,
    retryDelaySeconds: 60,
    retryBackoff: true,
    expireInSeconds: 1800,
    cron: '17 * * * *',
  })
  async purge(jobs: Job<object>[]): Promise<JobOutcome[]> {
    const before = new Date(Date.now() - this.config.events.retentionDays * DAY_MS);
    let purged = 0;
    let deleted: number;
    do {
      deleted = await this.outbox.purgePublished(before, PURGE_BATCH);
      purged += deleted;
    } while (deleted === PURGE_BATCH);
    if (purged > 0)
      this.logger.log(`Purged ${purged} published event(s) past the retention window`);
    return jobs.map((job) => ({ id: job.id, status: 'completed' }));
  }
}
