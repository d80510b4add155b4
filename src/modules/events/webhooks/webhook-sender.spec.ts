import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { AppConfig } from '../../../config/app-config';
import { WebhookSender } from './webhook-sender';

function senderAllowing(allowedHosts: string[], timeoutMs = 2000): WebhookSender {
  return new WebhookSender({ webhooks: { allowedHosts, timeoutMs } } as unknown as AppConfig);
}

describe('WebhookSender', () => {
  let server: Server;
  let port: number;
  let hits: { host: string | undefined; body: string }[];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        hits.push({ host: req.headers.host, body });
        if (req.url === '/big') {
          res.writeHead(500).end('x'.repeat(5000));
        } else if (req.url === '/moved') {
          res.writeHead(301, { location: '/elsewhere' }).end();
        } else {
          res.writeHead(200).end('ok');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  beforeEach(() => (hits = []));
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('refuses a name that resolves to loopback unless it is allowed', async () => {
    const refused = await senderAllowing([]).post(`http://localhost:${port}/hook`, {}, '{}');
    expect(refused).toMatchObject({ statusCode: null, error: 'address_refused' });
    expect(hits).toHaveLength(0);

    const allowed = await senderAllowing(['localhost']).post(
      `http://localhost:${port}/hook`,
      {},
      '{"a":1}',
    );
    expect(allowed).toMatchObject({ statusCode: 200, error: null, responseBody: 'ok' });
    // The name, not the address it was pinned to, is what the receiver sees.
    expect(hits).toEqual([{ host: `localhost:${port}`, body: '{"a":1}' }]);
  });

  it('refuses private and IPv4-mapped literals at delivery too', async () => {
    for (const url of [`http://127.0.0.1:${port}/`, `http://[::ffff:127.0.0.1]:${port}/`]) {
      expect(await senderAllowing(['localhost']).post(url, {}, '{}')).toMatchObject({
        error: 'address_refused',
      });
    }
    expect(hits).toHaveLength(0);
  });

  it('keeps the first KiB of a body and does not follow redirects', async () => {
    const sender = senderAllowing(['127.0.0.1']);
    const big = await sender.post(`http://127.0.0.1:${port}/big`, {}, '{}');
    expect(big).toMatchObject({ statusCode: 500, error: 'http_status' });
    expect(big.responseBody).toHaveLength(1024);
    const moved = await sender.post(`http://127.0.0.1:${port}/moved`, {}, '{}');
    expect(moved).toMatchObject({ statusCode: 301, error: 'redirect' });
    expect(hits.map((h) => h.host)).toEqual([`127.0.0.1:${port}`, `127.0.0.1:${port}`]);
  });

  it('tells a refused connection and an unknown name apart', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const sender = senderAllowing(['127.0.0.1', 'no-such-host.invalid']);
    expect(await sender.post(`http://127.0.0.1:${closedPort}/`, {}, '{}')).toMatchObject({
      error: 'connection',
    });
    expect(await sender.post('http://no-such-host.invalid/', {}, '{}')).toMatchObject({
      error: 'dns',
    });
  });
});
