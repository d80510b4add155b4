import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** One request a receiver got. */
export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  /** The webhook-id header. */
  id: string;
}

/** How to answer a request: a status (and body, headers), or `hang` to never answer. */
export type WebhookAnswer =
  { status: number; body?: string; headers?: Record<string, string> } | 'hang';

/**
 * A webhook receiver on loopback: records every request and answers as `answer` says (200 by
 * default), so a test can play a failing, slow, redirecting or gone endpoint.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private server!: Server;

  constructor(
    public answer: (request: ReceivedWebhook, index: number) => WebhookAnswer = () => ({
      status: 200,
    }),
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request: ReceivedWebhook = {
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          id: String(req.headers['webhook-id']),
        };
        this.received.push(request);
        const answer = this.answer(request, this.received.length - 1);
        if (answer === 'hang') {
          this.hanging.add(res);
          return;
        }
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body ?? '');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  /** The requests that carried this event. */
  of(eventId: string): ReceivedWebhook[] {
    return this.received.filter((request) => request.id === eventId);
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
