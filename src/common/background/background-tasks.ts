import { Global, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { PendingWork } from './pending-work';

/** How long shutdown waits for work still running; within HTTP_SHUTDOWN_GRACE_MS (default 10 s). */
const SHUTDOWN_DRAIN_MS = 5000;

/**
 * Work a request starts but does not wait for. Used where the time an answer takes must not
 * depend on what the work finds (whether an address has an account): the response leaves
 * first, the work runs after it, failures are logged, and shutdown waits for what is running.
 */
@Injectable()
export class BackgroundTasks implements OnApplicationShutdown {
  private readonly logger = new Logger(BackgroundTasks.name);
  private readonly work = new PendingWork(this.logger, 'background task(s) unfinished');

  /** Starts `work` after the current event-loop turn; `name` identifies it in error logs. */
  run(name: string, work: () => Promise<void>): void {
    this.work.start(work, (error) =>
      this.logger.error({ err: error, task: name }, 'Background task failed'),
    );
  }

  settled(): Promise<void> {
    return this.work.settled();
  }

  onApplicationShutdown(): Promise<void> {
    return this.work.drain(SHUTDOWN_DRAIN_MS);
  }
}

@Global()
@Module({ providers: [BackgroundTasks], exports: [BackgroundTasks] })
export class BackgroundModule {}
