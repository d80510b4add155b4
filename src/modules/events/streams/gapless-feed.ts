import { PublishedEvent } from '../domain-event';

/** Published events after a position, in order (OutboxRepository.after). */
export type PublishedReader = (after: number, limit: number) => Promise<PublishedEvent[]>;

export interface GaplessFeedOptions {
  read: PublishedReader;
  /** Events per read while catching up. */
  pageSize: number;
  /** Live events held while catching up; past this they are dropped and read again instead. */
  bufferLimit: number;
  /** Receives every event once, in position order (the stream filters and sends). */
  emit: (event: PublishedEvent) => void;
  /** Awaited before each event emitted while catching up: a slow client paces the reads. */
  pace: (event: PublishedEvent) => Promise<void>;
  /** True once nothing more is wanted (the stream closed). */
  stopped: () => boolean;
}

/**
 * The events after a position, then the live ones, with no gap and no duplicate. The live
 * source (the tail) is subscribed to before catching up; what it delivers meanwhile is held.
 * Catching up reads the outbox page by page until a read comes back short, then, in the same
 * turn of the event loop, emits what was held past the last position read and goes live: an
 * event published after that read is one the tail has delivered (held) or will deliver. Held
 * events past the buffer limit are dropped, and the outbox is read once more instead.
 */
export class GaplessFeed {
  private cursor = 0;
  private live = false;
  private held: PublishedEvent[] = [];
  private dropped = false;

  constructor(private readonly options: GaplessFeedOptions) {}

  /** The position of the last event emitted or passed over. */
  get position(): number {
    return this.cursor;
  }

  /** What the live source delivers, in order. */
  delivered(events: PublishedEvent[]): void {
    if (this.live) {
      for (const event of events) this.pass(event);
      return;
    }
    this.held.push(...events);
    if (this.held.length > this.options.bufferLimit) {
      this.held = [];
      this.dropped = true;
    }
  }

  /** Live from `position` on, without catching up (a stream that does not resume). */
  goLive(position: number): void {
    this.cursor = position;
    this.live = true;
  }

  /** Emits the events after `position` from the outbox, then goes live. */
  async catchUp(position: number): Promise<void> {
    const { read, pageSize, pace, stopped } = this.options;
    this.cursor = position;
    for (;;) {
      this.dropped = false;
      const page = await read(this.cursor, pageSize);
      for (const event of page) {
        await pace(event);
        if (stopped()) return;
        this.pass(event);
      }
      if (page.length === pageSize || this.dropped) continue;
      for (const event of this.held) this.pass(event);
      this.held = [];
      this.live = true;
      return;
    }
  }

  private pass(event: PublishedEvent): void {
    if (event.position <= this.cursor) return;
    this.cursor = event.position;
    this.options.emit(event);
  }
}
