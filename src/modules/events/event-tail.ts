import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { DatabaseNotifications } from '../../database/database-notifications';
import { EMBEDDED_DATABASE } from '../../database/database.tokens';
import { PublishedEvent } from './domain-event';
import { EventConsumers } from './event-consumers';
import { OutboxRepository } from './outbox.repository';

/** The channel the relay notifies after each publication, payload the last position. */
export const EVENTS_NOTIFY_CHANNEL = 'gatehouse_events';
/**
 * A lost notification (a dropped connection), or one that cannot arrive (another process on
 * the embedded database), costs at most this much delay: within the 1 s in which a revocation
 * must reach every instance. A poll is one indexed read that finds nothing.
 */
const POLL_MS = 500;
const PAGE = 500;

export type PublishedListener = (events: PublishedEvent[]) => void;

/**
 * This instance's view of the published events: it reads them in order as they are published
 * (woken by the relay's NOTIFY, or by the relay itself in this process, with a poll as the
 * safety net), runs the broadcast consumers on each, and hands them to listeners (the streams).
 * It starts at the events published when the instance started: what it holds in memory was
 * built after them.
 */
@Injectable()
export class EventTail implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EventTail.name);
  private readonly listeners = new Set<PublishedListener>();
  private position = 0;
  /** The last position this process's relay is committing, which `take` will bring. */
  private coming = 0;
  private reading = false;
  private again = false;
  private poll: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly consumers: EventConsumers,
    private readonly notifications: DatabaseNotifications,
    @Inject(EMBEDDED_DATABASE) private readonly embedded: unknown,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.position = await this.outbox.lastPosition();
    // The embedded database has one process: its relay wakes the tail itself.
    if (!this.embedded) {
      await this.notifications.listen(
        EVENTS_NOTIFY_CHANNEL,
        // The payload is the last position published: nothing to read if this instance has it
        // or is about to take it from its own relay (the NOTIFY can arrive before the COMMIT's
        // answer does).
        (payload) => {
          if (!(Number(payload) <= Math.max(this.position, this.coming))) this.read();
        },
        () => this.read(),
      );
    }
    this.poll = setInterval(() => this.read(), POLL_MS).unref();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.poll) clearInterval(this.poll);
  }

  /** The position of the last event this instance has read. */
  get lastPosition(): number {
    return this.position;
  }

  /** Receives every event published from now on, in order; returns the unsubscribe. */
  subscribe(listener: PublishedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * This process's relay is committing events up to `position` and will hand them to `take`;
   * 0 when that commit failed.
   */
  committing(position: number): void {
    this.coming = position;
  }

  /**
   * Events this process's relay has just published: taken as they are when they follow the
   * last one read, which saves reading them back; otherwise read.
   */
  take(events: PublishedEvent[]): void {
    if (this.stopped) return;
    if (this.reading || events.length === 0 || events[0].position !== this.position + 1) {
      this.read();
      return;
    }
    this.reading = true;
    void (async () => {
      try {
        await this.deliver(events);
      } finally {
        this.reading = false;
        if (this.again) this.read();
      }
    })();
  }

  /** Reads what was published since the last read; a call during a read causes one more. */
  read(): void {
    if (this.stopped) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    void (async () => {
      try {
        do {
          this.again = false;
          let page: PublishedEvent[];
          do {
            page = await this.outbox.after(this.position, PAGE);
            if (page.length === 0) break;
            await this.deliver(page);
          } while (page.length === PAGE);
        } while (this.again);
      } catch (error) {
        this.logger.warn(`Could not read published events: ${(error as Error).message}`);
      } finally {
        this.reading = false;
      }
    })();
  }

  private async deliver(events: PublishedEvent[]): Promise<void> {
    for (const event of events) await this.consumers.broadcast(event);
    this.position = events[events.length - 1].position;
    for (const listener of this.listeners) listener(events);
  }
}
