import { EventStreamConnection, StreamSink } from './event-stream-connection';

/** A socket that takes `capacity` writes, then is backed up until `drain()`. */
class FakeSink implements StreamSink {
  written: string[] = [];
  ended = false;
  destroyed = false;
  writableFinished = false;
  private drainListeners: (() => void)[] = [];
  private taken = 0;

  constructor(private capacity: number) {}

  write(chunk: string): boolean {
    this.written.push(chunk);
    this.taken++;
    return this.taken < this.capacity;
  }

  end(): void {
    this.ended = true;
  }

  destroy(): void {
    this.destroyed = true;
  }

  once(_event: 'drain', listener: () => void): void {
    this.drainListeners.push(listener);
  }

  get waitingForDrain(): number {
    return this.drainListeners.length;
  }

  drain(capacity: number): void {
    this.taken = 0;
    this.capacity = capacity;
    for (const listener of this.drainListeners.splice(0)) listener();
  }
}

describe('EventStreamConnection', () => {
  it('writes at once while the socket takes it, and queues while it is backed up', () => {
    const sink = new FakeSink(2);
    const connection = new EventStreamConnection(sink, 10, () => undefined);
    for (const message of ['a', 'b', 'c', 'd']) connection.push(message);
    expect(sink.written).toEqual(['a', 'b']);
    expect(connection.backlog).toBe(2);
    // One listener however many messages queue up behind a full socket.
    expect(sink.waitingForDrain).toBe(1);
    sink.drain(100);
    expect(sink.written).toEqual(['a', 'b', 'c', 'd']);
    expect(connection.backlog).toBe(0);
  });

  it('disconnects a client that falls more than the limit behind, saying why, once', () => {
    const sink = new FakeSink(1);
    const reasons: string[] = [];
    const connection = new EventStreamConnection(sink, 3, (reason) => reasons.push(reason));
    for (const message of ['a', 'b', 'c', 'd']) expect(connection.push(message)).toBe(true);
    expect(connection.push('e')).toBe(false);
    expect(connection.closed).toBe(true);
    expect(connection.backlog).toBe(0);
    expect(sink.written.at(-1)).toMatch(/^: disconnected: more than 3 events behind/);
    expect(sink.ended).toBe(true);
    expect(reasons).toHaveLength(1);
    expect(connection.push('f')).toBe(false);
    sink.drain(100);
    expect(sink.written).not.toContain('b');
  });

  it('cuts a client that does not read even its last words', () => {
    jest.useFakeTimers();
    try {
      const sink = new FakeSink(1);
      const connection = new EventStreamConnection(sink, 1, () => undefined);
      connection.push('a');
      connection.close('closed: the session ended');
      expect(sink.destroyed).toBe(false);
      jest.advanceTimersByTime(10_000);
      expect(sink.destroyed).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });

  it('lets a producer wait for room instead of overflowing', async () => {
    const sink = new FakeSink(1);
    const connection = new EventStreamConnection(sink, 2, () => undefined);
    connection.push('a');
    connection.push('b');
    connection.push('c');
    let roomy = false;
    const room = connection.room().then(() => (roomy = true));
    await Promise.resolve();
    expect(roomy).toBe(false);
    sink.drain(100);
    await room;
    expect(connection.closed).toBe(false);
    expect(sink.written).toEqual(['a', 'b', 'c']);
  });

  it('sends heartbeats only to a client with nothing waiting', () => {
    const sink = new FakeSink(1);
    const connection = new EventStreamConnection(sink, 5, () => undefined);
    connection.heartbeat();
    expect(sink.written).toEqual([': heartbeat\n\n']);
    connection.push('a');
    connection.heartbeat();
    expect(sink.written).toEqual([': heartbeat\n\n']);
    sink.drain(100);
    connection.heartbeat();
    expect(sink.written).toEqual([': heartbeat\n\n', 'a', ': heartbeat\n\n']);
  });

  it('writes nothing more once the client went away', () => {
    const sink = new FakeSink(100);
    const reasons: string[] = [];
    const connection = new EventStreamConnection(sink, 5, (reason) => reasons.push(reason));
    connection.gone();
    connection.push('a');
    connection.heartbeat();
    connection.close('closed: shutting down');
    expect(sink.written).toEqual([]);
    expect(reasons).toEqual(['client disconnected']);
  });
});
