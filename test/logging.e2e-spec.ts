import { ProbeModule } from './support/probe.module';
import { startTestApp, TestApp } from './support/test-app';

describe('structured logs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ extraModules: [ProbeModule] });
  });
  afterAll(() => t.close());

  const linesOf = (requestId: string) => t.logs.filter((l) => l.request_id === requestId);
  const accessLine = (requestId: string) =>
    t.waitForLog((l) => l.request_id === requestId && l.msg === 'request completed');

  it('puts the request id on every line of a request, including the access log', async () => {
    const res = await t.inject({
      method: 'POST',
      url: '/probe/log',
      headers: { 'x-request-id': 'log-trace-1' },
      payload: { note: 'hello' },
    });
    expect(res.statusCode).toBe(201);
    await accessLine('log-trace-1');
    const lines = linesOf('log-trace-1');
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^probe log for/), 'request completed']),
    );
    const access = lines.find((l) => l.msg === 'request completed')!;
    expect(access).toMatchObject({
      req: { method: 'POST', path: '/probe/log' },
      res: { status: 201 },
      ip: '127.0.0.1',
    });
    expect(typeof access.responseTime).toBe('number');
  });

  it('keeps the request id over a real connection, after the body has been read', async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${await t.app.getUrl()}/probe/log`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'log-socket-1' },
      body: JSON.stringify({ note: 'over a socket' }),
    });
    expect(res.status).toBe(201);
    await accessLine('log-socket-1');
    expect(linesOf('log-socket-1').map((l) => l.msg)).toEqual(
      expect.arrayContaining(['probe log for undefined', 'request completed']),
    );
  });

  it('writes an access log line for unmatched routes and errors too', async () => {
    await t.inject({
      method: 'GET',
      url: '/missing/thing',
      headers: { 'x-request-id': 'log-404' },
    });
    const access = await accessLine('log-404');
    expect(access).toMatchObject({ level: 'warn', res: { status: 404 } });
  });

  it('redacts secrets wherever they sit and masks email addresses', async () => {
    const secrets = [
      'hunter2-correct-horse',
      'eyJhbGciOi.secret.token',
      'rt_live_abcdef',
      'sk_9f8e7d',
    ];
    await t.inject({
      method: 'POST',
      url: '/probe/log?access_token=query-secret-123',
      headers: {
        'x-request-id': 'log-trace-2',
        authorization: `Bearer ${secrets[1]}`,
        cookie: `session=${secrets[2]}`,
      },
      payload: {
        email: 'jane.doe@example.com',
        password: secrets[0],
        nested: { refresh_token: secrets[2], client_secret: secrets[3], list: [{ apiKey: 'k-1' }] },
      },
    });
    await accessLine('log-trace-2');
    const lines = linesOf('log-trace-2');
    expect(lines.map((l) => l.msg)).toContain('request completed');
    expect(lines.some((l) => String(l.msg).startsWith('probe printf'))).toBe(true);
    const text = JSON.stringify(lines);
    for (const secret of [...secrets, 'query-secret-123', 'k-1'])
      expect(text).not.toContain(secret);
    expect(text).not.toContain('jane.doe@example.com');
    expect(text).toContain('ja***@example.com');
    expect(text).toContain('[REDACTED]');
  });

  it('masks an email address that is part of the request path', async () => {
    await t.inject({
      method: 'GET',
      url: '/probe/items/jane.doe@example.com',
      headers: { 'x-request-id': 'log-path' },
    });
    const access = await accessLine('log-path');
    expect(access.req).toEqual({ method: 'GET', path: '/probe/items/ja***@example.com' });
  });

  it('keeps the type and stack of a logged error', async () => {
    await t.inject({ method: 'GET', url: '/probe/boom', headers: { 'x-request-id': 'log-err' } });
    const line = linesOf('log-err').find((l) => l.err !== undefined)!;
    expect(line.err).toMatchObject({ type: 'Error', stack: expect.stringContaining('boom') });
  });

  it('logs the socket address, not a client-supplied X-Forwarded-For, by default', async () => {
    await t.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'log-trace-3', 'x-forwarded-for': '203.0.113.9' },
    });
    const access = await accessLine('log-trace-3');
    expect(access.ip).toBe('127.0.0.1');
  });
});

describe('behind a trusted proxy', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { HTTP_TRUST_PROXY: '127.0.0.1' } });
  });
  afterAll(() => t.close());

  it('takes the client address from X-Forwarded-For sent by the trusted proxy', async () => {
    await t.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'proxy-1', 'x-forwarded-for': '198.51.100.7' },
    });
    const access = await t.waitForLog(
      (l) => l.request_id === 'proxy-1' && l.msg === 'request completed',
    );
    expect(access.ip).toBe('198.51.100.7');
  });
});
