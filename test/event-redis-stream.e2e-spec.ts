import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { Transactions } from '../src/database/transactions';
import { DomainEvents } from '../src/modules/events/domain-events.service';
import { EVENTS_NOTIFY_CHANNEL } from '../src/modules/events/event-tail';
import { JobQueue } from '../src/modules/events/jobs/job-queue.service';
import { OutboxRepository } from '../src/modules/events/outbox.repository';
import {
  REDIS_STREAM_QUEUE,
  RedisStreamPublisher,
} from '../src/modules/events/streams/redis-stream-publisher';
import { login, post, settled, uniqueIp } from './support/accounts';
import { send, SignedInUser, signedInUser, uniqueName } from './support/access';
import { sleep } from './support/assertions';
import { itOnServer } from './support/server-only';
import { TcpProxy } from './peers/tcp-proxy';
import { startTestApp, TestApp } from './support/test-app';
import { TEST_REDIS_URL } from './support/throttle-redis';

/** A stream entry as XRANGE returns it: its id and its fields as pairs. */
type Entry = [string, string[]];

function fields(entry: Entry): Record<string, string> {
  const [, flat] = entry;
  const record: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) record[flat[i]] = flat[i + 1];
  return record;
}

describe('the Redis stream of published events', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let redis: Redis;
  const stream = `gatehouse:test:events:${randomUUID()}`;

  beforeAll(async () => {
    proxy = TcpProxy.forUrl(TEST_REDIS_URL);
    await proxy.start();
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    t = await startTestApp({
      env: { REDIS_URL: proxy.rewrite(TEST_REDIS_URL), EVENTS_REDIS_STREAM: stream },
    });
  });
  afterAll(async () => {
    await t.close();
    await proxy.cut();
    await redis.del(stream);
    await redis.quit();
  });

  async function rename(user: SignedInUser): Promise<void> {
    const res = await send(t, 'PATCH', '/v1/users/me', user.token, { name: uniqueName('n') });
    expect(res.statusCode).toBe(200);
  }

  /** Every published event, in order, as the stream should hold it. */
  async function published(): Promise<{ id: string; position: string; type: string }[]> {
    return t.app
      .get(DataSource)
      .query('SELECT id, position, type FROM outbox WHERE position IS NOT NULL ORDER BY position');
  }

  /** Waits until the stream's last entry is the last published event. */
  async function streamCaughtUp(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const events = await published();
      const [last] = (await redis.xrevrange(stream, '+', '-', 'COUNT', 1)) as Entry[];
      if (events.length > 0 && last?.[0] === `${events.at(-1)!.position}-0`) return;
      if (Date.now() > deadline) throw new Error('the stream never caught up');
      await sleep(100);
    }
  }

  it('holds every published event once, in order, with its position as id, for consumer groups', async () => {
    const user = await signedInUser(t);
    await rename(user);
    await settled(t);
    await streamCaughtUp();

    const events = await published();
    const entries = (await redis.xrange(stream, '-', '+')) as Entry[];
    expect(entries.map(([id]) => id)).toEqual(events.map((e) => `${e.position}-0`));
    const renamed = entries.find((entry) => fields(entry).type === 'user.updated')!;
    const renamedRow = events.find((e) => `${e.position}-0` === renamed[0])!;
    expect(Object.keys(fields(renamed))).toEqual(['type', 'id', 'data']);
    expect(fields(renamed).id).toBe(renamedRow.id);
    expect(JSON.parse(fields(renamed).data)).toMatchObject({
      id: renamedRow.id,
      type: 'user.updated',
      schema_version: 1,
      data: { user_id: user.id },
    });

    // A consumer group reads them all, then only what is added after.
    await redis.xgroup('CREATE', stream, 'workers', '0');
    const read = async () => {
      const answer = (await redis.xreadgroup(
        'GROUP',
        'workers',
        'worker-1',
        'COUNT',
        1000,
        'STREAMS',
        stream,
        '>',
      )) as [string, Entry[]][] | null;
      const got = answer?.[0][1] ?? [];
      if (got.length > 0) await redis.xack(stream, 'workers', ...got.map(([id]) => id));
      return got.map(([id]) => id);
    };
    expect(await read()).toEqual(events.map((e) => `${e.position}-0`));
    await rename(user);
    await settled(t);
    await streamCaughtUp();
    const after = (await published()).slice(events.length);
    expect(after.length).toBeGreaterThan(0);
    expect(await read()).toEqual(after.map((e) => `${e.position}-0`));
  });

  /** The publisher's jobs by state, waiting until `done` holds of them (at most 10 s). */
  async function publisherJobs(done: (states: string[]) => boolean): Promise<string[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const rows = await t.app
        .get(DataSource)
        .query<{ state: string }[]>(
          `SELECT state FROM pgboss.job WHERE name = $1 AND state IN ('created', 'retry', 'active')`,
          [REDIS_STREAM_QUEUE],
        );
      const states = rows.map((row) => row.state).sort();
      if (done(states)) return states;
      if (Date.now() > deadline) throw new Error(`the publisher's jobs stayed ${states.join()}`);
      await sleep(20);
    }
  }

  // A second session holds the outbox: the embedded database has one session.
  itOnServer(
    'adds a publication whose request came while a run waited that ended before the commit',
    async () => {
      const user = await signedInUser(t);
      await settled(t);
      await streamCaughtUp();
      const jobs = t.app.get(JobQueue);
      // A run that waits for the outbox (locked here), and another one waiting behind it.
      const holder = new Client({ connectionString: t.config.database.url });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE');
        await jobs.send(REDIS_STREAM_QUEUE, {});
        await publisherJobs((states) => states.includes('active'));
        await jobs.send(REDIS_STREAM_QUEUE, {});
        expect(await publisherJobs(() => true)).toEqual(['active', 'created']);

        // A relay transaction: its publisher asks for a run; both runs end before it commits.
        await t.app.get(Transactions).run(async () => {
          await t.app.get(RedisStreamPublisher).published();
          await holder.query('COMMIT');
          await publisherJobs((states) => states.length === 0);
          await t.app.get(DomainEvents).emit('user.password_reset.requested', { user_id: user.id });
          const outbox = t.app.get(OutboxRepository);
          expect(await outbox.publishNext(10, EVENTS_NOTIFY_CHANNEL)).toHaveLength(1);
        });
      } finally {
        await holder.end();
      }
      // Well before the minute's run.
      await streamCaughtUp(5_000);
    },
  );

  it('takes an event Redis already holds for added, and goes on after it', async () => {
    const user = await signedInUser(t);
    await settled(t);
    await streamCaughtUp();
    // The last entries gone, as if a crashed run's writes were read back as missing: Redis
    // still refuses their ids (not above its last id), and the job must not fail on that.
    const [last] = (await redis.xrevrange(stream, '+', '-', 'COUNT', 2)) as Entry[];
    await redis.xdel(stream, last[0]);
    const outcome = await t.app.get(RedisStreamPublisher).publish([{ id: 'manual' } as never]);
    expect(outcome).toEqual([{ id: 'manual', status: 'completed' }]);
    expect(await redis.xlen(stream)).toBe((await published()).length - 1);

    await rename(user);
    await settled(t);
    await streamCaughtUp();
    const ids = ((await redis.xrange(stream, '-', '+')) as Entry[]).map(([id]) => id);
    expect(ids).toEqual(
      (await published()).map((e) => `${e.position}-0`).filter((id) => id !== last[0]),
    );
  });

  it('while Redis is down nothing else fails; once it is back everything missed is added in order', async () => {
    const user = await signedInUser(t);
    await settled(t);
    await streamCaughtUp();
    const before = await redis.xlen(stream);
    const [top] = (await redis.xrevrange(stream, '+', '-', 'COUNT', 1)) as Entry[];

    await proxy.cut();
    const started = Date.now();
    await rename(user);
    const again = await login(t, user.email, 'correct horse battery staple 42', { ip: uniqueIp() });
    expect(again.access_token).toBeDefined();
    const me = await send(t, 'GET', '/v1/users/me', again.access_token);
    expect(me.statusCode).toBe(200);
    const refused = await post(t, '/v1/auth/login', { email: user.email, password: 'wrong' });
    expect(refused.statusCode).toBe(401);
    await rename(user);

    // The job keeps failing and retrying, with backoff, meanwhile.
    const database = t.app.get(DataSource);
    for (;;) {
      const [{ retries }] = await database.query<{ retries: number }[]>(
        `SELECT coalesce(max(retry_count), 0)::int AS retries FROM pgboss.job WHERE name = $1`,
        [REDIS_STREAM_QUEUE],
      );
      if (retries >= 2) break;
      if (Date.now() - started > 20_000) throw new Error('the job never retried');
      await sleep(100);
    }
    expect(await redis.xlen(stream)).toBe(before);
    const [{ unpublished }] = await database.query<{ unpublished: number }[]>(
      'SELECT count(*)::int AS unpublished FROM outbox WHERE position IS NULL',
    );
    expect(unpublished).toBe(0);

    await proxy.start();
    await streamCaughtUp(60_000);
    const ids = ((await redis.xrange(stream, '-', '+')) as Entry[]).map(([id]) => id);
    const missed = (await published())
      .filter((e) => Number(e.position) > Number(top[0].split('-')[0]))
      .map((e) => `${e.position}-0`);
    expect(missed.length).toBeGreaterThanOrEqual(4);
    expect(ids.slice(before)).toEqual(missed);
  }, 120_000);
});
