import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { SmtpPeer } from './peers/smtp-peer';
import { GOOD_PASSWORD } from './support/accounts';
import { migratedDatabase } from './support/test-database';
import {
  assertBuilt,
  exitOf,
  freePort,
  runService,
  ServiceProcess,
  waitForStatus,
} from './support/service-process';

const REGISTRATIONS = 20;

/**
 * What a process acknowledged survives its death: the service is killed with SIGKILL right
 * after answering, and a new process on the same database finishes the work (registrations
 * answered 202 become accounts and verification mails; committed events are published).
 */
describe('work acknowledged before a crash', () => {
  const smtp = new SmtpPeer();
  let database: { url: string; drop: () => Promise<void> };
  let db: Client;
  let child: ServiceProcess | undefined;

  beforeAll(async () => {
    assertBuilt();
    await smtp.start();
    database = await migratedDatabase();
    db = new Client({ connectionString: database.url });
    await db.connect();
  });

  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = exitOf(child);
      child.kill('SIGKILL');
      await exited;
    }
  });

  afterAll(async () => {
    await db.end();
    await database.drop();
    await smtp.stop();
  });

  async function start(port: number): Promise<ServiceProcess> {
    const started = runService({
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      SMTP_URL: smtp.url(),
      LOG_LEVEL: 'warn',
    });
    await waitForStatus(port, '/health/ready', 200);
    return started;
  }

  async function until<T>(
    read: () => Promise<T>,
    done: (value: T) => boolean,
    timeoutMs = 30_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let value = await read();
    while (!done(value) && Date.now() < deadline) {
      await sleep(100);
      value = await read();
    }
    return value;
  }

  it('registers every address answered 202, and mails each, after a SIGKILL', async () => {
    const port = await freePort();
    child = await start(port);
    const tag = randomUUID().slice(0, 8);
    const emails = Array.from({ length: REGISTRATIONS }, (_, i) => `crash-${tag}-${i}@example.com`);

    const answers = await Promise.all(
      emails.map((email, i) =>
        fetch(`http://127.0.0.1:${port}/v1/auth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password: GOOD_PASSWORD, name: `Crash ${i}` }),
        }).then((res) => res.status),
      ),
    );
    const killed = exitOf(child);
    child.kill('SIGKILL');
    await killed;
    expect(answers).toEqual(emails.map(() => 202));

    // No request or job holds a password: what survived holds only the hash.
    const { rows: queued } = await db.query<{ data: string }>(
      "SELECT data::text FROM pgboss.job WHERE name = 'account.register'",
    );
    for (const { data } of queued) expect(data).not.toContain(GOOD_PASSWORD);

    child = await start(port);
    const registered = await until(
      async () =>
        (
          await db.query<{ email: string }>('SELECT email FROM users WHERE email = ANY($1)', [
            emails,
          ])
        ).rows.map((row) => row.email),
      (found) => found.length === REGISTRATIONS,
    );
    expect(registered.sort()).toEqual([...emails].sort());

    const mailed = await until(
      () => Promise.resolve(smtp.received.filter((mail) => emails.includes(mail.envelope.to[0]))),
      (mails) => new Set(mails.map((mail) => mail.envelope.to[0])).size >= REGISTRATIONS,
      // A mail job the crash caught is run again once its missed heartbeat is noticed (about
      // 15 s) and its retry's delay (10 s) has passed.
      60_000,
    );
    expect(new Set(mailed.map((mail) => mail.envelope.to[0]))).toEqual(new Set(emails));
    // Each address got one verification message, even if its registration ran twice around the
    // crash. A mail the crash caught between its handover and its job's completion is sent
    // again, as the same message (one Message-ID), which mail systems can collapse.
    const messages = new Set(
      mailed.map((mail) => `${mail.envelope.to[0]} ${mail.headers['message-id']}`),
    );
    expect(messages.size).toBe(REGISTRATIONS);

    const { rows: created } = await db.query<{ count: string }>(
      "SELECT count(*) FROM outbox WHERE type = 'user.created' AND position IS NOT NULL AND data->>'email' = ANY($1)",
      [emails],
    );
    expect(Number(created[0].count)).toBe(REGISTRATIONS);
  }, 120_000);

  it('publishes events committed by a process killed before relaying them', async () => {
    const port = await freePort();
    // A process that only serves requests: no job runs in it, so nothing it commits is relayed.
    const server = runService({
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      SMTP_URL: smtp.url(),
      LOG_LEVEL: 'warn',
      JOBS_IN_PROCESS: 'false',
    });
    child = server;
    await waitForStatus(port, '/health/ready', 200);
    const email = `unrelayed-${randomUUID().slice(0, 8)}@example.com`;
    const answer = await fetch(`http://127.0.0.1:${port}/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: GOOD_PASSWORD, name: 'Unrelayed' }),
    });
    expect(answer.status).toBe(202);
    const killed = exitOf(server);
    server.kill('SIGKILL');
    await killed;
    const { rows: before } = await db.query('SELECT 1 FROM users WHERE email = $1', [email]);
    expect(before).toHaveLength(0);

    // A worker (`--worker`: jobs only, no port) takes over the queued request and its events.
    child = runService({ DATABASE_URL: database.url, SMTP_URL: smtp.url(), LOG_LEVEL: 'warn' }, [
      '--worker',
    ]);
    const published = await until(
      async () =>
        (
          await db.query<{ position: string | null }>(
            "SELECT position FROM outbox WHERE type = 'user.created' AND data->>'email' = $1",
            [email],
          )
        ).rows,
      (rows) => rows.length === 1 && rows[0].position !== null,
    );
    expect(published).toEqual([{ position: expect.any(String) }]);
    const mails = await until(
      () => Promise.resolve(smtp.received.filter((mail) => mail.envelope.to[0] === email)),
      (found) => found.length > 0,
    );
    expect(mails).toHaveLength(1);
  });
});
