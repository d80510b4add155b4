import { sseComment } from './server-sent-events';

/** The part of a response (Node's ServerResponse) a stream writes to. */
export interface StreamSink {
  write(chunk: string): boolean;
  end(): void;
  destroy(): void;
  once(event: 'drain', listener: () => void): unknown;
  readonly writableFinished: boolean;
}

/**
 * How long a stream ended by the server may take to hand its last bytes (the reason it ended)
 * to a client that is not reading, before the connection is cut.
 */
const FINAL_WRITE_GRACE_MS = 10_000;

/**
 * One client's stream: messages wait in a bounded queue while the socket is backed up. A client
 * that falls `limit` messages behind is disconnected (with a last comment saying why) rather
 * than holding memory or slowing whoever feeds it: producers never wait on a client.
 */
export class EventStreamConnection {
  private readonly queue: string[] = [];
  private blocked = false;
  private closedReason: string | null = null;
  private readonly roomWaiters: (() => void)[] = [];

  constructor(
    private readonly sink: StreamSink,
    private readonly limit: number,
    private readonly onClose: (reason: string) => void,
  ) {}

  get closed(): boolean {
    return this.closedReason !== null;
  }

  /** Messages waiting for the socket. */
  get backlog(): number {
    return this.queue.length;
  }

  /**
   * Queues a message for the client. One already `limit` messages behind is disconnected
   * instead; false when the message was not queued (then or before).
   */
  push(message: string): boolean {
    if (this.closed) return false;
    if (this.queue.length >= this.limit) {
      this.close(
        `disconnected: more than ${this.limit} events behind, the client reads too slowly`,
      );
      return false;
    }
    this.queue.push(message);
    this.flush();
    return true;
  }

  /** Resolves once a message can be queued without overflowing (or the stream closed). */
  room(): Promise<void> {
    if (this.closed || this.queue.length < this.limit) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** A comment that keeps the connection alive; a client with messages waiting needs none. */
  heartbeat(): void {
    if (this.closed || this.blocked || this.queue.length > 0) return;
    this.write(sseComment('heartbeat'));
  }

  /** Ends the stream with a last comment saying why. */
  close(reason: string): void {
    if (this.closed) return;
    this.finish(reason);
    this.sink.write(sseComment(reason));
    this.sink.end();
    // A client that is not reading would hold the socket open until it did.
    setTimeout(() => {
      if (!this.sink.writableFinished) this.sink.destroy();
    }, FINAL_WRITE_GRACE_MS).unref();
  }

  /** The client went away (or the socket failed): nothing more is written. */
  gone(): void {
    if (!this.closed) this.finish('client disconnected');
  }

  private finish(reason: string): void {
    this.closedReason = reason;
    this.queue.length = 0;
    for (const resolve of this.roomWaiters.splice(0)) resolve();
    this.onClose(reason);
  }

  private flush(): void {
    while (!this.blocked && this.queue.length > 0) this.write(this.queue.shift()!);
    if (this.queue.length < this.limit) {
      for (const resolve of this.roomWaiters.splice(0)) resolve();
    }
  }

  /** Writes while the socket takes more; once it does not, waits for it to drain. */
  private write(chunk: string): void {
    if (this.sink.write(chunk)) return;
    this.blocked = true;
    this.sink.once('drain', () => this.drained());
  }

  private drained(): void {
    this.blocked = false;
    if (!this.closed) this.flush();
  }
}
