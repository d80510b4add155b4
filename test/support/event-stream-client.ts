import { request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';

/** One Server-Sent Events message as a client parses it. */
export interface SseMessage {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

const WAIT_MS = 10_000;

/**
 * A Server-Sent Events client over a real connection, parsing the stream as EventSource does
 * (messages end with a blank line; lines starting with ":" are comments), keeping everything
 * received so a test can wait for what it expects.
 */
export class EventStreamClient {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  ended = false;
  body = '';
  private buffer = '';
  private readonly waiters = new Set<() => void>();

  private constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    private readonly abort: () => void,
  ) {}

  /** Opens a stream; resolves once the response headers have arrived. */
  static open(
    port: number,
    path: string,
    headers: Record<string, string> = {},
  ): Promise<EventStreamClient> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
        const client = new EventStreamClient(res.statusCode ?? 0, res.headers, () => req.destroy());
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => client.received(chunk));
        res.on('end', () => client.finished());
        res.on('error', () => client.finished());
        resolve(client);
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** The JSON envelopes of the messages received so far. */
  get envelopes(): { id: string; type: string; data: Record<string, unknown> }[] {
    return this.messages.map((m) => JSON.parse(m.data) as never);
  }

  /** Waits until `condition` holds of what was received (failing after a while). */
  async until(condition: (client: this) => boolean, what = 'the expected stream'): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!condition(this)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 100));
        this.waiters.add(wake);
      });
    }
  }

  /** Waits for the message with this event id. */
  untilId(id: number | string): Promise<void> {
    return this.until((c) => c.messages.some((m) => m.id === String(id)), `event ${id}`);
  }

  untilEnded(): Promise<void> {
    return this.until((c) => c.ended, 'the stream to end');
  }

  close(): void {
    this.abort();
  }

  private received(chunk: string): void {
    this.body += chunk;
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      this.parse(block);
    }
    this.wake();
  }

  private parse(block: string): void {
    const message: SseMessage = { id: undefined, event: undefined, data: '' };
    let isMessage = false;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      isMessage = true;
      if (field === 'id') message.id = value;
      else if (field === 'event') message.event = value;
      else if (field === 'data') message.data += message.data ? `\n${value}` : value;
    }
    if (isMessage) this.messages.push(message);
  }

  private finished(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    for (const wake of [...this.waiters]) wake();
  }
}
