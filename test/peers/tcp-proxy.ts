import { connect, Socket } from 'node:net';
import { InterruptibleServer } from './interruptible-server';

/**
 * A loopback TCP proxy in front of the database (or Redis): the service connects through it, and a test
 * can cut the line (refusing and dropping connections, as a dead server does) and restore it.
 */
export class TcpProxy extends InterruptibleServer {
  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    super();
  }

  static forUrl(url: string): TcpProxy {
    const parsed = new URL(url);
    const defaultPort = parsed.protocol === 'redis:' ? 6379 : 5432;
    return new TcpProxy(parsed.hostname, Number(parsed.port || defaultPort));
  }

  /** The same URL with host and port pointing at this proxy. */
  rewrite(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  protected serve(client: Socket): void {
    const upstream = connect(this.targetPort, this.targetHost);
    this.track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}
