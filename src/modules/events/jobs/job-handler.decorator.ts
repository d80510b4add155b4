import type { Job } from 'pg-boss';

export const JOB_HANDLER = Symbol('gatehouse:job-handler');

/** What becomes of one job of a batch: done, retried later (`failed`), or given up on. */
export interface JobOutcome {
  id: string;
  status: 'completed' | 'failed' | 'deadletter';
  /** Stored with the job: why it failed. Never a secret. */
  output?: { error: string };
}

/** A queue and how its jobs are retried and worked; every queue's failures end in `jobs.dead`. */
export interface JobQueueDefinition {
  name: string;
  /** Attempts after the first. */
  retryLimit: number;
  /** Seconds before the first retry; with `retryBackoff`, doubling (with jitter) each time. */
  retryDelaySeconds: number;
  retryBackoff?: boolean;
  retryDelayMaxSeconds?: number;
  /**
   * How long an attempt may run before it counts as failed. A worker that died holding it is
   * noticed sooner, by its missed heartbeat.
   */
  expireInSeconds: number;
  /** How long a completed job is kept (pg-boss's default: 7 days); shorter for secrets. */
  deleteAfterSeconds?: number;
  /** `stately`: at most one job waiting and one running (a trigger, not a work item). */
  policy?: 'standard' | 'stately';
  /** Jobs handed to one call of the handler. */
  batchSize?: number;
  /** Calls of the handler running at once in each process. */
  concurrency?: number;
  /** A job is also sent on this schedule (cron, UTC), by whichever instance runs the clock. */
  cron?: string;
}

/**
 * A catch-up job: a trigger (at most one waiting and one running) whose run works until nothing
 * is left, asked for when there is work and every minute besides, and retried at once and almost
 * without end, since the work waits for it (the relay, the Redis stream publisher).
 */
export const CATCH_UP_JOB = {
  policy: 'stately',
  retryLimit: 1000,
  retryDelaySeconds: 1,
  retryBackoff: true,
  retryDelayMaxSeconds: 60,
  expireInSeconds: 300,
  cron: '* * * * *',
} satisfies Omit<JobQueueDefinition, 'name'>;

export type JobBatchHandler<T> = (jobs: Job<T>[]) => Promise<JobOutcome[]>;

/**
 * Marks the method that works the jobs of a queue: it receives a batch and answers each job's
 * outcome. Found at startup; every process creates the queue, and those that run jobs (all by
 * default, `--worker` processes when the API runs without them) work it.
 */
export function JobHandler(definition: JobQueueDefinition) {
  return <T>(
    target: object,
    key: string | symbol,
    _descriptor: TypedPropertyDescriptor<JobBatchHandler<T>>,
  ): void => {
    Reflect.defineMetadata(JOB_HANDLER, definition, target, key);
  };
}

/**
 * Runs each job of a batch through `work`, one after the other: a job whose work throws is
 * `failed` (retried as its queue says) with the error's message, the others completed.
 */
export async function settleEach<T>(
  jobs: Job<T>[],
  work: (job: Job<T>) => Promise<void>,
): Promise<JobOutcome[]> {
  const outcomes: JobOutcome[] = [];
  for (const job of jobs) {
    try {
      await work(job);
      outcomes.push({ id: job.id, status: 'completed' });
    } catch (error) {
      outcomes.push({ id: job.id, status: 'failed', output: { error: errorMessage(error) } });
    }
  }
  return outcomes;
}

export function errorMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 1000);
}
