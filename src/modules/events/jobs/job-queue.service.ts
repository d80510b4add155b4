import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { PGlite } from '@electric-sql/pglite';
import { Db, fromPglite, PgBoss, Queue, SendOptions } from 'pg-boss';
import { APP_CONFIG, AppConfig } from '../../../config/app-config';
import { EMBEDDED_DATABASE } from '../../../database/database.tokens';
import { Transactions } from '../../../database/transactions';
import {
  JOB_HANDLER,
  JobBatchHandler,
  JobOutcome,
  JobQueueDefinition,
} from './job-handler.decorator';
import { decoratedMethods } from '../../../common/discovery/decorated-methods';

/** Where every queue's jobs go once their retries are spent: kept for inspection and redrive. */
export const DEAD_LETTER_QUEUE = 'jobs.dead';
const DEAD_LETTER_RETENTION_SECONDS = 30 * 24 * 60 * 60;
/** How long shutdown waits for running jobs; within HTTP_SHUTDOWN_GRACE_MS (default 10 s). */
const SHUTDOWN_GRACE_MS = 5000;
/** Polling is the safety net of LISTEN/NOTIFY, which wakes workers when a job is created. */
const NOTIFY_POLLING_SECONDS = 2;
const POLLING_SECONDS = 1;
/**
 * A running job's worker refreshes its heartbeat every 5 s; a job whose heartbeat is 10 s old
 * was held by a process that died (SIGKILL, a lost machine) and is retried. The supervisor
 * looks every 5 s, so a crashed process's jobs run again within about 15 s, not only once
 * their `expireInSeconds` is up.
 */
const HEARTBEAT_SECONDS = 10;
const SUPERVISE_SECONDS = 5;

/**
 * pg-boss on the database: on the embedded one through pg-boss's own PGlite adapter, never its
 * socket. Its schema (`pgboss`) is pg-boss's own, installed and migrated by `start` under
 * pg-boss's advisory lock. `runsJobs`: this process supervises the queues and runs the clock.
 */
export function createJobQueueClient(
  config: AppConfig,
  embedded: PGlite | null,
  runsJobs: boolean,
): PgBoss {
  const common = {
    useListenNotify: true,
    supervise: runsJobs,
    schedule: runsJobs,
    superviseIntervalSeconds: SUPERVISE_SECONDS,
    monitorIntervalSeconds: SUPERVISE_SECONDS,
  };
  return embedded
    ? new PgBoss({ db: fromPglite(embedded), backend: 'pglite', ...common })
    : new PgBoss({
        connectionString: config.database.url,
        max: config.jobs.poolSize,
        application_name: 'gatehouse-jobs',
        connectionTimeoutMillis: config.database.connectTimeoutMs,
        ...common,
      });
}

/** pg-boss's settings of a queue worked by a `@JobHandler`; its failures end in `jobs.dead`. */
function queueOptions(definition: JobQueueDefinition): Queue {
  const options: Queue = {
    name: definition.name,
    policy: definition.policy ?? 'standard',
    retryLimit: definition.retryLimit,
    retryDelay: definition.retryDelaySeconds,
    retryBackoff: definition.retryBackoff ?? false,
    expireInSeconds: definition.expireInSeconds,
    heartbeatSeconds: HEARTBEAT_SECONDS,
    deadLetter: DEAD_LETTER_QUEUE,
    notify: true,
  };
  // Absent, not undefined: pg-boss validates every key it is given.
  if (definition.retryDelayMaxSeconds !== undefined) {
    options.retryDelayMax = definition.retryDelayMaxSeconds;
  }
  if (definition.deleteAfterSeconds !== undefined) {
    options.deleteAfterSeconds = definition.deleteAfterSeconds;
  }
  return options;
}

interface RegisteredQueue {
  definition: JobQueueDefinition;
  handler: JobBatchHandler<unknown>;
}

export interface QueueDepth {
  queue: string;
  /** Waiting to run now. */
  ready: number;
  /** Waiting for a later time (a retry's backoff, a scheduled job). */
  deferred: number;
  active: number;
}

/**
 * Background work on pg-boss: durable jobs in PostgreSQL with retries, exponential backoff and
 * a dead-letter queue, surviving restarts. On the embedded database pg-boss runs on the PGlite
 * instance itself through its own adapter, never through the socket the pool uses.
 *
 * A job sent inside a transaction is written by that transaction (`Transactions.connection`),
 * so it exists exactly when the change that caused it commits. Handlers are methods marked
 * with `@JobHandler`; this process works their queues unless JOBS_IN_PROCESS is off (then
 * `--worker` processes do).
 */
@Injectable()
export class JobQueue implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JobQueue.name);
  private readonly queues = new Map<string, RegisteredQueue>();
  /** This process's workers by queue, to wake them when a transaction of ours created jobs. */
  private readonly workers = new Map<string, string[]>();
  private boss: PgBoss | null = null;
  private stopping = false;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly transactions: Transactions,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(EMBEDDED_DATABASE) private readonly embedded: PGlite | null,
  ) {}

  async onModuleInit(): Promise<void> {
    this.discoverHandlers();
    const boss = createJobQueueClient(this.config, this.embedded, this.config.jobs.inProcess);
    boss.on('error', (error: Error) => this.logger.error({ err: error }, 'Job queue error'));
    await boss.start();
    this.boss = boss;
    await this.ensureQueue({
      name: DEAD_LETTER_QUEUE,
      retentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
    });
    for (const { definition } of this.queues.values()) {
      await this.ensureQueue(queueOptions(definition));
      if (definition.cron) await boss.schedule(definition.name, definition.cron, {});
    }
    // A schedule outlives the handler it was made for (pg-boss keeps it in the database): one
    // whose queue this version no longer works would send jobs that nothing ever runs.
    for (const schedule of await boss.getSchedules()) {
      const definition = this.queues.get(schedule.name)?.definition;
      if (!definition?.cron) await boss.unschedule(schedule.name, schedule.key);
    }
  }

  /** Whether this process works the queues (otherwise `--worker` processes do). */
  get worksHere(): boolean {
    return this.config.jobs.inProcess;
  }

  /** Workers start once every module is ready, so a job never meets a half-started service. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.worksHere) return;
    for (const [name, { definition, handler }] of this.queues) {
      const ids: string[] = [];
      for (let i = 0; i < (definition.concurrency ?? 1); i++) {
        ids.push(
          await this.started().work<unknown>(
            name,
            {
              batchSize: definition.batchSize ?? 1,
              // A backlog is worked without pause: a full batch is followed by the next at once.
              burstWhenBatchFull: true,
              perJobResults: true,
              pollingIntervalSeconds: POLLING_SECONDS,
              notifyPollingIntervalSeconds: NOTIFY_POLLING_SECONDS,
            },
            (jobs) => handler(jobs),
          ),
        );
      }
      this.workers.set(name, ids);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.boss?.stop({ graceful: true, timeout: SHUTDOWN_GRACE_MS });
  }

  /**
   * Queues a job. Inside a transaction it is written by that transaction and this process's
   * workers are woken once it commits; outside, it is written at once.
   */
  async send(name: string, data: object, options: SendOptions = {}): Promise<string | null> {
    this.assertKnown(name);
    const db = this.transactions.inTransaction() ? await this.executor() : undefined;
    const id = await this.started().send(name, data, db ? { ...options, db } : options);
    await this.transactions.afterCommit(() => this.wake(name));
    return id;
  }

  /** Queues several jobs of one queue in one statement, in the open transaction if any. */
  async sendMany(
    name: string,
    jobs: { data: object; singletonKey?: string; startAfter?: Date }[],
  ): Promise<void> {
    if (jobs.length === 0) return;
    this.assertKnown(name);
    const db = this.transactions.inTransaction() ? await this.executor() : undefined;
    await this.started().insert(name, jobs, db ? { db } : undefined);
    await this.transactions.afterCommit(() => this.wake(name));
  }

  /** How many jobs each queue holds, by state, for the metrics and for tests waiting on work. */
  async depths(): Promise<QueueDepth[]> {
    const queues = await this.started().getQueues([...this.queues.keys(), DEAD_LETTER_QUEUE]);
    return queues.map((queue) => ({
      queue: queue.name,
      ready: queue.readyCount,
      deferred: queue.deferredCount,
      active: queue.activeCount,
    }));
  }

  private started(): PgBoss {
    if (!this.boss) throw new Error('the job queue is used before it started');
    return this.boss;
  }

  private assertKnown(name: string): void {
    if (!this.queues.has(name)) throw new Error(`no job handler works the queue ${name}`);
  }

  /**
   * This process's workers look at once. pg-boss's NOTIFY wakes every process's workers on a
   * PostgreSQL server, but not over the embedded database's socket (a job written through a
   * transaction of ours, or anything in tests that reach it over loopback).
   */
  private wake(name: string): void {
    if (this.stopping) return;
    for (const id of this.workers.get(name) ?? []) this.started().notifyWorker(id);
  }

  /** The open transaction's connection, as pg-boss runs its statements. */
  private async executor(): Promise<Db> {
    const connection = await this.transactions.connection();
    return { executeSql: (text, values) => connection.query(text, values) };
  }

  private discoverHandlers(): void {
    const handlers = decoratedMethods<JobQueueDefinition>(
      this.discovery,
      this.scanner,
      JOB_HANDLER,
    );
    for (const { metadata: definition, method } of handlers) {
      if (this.queues.has(definition.name)) {
        throw new Error(`two job handlers for the queue ${definition.name}`);
      }
      const handler = method as JobBatchHandler<unknown>;
      this.queues.set(definition.name, { definition, handler: this.guarded(handler) });
    }
  }

  /** A handler that throws fails its whole batch; that it did is logged once, here. */
  private guarded(handler: JobBatchHandler<unknown>): JobBatchHandler<unknown> {
    return async (jobs): Promise<JobOutcome[]> => {
      try {
        return await handler(jobs);
      } catch (error) {
        this.logger.error({ err: error, queue: jobs[0]?.name }, 'Job handler failed');
        throw error;
      }
    };
  }

  /** Creates the queue, or brings an existing one's settings up to this version's. */
  private async ensureQueue(options: Queue): Promise<void> {
    const boss = this.started();
    const { name, policy, ...settings } = options;
    if (await boss.getQueue(name)) {
      await boss.updateQueue(name, settings);
      return;
    }
    try {
      await boss.createQueue(name, { policy, ...settings });
    } catch (error) {
      // Another instance created it meanwhile.
      if (!(await boss.getQueue(name))) throw error;
    }
  }
}
