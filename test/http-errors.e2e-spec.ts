import { AddressInfo, connect } from 'node:net';
import { ProbeModule } from './support/probe.module';
import { startTestApp, TestApp } from './support/test-app';
import { expectProblem, PROBLEM } from './support/assertions';

describe('HTTP errors are problem+json', () => {
  let t: TestApp;
  const valid = { name: 'widget', count: 2, tag: { label: 'blue' } };

  beforeAll(async () => {
    t = await startTestApp({ extraModules: [ProbeModule] });
  });
  afterAll(() => t.close());

  it('accepts a valid body (the probe works)', async () => {
    const res = await t.inject({ method: 'POST', url: '/probe/items', payload: valid });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual(valid);
  });

  it('unknown route: 404 route_not_found naming method and path, never the query', async () => {
    const res = await t.inject({ method: 'GET', url: '/v1/nothing-here?token=s3cret' });
    const body = expectProblem(res, 404, 'route_not_found');
    expect(body.detail).toBe('No route matches GET /v1/nothing-here.');
    expect(body.instance).toBe('/v1/nothing-here');
    expect(res.body).not.toContain('s3cret');
  });

  it('malformed JSON: 400 malformed_body', async () => {
    const res = await t.inject({
      method: 'POST',
      url: '/probe/items',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": "widget",',
    });
    const body = expectProblem(res, 400, 'malformed_body');
    expect(body.detail).toBe('The request body is not valid JSON.');
  });

  it.each([
    ['arrays', '['.repeat(5000) + ']'.repeat(5000)],
    ['objects in a field', `{"name":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`],
    ['65 levels', `{"name":"w","count":1,"tag":${'['.repeat(64)}${']'.repeat(64)}}`],
  ])('JSON nested too deeply (%s): 400 malformed_body naming the limit', async (_case, payload) => {
    const res = await t.inject({
      method: 'POST',
      url: '/probe/items',
      headers: { 'content-type': 'application/json' },
      payload,
    });
    const body = expectProblem(res, 400, 'malformed_body');
    expect(body.detail).toBe('The request body nests arrays and objects more than 64 levels deep.');
  });

  it('JSON nested 64 levels deep is parsed (and validated as usual)', async () => {
    const res = await t.inject({
      method: 'POST',
      url: '/probe/items',
      headers: { 'content-type': 'application/json' },
      payload: `{"name":"w","count":1,"tag":${'['.repeat(63)}${']'.repeat(63)}}`,
    });
    expectProblem(res, 422, 'validation_failed');
  });

  it('empty body declared as JSON: 400 malformed_body', async () => {
    const res = await t.inject({
      method: 'POST',
      url: '/probe/items',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expectProblem(res, 400, 'malformed_body');
  });

  it.each([
    ['__proto__', '"__proto__":{"admin":true}'],
    ['__proto__ spelled with escapes', '"\\u005f_pr\\u006fto__":{"admin":true}'],
    ['constructor.prototype', '"constructor":{"prototype":{"admin":true}}'],
    ['constructor spelled with escapes', '"c\\u006fnstructor":{"prototype":{"admin":true}}'],
  ])('prototype pollution attempt (%s) is refused, not merged', async (_, key) => {
    const res = await t.inject({
      method: 'POST',
      url: '/probe/items',
      headers: { 'content-type': 'application/json' },
      payload: `{"name":"w","count":1,"tag":{"label":"x"},${key}}`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(PROBLEM);
  });

  it.each([
    ['text/plain', 'name=widget'],
    ['application/x-www-form-urlencoded', 'name=widget&count=2'],
    ['application/xml', '<item/>'],
  ])('wrong content type %s: 415 unsupported_media_type', async (type, payload) => {
    const res = await t.inject({
      method: 'POST',
      url: '/probe/items',
      headers: { 'content-type': type },
      payload,
    });
    expectProblem(res, 415, 'unsupported_media_type');
  });

  it('body over 64 KiB: 413 payload_too_large', async () => {
    const res = await t.inject({
      method: 'POST',
      url: '/probe/items',
      payload: { ...valid, name: 'x'.repeat(65 * 1024) },
    });
    expectProblem(res, 413, 'payload_too_large');
  });

  it('validation failure: 422 listing every invalid field, nested ones by path', async () => {
    const res = await t.inject({
      method: 'POST',
      url: '/probe/items',
      payload: { name: 42, count: 'two', tag: { label: '' } },
    });
    const body = expectProblem(res, 422, 'validation_failed');
    const errors = body.errors as { field: string; message: string }[];
    expect(errors.map((e) => e.field).sort()).toEqual(
      expect.arrayContaining(['count', 'name', 'tag.label']),
    );
    for (const e of errors) expect(typeof e.message).toBe('string');
    expect(res.body).not.toContain('two');
  });

  it('unknown fields are refused, not silently dropped', async () => {
    const res = await t.inject({
      method: 'POST',
      url: '/probe/items',
      payload: { ...valid, is_admin: true },
    });
    const body = expectProblem(res, 422, 'validation_failed');
    expect(body.errors).toEqual([{ field: 'is_admin', message: 'is not an allowed field' }]);
  });

  it('missing body on a route that needs one: 422 naming the required fields', async () => {
    const res = await t.inject({ method: 'POST', url: '/probe/items' });
    const body = expectProblem(res, 422, 'validation_failed');
    expect((body.errors as { field: string }[]).map((e) => e.field)).toEqual(
      expect.arrayContaining(['name', 'count', 'tag']),
    );
  });

  it('unexpected exception: generic 500, logged with stack, nothing internal leaks', async () => {
    const res = await t.inject({ method: 'GET', url: '/probe/boom' });
    const body = expectProblem(res, 500, 'internal_error');
    expect(res.body).not.toMatch(/password_hash|SELECT|users|at \w+ \(|\.ts:\d+/);
    expect(body.detail).toMatch(/request_id/);
    const logged = t.logs.find(
      (l) =>
        l.request_id === body.request_id && l.msg === 'Unhandled error while serving the request',
    );
    expect(logged).toBeDefined();
    expect(JSON.stringify(logged)).toContain('ProbeController.boom');
  });

  it('deliberate 503: keeps its status, never its message', async () => {
    const res = await t.inject({ method: 'GET', url: '/probe/unavailable' });
    const body = expectProblem(res, 503, 'service_unavailable');
    expect(res.body).not.toContain('10.0.0.5');
    expect(body.detail).toMatch(/try again later/);
  });

  it('URL with broken percent-encoding: 400 problem, not a Fastify error body', async () => {
    const res = await t.inject({ method: 'GET', url: '/probe/items/%zz' });
    const body = expectProblem(res, 400, 'bad_request');
    expect(body.detail).toMatch(/URL is not valid/);
    expect(res.body).not.toContain('FST_');
  });

  it.each([
    ['GET', `/v1/policies/${'a'.repeat(5000)}`],
    ['DELETE', `/v1/users/${'a'.repeat(5000)}`],
    ['GET', `/probe/items/${'a'.repeat(101)}`],
  ])(
    'a path segment over 100 characters (%s): 414 uri_too_long, its access line logged',
    async (method, url) => {
      const res = await t.inject({ method: method as 'GET', url });
      const body = expectProblem(res, 414, 'uri_too_long');
      expect(body.detail).toBe(
        'A segment of the request path is longer than the 100 characters this server accepts.',
      );
      const line = await t.waitForLog((l) => l.request_id === body.request_id);
      expect(line).toMatchObject({ level: 'warn', msg: 'request completed', res: { status: 414 } });
    },
  );

  it('a path segment of exactly 100 characters is routed', async () => {
    const id = 'a'.repeat(100);
    const res = await t.inject({ method: 'GET', url: `/probe/items/${id}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id });
  });

  it('method not routed: 404 problem', async () => {
    const res = await t.inject({ method: 'DELETE', url: '/probe/items' });
    expectProblem(res, 404, 'route_not_found');
  });
});

describe('errors below HTTP routing', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  /** Sends raw bytes, as a broken or hostile client would, and returns the raw answer. */
  const rawExchange = (request: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(request));
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      socket.on('close', () => resolve(answer));
      socket.on('error', reject);
    });

  it.each([
    [
      'headers over the size limit',
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`,
      431,
      'headers_too_large',
    ],
    ['bytes that are not HTTP', 'HELLO THERE\r\n\r\n', 400, 'bad_request'],
  ])('%s: problem+json with a request id', async (_what, request, status, code) => {
    const answer = await rawExchange(request);
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
    expect(head).toMatch(/content-type: application\/problem\+json/i);
    const problem = JSON.parse(body) as Record<string, unknown>;
    expect(problem).toMatchObject({ status, code });
    expect(head.toLowerCase()).toContain(`x-request-id: ${String(problem.request_id)}`);
  });
});

describe('request id', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ extraModules: [ProbeModule] });
  });
  afterAll(() => t.close());

  it('keeps a sane incoming X-Request-Id and returns it, on success and on error', async () => {
    const ok = await t.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'edge-7f3a.91:b' },
    });
    expect(ok.headers['x-request-id']).toBe('edge-7f3a.91:b');
    const missing = await t.inject({
      method: 'GET',
      url: '/nope',
      headers: { 'x-request-id': 'trace-123' },
    });
    expect(missing.headers['x-request-id']).toBe('trace-123');
    expect(missing.json()).toMatchObject({ request_id: 'trace-123' });
  });

  it.each([
    ['too long', 'a'.repeat(129)],
    ['log-forging characters', 'abc\tdef'],
    ['spaces and quotes', 'x" injected="1'],
  ])('replaces an id that is %s', async (_why, id) => {
    const res = await t.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': id },
    });
    expect(res.headers['x-request-id']).not.toBe(id);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('generates a fresh id per request when none is sent', async () => {
    const a = await t.inject({ method: 'GET', url: '/health/live' });
    const b = await t.inject({ method: 'GET', url: '/health/live' });
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
  });
});

describe('security headers and CORS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { HTTP_CORS_ORIGINS: 'https://app.example.com' } });
  });
  afterAll(() => t.close());

  it('sends helmet security headers on every response, errors included', async () => {
    for (const url of ['/health/live', '/nope']) {
      const res = await t.inject({ method: 'GET', url });
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
      expect(res.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('allows a listed origin with credentials', async () => {
    const res = await t.inject({
      method: 'OPTIONS',
      url: '/health/live',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET' },
    });
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
  });

  it('gives no CORS grant to an origin that is not listed', async () => {
    const res = await t.inject({
      method: 'GET',
      url: '/health/live',
      headers: { origin: 'https://evil.example.net' },
    });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});
