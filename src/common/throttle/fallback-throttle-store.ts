import { Logger, LoggerService } from '@nestjs/common';
import { Charge, LockSchedule, ThrottleStore, WindowCount } from './throttle-store';

/**
 * The shared store, and the in-process one for whenever the shared store fails: an outage of
 * Redis must neither refuse every login nor switch brute-force protection off. Counts made
 * during an outage stay in this process and are not merged back. One warning per outage.
 */
export class FallbackThrottleStore implements ThrottleStore {
  private inOutage = false;

  constructor(
    private readonly primary: ThrottleStore,
    private readonly fallback: ThrottleStore,
    private readonly logger: Pick<LoggerService, 'warn' | 'log'> = new Logger('Throttle'),
  ) {}

  increment(key: string, windowMs: number, now: number): Promise<WindowCount> {
    return this.attempt((store) => store.increment(key, windowMs, now));
  }

  charge(charges: Charge[], schedule: LockSchedule, now: number): Promise<number> {
    return this.attempt((store) => store.charge(charges, schedule, now));
  }

  refund(key: string, now: number): Promise<void> {
    return this.attempt((store) => store.refund(key, now));
  }

  lockedUntil(keys: string[], now: number): Promise<number> {
    return this.attempt((store) => store.lockedUntil(keys, now));
  }

  delete(keys: string[]): Promise<void> {
    return this.attempt((store) => store.delete(keys));
  }

  private async attempt<T>(operation: (store: ThrottleStore) => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await operation(this.primary);
    } catch (error) {
      if (!this.inOutage) {
        this.inOutage = true;
        const reason = error instanceof Error ? error.message : String(error);
        this.logger.warn(
          `Redis unavailable (${reason}): login throttling and rate limits are counted in this process until it returns`,
        );
      }
      return operation(this.fallback);
    }
    if (this.inOutage) {
      this.inOutage = false;
      this.logger.log('Redis reachable again: login throttling and rate limits are shared again');
    }
    return result;
  }
}
