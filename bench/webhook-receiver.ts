import { createServer, Server } from 'node:http';

/**
 * A webhook receiver for the delivery benchmark, in a process of its own (as a real receiver
 * would be): answers 204 to every POST and reports each arrival's `webhook-id` and time (epoch
 * milliseconds, sub-millisecond precision) to its parent in batches. The parent opens and closes
 * it (`listen`, `close`) to play a receiver that is down.
 */
type Command = { command: 'listen'; port: number } | { command: 'close' };

const now = () => performance.timeOrigin + performance.now();
let pending: [string, number][] = [];
let server: Server | null = null;

setInterval(() => {
  if (pending.length === 0) return;
  process.send?.({ arrivals: pending });
  pending = [];
}, 20);

function listen(port: number): void {
  server = createServer((request, response) => {
    const arrived = now();
    request.resume();
    request.on('end', () => {
      pending.push([String(request.headers['webhook-id']), arrived]);
      response.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(port, '127.0.0.1', () => process.send?.({ listening: port }));
}

process.on('message', (message: Command) => {
  if (message.command === 'listen') listen(message.port);
  else {
    const closing = server;
    server = null;
    closing?.closeAllConnections();
    closing?.close(() => process.send?.({ closed: true }));
  }
});
