import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import type { Job } from 'pg-boss';
import { Transactions } from '../../database/transactions';
import { CatchUpRun } from '../events/jobs/catch-up-run';
import { CATCH_UP_JOB, JobHandler, JobOutcome } from '../events/jobs/job-handler.decorator';
import { JobQueue } from '../events/jobs/job-queue.service';
import { PurgesExpired } from '../retention/retention-purge.decorator';
import { chainHash, GENESIS_HASH } from './audit-chain-hash';
import { AuditChainRepository, Seal } from './audit-chain.repository';

export const SEAL_QUEUE = 'audit.seal';
/** Rows sealed per transaction. */
const SEAL_BATCH = 1000;
/**
 * How long committed rows wait to be sealed, at most, in a process that runs jobs: one run
 * seals every row of that second, so sealing costs a few statements a second whatever the
 * rate of sign-ins, rather than a run for each relay batch.
 */
const SEAL_DELAY_MS = 1000;

/**
 * The hash chain of the audit log. Writers never touch it: a row is inserted unsealed by the
 * transaction that records it (a login's relay batch, an admin's change), so no writer waits
 * for another. This job seals committed rows afterwards, one run at a time under the chain lock:
 * each gets the next position and SHA-256 over the previous row's hash, its position and its
 * content. After a commit that wrote rows, a process that runs jobs seals within SEAL_DELAY_MS
 * itself; one that runs none asks for the `audit.seal` job, which also runs every minute
 * besides (what a crash left unsealed). Every hour a checkpoint signs the head
 * (AuditCheckpoints).
 */
@Injectable()
export class AuditChain implements BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditChain.name);
  private readonly runs: CatchUpRun;

  constructor(
    private readonly chain: AuditChainRepository,
    private readonly transactions: Transactions,
    jobs: JobQueue,
  ) {
    this.runs = new CatchUpRun(jobs, this.logger, {
      queue: SEAL_QUEUE,
      what: 'seal audit rows',
      delayMs: SEAL_DELAY_MS,
      work: async () => {
        await this.sealPending();
      },
    });
  }

  /** Asks for a sealing run once the open transaction commits (at once outside one). */
  async requestSealing(): Promise<void> {
    await this.transactions.afterCommit(() => this.runs.request());
  }

  /**
   * A run in progress finishes while the database is still open; rows not sealed yet are
   * sealed by the next run of any process (the job's, every minute).
   */
  beforeApplicationShutdown(): Promise<void> {
    return this.runs.stop();
  }

  @JobHandler({ name: SEAL_QUEUE, ...CATCH_UP_JOB })
  async sealJob(jobs: Job<object>[]): Promise<JobOutcome[]> {
    this.runs.jobStarted();
    await this.sealPending();
    return jobs.map((job) => ({ id: job.id, status: 'completed' }));
  }

  /** Seals every row committed so far; answers how many. */
  async sealPending(): Promise<number> {
    let total = 0;
    for (;;) {
      const sealed = await this.transactions.run(() => this.sealBatch());
      total += sealed;
      if (sealed < SEAL_BATCH) return total;
    }
  }

  private async sealBatch(): Promise<number> {
    await this.chain.lock();
    const rows = await this.chain.unsealed(SEAL_BATCH);
    if (rows.length === 0) return 0;
    const head = await this.chain.head();
    let seq = head?.seq ?? 0;
    let prevHash: Buffer = head?.hash ?? GENESIS_HASH;
    const seals: Seal[] = rows.map((row) => {
      seq += 1;
      const hash = chainHash(prevHash, seq, row);
      const seal = { id: row.id, seq, prevHash, hash };
      prevHash = hash;
      return seal;
    });
    await this.chain.seal(seals);
    return rows.length;
  }

  /**
   * Retention of the log: rows past it go only up to a signed checkpoint, which the kept chain
   * then starts from (AuditChainRepository.purgePastRetention). Here, on the chain's one
   * instance, rather than on its repository, which AuditApiModule provides too.
   */
  @PurgesExpired({
    kind: 'audit_events',
    retentionDays: (config) => config.retention.auditEventsDays,
  })
  purgePastRetention(before: Date, limit: number): Promise<number> {
    return this.chain.purgePastRetention(before, limit);
  }
}
