import { AddressInfo, createServer, Server, Socket } from 'node:net';

/**
 * A TCP server on loopback that a test can take down (refusing and dropping connections, as a
 * crashed peer does) and bring back on the same port, as the same peer restarting.
 */
export abstract class InterruptibleServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  protected port = 0;

  /** Serves one accepted connection; sockets it opens itself go through `track`. */
  protected abstract serve(socket: Socket): void;

  protected track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((socket) => {
      this.track(socket);
      this.serve(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and severs every open connection; the port stays reserved for restart. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
