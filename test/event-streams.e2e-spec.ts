import { connect, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { DataSource } from 'typeorm';
import { DomainEvents } from '../src/modules/events/domain-events.service';
import { JobQueue } from '../src/modules/events/jobs/job-queue.service';
import { EventStreams } from '../src/modules/events/streams/event-streams.service';
import { uuidV7 } from '../src/common/ids/uuid-v7';
import { RETENTION_QUEUE } from '../src/modules/retention/retention-purge';
import { settled, uniqueIp } from './support/accounts';
import { send, SignedInUser, signedInAdmin, signedInUser, uniqueName } from './support/access';
import { expectProblem, sleep } from './support/assertions';
import { clientToken, createClient, revokeClientTokens } from './support/clients';
import { EventStreamClient } from './support/event-stream-client';
import { startTestApp, TestApp } from './support/test-app';

const QUEUE_LIMIT = 20;
/** The relay's advisory lock (outbox.repository.ts). */
const RELAY_LOCK_KEY = 7_243_118_602;
const MAX_PER_PRINCIPAL = 3;

describe('event streams (Server-Sent Events) and the event schemas', () => {
  let t: TestApp;
  let port: number;
  let admin: SignedInUser;
  const open: EventStreamClient[] = [];

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        EVENTS_STREAM_HEARTBEAT_MS: '200',
        EVENTS_STREAM_QUEUE_LIMIT: String(QUEUE_LIMIT),
        EVENTS_STREAM_MAX_PER_PRINCIPAL: String(MAX_PER_PRINCIPAL),
      },
    });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    admin = await signedInAdmin(t);
  });
  afterEach(() => {
    for (const client of open.splice(0)) client.close();
  });
  afterAll(() => t.close());

  /** Opens a stream (closed after the test). */
  async function stream(token: string | null, query = '', headers: Record<string, string> = {}) {
    const client = await EventStreamClient.open(port, `/v1/events/stream${query}`, {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    });
    open.push(client);
    return client;
  }

  /** A profile change through the API: one `user.updated` event about the user. */
  async function rename(user: SignedInUser): Promise<string> {
    const name = uniqueName('name');
    const res = await send(t, 'PATCH', '/v1/users/me', user.token, { name });
    expect(res.statusCode).toBe(200);
    return name;
  }

  /** The published positions after `position`, in order, once everything is published. */
  async function positionsAfter(position: number): Promise<string[]> {
    await settled(t);
    const rows = await t.app
      .get(DataSource)
      .query<{ position: string }[]>(
        'SELECT position FROM outbox WHERE position > $1 ORDER BY position',
        [position],
      );
    return rows.map((row) => row.position);
  }

  async function lastPosition(): Promise<number> {
    await settled(t);
    const [row] = await t.app
      .get(DataSource)
      .query<{ position: string }[]>('SELECT max(position) AS position FROM outbox');
    return Number(row.position);
  }

  /** The stream's first response bytes arrive once it is subscribed: it sees what follows. */
  const ready = (client: EventStreamClient) =>
    client.until((c) => c.comments.includes('heartbeat'), 'the first heartbeat');

  describe('refusals, before the stream starts', () => {
    it('needs an access token', async () => {
      expectProblem(
        await t.inject({ method: 'GET', url: '/v1/events/stream' }),
        401,
        'unauthorized',
      );
      const garbage = await t.inject({
        method: 'GET',
        url: '/v1/events/stream',
        headers: { authorization: 'Bearer a.b.c' },
      });
      expectProblem(garbage, 401, 'invalid_token');
    });

    it('refuses unknown types and families, naming them all', async () => {
      const res = await send(
        t,
        'GET',
        '/v1/events/stream?types=user.session.*,user.nope,nothing.*',
        admin.token,
      );
      const body = expectProblem(res, 400, 'unknown_event_types');
      expect(body.unknown_types).toEqual(['user.nope', 'nothing.*']);
      expect(body.detail).toContain('user.nope');
    });

    it('refuses a Last-Event-ID that is not a position it gave out', async () => {
      for (const id of ['abc', String((await lastPosition()) + 1000)]) {
        const res = await t.inject({
          method: 'GET',
          url: '/v1/events/stream',
          headers: { authorization: `Bearer ${admin.token}`, 'last-event-id': id },
        });
        expectProblem(res, 400, 'unknown_event_position');
      }
    });

    it('refuses a service client without events:read, and accepts one with it', async () => {
      const without = await clientToken(t, await createClient(t, ['authz:check']));
      expectProblem(
        await send(t, 'GET', '/v1/events/stream', without.access_token),
        403,
        'forbidden',
      );
      const holder = await clientToken(t, await createClient(t, ['events:read']));
      const client = await stream(holder.access_token);
      expect(client.status).toBe(200);
      await ready(client);
      const user = await signedInUser(t);
      const name = await rename(user);
      await client.until(
        (c) => c.envelopes.some((e) => e.type === 'user.updated' && e.data.user_id === user.id),
        'the rename',
      );
      expect(JSON.stringify(client.envelopes)).toContain(name);
    });

    it(`caps the streams one principal holds open at ${MAX_PER_PRINCIPAL}`, async () => {
      const user = await signedInUser(t);
      const streams = [];
      for (let i = 0; i < MAX_PER_PRINCIPAL; i++) streams.push(await stream(user.token));
      expect(streams.map((s) => s.status)).toEqual(Array(MAX_PER_PRINCIPAL).fill(200));
      expectProblem(await send(t, 'GET', '/v1/events/stream', user.token), 429, 'too_many_streams');
      // Another principal is not held back by this one's streams.
      expect((await stream((await signedInUser(t)).token)).status).toBe(200);
      streams[0].close();
      const streams_ = t.app.get(EventStreams);
      for (let i = 0; streams_.openStreams(`user:${user.id}`) >= MAX_PER_PRINCIPAL; i++) {
        if (i > 100) throw new Error('the closed stream was never released');
        await sleep(20);
      }
      expect((await stream(user.token)).status).toBe(200);
    });

    it('admits no more than the cap when streams are asked for at the same moment', async () => {
      const user = await signedInUser(t);
      const answers = await Promise.all(
        Array.from({ length: MAX_PER_PRINCIPAL + 2 }, () => stream(user.token)),
      );
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses).toEqual([
        ...Array<number>(MAX_PER_PRINCIPAL).fill(200),
        ...Array<number>(2).fill(429),
      ]);
    });
  });

  describe('what each caller sees', () => {
    it('a user without events:read sees only their own user.* events; an admin sees all', async () => {
      const alice = await signedInUser(t);
      const bob = await signedInUser(t);
      const aliceStream = await stream(alice.token);
      const adminStream = await stream(admin.token);
      expect(aliceStream.status).toBe(200);
      expect(aliceStream.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(aliceStream.headers['cache-control']).toBe('no-store');
      expect(aliceStream.headers['x-request-id']).toBeDefined();
      await Promise.all([ready(aliceStream), ready(adminStream)]);

      const first = await rename(alice);
      await rename(bob);
      const role = await send(t, 'POST', '/v1/roles', admin.token, { name: uniqueName('role') });
      expect(role.statusCode).toBe(201);
      const last = await rename(alice);

      await aliceStream.until(
        (c) => c.envelopes.some((e) => JSON.stringify(e.data).includes(last)),
        "alice's second rename",
      );
      const seen = aliceStream.envelopes;
      expect(seen.map((e) => e.type)).toEqual(['user.updated', 'user.updated']);
      expect(seen.every((e) => e.data.user_id === alice.id)).toBe(true);
      expect(JSON.stringify(seen[0])).toContain(first);

      await adminStream.until(
        (c) => c.envelopes.some((e) => JSON.stringify(e.data).includes(last)),
        "the admin's view of the second rename",
      );
      const types = adminStream.envelopes.map(
        (e) => `${e.type}:${(e.data.user_id as string | undefined) ?? ''}`,
      );
      expect(types).toEqual(
        expect.arrayContaining([
          `user.updated:${alice.id}`,
          `user.updated:${bob.id}`,
          'role.created:',
        ]),
      );
    });

    it('sends each event as id (position), event (type) and data (the envelope)', async () => {
      const user = await signedInUser(t);
      const client = await stream(user.token, '?types=user.updated');
      await ready(client);
      await rename(user);
      await client.until((c) => c.messages.length === 1, 'one message');
      const [message] = client.messages;
      const [row] = await t.app.get(DataSource).query<
        {
          id: string;
          position: string;
          occurred_at: Date;
          actor_type: string | null;
          actor_id: string | null;
          request_id: string | null;
          ip: string | null;
          user_agent: string | null;
          data: Record<string, unknown>;
        }[]
      >("SELECT * FROM outbox WHERE type = 'user.updated' AND user_id = $1", [user.id]);
      expect(message.id).toBe(row.position);
      expect(message.event).toBe('user.updated');
      expect(JSON.parse(message.data)).toEqual({
        id: row.id,
        type: 'user.updated',
        timestamp: row.occurred_at.toISOString(),
        schema_version: 1,
        actor: row.actor_type ? { type: row.actor_type, id: row.actor_id } : null,
        context: { request_id: row.request_id, ip: row.ip, user_agent: row.user_agent },
        data: row.data,
      });
      expect(row.data).toMatchObject({ user_id: user.id });
    });

    it('filters by exact types and families', async () => {
      const client = await stream(admin.token, '?types=role.created,user.role.*');
      await ready(client);
      const user = await signedInUser(t);
      await rename(user);
      const role = (
        await send(t, 'POST', '/v1/roles', admin.token, { name: uniqueName('role') })
      ).json<{ role: { id: string } }>().role;
      const granted = await send(
        t,
        'PUT',
        `/v1/users/${user.id}/roles/${role.id}`,
        admin.token,
        {},
      );
      expect(granted.statusCode).toBeLessThan(300);
      await client.until((c) => c.messages.length === 2, 'the role and its grant');
      await settled(t);
      await sleep(300);
      expect(client.messages.map((m) => m.event)).toEqual(['role.created', 'user.role.granted']);
    });
  });

  describe('resuming', () => {
    it('resends exactly what followed Last-Event-ID, in order, then continues live', async () => {
      const user = await signedInUser(t);
      const first = await stream(admin.token);
      await ready(first);
      await rename(user);
      await first.until((c) => c.messages.length > 0, 'an event');
      const resumeFrom = Number(first.messages.at(-1)!.id);
      first.close();

      // Missed while disconnected.
      await rename(user);
      await rename(user);
      await send(t, 'POST', '/v1/roles', admin.token, { name: uniqueName('role') });
      const missed = await positionsAfter(resumeFrom);
      expect(missed.length).toBeGreaterThanOrEqual(3);

      const resumed = await stream(admin.token, '', { 'last-event-id': String(resumeFrom) });
      await resumed.untilId(missed.at(-1)!);
      const live = await rename(user);
      await resumed.until(
        (c) => c.envelopes.some((e) => JSON.stringify(e.data).includes(live)),
        'the live event',
      );
      const expected = await positionsAfter(resumeFrom);
      await sleep(300);
      expect(resumed.messages.map((m) => m.id)).toEqual(expected);
    });

    it('resumes from the last_event_id query parameter when the header is absent', async () => {
      const from = await lastPosition();
      const user = await signedInUser(t);
      await rename(user);
      const expected = await positionsAfter(from);
      const resumed = await stream(admin.token, `?last_event_id=${from}`);
      await resumed.untilId(expected.at(-1)!);
      expect(resumed.messages.map((m) => m.id)).toEqual(expected);
    });

    it('has no gap and no duplicate when events are published while it catches up', async () => {
      const user = await signedInUser(t);
      const from = await lastPosition();
      const events = t.app.get(DomainEvents);
      const burst = (async () => {
        for (let i = 0; i < 150; i++) {
          await events.emit('user.preferences.updated', {
            user_id: user.id,
            changed_fields: ['theme'],
          });
          if (i % 10 === 0) await sleep(5);
        }
      })();
      const resumed = await stream(admin.token, '', { 'last-event-id': String(from) });
      await burst;
      const expected = await positionsAfter(from);
      expect(expected.length).toBeGreaterThanOrEqual(150);
      await resumed.untilId(expected.at(-1)!);
      await sleep(300);
      expect(resumed.messages.map((m) => m.id)).toEqual(expected);
    });

    it("resends only the caller's own events to a user", async () => {
      const alice = await signedInUser(t);
      const bob = await signedInUser(t);
      const from = await lastPosition();
      await rename(bob);
      const mine = await rename(alice);
      await rename(bob);
      const resumed = await stream(alice.token, '', { 'last-event-id': String(from) });
      await resumed.until((c) => c.messages.length >= 1, "alice's event");
      await sleep(300);
      expect(resumed.envelopes.map((e) => e.data.user_id)).toEqual([alice.id]);
      expect(JSON.stringify(resumed.envelopes[0])).toContain(mine);
    });
  });

  describe('while open', () => {
    it('sends a heartbeat comment when there is nothing to send', async () => {
      const client = await stream(admin.token, '?types=client.disabled');
      await client.until((c) => c.comments.filter((x) => x === 'heartbeat').length >= 2, 'beats');
      expect(client.messages).toEqual([]);
    });

    it('ends when the session ends, saying so', async () => {
      const user = await signedInUser(t);
      const client = await stream(user.token);
      await ready(client);
      const out = await send(t, 'POST', '/v1/auth/logout', user.token);
      expect(out.statusCode).toBe(204);
      await client.untilEnded();
      expect(client.comments.at(-1)).toBe('closed: the session ended');
      // Its own revocation was the last thing it was told.
      expect(client.messages.at(-1)?.event).toBe('user.session.revoked');
    });

    it('ends when the events:read permission is withdrawn', async () => {
      const other = await signedInAdmin(t);
      const client = await stream(other.token);
      await ready(client);
      const roles = (await send(t, 'GET', '/v1/roles?limit=100', admin.token)).json<{
        items: { id: string; name: string }[];
      }>();
      const adminRole = roles.items.find((role) => role.name === 'admin')!;
      const revoked = await send(
        t,
        'DELETE',
        `/v1/users/${other.id}/roles/${adminRole.id}`,
        admin.token,
      );
      expect(revoked.statusCode).toBeLessThan(300);
      await client.untilEnded();
      expect(client.comments.at(-1)).toBe('closed: the events:read permission was withdrawn');
    });

    it("ends when the service client's tokens are revoked", async () => {
      const service = await createClient(t, ['events:read']);
      const client = await stream((await clientToken(t, service)).access_token);
      await ready(client);
      await revokeClientTokens(t, service);
      await client.untilEnded();
      expect(client.comments.at(-1)).toBe('closed: the access token was revoked');
    });

    it('disconnects a client that does not read, without holding up the others', async () => {
      const user = await signedInUser(t);
      // The sign-in's own events are published before the streams open: the reader's messages
      // are then the events sent below, and only those.
      await settled(t);
      const reader = await stream(user.token);
      const socket: Socket = connect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(
        `GET /v1/events/stream HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${user.token}\r\n\r\n`,
      );
      socket.pause();
      const streams = t.app.get(EventStreams);
      const principal = `user:${user.id}`;
      for (let i = 0; streams.openStreams(principal) < 2; i++) {
        if (i > 100) throw new Error('the raw stream never opened');
        await sleep(20);
      }

      // Large events fill the socket buffers of a client that does not read, then its queue.
      const events = t.app.get(DomainEvents);
      const big = 'x'.repeat(200_000);
      let sent = 0;
      while (streams.openStreams(principal) === 2 && sent < 400) {
        await events.emit('user.updated', {
          user_id: user.id,
          changes: { before: { name: 'a' }, after: { name: `${big}${sent++}` } },
        });
        if (sent % 10 === 0) await settled(t);
      }
      expect(streams.openStreams(principal)).toBe(1);

      // The reader kept up the whole time and is still open.
      await reader.until((c) => c.messages.length === sent, 'every event for the reader');
      expect(reader.ended).toBe(false);

      // The slow one, reading at last, finds the reason at the end of what it was sent.
      socket.resume();
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (received += chunk));
      await new Promise((resolve) => socket.once('close', resolve));
      // The last chunk of the response (chunked encoding), then its end.
      expect(received).toMatch(
        new RegExp(
          `: disconnected: more than ${QUEUE_LIMIT} events behind[^\\n]*\\n\\n\\r\\n0\\r\\n\\r\\n$`,
        ),
      );
      expect((received.match(/^event: user\.updated$/gm) ?? []).length).toBeLessThan(sent);
    });
  });

  describe('retention', () => {
    it('purges published events past the window in a job, and a stream resuming before them is told it missed events', async () => {
      const user = await signedInUser(t);
      await rename(user);
      const old = await lastPosition();
      await rename(user);
      const kept = await positionsAfter(old);
      const database = t.app.get(DataSource);
      await database.query(
        `UPDATE outbox SET occurred_at = now() - interval '31 days' WHERE position <= $1`,
        [old],
      );

      await t.app.get(JobQueue).send(RETENTION_QUEUE, {});
      await settled(t);
      const [{ left }] = await database.query<{ left: string }[]>(
        'SELECT count(*) AS left FROM outbox WHERE position <= $1',
        [old],
      );
      expect(Number(left)).toBe(0);
      expect(await positionsAfter(old)).toEqual(kept);

      const resumed = await stream(admin.token, '', { 'last-event-id': '1' });
      await resumed.untilId(kept.at(-1)!);
      const [notice, ...rest] = resumed.messages;
      expect(notice).toEqual({
        id: String(old),
        event: 'stream.events_missed',
        data: expect.any(String),
      });
      expect(JSON.parse(notice.data)).toMatchObject({ last_event_id: 1, resumes_after: old });
      expect(rest.map((m) => m.id)).toEqual(kept);
    });

    it('keeps the last published event however old, so positions never start again', async () => {
      const database = t.app.get(DataSource);
      const last = await lastPosition();
      await database.query(`UPDATE outbox SET occurred_at = now() - interval '400 days'`);
      await t.app.get(JobQueue).send(RETENTION_QUEUE, {});
      await settled(t);
      const rows = await database.query<{ position: string }[]>('SELECT position FROM outbox');
      expect(rows.map((r) => Number(r.position))).toEqual([last]);
      const user = await signedInUser(t);
      await rename(user);
      expect(await lastPosition()).toBeGreaterThan(last);
    });
  });

  describe('the schemas', () => {
    it('are public, list every type, and validate the events actually sent', async () => {
      const res = await t.inject({ method: 'GET', url: '/v1/events/schemas' });
      expect(res.statusCode).toBe(200);
      const document = res.json<{
        envelope: Record<string, unknown>;
        events: {
          type: string;
          version: number;
          description: string;
          data_schema: Record<string, unknown>;
        }[];
      }>();
      expect(document.events.length).toBeGreaterThan(30);
      expect(document.events.find((e) => e.type === 'user.session.created')).toMatchObject({
        version: 1,
        description: expect.any(String),
        data_schema: {
          type: 'object',
          required: expect.arrayContaining(['user_id', 'session_id']),
        },
      });

      const ajv = new Ajv2020({ strict: false });
      addFormats(ajv);
      const envelope = ajv.compile(document.envelope);
      const payloads = new Map(document.events.map((e) => [e.type, ajv.compile(e.data_schema)]));

      const from = await lastPosition();
      const client = await stream(admin.token, '', { 'last-event-id': String(from) });
      const user = await signedInUser(t);
      await rename(user);
      await send(t, 'POST', '/v1/auth/logout', user.token);
      const expected = await positionsAfter(from);
      await client.untilId(expected.at(-1)!);
      const types = new Set<string>();
      for (const message of client.envelopes) {
        expect({ type: message.type, valid: envelope(message), errors: envelope.errors }).toEqual({
          type: message.type,
          valid: true,
          errors: null,
        });
        const payload = payloads.get(message.type)!;
        expect({ type: message.type, valid: payload(message.data) }).toEqual({
          type: message.type,
          valid: true,
        });
        types.add(message.type);
      }
      expect([...types]).toEqual(
        expect.arrayContaining([
          'user.created',
          'user.email_verified',
          'user.session.created',
          'user.updated',
          'user.session.revoked',
        ]),
      );
    });

    it('are in the OpenAPI document with the stream', async () => {
      const res = await t.inject({ method: 'GET', url: '/docs/openapi.json' });
      const paths = res.json<{ paths: Record<string, { get?: Record<string, unknown> }> }>().paths;
      expect(paths['/v1/events/schemas'].get).toBeDefined();
      const streamOperation = paths['/v1/events/stream'].get!;
      expect(JSON.stringify(streamOperation)).toContain('text/event-stream');
      expect(JSON.stringify(streamOperation)).toContain('Last-Event-ID');
    });
  });

  describe('metrics', () => {
    it('show the outbox lag, queue depths, open streams and events streamed', async () => {
      const streams = t.app.get(EventStreams);
      for (let i = 0; streams.openStreams() > 0; i++) {
        if (i > 100) throw new Error("the earlier tests' streams never closed");
        await sleep(20);
      }
      const client = await stream(admin.token, '?types=user.updated');
      await ready(client);
      const user = await signedInUser(t);
      await rename(user);
      await client.until((c) => c.messages.length === 1, 'the rename');
      const scrape = await t.inject({ method: 'GET', url: '/metrics', remoteAddress: uniqueIp() });
      expect(scrape.statusCode).toBe(200);
      const text = scrape.body;
      expect(text).toMatch(/^gatehouse_outbox_lag_seconds \d+(\.\d+)?$/m);
      expect(text).toMatch(
        /^gatehouse_job_queue_depth\{queue="events\.relay",state="ready"\} \d+$/m,
      );
      expect(text).toMatch(/^gatehouse_event_streams_open 1$/m);
      expect(text).toMatch(/^gatehouse_events_streamed_total\{type="user\.updated"\} [1-9]\d*$/m);
    });

    it('report the age of the oldest unpublished event as the outbox lag', async () => {
      const user = await signedInUser(t);
      await settled(t);
      const database = t.app.get(DataSource);
      // The relay publishes under this lock: held, an event written 90 s ago stays unpublished.
      const holder = database.createQueryRunner();
      await holder.connect();
      try {
        await holder.startTransaction();
        await holder.query('SELECT pg_advisory_xact_lock($1)', [RELAY_LOCK_KEY]);
        await database.query(
          `INSERT INTO outbox (id, type, schema_version, occurred_at, user_id, data)
           VALUES ($1, 'user.preferences.updated', 1, now(), $2, $3::jsonb)`,
          [
            uuidV7(Date.now() - 90_000),
            user.id,
            JSON.stringify({ user_id: user.id, changed_fields: [] }),
          ],
        );
        const scrape = await t.inject({ method: 'GET', url: '/metrics' });
        const lag = Number(/^gatehouse_outbox_lag_seconds (\S+)$/m.exec(scrape.body)![1]);
        expect(lag).toBeGreaterThanOrEqual(90);
        expect(lag).toBeLessThan(120);
      } finally {
        await holder.rollbackTransaction();
        await holder.release();
      }
      // A commit asks the relay to run: it publishes the held event too.
      await rename(user);
      await settled(t);
      const scrape = await t.inject({ method: 'GET', url: '/metrics' });
      expect(scrape.body).toMatch(/^gatehouse_outbox_lag_seconds 0$/m);
    });
  });
});

describe('event streams with the default heartbeat, where administrators must use a second factor', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await startTestApp({ env: { MFA_REQUIRED_ROLES: 'admin' } });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  it('answers at once, long before the first heartbeat', async () => {
    const user = await signedInUser(t);
    const started = Date.now();
    const client = await EventStreamClient.open(port, '/v1/events/stream', {
      authorization: `Bearer ${user.token}`,
    });
    try {
      expect(client.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(client.comments).toEqual([]);
    } finally {
      client.close();
    }
  });

  it('refuses every event to an admin session without one, as the permission API does', async () => {
    // Signed in with a password only, then made an administrator.
    const admin = await signedInAdmin(t);
    const res = await send(t, 'GET', '/v1/events/stream', admin.token);
    expectProblem(res, 401, 'insufficient_user_authentication');
    expect(res.headers['www-authenticate']).toContain('acr_values="aal2"');
    expectProblem(
      await send(t, 'GET', '/v1/roles', admin.token),
      401,
      'insufficient_user_authentication',
    );
  });
});
