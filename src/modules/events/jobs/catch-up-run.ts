import { AsyncResource } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import type { Logger } from '@nestjs/common';
import type { JobQueue } from './job-queue.service';

/** How long a job asked for, whose start this process has not seen, is trusted to come. */
const PENDING_JOB_TRUST_MS = 250;

export interface CatchUpRunOptions {
  /** The queue of the catch-up job (`CATCH_UP_JOB`) that does the same work. */
  queue: string;
  /** What the work is, for the logs: "publish events". */
  what: string;
  /** How long a request waits before its run, so that the requests of that time share it. */
  delayMs: number;
  /**
   * How long after the start of one run the next may start, at least: a request after a quiet
   * spell runs at once, while under a steady stream of requests each run takes what the
   * interval gathered, so that its fixed cost (a transaction, its statements, a commit) is paid
   * per batch rather than per request.
   */
  minIntervalMs?: number;
  /** Does everything there is to do (a run finds its work in the database, not in requests). */
  work: () => Promise<void>;
}

/**
 * Work that must follow commits and that a catch-up job also does (every minute, and when
 * asked): the outbox relay, the audit chain's sealing. A process that runs jobs does it itself,
 * `delayMs` after a request, one run at a time (requests during a run make one more after it);
 * a run that fails, or a process that runs no jobs, asks for the job instead, which is retried
 * with backoff. What must be done is in the database, so a run that never happens only delays
 * the work until the next one.
 */
export class CatchUpRun {
  /** The run of this process in progress or waiting, if any; `pending`: requests since. */
  private running: Promise<void> | null = null;
  private pending = false;
  private stopped = false;
  private delay: { timer: NodeJS.Timeout; resolve: () => void } | null = null;
  /**
   * When this process's latest run started (none yet: −∞), in monotonic milliseconds
   * (`performance.now()`) like every interval here, so that a wall clock set back (NTP, or a
   * test's fake clock) cannot put the next run off by the size of the step.
   */
  private lastStart = Number.NEGATIVE_INFINITY;
  /** Runs in the context this was made in: not in that of the request that asked for it. */
  private readonly startRun = AsyncResource.bind(() => this.runHere());
  private requesting = false;
  private again = false;
  /** When the job was last asked for that has not started in this process since (ms), or 0. */
  private askedAt = 0;
  /** A request put off while a job was already asked for, made once that is no longer sure. */
  private deferred: NodeJS.Timeout | null = null;

  constructor(
    private readonly jobs: JobQueue,
    private readonly logger: Logger,
    private readonly options: CatchUpRunOptions,
  ) {}

  /** After a commit that left work: do it (here, or through the job). */
  request(): void {
    if (this.stopped) return;
    if (!this.jobs.worksHere) {
      this.askForJob();
      return;
    }
    this.pending = true;
    this.running ??= this.startRun();
  }

  /** The job's handler is about to do the work: a job asked for before is no longer owed. */
  jobStarted(): void {
    this.askedAt = 0;
    if (this.deferred) clearTimeout(this.deferred);
    this.deferred = null;
  }

  /**
   * A run in progress finishes (one still waiting is dropped) while the database is still
   * open; what is left is done by the next run of any process.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.delay) {
      clearTimeout(this.delay.timer);
      this.delay.resolve();
    }
    await this.running;
  }

  private async runHere(): Promise<void> {
    try {
      while (this.pending && !this.stopped) {
        const spacing = this.lastStart + (this.options.minIntervalMs ?? 0) - performance.now();
        const wait = Math.max(this.options.delayMs, spacing);
        if (wait > 0) await this.wait(wait);
        if (this.stopped) return;
        this.pending = false;
        this.lastStart = performance.now();
        await this.options.work();
      }
    } catch (error) {
      if (this.stopped) return;
      // The job, retried with backoff, does what this run could not.
      this.logger.warn(`Could not ${this.options.what}: ${(error as Error).message}`);
      this.askForJob();
    } finally {
      this.running = null;
    }
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.delay = null;
        resolve();
      }, ms).unref();
      this.delay = { timer, resolve };
    });
  }

  /**
   * Asks for the job. A job asked for that has not started yet will do everything committed
   * before it starts, so a request then costs nothing. That is known for sure only of jobs
   * this process works (their start is seen: `jobStarted`); one another instance may have
   * taken is trusted for PENDING_JOB_TRUST_MS, and a request put off meanwhile is made after
   * it. One request is sent at a time; those made meanwhile become one more after it.
   */
  private askForJob(): void {
    const pendingFor = performance.now() - this.askedAt;
    if (this.askedAt > 0 && pendingFor < PENDING_JOB_TRUST_MS) {
      this.deferred ??= setTimeout(() => {
        this.deferred = null;
        this.askForJob();
      }, PENDING_JOB_TRUST_MS - pendingFor).unref();
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
          this.askedAt = performance.now();
          await this.jobs.send(this.options.queue, {}).catch((error: Error) => {
            this.askedAt = 0;
            // The minute's run, or the next request, asks again.
            this.logger.warn(`Could not ask for a ${this.options.queue} job: ${error.message}`);
          });
        } while (this.again);
      } finally {
        this.requesting = false;
      }
    })();
  }
}
