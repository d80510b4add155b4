import { AddressInfo, connect } from 'node:net';
import { DataSource } from 'typeorm';
import { ProbeModule } from './support/probe.module';
import { startTestApp, TestApp } from './support/test-app';

describe('graceful shutdown', () => {
  let t: TestApp;
  let port: number;
  beforeEach(async () => {
    t = await startTestApp({ extraModules: [ProbeModule] });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });

  it('finishes a database request in flight, then closes the pool', async () => {
    const dataSource = t.app.get(DataSource);
    const inFlight = fetch(`http://127.0.0.1:${port}/probe/slow`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = t.close();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: true });
    expect(res.headers.get('connection')).toBe('close');
    await closing;
    expect(dataSource.isInitialized).toBe(false);
    await expect(fetch(`http://127.0.0.1:${port}/health/live`)).rejects.toThrow();
  });

  it('answers the request in flight and closes its connection; nothing queued behind it starts', async () => {
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    // Two pipelined requests: the second is read only after the first has been answered, by
    // which time the application is closing and the connection goes with that answer.
    socket.write(
      'GET /probe/slow HTTP/1.1\r\nHost: x\r\n\r\nGET /health/live HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = t.close();
    await closed;
    await closing;
    const responses = answer.split(/(?=HTTP\/1\.1 )/);
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatch(/^HTTP\/1\.1 200 /);
    expect(responses[0].toLowerCase()).toContain('connection: close');
    expect(responses[0]).toMatch(/\{"done":true\}$/);
  });
});
