import { Socket } from 'node:net';
import { InterruptibleServer } from './interruptible-server';

/**
 * A Redis server on loopback that speaks RESP2 for the commands Gatehouse's readiness check
 * sends: ioredis's connection handshake (CLIENT SETNAME, INFO), PING and QUIT. Anything else is
 * answered with the error a real server gives for an unknown command. It can be cut and
 * restored on the same port, like a Redis that restarts.
 */
export class RedisPeer extends InterruptibleServer {
  readonly received: string[][] = [];

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  protected serve(socket: Socket): void {
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (let parsed = parseCommand(buffer); parsed; parsed = parseCommand(buffer)) {
        buffer = buffer.subarray(parsed.consumed);
        this.received.push(parsed.args);
        socket.write(reply(parsed.args));
        if (parsed.args[0]?.toUpperCase() === 'QUIT') socket.end();
      }
    });
  }
}

function reply([command = '', ...args]: string[]): string {
  switch (command.toUpperCase()) {
    case 'PING':
      return args.length ? bulk(args[0]) : '+PONG\r\n';
    case 'CLIENT':
    case 'QUIT':
      return '+OK\r\n';
    case 'INFO':
      return bulk('# Server\r\nredis_version:7.0.15\r\nloading:0\r\n');
    default:
      return `-ERR unknown command '${command}'\r\n`;
  }
}

function bulk(value: string): string {
  return `$${Buffer.byteLength(value)}\r\n${value}\r\n`;
}

/** Parses one RESP array of bulk strings (how clients send commands), if complete. */
function parseCommand(buffer: Buffer): { args: string[]; consumed: number } | undefined {
  let offset = 0;
  const line = () => {
    const end = buffer.indexOf('\r\n', offset);
    if (end === -1) return undefined;
    const text = buffer.toString('utf8', offset, end);
    offset = end + 2;
    return text;
  };
  const header = line();
  if (header === undefined || !header.startsWith('*')) return undefined;
  const args: string[] = [];
  for (let i = 0, count = Number(header.slice(1)); i < count; i++) {
    const size = line();
    if (size === undefined || !size.startsWith('$')) return undefined;
    const length = Number(size.slice(1));
    if (buffer.length < offset + length + 2) return undefined;
    args.push(buffer.toString('utf8', offset, offset + length));
    offset += length + 2;
  }
  return { args, consumed: offset };
}
