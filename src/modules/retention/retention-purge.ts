import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'pg-boss';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transactions';
import { JobHandler, JobOutcome } from '../events/jobs/job-handler.decorator';
import { RetentionKind, RetentionKinds } from './retention-kinds';
import { RetentionMetrics } from './retention-metrics';

export const RETENTION_QUEUE = 'retention.purge';
/** A run stops starting batches after this long; the next run (15 minutes on) goes on. */
const RUN_BUDGET_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** What one run deleted, by kind, and whether it got through every kind's backlog. */
export interface RetentionRun {
  purged: Record<string, number>;
  /** Kinds whose purge failed (logged); the run went on with the others. */
  failed: string[];
  /** False when the time budget ran out with rows possibly left (the next run goes on). */
  finished: boolean;
}

interface Pending {
  kind: RetentionKind;
  before: Date;
}

/**
 * Purges every kind of row past its retention, every 15 minutes. One run at a time across all
 * instances (a stately queue: one job waiting, one running), and even two at once would share
 * the work: each batch locks the rows it deletes with SKIP LOCKED. The kinds take turns, a batch
 * each, so a large backlog of one kind does not hold up the others; each batch is its own short
 * transaction, so nothing is locked for long and logins and refreshes go on meanwhile.
 */
@Injectable()
export class RetentionPurge implements OnApplicationBootstrap {
  private readonly logger = new Logger(RetentionPurge.name);

  constructor(
    private readonly kinds: RetentionKinds,
    private readonly transactions: Transactions,
    private readonly metrics: RetentionMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    for (const { kind } of this.kinds.all()) this.metrics.declare(kind);
  }

  @JobHandler({
    name: RETENTION_QUEUE,
    policy: 'stately',
    retryLimit: 3,
    retryDelaySeconds: 60,
    retryBackoff: true,
    // Longer than a run's budget plus its last batch.
    expireInSeconds: 900,
    cron: '*/15 * * * *',
  })
  async purgeJob(jobs: Job<object>[]): Promise<JobOutcome[]> {
    const { failed } = await this.run();
    return jobs.map((job) =>
      failed.length > 0
        ? {
            id: job.id,
            status: 'failed',
            output: { error: `purging failed: ${failed.join(', ')}` },
          }
        : { id: job.id, status: 'completed' },
    );
  }

  /**
   * One run: a batch of each kind in turn, for as long as some kind still had rows to delete and
   * the time budget lasts. Retention is counted from `now`, fixed for the run. A kind whose purge
   * fails is logged and left out of the rest of the run; the others go on.
   */
  async run(now: Date = new Date(), budgetMs: number = RUN_BUDGET_MS): Promise<RetentionRun> {
    const deadline = Date.now() + budgetMs;
    const purged: Record<string, number> = {};
    let pending: Pending[] = this.kinds
      .all()
      .filter((kind) => kind.retentionDays > 0)
      .map((kind) => ({ kind, before: new Date(now.getTime() - kind.retentionDays * DAY_MS) }));
    const failed: string[] = [];
    while (pending.length > 0 && Date.now() < deadline) {
      const next: Pending[] = [];
      for (const entry of pending) {
        const { kind } = entry.kind;
        let deleted: number;
        try {
          deleted = await this.transactions.run(() =>
            entry.kind.purge(entry.before, this.config.retention.batchSize),
          );
        } catch (error) {
          failed.push(kind);
          this.logger.error({ err: error, kind }, 'Purging rows past their retention failed');
          continue;
        }
        this.metrics.countPurged(kind, deleted);
        if (deleted > 0) {
          purged[kind] = (purged[kind] ?? 0) + deleted;
          next.push(entry);
        }
      }
      pending = next;
    }
    if (Object.keys(purged).length > 0) {
      this.logger.log({ purged }, 'Purged rows past their retention');
    }
    return { purged, failed, finished: pending.length === 0 };
  }
}
