import { ProbeModule } from './support/probe.module';
import { startTestApp, TestApp } from './support/test-app';

describe('metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ extraModules: [ProbeModule] });
  });
  afterAll(() => t.close());

  it('exposes process metrics and a request histogram labelled by route template', async () => {
    await t.inject({ method: 'GET', url: '/probe/items/8c1f0d9e-user-specific' });
    await t.inject({ method: 'GET', url: '/probe/items/another-id' });
    await t.inject({ method: 'GET', url: '/no/such/route/4711' });
    await t.inject({ method: 'GET', url: '/metrics' });
    const res = await t.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).toMatch(
      /http_server_requests_seconds_count\{method="GET",route="\/probe\/items\/:id",status="200"\} 2/,
    );
    expect(text).toMatch(
      /http_server_requests_seconds_count\{method="GET",route="unmatched",status="404"\} 1/,
    );
    expect(text).toMatch(/http_server_requests_seconds_bucket\{le="0\.005",method="GET"/);
    expect(text).not.toContain('8c1f0d9e-user-specific');
    expect(text).not.toContain('4711');
  });
});

describe('OpenAPI document and UI', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('serves an OpenAPI 3 document generated from the code, errors documented', async () => {
    const res = await t.inject({ method: 'GET', url: '/docs/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    }>();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/health/live', '/health/ready', '/metrics']),
    );
    const ready = doc.paths['/health/ready'].get.responses;
    expect(ready['503']).toMatchObject({
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    });
    expect(ready).toHaveProperty('4XX');
    expect(ready['5XX']).toMatchObject({
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    });
    expect(Object.keys(doc.components.schemas.Problem.properties)).toEqual(
      expect.arrayContaining(['type', 'title', 'status', 'detail', 'code', 'request_id', 'errors']),
    );
  });

  it('serves the interactive UI at /docs', async () => {
    const res = await t.inject({ method: 'GET', url: '/docs' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('swagger-ui');
  });
});

describe('docs switched off', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { DOCS_ENABLED: 'false' } });
  });
  afterAll(() => t.close());

  it('serves neither the document nor the UI', async () => {
    for (const url of ['/docs', '/docs/openapi.json']) {
      const res = await t.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'route_not_found' });
    }
  });
});
