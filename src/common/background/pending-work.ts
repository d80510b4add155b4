import { Logger } from '@nestjs/common';

/**
 * Promises started and not awaited by whoever started them, tracked so that they can be
 * waited for: by tests (`settled`) and at shutdown, for a bounded time (`drain`).
 */
export class PendingWork {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly logger: Logger,
    /** What is pending, for the shutdown warning ("mail(s) still being sent"). */
    private readonly description: string,
  ) {}

  /**
   * Starts `work` after the current event-loop turn, so that the caller (a request) finishes
   * first. `failed` handles an error; it must not throw.
   */
  start(work: () => Promise<void>, failed: (error: unknown) => void): void {
    const task = new Promise<void>((resolve) => setImmediate(resolve))
      .then(work)
      .catch(failed)
      .finally(() => this.pending.delete(task));
    this.pending.add(task);
  }

  /** Resolves once everything started so far, and anything started meanwhile, has finished. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  /** Waits for what is pending, at most `timeoutMs`, and says so when that was not enough. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.pending.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), timeoutMs);
    });
    const outcome = await Promise.race([this.settled(), expired]);
    clearTimeout(timer);
    if (outcome === 'expired') {
      this.logger.warn(
        `Shutting down with ${this.pending.size} ${this.description} after ${timeoutMs} ms`,
      );
    }
  }
}
