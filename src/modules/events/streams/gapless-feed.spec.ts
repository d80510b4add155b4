import fc from 'fast-check';
import { PublishedEvent } from '../domain-event';
import { GaplessFeed } from './gapless-feed';

function event(position: number): PublishedEvent {
  return { position, type: 'user.updated' } as PublishedEvent;
}

/**
 * An outbox being published to while a stream catches up: `duringRead` runs while each read is
 * in flight (after its snapshot), as publications and the tail's deliveries would.
 */
class Scenario {
  published = 0;
  delivered = 0;
  emitted: number[] = [];
  reads = 0;
  duringRead: (scenario: Scenario, read: number) => void = () => undefined;
  feed: GaplessFeed;

  constructor(
    readonly pageSize: number,
    bufferLimit: number,
    stopped: () => boolean = () => false,
  ) {
    this.feed = new GaplessFeed({
      read: (after, limit) => this.read(after, limit),
      pageSize,
      bufferLimit,
      emit: (e) => this.emitted.push(e.position),
      pace: () => Promise.resolve(),
      stopped,
    });
  }

  publish(count: number): void {
    this.published += count;
  }

  /** The tail reads up to `upTo` (in order, as it does) and hands the page over. */
  tailReads(upTo = this.published): void {
    const page: PublishedEvent[] = [];
    for (let p = this.delivered + 1; p <= Math.min(upTo, this.published); p++) page.push(event(p));
    if (page.length === 0) return;
    this.delivered = page[page.length - 1].position;
    this.feed.delivered(page);
  }

  private async read(after: number, limit: number): Promise<PublishedEvent[]> {
    const snapshot: PublishedEvent[] = [];
    for (let p = after + 1; p <= this.published && snapshot.length < limit; p++) {
      snapshot.push(event(p));
    }
    await Promise.resolve();
    this.duringRead(this, this.reads++);
    return snapshot;
  }
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('GaplessFeed', () => {
  it('sends what was published during the last read once, after what that read found', async () => {
    const s = new Scenario(100, 100);
    s.publish(10);
    s.tailReads(4);
    s.duringRead = (scenario) => {
      scenario.publish(3);
      scenario.tailReads();
    };
    await s.feed.catchUp(2);
    s.publish(2);
    s.tailReads();
    expect(s.emitted).toEqual(range(3, 15));
  });

  it('reads on while pages come back full', async () => {
    const s = new Scenario(3, 100);
    s.publish(10);
    await s.feed.catchUp(0);
    expect(s.emitted).toEqual(range(1, 10));
    expect(s.reads).toBe(4);
  });

  it('drops held events past the limit and reads them again', async () => {
    const s = new Scenario(100, 2);
    s.publish(5);
    s.duringRead = (scenario, read) => {
      if (read > 0) return;
      scenario.publish(5);
      scenario.tailReads();
    };
    await s.feed.catchUp(0);
    expect(s.reads).toBe(2);
    s.publish(1);
    s.tailReads();
    expect(s.emitted).toEqual(range(1, 11));
  });

  it('going live without catching up sends only what follows the position', () => {
    const s = new Scenario(100, 100);
    s.publish(5);
    s.tailReads();
    s.feed.goLive(5);
    s.publish(2);
    s.tailReads(6);
    s.tailReads();
    expect(s.emitted).toEqual([6, 7]);
  });

  it('stops once the stream is closed', async () => {
    let closed = false;
    const s = new Scenario(100, 100, () => closed);
    s.publish(5);
    const emitted: number[] = [];
    s.emitted = emitted;
    s.duringRead = () => (closed = true);
    await s.feed.catchUp(0);
    expect(emitted).toEqual([]);
  });

  it('never skips nor repeats an event, however publications and the tail interleave', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 20 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 10 })), {
          maxLength: 12,
        }),
        async (pageSize, bufferLimit, before, resumeAt, steps) => {
          const s = new Scenario(pageSize, bufferLimit);
          s.publish(before);
          const from = Math.min(resumeAt, before);
          s.tailReads(from);
          s.duringRead = (scenario, read) => {
            const [published, tailLag] = steps[read] ?? [0, 0];
            scenario.publish(published);
            scenario.tailReads(scenario.published - tailLag);
          };
          await s.feed.catchUp(from);
          s.publish(2);
          s.tailReads();
          expect(s.emitted).toEqual(range(from + 1, s.published));
        },
      ),
    );
  });
});
