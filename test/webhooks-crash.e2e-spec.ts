import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { WebhookReceiver } from './peers/webhook-receiver';
import { sleep } from './support/assertions';
import { assertBuilt, createClientWithCli, freePort, MAIN } from './support/service-process';
import { migratedDatabase } from './support/test-database';

const MASTER_KEY = Buffer.alloc(32, 11).toString('base64');
/** Updates sent in the burst; the process is killed once KILL_AFTER of them were answered. */
const BURST = 400;
const KILL_AFTER = 60;
const LANES = 4;
/**
 * Long enough for the jobs the killed process held (the relay's run, deliveries) to lose their
 * heartbeat, be failed by the supervisor and run again.
 */
const DELIVERED_WITHIN_MS = 90_000;

function baseEnv(databaseUrl: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    MASTER_KEY,
  };
}

describe('webhook deliveries across a SIGKILL', () => {
  let database: { url: string; drop: () => Promise<void> };
  let receiver: WebhookReceiver;
  let service: ChildProcess | null = null;
  let port: number;

  beforeAll(async () => {
    assertBuilt();
    database = await migratedDatabase();
    receiver = await new WebhookReceiver().start();
    port = await freePort();
  });
  afterAll(async () => {
    if (service && service.exitCode === null) {
      const exited = new Promise((resolve) => service!.once('exit', resolve));
      service.kill('SIGTERM');
      await exited;
    }
    await receiver.stop();
    await database.drop();
  });

  async function start(): Promise<ChildProcess> {
    const child = spawn(process.execPath, [MAIN], {
      env: {
        ...baseEnv(database.url),
        PORT: String(port),
        HOST: '127.0.0.1',
        WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
        WEBHOOK_TIMEOUT_MS: '2000',
        WEBHOOK_RETRY_INITIAL_DELAY_SECONDS: '1',
        WEBHOOK_RETRY_MAX_DELAY_SECONDS: '2',
      },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    for (let attempt = 0; attempt < 240; attempt++) {
      const status = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
        (res) => res.status,
        () => 0,
      );
      if (status === 200) return child;
      if (child.exitCode !== null) throw new Error(`the service exited (${child.exitCode})`);
      await sleep(250);
    }
    throw new Error('the service never became ready');
  }

  function api(token: string, method: string, path: string, body?: unknown) {
    return fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  it('delivers every committed event, keeping its webhook-id, after a restart', async () => {
    const { clientId, secret } = await createClientWithCli(
      baseEnv(database.url),
      'Crash test',
      'webhooks:read webhooks:write',
    );
    service = await start();
    const tokenRes = await fetch(`http://127.0.0.1:${port}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&scope=webhooks%3Aread%20webhooks%3Awrite',
    });
    expect(tokenRes.status).toBe(200);
    const token = ((await tokenRes.json()) as { access_token: string }).access_token;

    const hook = await api(token, 'POST', '/v1/admin/webhooks', {
      url: receiver.url,
      event_types: ['webhook.endpoint.updated'],
    });
    expect(hook.status).toBe(201);
    const sourceRes = await api(token, 'POST', '/v1/admin/webhooks', {
      url: 'https://source.example.com/never',
      event_types: ['role.deleted'],
      enabled: false,
    });
    const source = (await sourceRes.json()) as { id: string };

    // A burst of updates, each one event the receiver's endpoint takes; killed midway.
    let answered = 0;
    let next = 0;
    const killed = new Promise<void>((resolve) => {
      const lanes = Array.from({ length: LANES }, async () => {
        while (next < BURST) {
          next += 1;
          const res = await api(token, 'PATCH', `/v1/admin/webhooks/${source.id}`, {
            description: `burst ${randomUUID()}`,
          }).catch(() => null);
          if (!res) return;
          if (res.status === 200) answered += 1;
          if (answered === KILL_AFTER) {
            service!.kill('SIGKILL');
            resolve();
          }
        }
      });
      void Promise.all(lanes).then(() => resolve());
    });
    await killed;
    await new Promise((resolve) =>
      service!.exitCode === null ? service!.once('exit', resolve) : resolve(null),
    );
    expect(answered).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(answered).toBeLessThan(BURST);

    service = await start();

    const db = new Client({ connectionString: database.url });
    await db.connect();
    let committed: string[];
    try {
      const rows = await db.query<{ id: string }>(
        `SELECT id FROM outbox WHERE type = 'webhook.endpoint.updated'
            AND data->>'endpoint_id' = $1`,
        [source.id],
      );
      committed = rows.rows.map((row) => row.id);
    } finally {
      await db.end();
    }
    // Every update that was answered committed its event (some in flight may have too).
    expect(committed.length).toBeGreaterThanOrEqual(answered);

    const deadline = Date.now() + DELIVERED_WITHIN_MS;
    let missing = committed;
    while (Date.now() < deadline) {
      const seen = new Set(receiver.received.map((request) => request.id));
      missing = committed.filter((id) => !seen.has(id));
      if (missing.length === 0) break;
      await sleep(250);
    }
    expect(missing).toEqual([]);
    // Duplicates are allowed (at least once), but each carries its event's id and payload.
    const bodies = new Map<string, string>();
    for (const request of receiver.received) {
      expect(committed).toContain(request.id);
      const body = JSON.parse(request.body) as { data: { endpoint_id: string } };
      expect(body.data.endpoint_id).toBe(source.id);
      const first = bodies.get(request.id);
      if (first === undefined) bodies.set(request.id, request.body);
      else expect(request.body).toBe(first);
    }
  }, 300_000);
});
