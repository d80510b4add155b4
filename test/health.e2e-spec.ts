import { RedisPeer } from './peers/redis-peer';
import { TcpProxy } from './peers/tcp-proxy';
import { startTestApp, testDatabaseUrl, TestApp } from './support/test-app';

describe('health', () => {
  let proxy: TcpProxy;
  let t: TestApp;

  beforeAll(async () => {
    proxy = TcpProxy.forUrl(testDatabaseUrl());
    await proxy.start();
    t = await startTestApp({
      databaseUrl: proxy.rewrite(testDatabaseUrl()),
      env: { HEALTH_CHECK_TIMEOUT_MS: '500', DATABASE_CONNECT_TIMEOUT_MS: '500' },
    });
  });

  afterAll(async () => {
    await t.close();
    await proxy.cut();
  });

  it('reports the process live without touching dependencies', async () => {
    const res = await t.inject({ method: 'GET', url: '/health/live' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', checks: {} });
  });

  it('is ready while the database answers', async () => {
    const res = await t.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', checks: { database: 'up' } });
  });

  it('answers 503 naming the database while it is unreachable, and 200 once it is back', async () => {
    await proxy.cut();
    const down = await t.inject({ method: 'GET', url: '/health/ready' });
    expect(down.statusCode).toBe(503);
    expect(down.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(down.json()).toMatchObject({
      status: 503,
      code: 'dependency_unavailable',
      detail: 'Not ready: database unavailable.',
      checks: { database: 'down' },
    });
    expect(down.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|timeout/i);

    await proxy.start();
    let up = await t.inject({ method: 'GET', url: '/health/ready' });
    for (let attempt = 0; attempt < 20 && up.statusCode !== 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      up = await t.inject({ method: 'GET', url: '/health/ready' });
    }
    expect(up.statusCode).toBe(200);
  });
});

describe('health with Redis configured', () => {
  const redis = new RedisPeer();
  let t: TestApp;

  beforeAll(async () => {
    await redis.start();
    t = await startTestApp({ env: { REDIS_URL: redis.url, HEALTH_CHECK_TIMEOUT_MS: '500' } });
  });

  afterAll(async () => {
    await t.close();
    await redis.cut();
  });

  const ready = () => t.inject({ method: 'GET', url: '/health/ready' });

  it('checks Redis next to the database', async () => {
    const res = await ready();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', checks: { database: 'up', redis: 'up' } });
    expect(redis.received.map((command) => command[0].toUpperCase())).toContain('PING');
  });

  it('answers 503 naming Redis while it is down, and recovers by itself', async () => {
    await redis.cut();
    const down = await ready();
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({
      code: 'dependency_unavailable',
      detail: 'Not ready: redis unavailable.',
      checks: { database: 'up', redis: 'down' },
    });

    await redis.start();
    let up = await ready();
    for (let attempt = 0; attempt < 40 && up.statusCode !== 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      up = await ready();
    }
    expect(up.statusCode).toBe(200);
  });
});
