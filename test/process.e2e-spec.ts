import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** The built entry point, exactly what `npm start` runs (`npm test` builds it first). */
const MAIN = join(__dirname, '..', 'dist', 'src', 'main.js');

function run(env: Record<string, string>): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      MASTER_KEY: Buffer.alloc(32, 9).toString('base64'),
      // Nothing listens there: the pool connects on the first mail, which no test sends.
      SMTP_URL: 'smtp://127.0.0.1:9',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return Object.assign(child, { output: () => output });
}

const exitOf = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the service process', () => {
  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build`);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT: must be a whole number'],
    [{ DATABASE_URL: 'nonsense' }, 'DATABASE_URL: must be a postgres:// or postgresql:// URL'],
    [{ HTTP_TRUST_PROXY: '10.0.0.0/40' }, 'HTTP_TRUST_PROXY: must be false or a comma-separated'],
    [{ DATABASE_URL: '' }, 'DATABASE_URL: is required when NODE_ENV=production'],
    [{ MASTER_KEY: 'c2hvcnQ=' }, 'MASTER_KEY: must be 32 bytes, base64-encoded'],
    [{ SMTP_URL: '' }, 'SMTP_URL: is required when NODE_ENV=production'],
  ])('refuses %j with exit code 1, the variable named and no stack trace', async (env, message) => {
    const child = run(env);
    expect(await exitOf(child)).toBe(1);
    expect(child.output()).toContain(message);
    expect(child.output()).not.toMatch(/^\s+at /m);
  });

  async function waitFor(port: number, path: string, status: number): Promise<void> {
    let seen = 0;
    for (let attempt = 0; attempt < 120 && seen !== status; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      seen = await fetch(`http://127.0.0.1:${port}${path}`).then(
        (res) => res.status,
        () => 0,
      );
    }
    expect(seen).toBe(status);
  }

  const logLines = (child: { output: () => string }) =>
    child
      .output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: string; msg: string });

  it('reports a database it cannot reach as one JSON line and exits 1', async () => {
    const deadPort = await freePort();
    const child = run({ DATABASE_URL: `postgres://gatehouse:s3cret-pw@127.0.0.1:${deadPort}/x` });
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
    const child = run({
      PORT: String(port),
      HOST: '127.0.0.1',
      PGLITE_DATA_DIR: 'memory://',
      EMBEDDED_DATABASE_IN_PRODUCTION: 'true',
    });
    const exited = exitOf(child);
    await waitFor(port, '/health/ready', 200);
    // Production defaults: no API docs unless DOCS_ENABLED says so.
    await waitFor(port, '/docs/openapi.json', 404);
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
    const child = run({
      PORT: String(port),
      HOST: '127.0.0.1',
      PGLITE_DATA_DIR: 'memory://',
      EMBEDDED_DATABASE_IN_PRODUCTION: 'true',
      REDIS_URL: `redis://127.0.0.1:${deadRedisPort}`,
    });
    const exited = exitOf(child);
    await waitFor(port, '/health/ready', 503);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lines = logLines(child);
    expect(lines.filter((l) => l.msg.startsWith('Redis unavailable'))).toHaveLength(1);
    expect(lines.map((l) => l.msg)).toContain('Stopped cleanly');
  });
});
