import { Global, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';

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
  private readonly pending = new Set<Promise<void>>();

  /** Starts `work` after the current event-loop turn; `name` identifies it in error logs. */
  run(name: string, work: () => Promise<void>): void {
    const task = new Promise<void>((resolve) => setImmediate(resolve))
      .then(work)
      .catch((error: unknown) =>
        this.logger.error({ err: error, task: name }, 'Background task failed'),
      )
      .finally(() => this.pending.delete(task));
    this.pending.add(task);
  }

  /** Resolves once every task started so far, and any started meanwhile, has finished. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.pending.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), SHUTDOWN_DRAIN_MS);
    });
    const outcome = await Promise.race([this.settled(), expired]);
    clearTimeout(timer);
    if (outcome === 'expired') {
      this.logger.warn(`Shutting down with ${this.pending.size} background task(s) unfinished`);
    }
  }
}

@Global()
@Module({ providers: [BackgroundTasks], exports: [BackgroundTasks] })
export class BackgroundModule {}
