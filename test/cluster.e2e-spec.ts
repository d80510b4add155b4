import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { itOnServer } from './support/server-only';
import {
  assertBuilt,
  exitOf,
  freePort,
  runService,
  ServiceProcess,
  waitForStatus,
} from './support/service-process';
import { migratedDatabase } from './support/test-database';

interface LogLine {
  msg: string;
  worker?: number;
  req?: { path: string };
}

/** The processes a process started, from /proc (Linux): the primary's workers. */
function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
}

/**
 * One request on a connection of its own, so that the cluster hands each to a worker in turn. A
 * string body is sent as a form, anything else as JSON.
 */
function once(
  port: number,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers:
          body === undefined
            ? {}
            : {
                'content-type':
                  typeof body === 'string'
                    ? 'application/x-www-form-urlencoded'
                    : 'application/json',
              },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(
      body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    );
  });
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 300 && !condition(); attempt++) await sleep(100);
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

/**
 * WEB_CONCURRENCY: worker processes sharing one port under a supervising primary. Only on a
 * PostgreSQL server: the embedded database belongs to one process.
 */
describe('WEB_CONCURRENCY workers', () => {
  let database: { url: string; drop: () => Promise<void> };
  let child: ServiceProcess | undefined;
  let port: number;

  beforeAll(async () => {
    assertBuilt();
    database = await migratedDatabase();
  });

  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = exitOf(child);
      child.kill('SIGKILL');
      await exited;
    }
  });

  afterAll(() => database.drop());

  const logLines = (): LogLine[] =>
    child!
      .output()
      .trim()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);

  /** Which workers logged a request to `path`. */
  const workersServing = (path: string) =>
    new Set(logLines().flatMap((l) => (l.req?.path === path && l.worker ? [l.worker] : [])));

  async function start(env: Record<string, string> = {}): Promise<ServiceProcess> {
    port = await freePort();
    child = runService({
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      WEB_CONCURRENCY: '2',
      ...env,
    });
    await waitForStatus(port, '/health/ready', 200);
    await until(() => logLines().some((l) => l.msg.endsWith('with 2 workers')), 'both workers');
    return child;
  }

  itOnServer(
    'serves from two workers, replaces one that dies, drains both on SIGTERM',
    async () => {
      const service = await start();
      const workers = childrenOf(service.pid!);
      expect(workers).toHaveLength(2);
      for (let i = 0; i < 6; i++)
        expect((await once(port, 'GET', '/health/live')).status).toBe(200);
      expect(workersServing('/health/live').size).toBe(2);

      process.kill(workers[0], 'SIGKILL');
      await until(() => {
        const now = childrenOf(service.pid!);
        return now.length === 2 && !now.includes(workers[0]);
      }, 'a replacement worker');
      expect(logLines().map((l) => l.msg)).toContain(
        `Worker ${workers[0]} died (signal SIGKILL); starting another`,
      );
      // The other worker answers readiness at once: wait for the replacement to listen too.
      await until(
        () => logLines().filter((l) => l.msg.endsWith('with 2 workers')).length === 2,
        'the replacement listening',
      );

      // A login in flight (argon2 takes a while) is answered before its worker stops.
      const running = childrenOf(service.pid!);
      const exited = exitOf(service);
      const inFlight = once(port, 'POST', '/v1/auth/login', {
        email: 'nobody@example.com',
        password: 'a wrong password, long enough',
      });
      await sleep(20);
      service.kill('SIGTERM');
      expect((await inFlight).status).toBe(401);
      expect(await exited).toBe(0);
      expect(logLines().filter((l) => l.msg === 'Stopped cleanly')).toHaveLength(2);
      for (const pid of running) expect(() => process.kill(pid, 0)).toThrow();
    },
  );

  itOnServer(
    'stops with exit code 0 when SIGTERM comes while a replacement worker starts',
    async () => {
      const service = await start();
      const [dead] = childrenOf(service.pid!);
      const exited = exitOf(service);
      process.kill(dead, 'SIGKILL');
      await until(
        () => logLines().some((l) => l.msg.startsWith(`Worker ${dead} died`)),
        'a replacement worker',
      );
      const running = childrenOf(service.pid!);
      // At once: the replacement is still loading, and may not handle signals yet.
      service.kill('SIGTERM');
      expect(await exited).toBe(0);
      for (const pid of running) expect(() => process.kill(pid, 0)).toThrow();
    },
  );

  itOnServer(
    'counts login failures across workers as one process would, without Redis',
    async () => {
      await start({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '5', LOGIN_LOCKOUT_BASE_SECONDS: '60' });
      const attempt = () =>
        once(port, 'POST', '/v1/auth/login', {
          email: 'target@example.com',
          password: 'a wrong password, long enough',
        });
      for (let i = 0; i < 4; i++) expect((await attempt()).status).toBe(401);
      // The fifth failure locks the account for this address: the sixth attempt is refused
      // before its password is checked, whichever worker it reaches.
      expect((await attempt()).status).toBe(401);
      expect((await attempt()).status).toBe(429);
      expect((await attempt()).status).toBe(429);
      expect(workersServing('/v1/auth/login').size).toBe(2);
    },
  );

  itOnServer(
    'a network locked by failed client authentications is refused by every worker, a new one too',
    async () => {
      const service = await start({
        LOGIN_MAX_FAILURES_PER_IP: '3',
        LOGIN_LOCKOUT_BASE_SECONDS: '60',
      });
      const attempt = () =>
        once(
          port,
          'POST',
          '/oauth/token',
          'grant_type=client_credentials&client_id=svc_unknown&client_secret=ghs_wrong',
        );
      for (let i = 0; i < 3; i++) expect((await attempt()).status).toBe(401);
      // The third failure locks the network: every worker refuses before checking a secret.
      for (let i = 0; i < 4; i++) expect((await attempt()).status).toBe(429);
      expect(workersServing('/oauth/token').size).toBe(2);

      // A worker started after the lock learns it from the primary.
      const [dead] = childrenOf(service.pid!);
      process.kill(dead, 'SIGKILL');
      await until(() => {
        const now = childrenOf(service.pid!);
        return now.length === 2 && !now.includes(dead);
      }, 'a replacement worker');
      const before = workersServing('/oauth/token');
      const isNew = (worker: number) => !before.has(worker);
      for (let i = 0; i < 100 && ![...workersServing('/health/live')].some(isNew); i++) {
        await once(port, 'GET', '/health/live');
        await sleep(50);
      }
      for (let i = 0; i < 4; i++) expect((await attempt()).status).toBe(429);
      // Answered by the two workers before, and now by the new one as well.
      expect(workersServing('/oauth/token').size).toBe(3);
    },
  );

  itOnServer('stops, exit code 1, when a worker cannot start', async () => {
    port = await freePort();
    child = runService({
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: database.url.replace(/\/[^/]+$/, '/gatehouse_no_such_database'),
      WEB_CONCURRENCY: '2',
    });
    expect(await exitOf(child)).toBe(1);
    expect(child.output()).toContain('before it listened; stopping the service');
  });
});
