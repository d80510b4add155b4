import {
  assertBuilt,
  exitOf,
  freePort,
  runService,
  waitForStatus,
} from './support/service-process';

describe('the service process', () => {
  beforeAll(assertBuilt);

  it.each([
    [{ PORT: 'abc' }, 'PORT: must be a whole number'],
    [{ DATABASE_URL: 'nonsense' }, 'DATABASE_URL: must be a postgres:// or postgresql:// URL'],
    [{ HTTP_TRUST_PROXY: '10.0.0.0/40' }, 'HTTP_TRUST_PROXY: must be false or a comma-separated'],
    [{ DATABASE_URL: '' }, 'DATABASE_URL: is required when NODE_ENV=production'],
    [{ MASTER_KEY: 'c2hvcnQ=' }, 'MASTER_KEY: must be 32 bytes, base64-encoded'],
    [{ SMTP_URL: '' }, 'SMTP_URL: is required when NODE_ENV=production'],
    [{ WEB_CONCURRENCY: '0' }, 'WEB_CONCURRENCY: must be at least 1'],
    [
      { DATABASE_URL: '', EMBEDDED_DATABASE_IN_PRODUCTION: 'true', WEB_CONCURRENCY: '2' },
      'WEB_CONCURRENCY: above 1 needs DATABASE_URL (the embedded database belongs to one process)',
    ],
  ])('refuses %j with exit code 1, the variable named and no stack trace', async (env, message) => {
    const child = runService(env);
    expect(await exitOf(child)).toBe(1);
    expect(child.output()).toContain(message);
    expect(child.output()).not.toMatch(/^\s+at /m);
  });

  const logLines = (child: { output: () => string }) =>
    child
      .output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: string; msg: string });

  it('refuses MFA_REQUIRED_ROLES naming a role that does not exist, naming it, with exit code 1', async () => {
    const child = runService({
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      PGLITE_DATA_DIR: 'memory://',
      EMBEDDED_DATABASE_IN_PRODUCTION: 'true',
      MFA_REQUIRED_ROLES: 'admin,finanse,auditor',
    });
    expect(await exitOf(child)).toBe(1);
    const fatal = logLines(child).filter((line) => line.level === 'fatal');
    expect(fatal).toHaveLength(1);
    expect(fatal[0].msg).toContain(
      'MFA_REQUIRED_ROLES: unknown role(s) finanse, auditor; create them first or correct the list',
    );
    expect(child.output()).not.toContain('listening');
    expect(child.output()).not.toMatch(/^\s+at |\\n\s+at /m);
  });

  it('reports a database it cannot reach as one JSON line and exits 1', async () => {
    const deadPort = await freePort();
    const child = runService({
      DATABASE_URL: `postgres://gatehouse:s3cret-pw@127.0.0.1:${deadPort}/x`,
    });
    expect(await exitOf(child)).toBe(1);
    const lines = child.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({
      level: 'fatal',
      msg: 'Gatehouse failed to start',
      err: { code: 'ECONNREFUSED' },
    });
    expect(child.output()).not.toContain('s3cret-pw');
  });

  it('starts on the embedded database, serves readiness, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const child = runService({
      PORT: String(port),
      HOST: '127.0.0.1',
      PGLITE_DATA_DIR: 'memory://',
      EMBEDDED_DATABASE_IN_PRODUCTION: 'true',
    });
    const exited = exitOf(child);
    await waitForStatus(port, '/health/ready', 200);
    // Production defaults: no API docs unless DOCS_ENABLED says so.
    await waitForStatus(port, '/docs/openapi.json', 404);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lines = logLines(child);
    const embedded = lines.filter((l) => l.msg.includes('embedded PostgreSQL'));
    expect(embedded).toHaveLength(1);
    expect(embedded[0].level).toBe('warn');
    expect(embedded[0].msg).toContain('DATABASE_URL');
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining([
        `Gatehouse listening on http://127.0.0.1:${port}`,
        'Stopped cleanly',
      ]),
    );
  });

  it('stops on SIGTERM even while Redis is unreachable, logging the outage as JSON', async () => {
    const [port, deadRedisPort] = [await freePort(), await freePort()];
    const child = runService({
      PORT: String(port),
      HOST: '127.0.0.1',
      PGLITE_DATA_DIR: 'memory://',
      EMBEDDED_DATABASE_IN_PRODUCTION: 'true',
      REDIS_URL: `redis://127.0.0.1:${deadRedisPort}`,
    });
    const exited = exitOf(child);
    await waitForStatus(port, '/health/ready', 503);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lines = logLines(child);
    expect(lines.filter((l) => l.msg.startsWith('Redis unavailable'))).toHaveLength(1);
    expect(lines.map((l) => l.msg)).toContain('Stopped cleanly');
  });
});
