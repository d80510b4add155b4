import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { systemActor } from '../src/common/auth/actor';
import { Transactions } from '../src/database/transactions';
import { DomainEvents } from '../src/modules/events/domain-events.service';
import { WebhookDeliveries } from '../src/modules/events/webhooks/webhook-deliveries';
import { ReceivedWebhook, WebhookReceiver } from './peers/webhook-receiver';
import { createVerifiedAccount, settled } from './support/accounts';
import { send, signedInAdmin, signedInUser } from './support/access';
import { expectProblem, sleep } from './support/assertions';
import { startTestApp, TestApp } from './support/test-app';

interface EndpointBody {
  id: string;
  url: string;
  description: string;
  event_types: string[];
  enabled: boolean;
  disabled_reason: string | null;
  previous_secret_expires_at: string | null;
  failing_since: string | null;
  secret?: string;
}

interface DeliveryBody {
  id: string;
  event_id: string;
  event_type: string;
  attempt: number;
  outcome: string;
  status_code: number | null;
  error: string | null;
  latency_ms: number;
  response_body: string | null;
  attempted_at: string;
}

interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Polls `check` until it stops throwing (or `timeoutMs` passes, then throws its error). */
async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(50);
    }
  }
}

describe('outbound webhooks', () => {
  let t: TestApp;
  let db: DataSource;
  let admin: string;
  let otherAdmin: string;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        WEBHOOK_ALLOWED_HOSTS: '127.0.0.1,localhost',
        WEBHOOK_TIMEOUT_MS: '1000',
        WEBHOOK_RETRY_INITIAL_DELAY_SECONDS: '1',
        WEBHOOK_RETRY_MAX_DELAY_SECONDS: '1',
        WEBHOOK_RETRY_WINDOW_SECONDS: '30',
      },
    });
    db = t.app.get(DataSource);
    admin = (await signedInAdmin(t)).token;
    otherAdmin = (await signedInAdmin(t)).token;
  });
  afterAll(async () => {
    await t.close();
    for (const receiver of receivers) await receiver.stop();
  });

  async function receiver(answer?: ConstructorParameters<typeof WebhookReceiver>[0]) {
    const started = await new WebhookReceiver(answer).start();
    receivers.push(started);
    return started;
  }

  async function createEndpoint(
    body: Record<string, unknown>,
    token = admin,
  ): Promise<EndpointBody & { secret: string }> {
    const res = await send(t, 'POST', '/v1/admin/webhooks', token, body);
    expect(res.statusCode).toBe(201);
    return res.json();
  }

  /** An endpoint whose description changes make `webhook.endpoint.updated` events. */
  async function source(): Promise<EndpointBody> {
    return createEndpoint({
      url: 'https://source.example.com/never',
      event_types: ['role.deleted'],
      enabled: false,
    });
  }

  /** Changes the source's description: one `webhook.endpoint.updated`; returns its event id. */
  async function touch(endpoint: EndpointBody, token = admin): Promise<string> {
    const description = `touched ${randomUUID()}`;
    const res = await send(t, 'PATCH', `/v1/admin/webhooks/${endpoint.id}`, token, {
      description,
    });
    expect(res.statusCode).toBe(200);
    const [row] = await db.query<{ id: string }[]>(
      `SELECT id FROM outbox WHERE type = 'webhook.endpoint.updated'
          AND data->'changes'->'after'->>'description' = $1`,
      [description],
    );
    return row.id;
  }

  async function deliveries(
    endpointId: string,
    query = '',
    token = admin,
  ): Promise<DeliveryBody[]> {
    const res = await send(t, 'GET', `/v1/admin/webhooks/${endpointId}/deliveries${query}`, token);
    expect(res.statusCode).toBe(200);
    return res.json<Page<DeliveryBody>>().items;
  }

  function verify(secret: string, request: ReceivedWebhook): unknown {
    return new Webhook(secret).verify(request.body, {
      'webhook-id': String(request.headers['webhook-id']),
      'webhook-timestamp': String(request.headers['webhook-timestamp']),
      'webhook-signature': String(request.headers['webhook-signature']),
    });
  }

  describe('administration', () => {
    it('creates an endpoint with a whsec_ secret shown once, stored encrypted, audited', async () => {
      const hook = await receiver();
      const created = await createEndpoint({
        url: hook.url,
        description: 'Billing sync',
        event_types: ['user.*', 'webhook.endpoint.updated'],
      });
      expect(created).toMatchObject({
        url: hook.url,
        description: 'Billing sync',
        event_types: ['user.*', 'webhook.endpoint.updated'],
        enabled: true,
        disabled_reason: null,
      });
      expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

      const fetched = await send(t, 'GET', `/v1/admin/webhooks/${created.id}`, admin);
      expect(fetched.statusCode).toBe(200);
      expect(fetched.json()).not.toHaveProperty('secret');
      expect(fetched.body).not.toContain(created.secret.slice(6));

      const [row] = await db.query<{ secret_sealed: string }[]>(
        'SELECT secret_sealed FROM webhook_endpoints WHERE id = $1',
        [created.id],
      );
      expect(row.secret_sealed).toMatch(/^v1\./);
      expect(row.secret_sealed).not.toContain(created.secret.slice(6));

      const events = await db.query<{ type: string; data: unknown }[]>(
        `SELECT type, data FROM outbox WHERE data->>'endpoint_id' = $1`,
        [created.id],
      );
      expect(events.map((e) => e.type)).toEqual(['webhook.endpoint.created']);
      expect(JSON.stringify(events)).not.toContain(created.secret.slice(6));
      const audit = await db.query<{ action: string }[]>(
        'SELECT action FROM audit_events WHERE target_id = $1',
        [created.id],
      );
      expect(audit.map((a) => a.action)).toEqual(['webhook_endpoint.created']);
    });

    it('lists, updates and deletes the caller’s endpoints, each change an event', async () => {
      const first = await source();
      const second = await source();
      const page1 = await send(t, 'GET', '/v1/admin/webhooks?limit=1', admin);
      expect(page1.statusCode).toBe(200);
      const listed: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await send(
          t,
          'GET',
          `/v1/admin/webhooks?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
          admin,
        );
        const page = res.json<Page<EndpointBody>>();
        expect(page.items.length).toBeLessThanOrEqual(1);
        listed.push(...page.items.map((e) => e.id));
        cursor = page.next_cursor;
      } while (cursor);
      expect(listed).toEqual(expect.arrayContaining([first.id, second.id]));
      expect(new Set(listed).size).toBe(listed.length);

      const updated = await send(t, 'PATCH', `/v1/admin/webhooks/${first.id}`, admin, {
        event_types: ['user.session.*'],
        description: 'sessions',
      });
      expect(updated.json()).toMatchObject({
        event_types: ['user.session.*'],
        description: 'sessions',
      });
      const removed = await send(t, 'DELETE', `/v1/admin/webhooks/${first.id}`, admin);
      expect(removed.statusCode).toBe(204);
      expect((await send(t, 'GET', `/v1/admin/webhooks/${first.id}`, admin)).statusCode).toBe(404);
      const events = await db.query<{ type: string; data: Record<string, unknown> }[]>(
        `SELECT type, data FROM outbox WHERE data->>'endpoint_id' = $1 ORDER BY id`,
        [first.id],
      );
      expect(events.map((e) => e.type)).toEqual([
        'webhook.endpoint.created',
        'webhook.endpoint.updated',
        'webhook.endpoint.deleted',
      ]);
      expect(events[1].data.changes).toEqual({
        before: { description: '', event_types: ['role.deleted'] },
        after: { description: 'sessions', event_types: ['user.session.*'] },
      });
    });

    it('refuses malformed, non-http and private URLs with a 400 naming the field', async () => {
      for (const url of [
        'not a url',
        'ftp://hooks.example.com/x',
        'http://10.0.0.8/hook',
        'http://169.254.169.254/latest/meta-data/',
        'http://[::ffff:192.168.1.1]/',
        'http://[fd00::1]/',
      ]) {
        const res = await send(t, 'POST', '/v1/admin/webhooks', admin, {
          url,
          event_types: ['user.*'],
        });
        const body = expectProblem(res, 400, 'invalid_webhook_url');
        expect(body.errors).toEqual([expect.objectContaining({ field: 'url' })]);
      }
      const endpoint = await source();
      const res = await send(t, 'PATCH', `/v1/admin/webhooks/${endpoint.id}`, admin, {
        url: 'http://192.168.0.10/',
      });
      expectProblem(res, 400, 'invalid_webhook_url');
    });

    it('refuses unknown event types and patterns, naming them', async () => {
      const res = await send(t, 'POST', '/v1/admin/webhooks', admin, {
        url: 'https://hooks.example.com/x',
        event_types: ['user.created', 'user.nonsense', 'nothing.*'],
      });
      const body = expectProblem(res, 400, 'unknown_event_types');
      expect(body.detail).toContain('user.nonsense');
      expect(body.detail).toContain('nothing.*');
      expect(body.detail).not.toContain('user.created');
      expect(body.unknown_event_types).toEqual(['user.nonsense', 'nothing.*']);
    });

    it('needs authentication, and webhooks:read or webhooks:write', async () => {
      expectProblem(await send(t, 'GET', '/v1/admin/webhooks', null), 401, 'unauthorized');
      const user = await signedInUser(t);
      expectProblem(await send(t, 'GET', '/v1/admin/webhooks', user.token), 403, 'forbidden');
      expectProblem(
        await send(t, 'POST', '/v1/admin/webhooks', user.token, {
          url: 'https://hooks.example.com/x',
          event_types: ['user.*'],
        }),
        403,
        'forbidden',
      );
    });

    it('answers 404 for another admin’s endpoint, whatever the route', async () => {
      const mine = await source();
      const theirs = await send(t, 'GET', '/v1/admin/webhooks', otherAdmin);
      expect(theirs.json<Page<EndpointBody>>().items.map((e) => e.id)).not.toContain(mine.id);
      const base = `/v1/admin/webhooks/${mine.id}`;
      const eventId = randomUUID();
      for (const [method, url, body] of [
        ['GET', base],
        ['PATCH', base, { description: 'stolen' }],
        ['DELETE', base],
        ['POST', `${base}/secret/rotate`],
        ['GET', `${base}/deliveries`],
        ['POST', `${base}/deliveries/${eventId}/redeliver`],
        ['POST', `${base}/replay`, { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' }],
      ] as const) {
        expectProblem(await send(t, method, url, otherAdmin, body), 404, 'not_found');
      }
      expect((await send(t, 'GET', base, admin)).json()).toMatchObject({ description: '' });
    });
  });

  describe('delivery', () => {
    it('delivers matching events, signed, with Standard Webhooks headers', async () => {
      const updates = await receiver();
      const everything = await receiver();
      const users = await receiver();
      const updatesEndpoint = await createEndpoint({
        url: updates.url,
        event_types: ['webhook.endpoint.updated'],
      });
      const everythingEndpoint = await createEndpoint({
        url: everything.url,
        event_types: ['webhook.*'],
      });
      await createEndpoint({ url: users.url, event_types: ['user.created'] });
      const src = await source();
      const eventId = await touch(src);
      await createVerifiedAccount(t);

      const [request] = await eventually(() => {
        const got = updates.of(eventId);
        expect(got).toHaveLength(1);
        return got;
      });
      expect(request.headers['content-type']).toBe('application/json');
      const timestamp = Number(request.headers['webhook-timestamp']);
      expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(30);
      expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      const payload = verify(updatesEndpoint.secret, request) as Record<string, unknown>;
      expect(payload).toEqual({
        type: 'webhook.endpoint.updated',
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        data: { endpoint_id: src.id, changes: expect.any(Object) },
      });
      expect(() => verify(everythingEndpoint.secret, request)).toThrow();

      await eventually(() => expect(everything.of(eventId)).toHaveLength(1));
      await eventually(() => expect(users.received.length).toBeGreaterThan(0));
      await settled(t);
      // Each receiver saw only what its filter takes.
      expect(updates.received.every((r) => r.body.includes('"webhook.endpoint.updated"'))).toBe(
        true,
      );
      const types = (r: WebhookReceiver) =>
        r.received.map((x) => (JSON.parse(x.body) as { type: string }).type);
      expect(types(everything)).toEqual(
        expect.arrayContaining(['webhook.endpoint.created', 'webhook.endpoint.updated']),
      );
      expect(types(everything).every((type) => type.startsWith('webhook.'))).toBe(true);
      expect(new Set(types(users))).toEqual(new Set(['user.created']));

      const log = await eventually(async () => {
        const rows = await deliveries(updatesEndpoint.id, `?event_id=${eventId}`);
        expect(rows).toHaveLength(1);
        return rows;
      });
      expect(log[0]).toMatchObject({
        event_id: eventId,
        event_type: 'webhook.endpoint.updated',
        attempt: 1,
        outcome: 'success',
        status_code: 200,
        error: null,
      });
      const metrics = await t.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(/gatehouse_webhook_deliveries_total\{outcome="success"\} \d+/);
    });

    it('delivers nothing of a transaction that fails after adding events', async () => {
      const hook = await receiver();
      await createEndpoint({ url: hook.url, event_types: ['webhook.endpoint.deleted'] });
      const emit = (endpointId: string) =>
        t.app
          .get(DomainEvents)
          .emit(
            'webhook.endpoint.deleted',
            { endpoint_id: endpointId, url: 'https://gone.example.com/' },
            { actor: systemActor('test') },
          );
      const [rolledBack, committed] = [randomUUID(), randomUUID()];
      await expect(
        t.app.get(Transactions).run(async () => {
          await emit(rolledBack);
          throw new Error('the change fails after its event was added');
        }),
      ).rejects.toThrow('the change fails');
      await t.app.get(Transactions).run(() => emit(committed));
      await eventually(() =>
        expect(hook.received.some((r) => r.body.includes(committed))).toBe(true),
      );
      await settled(t);
      expect(hook.received.some((r) => r.body.includes(rolledBack))).toBe(false);
    });

    it('retries a 500 with the same webhook-id, and logs both attempts', async () => {
      const hook = await receiver((_, index) =>
        index === 0 ? { status: 500, body: 'busy, try later' } : { status: 204 },
      );
      const endpoint = await createEndpoint({
        url: hook.url,
        event_types: ['webhook.endpoint.updated'],
      });
      const eventId = await touch(await source());
      await eventually(() => expect(hook.of(eventId)).toHaveLength(2));
      const [first, second] = hook.of(eventId);
      expect(verify(endpoint.secret, first)).toBeTruthy();
      expect(verify(endpoint.secret, second)).toBeTruthy();
      const log = await eventually(async () => {
        const rows = await deliveries(endpoint.id, `?event_id=${eventId}`);
        expect(rows).toHaveLength(2);
        return rows;
      });
      // Newest first.
      expect(log[1]).toMatchObject({
        attempt: 1,
        outcome: 'retrying',
        status_code: 500,
        error: 'http_status',
        response_body: 'busy, try later',
      });
      expect(log[0]).toMatchObject({ attempt: 2, outcome: 'success', status_code: 204 });
      const retrying = await deliveries(endpoint.id, '?outcome=retrying');
      expect(retrying.map((d) => d.event_id)).toEqual([eventId]);
    });

    it('records batches failing at the same endpoints in opposite orders side by side, without a deadlock', async () => {
      const hooks = await Promise.all([0, 1].map(() => receiver(() => ({ status: 400 }))));
      // Subscribed to nothing this test emits: only the batches below go to them.
      const endpoints = await Promise.all(
        hooks.map((hook) => createEndpoint({ url: hook.url, event_types: ['role.deleted'] })),
      );
      const eventIds: string[] = [];
      for (let i = 0; i < 8; i++) eventIds.push(await touch(await source()));
      await eventually(async () => {
        const [{ count }] = await db.query<{ count: number }[]>(
          'SELECT count(*)::int AS count FROM outbox WHERE id = ANY($1) AND position IS NOT NULL',
          [eventIds],
        );
        expect(count).toBe(eventIds.length);
      });
      const job = (endpoint: EndpointBody, eventId: string) => ({
        id: randomUUID(),
        data: { endpoint_id: endpoint.id, event_id: eventId, attempt: 1 },
      });
      const batches = eventIds.map((eventId, i) =>
        (i % 2 === 0 ? endpoints : [...endpoints].reverse()).map((endpoint) =>
          job(endpoint, eventId),
        ),
      );
      const deliveriesBefore = hooks.map((hook) => hook.received.length);
      const outcomes = await Promise.all(
        batches.map((batch) => t.app.get(WebhookDeliveries).deliver(batch as never)),
      );
      expect(outcomes.flat().map((outcome) => outcome.status)).toEqual(
        Array(eventIds.length * endpoints.length).fill('completed'),
      );
      expect(hooks.map((hook, i) => hook.received.length - deliveriesBefore[i])).toEqual([8, 8]);
      for (const endpoint of endpoints) {
        expect(await deliveries(endpoint.id, '?outcome=failed')).toHaveLength(8);
      }
    });

    it('gives up on an attempt that hangs past the timeout, and retries it', async () => {
      const hook = await receiver((_, index) => (index === 0 ? 'hang' : { status: 200 }));
      const endpoint = await createEndpoint({
        url: hook.url,
        event_types: ['webhook.endpoint.updated'],
      });
      const eventId = await touch(await source());
      const log = await eventually(async () => {
        const rows = await deliveries(endpoint.id, `?event_id=${eventId}`);
        expect(rows.map((r) => r.outcome)).toEqual(['success', 'retrying']);
        return rows;
      });
      expect(log[1]).toMatchObject({ attempt: 1, status_code: null, error: 'timeout' });
      expect(log[1].latency_ms).toBeGreaterThanOrEqual(900);
      expect(log[1].latency_ms).toBeLessThan(5000);
      expect(hook.of(eventId)).toHaveLength(2);
    });

    it('does not follow redirects: a 3xx is a failed attempt', async () => {
      const elsewhere = await receiver();
      const hook = await receiver(() => ({ status: 302, headers: { location: elsewhere.url } }));
      const endpoint = await createEndpoint({
        url: hook.url,
        event_types: ['webhook.endpoint.updated'],
      });
      const eventId = await touch(await source());
      const [attempt] = await eventually(async () => {
        const rows = await deliveries(endpoint.id, `?event_id=${eventId}`);
        expect(rows.length).toBeGreaterThan(0);
        return rows;
      });
      expect(attempt).toMatchObject({ status_code: 302, error: 'redirect', outcome: 'retrying' });
      expect(elsewhere.received).toHaveLength(0);
    });

    it('does not retry a 400, and disables an endpoint that answers 410', async () => {
      const watcher = await receiver();
      await createEndpoint({ url: watcher.url, event_types: ['webhook.endpoint.disabled'] });
      const refusing = await receiver(() => ({ status: 400 }));
      const gone = await receiver(() => ({ status: 410 }));
      const refusingEndpoint = await createEndpoint({
        url: refusing.url,
        event_types: ['webhook.endpoint.updated'],
      });
      const goneEndpoint = await createEndpoint({
        url: gone.url,
        event_types: ['webhook.endpoint.updated'],
      });
      const eventId = await touch(await source());
      await eventually(async () => {
        const rows = await deliveries(goneEndpoint.id, `?event_id=${eventId}`);
        expect(rows).toEqual([expect.objectContaining({ status_code: 410, outcome: 'failed' })]);
      });
      const after = await send(t, 'GET', `/v1/admin/webhooks/${goneEndpoint.id}`, admin);
      expect(after.json()).toMatchObject({ enabled: false, disabled_reason: 'gone' });
      await eventually(() =>
        expect(
          watcher.received.map((r) => (JSON.parse(r.body) as { data: unknown }).data),
        ).toContainEqual({ endpoint_id: goneEndpoint.id, reason: 'gone' }),
      );
      const audit = await db.query<{ action: string; actor_type: string }[]>(
        `SELECT action, actor_type FROM audit_events WHERE target_id = $1 ORDER BY id`,
        [goneEndpoint.id],
      );
      expect(audit.at(-1)).toEqual({ action: 'webhook_endpoint.disabled', actor_type: 'system' });

      // A disabled endpoint gets nothing more.
      const later = await touch(await source());
      await sleep(1500);
      await settled(t);
      expect(gone.of(later)).toHaveLength(0);

      const refused = await deliveries(refusingEndpoint.id, `?event_id=${eventId}`);
      expect(refused).toEqual([
        expect.objectContaining({ status_code: 400, outcome: 'failed', attempt: 1 }),
      ]);
      await sleep(1500);
      await settled(t);
      expect(refusing.of(eventId)).toHaveLength(1);
    });

    it('disables an endpoint that has kept failing for the configured days', async () => {
      const hook = await receiver(() => ({ status: 503 }));
      const endpoint = await createEndpoint({
        url: hook.url,
        event_types: ['webhook.endpoint.updated'],
      });
      await db.query(
        `UPDATE webhook_endpoints SET failing_since = now() - interval '5 days 1 minute' WHERE id = $1`,
        [endpoint.id],
      );
      const eventId = await touch(await source());
      await eventually(async () => {
        const rows = await deliveries(endpoint.id, `?event_id=${eventId}`);
        expect(rows).toEqual([expect.objectContaining({ status_code: 503, outcome: 'failed' })]);
      });
      const after = await send(t, 'GET', `/v1/admin/webhooks/${endpoint.id}`, admin);
      expect(after.json()).toMatchObject({ enabled: false, disabled_reason: 'failing' });

      // Enabled again, it starts afresh.
      const enabled = await send(t, 'PATCH', `/v1/admin/webhooks/${endpoint.id}`, admin, {
        enabled: true,
      });
      expect(enabled.json()).toMatchObject({
        enabled: true,
        disabled_reason: null,
        failing_since: null,
      });
    });

    it('checks the address again at delivery: a private one is refused for good', async () => {
      const hook = await receiver();
      const endpoint = await createEndpoint({
        url: hook.url,
        event_types: ['webhook.endpoint.updated'],
      });
      // Only 127.0.0.1 and localhost are allowed: 127.0.0.2, loopback too, is not.
      await db.query('UPDATE webhook_endpoints SET url = $2 WHERE id = $1', [
        endpoint.id,
        hook.url.replace('127.0.0.1', '127.0.0.2'),
      ]);
      const eventId = await touch(await source());
      const [attempt] = await eventually(async () => {
        const rows = await deliveries(endpoint.id, `?event_id=${eventId}`);
        expect(rows).toHaveLength(1);
        return rows;
      });
      expect(attempt).toMatchObject({
        error: 'address_refused',
        outcome: 'failed',
        status_code: null,
      });
      expect(hook.of(eventId)).toHaveLength(0);
    });

    it('signs with both secrets for 24 hours after a rotation', async () => {
      const hook = await receiver();
      const endpoint = await createEndpoint({
        url: hook.url,
        event_types: ['webhook.endpoint.updated'],
      });
      const rotated = await send(
        t,
        'POST',
        `/v1/admin/webhooks/${endpoint.id}/secret/rotate`,
        admin,
      );
      expect(rotated.statusCode).toBe(200);
      const { secret, previous_secret_expires_at } = rotated.json<{
        secret: string;
        previous_secret_expires_at: string;
      }>();
      expect(secret).toMatch(/^whsec_/);
      expect(secret).not.toBe(endpoint.secret);
      const validFor = new Date(previous_secret_expires_at).getTime() - Date.now();
      expect(Math.abs(validFor - 24 * 3600 * 1000)).toBeLessThan(60_000);

      const eventId = await touch(await source());
      const [request] = await eventually(() => {
        const got = hook.of(eventId);
        expect(got).toHaveLength(1);
        return got;
      });
      expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(2);
      expect(verify(secret, request)).toBeTruthy();
      expect(verify(endpoint.secret, request)).toBeTruthy();

      const events = await db.query<{ data: unknown }[]>(
        `SELECT data FROM outbox WHERE type = 'webhook.endpoint.secret_rotated' AND data->>'endpoint_id' = $1`,
        [endpoint.id],
      );
      expect(events).toHaveLength(1);
      expect(JSON.stringify(events)).not.toContain(secret.slice(6));

      // Once the previous secret's time is over, only the new one signs.
      await db.query(
        `UPDATE webhook_endpoints SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1`,
        [endpoint.id],
      );
      const later = await touch(await source());
      const [next] = await eventually(() => {
        const got = hook.of(later);
        expect(got).toHaveLength(1);
        return got;
      });
      expect(String(next.headers['webhook-signature']).split(' ')).toHaveLength(1);
      expect(verify(secret, next)).toBeTruthy();
      expect(() => verify(endpoint.secret, next)).toThrow();
    });
    it('keeps both secrets of two rotations at once signing, and the original no longer', async () => {
      const hook = await receiver();
      const endpoint = await createEndpoint({
        url: hook.url,
        event_types: ['webhook.endpoint.updated'],
      });
      const rotate = () =>
        send(t, 'POST', `/v1/admin/webhooks/${endpoint.id}/secret/rotate`, admin);
      const answers = await Promise.all([rotate(), rotate()]);
      expect(answers.map((res) => res.statusCode)).toEqual([200, 200]);
      const secrets = answers.map((res) => res.json<{ secret: string }>().secret);
      expect(new Set(secrets).size).toBe(2);

      // One rotation came after the other: its secret is current, the other's the previous one.
      const eventId = await touch(await source());
      const [request] = await eventually(() => {
        const got = hook.of(eventId);
        expect(got).toHaveLength(1);
        return got;
      });
      expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(2);
      for (const secret of secrets) expect(verify(secret, request)).toBeTruthy();
      expect(() => verify(endpoint.secret, request)).toThrow();
    });
  });

  describe('redelivery and replay', () => {
    it('redelivers one event with its webhook-id; 404 for an unknown or unmatched event', async () => {
      const hook = await receiver();
      const endpoint = await createEndpoint({
        url: hook.url,
        event_types: ['webhook.endpoint.updated'],
      });
      const src = await source();
      const eventId = await touch(src);
      await eventually(() => expect(hook.of(eventId)).toHaveLength(1));
      const res = await send(
        t,
        'POST',
        `/v1/admin/webhooks/${endpoint.id}/deliveries/${eventId}/redeliver`,
        admin,
      );
      expect(res.statusCode).toBe(202);
      await eventually(() => expect(hook.of(eventId)).toHaveLength(2));
      expect(verify(endpoint.secret, hook.of(eventId)[1])).toBeTruthy();
      const log = await eventually(async () => {
        const rows = await deliveries(endpoint.id, `?event_id=${eventId}`);
        expect(rows).toHaveLength(2);
        return rows;
      });
      expect(log.map((r) => [r.attempt, r.outcome])).toEqual([
        [1, 'success'],
        [1, 'success'],
      ]);

      const unknown = await send(
        t,
        'POST',
        `/v1/admin/webhooks/${endpoint.id}/deliveries/${randomUUID()}/redeliver`,
        admin,
      );
      expectProblem(unknown, 404, 'not_found');
      const [created] = await db.query<{ id: string }[]>(
        `SELECT id FROM outbox WHERE type = 'webhook.endpoint.created' AND data->>'endpoint_id' = $1`,
        [src.id],
      );
      const unmatched = await send(
        t,
        'POST',
        `/v1/admin/webhooks/${endpoint.id}/deliveries/${created.id}/redeliver`,
        admin,
      );
      expectProblem(unmatched, 404, 'not_found');
    });

    it('replays the matching events of a range from the outbox', async () => {
      const src = await source();
      const from = new Date(Date.now() - 1000);
      const ids = [await touch(src), await touch(src), await touch(src)];
      await settled(t);
      const to = new Date(Date.now() + 1000);
      // Registered after the events: it receives them only by replay.
      const hook = await receiver();
      const endpoint = await createEndpoint({
        url: hook.url,
        event_types: ['webhook.endpoint.updated'],
      });
      await settled(t);
      for (const id of ids) expect(hook.of(id)).toHaveLength(0);

      const res = await send(t, 'POST', `/v1/admin/webhooks/${endpoint.id}/replay`, admin, {
        from: from.toISOString(),
        to: to.toISOString(),
      });
      expect(res.statusCode).toBe(202);
      const { queued } = res.json<{ queued: number }>();
      // Other tests' updates in the range count too; these three at least.
      expect(queued).toBeGreaterThanOrEqual(3);
      await eventually(() => {
        for (const id of ids) expect(hook.of(id)).toHaveLength(1);
      });
      for (const id of ids) expect(verify(endpoint.secret, hook.of(id)[0])).toBeTruthy();

      const tooWide = await send(t, 'POST', `/v1/admin/webhooks/${endpoint.id}/replay`, admin, {
        from: '2026-01-01T00:00:00Z',
        to: '2026-01-09T00:00:00Z',
      });
      expectProblem(tooWide, 422, 'validation_failed');
    });
  });
});
