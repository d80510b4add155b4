import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { send, signedInAdmin, signedInUser, SignedInUser, uniqueName } from './support/access';
import { settled, uniqueEmail } from './support/accounts';
import { sleep } from './support/assertions';
import {
  assertBuilt,
  createClientWithCli,
  exitOf,
  freePort,
  runService,
  ServiceProcess,
  waitForStatus,
} from './support/service-process';
import { migratedDatabase } from './support/test-database';
import { startTestApp, TestApp } from './support/test-app';
import { OktaPeer } from './peers/okta-peer';
import { HrRecords } from '../src/modules/provisioning/hr/hr-records.service';
import { RetentionPurge } from '../src/modules/retention/retention-purge';

interface Source {
  id: string;
  secret: string;
}

interface Status {
  status: string;
  reason: string | null;
  attempts: number;
  started_at: string | null;
  finished_at: string | null;
  next_attempt_at: string | null;
}

const GROUPS = [
  { id: '00g1', type: 'OKTA_GROUP' as const, profile: { name: 'Engineering', description: null } },
  { id: '00g2', type: 'OKTA_GROUP' as const, profile: { name: 'Everyone', description: null } },
];
const APP_LINKS = [
  {
    id: '0oa1',
    label: 'Slack',
    linkUrl: 'https://corp.okta.test/home/slack/0oa1',
    appName: 'slack',
  },
];

function newHire(overrides: Record<string, unknown> = {}) {
  return {
    employee_id: `E-${randomBytes(5).toString('hex')}`,
    first_name: 'Ada',
    last_name: 'Lovelace',
    preferred_name: 'Ada',
    email: uniqueEmail('hire'),
    title: 'Engineer',
    department: 'Research',
    start_date: '2027-01-04',
    ...overrides,
  };
}

/** Standard Webhooks headers of a delivery, signed by the reference library. */
function signed(
  source: Source,
  body: string,
  options: { id?: string; at?: Date; secret?: string } = {},
): Record<string, string> {
  const id = options.id ?? `msg_${randomUUID()}`;
  const at = options.at ?? new Date();
  return {
    'x-hr-source': source.id,
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(options.secret ?? source.secret).sign(id, at, body),
  };
}

describe('HR onboarding: deliveries, durable enrichment from Okta, records', () => {
  let t: TestApp;
  let okta: OktaPeer;
  let admin: SignedInUser;
  let db: DataSource;
  let signedSource: Source;
  let keySource: Source;

  function deliver(body: unknown, headers: Record<string, string>) {
    return t.inject({
      method: 'POST',
      url: '/v1/hr/webhook',
      headers: { 'content-type': 'application/json', ...headers },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  function deliverSigned(body: unknown, source = signedSource, options = {}) {
    const text = JSON.stringify(body);
    return deliver(text, signed(source, text, options));
  }

  function deliverWithKey(body: unknown, key = keySource.secret) {
    return deliver(body, { 'x-api-key': key });
  }

  async function addSource(extra: Record<string, unknown> = {}): Promise<Source> {
    const res = await send(t, 'POST', '/v1/admin/hr-sources', admin.token, {
      name: uniqueName('hr'),
      auth_mode: 'signature',
      rate_limit_per_minute: 10_000,
      ...extra,
    });
    if (res.statusCode !== 201) throw new Error(`source: ${res.statusCode} ${res.body}`);
    return res.json<Source>();
  }

  async function statusOf(employeeId: string): Promise<Status> {
    const res = await send(t, 'GET', `/v1/hr/enrichments/${employeeId}`, admin.token);
    expect(res.statusCode).toBe(200);
    return res.json<Status>();
  }

  async function until(
    employeeId: string,
    done: (status: Status) => boolean,
    timeoutMs = 30_000,
  ): Promise<Status> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await statusOf(employeeId);
      if (done(status)) return status;
      if (Date.now() > deadline) throw new Error(`never: ${JSON.stringify(status)}`);
      await sleep(100);
    }
  }

  const finished = (status: Status) => status.status === 'completed' || status.status === 'failed';

  async function enrichmentCount(employeeId: string): Promise<number> {
    const [{ count }] = await db.query<{ count: number }[]>(
      'SELECT count(*)::int AS count FROM hr_enrichments WHERE employee_id = $1',
      [employeeId],
    );
    return count;
  }

  function searches(email: string): number {
    return okta.count(
      `GET /api/v1/users?search=${encodeURIComponent(`profile.email eq "${email}"`)}`,
    );
  }

  function addOktaUser(email: string): string {
    return okta.addUser(
      { login: email, email, firstName: 'Ada', lastName: 'Lovelace' },
      { groups: GROUPS, appLinks: APP_LINKS },
    );
  }

  beforeAll(async () => {
    okta = await new OktaPeer().start();
    t = await startTestApp({
      env: {
        FEDERATION_ALLOWED_HOSTS: '127.0.0.1',
        FEDERATION_TIMEOUT_MS: '500',
        OKTA_ORG_URL: okta.baseUrl,
        OKTA_API_TOKEN: okta.apiToken,
        HR_OKTA_RETRY_BASE_MS: '50',
        HR_OKTA_CIRCUIT_FAILURES: '3',
        HR_OKTA_CIRCUIT_OPEN_SECONDS: '2',
      },
    });
    db = t.app.get(DataSource);
    admin = await signedInAdmin(t);
    signedSource = await addSource({ role_mappings: { Engineering: 'admin' } });
    keySource = await addSource({ auth_mode: 'api_key' });
  });

  afterAll(async () => {
    await t.close();
    await okta.stop();
  });

  beforeEach(async () => {
    okta.fault = null;
    okta.rateLimit = null;
    okta.latencyMs = 0;
    // Each test starts with the org's circuit closed; the circuit's own test opens it.
    await db.query('DELETE FROM hr_okta_circuits');
  });

  describe('HR sources', () => {
    it('shows the credential once, never again, and audits the registration', async () => {
      const source = await addSource();
      expect(source.secret).toMatch(/^whsec_/);
      const key = await addSource({ auth_mode: 'api_key' });
      expect(key.secret).toMatch(/^ghk_[A-Za-z0-9_-]{43}$/);
      const read = await send(t, 'GET', `/v1/admin/hr-sources/${source.id}`, admin.token);
      expect(read.statusCode).toBe(200);
      expect(read.body).not.toContain(source.secret);
      expect(read.json()).toMatchObject({ id: source.id, auth_mode: 'signature' });
      const list = await send(t, 'GET', '/v1/admin/hr-sources?limit=100', admin.token);
      expect(list.body).not.toContain(key.secret);
      const [stored] = await db.query<{ secret_sealed: string; api_key_hash: Buffer | null }[]>(
        'SELECT secret_sealed, api_key_hash FROM hr_sources WHERE id = $1',
        [source.id],
      );
      expect(stored.secret_sealed).not.toContain(source.secret.slice(6));
      const [keyRow] = await db.query<{ api_key_hash: Buffer }[]>(
        'SELECT api_key_hash FROM hr_sources WHERE id = $1',
        [key.id],
      );
      expect(keyRow.api_key_hash).toEqual(createHash('sha256').update(key.secret).digest());
      await settled(t);
      const events = await db.query<{ type: string }[]>(
        "SELECT type FROM outbox WHERE type = 'hr.source.created' AND data->>'source_id' = $1",
        [source.id],
      );
      expect(events).toHaveLength(1);
      const audit = await db.query<{ action: string; actor_id: string; details: object }[]>(
        `SELECT action, actor_id, details FROM audit_events
          WHERE target_type = 'hr_source' AND target_id = $1`,
        [source.id],
      );
      expect(audit).toEqual([
        {
          action: 'hr_source.create',
          actor_id: admin.id,
          details: expect.objectContaining({ auth_mode: 'signature' }),
        },
      ]);
      expect(JSON.stringify(audit)).not.toContain(source.secret);
    });

    it('refuses a taken name, bad fields, and callers without the permission', async () => {
      const name = uniqueName('hr');
      const first = await send(t, 'POST', '/v1/admin/hr-sources', admin.token, {
        name,
        auth_mode: 'api_key',
      });
      expect(first.statusCode).toBe(201);
      const again = await send(t, 'POST', '/v1/admin/hr-sources', admin.token, {
        name,
        auth_mode: 'api_key',
      });
      expect(again.statusCode).toBe(409);
      expect(again.json()).toMatchObject({ code: 'hr_source_name_taken' });
      const bad = await send(t, 'POST', '/v1/admin/hr-sources', admin.token, {
        name: uniqueName('hr'),
        auth_mode: 'none',
        rate_limit_per_minute: 0,
        role_mappings: { Engineering: 42 },
      });
      expect(bad.statusCode).toBe(422);
      const fields = bad.json<{ errors: { field: string }[] }>().errors.map((e) => e.field);
      expect(fields).toEqual(expect.arrayContaining(['auth_mode', 'rate_limit_per_minute']));
      const user = await signedInUser(t);
      const refused = await send(t, 'POST', '/v1/admin/hr-sources', user.token, {
        name: uniqueName('hr'),
        auth_mode: 'api_key',
      });
      expect(refused.statusCode).toBe(403);
      const anonymous = await t.inject({ method: 'GET', url: '/v1/admin/hr-sources' });
      expect(anonymous.statusCode).toBe(401);
    });

    it('refuses the deliveries of a removed source', async () => {
      const source = await addSource({ auth_mode: 'api_key' });
      const removed = await send(t, 'DELETE', `/v1/admin/hr-sources/${source.id}`, admin.token);
      expect(removed.statusCode).toBe(204);
      const audit = await db.query<{ action: string }[]>(
        "SELECT action FROM audit_events WHERE target_type = 'hr_source' AND target_id = $1",
        [source.id],
      );
      expect(audit.map((row) => row.action).sort()).toEqual([
        'hr_source.create',
        'hr_source.delete',
      ]);
      const again = await send(t, 'DELETE', `/v1/admin/hr-sources/${source.id}`, admin.token);
      expect(again.statusCode).toBe(404);
      const res = await deliverWithKey(newHire(), source.secret);
      expect(res.statusCode).toBe(401);
    });
  });

  describe('deliveries', () => {
    it('accepts a signed new hire at once; the job enriches it with groups and app links fetched in parallel', async () => {
      const hire = newHire();
      addOktaUser(hire.email);
      okta.latencyMs = 200;
      okta.maxInFlight = 0;
      const res = await deliverSigned(hire);
      expect(res.statusCode).toBe(202);
      expect(res.json()).toEqual({
        status: 'accepted',
        message: expect.any(String),
        employee_id: hire.employee_id,
        email: hire.email,
      });
      const status = await until(hire.employee_id, finished);
      expect(status).toMatchObject({ status: 'completed', reason: null, attempts: 1 });
      expect(status.started_at).not.toBeNull();
      expect(status.finished_at).not.toBeNull();
      // The search first, then the groups and the app links at the same time.
      expect(okta.maxInFlight).toBe(2);
      const user = await send(t, 'GET', `/v1/hr/users/${hire.employee_id}`, admin.token);
      expect(user.statusCode).toBe(200);
      const body = user.json<{ id: string }>();
      expect(body).toEqual({
        id: expect.any(String),
        name: 'Ada Lovelace',
        email: hire.email,
        title: 'Engineer',
        department: 'Research',
        startDate: '2027-01-04',
        groups: ['Engineering', 'Everyone'],
        applications: [
          {
            id: '0oa1',
            label: 'Slack',
            app_name: 'slack',
            link_url: 'https://corp.okta.test/home/slack/0oa1',
          },
        ],
        onboarded: true,
      });
      // The account was invited, and granted the role its Okta group maps to.
      const account = await send(t, 'GET', `/v1/admin/users/${body.id}`, admin.token);
      expect(account.json()).toMatchObject({ email: hire.email, status: 'invited' });
      expect(account.body).toContain('"admin"');
      await settled(t);
      const [event] = await db.query<{ data: Record<string, unknown> }[]>(
        "SELECT data FROM outbox WHERE type = 'hr.employee.onboarded' AND data->>'user_id' = $1",
        [body.id],
      );
      expect(event.data).toMatchObject({ groups: 2, applications: 1, roles: ['admin'] });
    });

    it('links an existing account instead of inviting another', async () => {
      const existing = await signedInUser(t);
      const hire = newHire({ email: existing.email });
      addOktaUser(existing.email);
      expect((await deliverWithKey(hire)).statusCode).toBe(202);
      await until(hire.employee_id, finished);
      const user = await send(t, 'GET', `/v1/hr/users/${hire.employee_id}`, admin.token);
      expect(user.json()).toMatchObject({ id: existing.id, onboarded: true });
    });

    it('refuses unsigned, badly signed, stale and wrongly keyed deliveries, storing nothing', async () => {
      const hire = newHire();
      const text = JSON.stringify(hire);
      const attempts = [
        await deliver(text, {}),
        await deliver(text, { ...signed(signedSource, text), 'webhook-signature': 'v1,AAAA' }),
        await deliver(
          text,
          signed(signedSource, text, { secret: 'whsec_' + randomBytes(24).toString('base64') }),
        ),
        await deliver(`${text} `, signed(signedSource, text)),
        await deliver(text, signed(signedSource, text, { at: new Date(Date.now() - 10 * 60_000) })),
        await deliver(text, { ...signed(signedSource, text), 'x-hr-source': keySource.id }),
        await deliver(text, { ...signed(signedSource, text), 'x-hr-source': 'not-a-uuid' }),
        await deliver(text, { 'x-api-key': `ghk_${randomBytes(32).toString('base64url')}` }),
        await deliver(text, { 'x-api-key': 'nonsense' }),
        // A signature source's secret is no API key.
        await deliver(text, { 'x-api-key': signedSource.secret }),
      ];
      for (const res of attempts) {
        expect(res.statusCode).toBe(401);
        expect(res.json()).toMatchObject({ code: 'invalid_hr_authentication' });
      }
      expect(await enrichmentCount(hire.employee_id)).toBe(0);
    });

    it('checks credentials before the body: a malformed unauthenticated delivery is a 401', async () => {
      const res = await deliver({ employee_id: 42 }, {});
      expect(res.statusCode).toBe(401);
    });

    it('answers a replayed delivery (same webhook-id) 202 and enriches once', async () => {
      const hire = newHire();
      addOktaUser(hire.email);
      const text = JSON.stringify(hire);
      const headers = signed(signedSource, text);
      const first = await deliver(text, headers);
      const replay = await deliver(text, headers);
      expect(first.statusCode).toBe(202);
      expect(replay.statusCode).toBe(202);
      await until(hire.employee_id, finished);
      await settled(t);
      expect(await enrichmentCount(hire.employee_id)).toBe(1);
      expect(searches(hire.email)).toBe(1);
    });

    it('enriches the same employee and payload once, whatever webhook-ids carry it; a changed payload again', async () => {
      const hire = newHire();
      addOktaUser(hire.email);
      expect((await deliverSigned(hire)).statusCode).toBe(202);
      expect((await deliverSigned(hire)).statusCode).toBe(202);
      expect((await deliverWithKey(hire)).statusCode).toBe(202);
      await settled(t);
      // One per source: the signed source's and the API-key source's.
      expect(await enrichmentCount(hire.employee_id)).toBe(2);
      expect((await deliverSigned({ ...hire, title: 'Senior Engineer' })).statusCode).toBe(202);
      await settled(t);
      expect(await enrichmentCount(hire.employee_id)).toBe(3);
      const user = await send(t, 'GET', `/v1/hr/users/${hire.employee_id}`, admin.token);
      expect(user.json()).toMatchObject({ title: 'Senior Engineer', onboarded: true });
    });

    it('stores one enrichment for concurrent duplicate deliveries', async () => {
      const hire = newHire();
      addOktaUser(hire.email);
      const answers = await Promise.all(Array.from({ length: 10 }, () => deliverWithKey(hire)));
      expect(answers.map((res) => res.statusCode)).toEqual(Array(10).fill(202));
      await until(hire.employee_id, finished);
      await settled(t);
      expect(await enrichmentCount(hire.employee_id)).toBe(1);
      expect(searches(hire.email)).toBe(1);
    });

    it('refuses an oversized delivery with 413', async () => {
      const hire = newHire({ title: 'x'.repeat(70 * 1024) });
      const res = await deliverSigned(hire);
      expect(res.statusCode).toBe(413);
      expect(await enrichmentCount(hire.employee_id)).toBe(0);
    });

    it('refuses malformed payloads with 422 naming the fields, storing nothing', async () => {
      const missing = await deliverWithKey({ first_name: 'Ada' });
      expect(missing.statusCode).toBe(422);
      const missingFields = missing
        .json<{ errors: { field: string }[] }>()
        .errors.map((e) => e.field);
      expect(missingFields).toEqual(
        expect.arrayContaining(['employee_id', 'last_name', 'email', 'start_date']),
      );
      const hire = newHire({ email: 'not an address', start_date: '2027-13-45', title: 7 });
      const wrong = await deliverWithKey(hire);
      expect(wrong.statusCode).toBe(422);
      const wrongFields = wrong.json<{ errors: { field: string }[] }>().errors.map((e) => e.field);
      expect(wrongFields).toEqual(expect.arrayContaining(['email', 'start_date', 'title']));
      const extra = await deliverWithKey({ ...newHire(), salary: 100 });
      expect(extra.statusCode).toBe(422);
      expect(extra.json<{ errors: { field: string }[] }>().errors[0].field).toBe('salary');
      const array = await deliverWithKey([newHire()]);
      expect(array.statusCode).toBe(422);
      const notJson = await deliver('{"employee_id":', { 'x-api-key': keySource.secret });
      expect(notJson.statusCode).toBe(400);
      expect(await enrichmentCount(hire.employee_id)).toBe(0);
    });

    it('rate-limits each source on its own', async () => {
      const tight = await addSource({ auth_mode: 'api_key', rate_limit_per_minute: 2 });
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await deliverWithKey(newHire(), tight.secret));
      expect(answers.map((res) => res.statusCode)).toEqual([202, 202, 429]);
      expect(Number(answers[2].headers['retry-after'])).toBeGreaterThan(0);
      expect((await deliverWithKey(newHire())).statusCode).toBe(202);
    });

    it('logs masked emails and hashed employee ids only', async () => {
      const hire = newHire();
      const res = await deliverWithKey(hire);
      expect(res.statusCode).toBe(202);
      const ref = createHash('sha256').update(hire.employee_id).digest('hex').slice(0, 16);
      const line = await t.waitForLog((entry) => entry.employee_ref === ref);
      expect(line.email).toBe(`${hire.email.slice(0, 2)}***@${hire.email.split('@')[1]}`);
      await settled(t);
      const text = JSON.stringify(t.logs);
      expect(text).not.toContain(hire.employee_id);
      expect(text).not.toContain(hire.email);
    });
  });

  describe('enrichment failures', () => {
    it('fails a hire Okta does not know, "not found in Okta", without retrying', async () => {
      const hire = newHire();
      expect((await deliverSigned(hire)).statusCode).toBe(202);
      const status = await until(hire.employee_id, finished);
      expect(status).toMatchObject({ status: 'failed', reason: 'not found in Okta', attempts: 1 });
      expect(searches(hire.email)).toBe(1);
      const user = await send(t, 'GET', `/v1/hr/users/${hire.employee_id}`, admin.token);
      expect(user.json()).toMatchObject({ id: null, onboarded: false, groups: [] });
      await settled(t);
      const events = await db.query<{ data: { reason: string } }[]>(
        `SELECT o.data FROM outbox o JOIN hr_enrichments e ON e.id = (o.data->>'enrichment_id')::uuid
          WHERE o.type = 'hr.employee.enrichment_failed' AND e.employee_id = $1`,
        [hire.employee_id],
      );
      expect(events.map((e) => e.data.reason)).toEqual(['not found in Okta']);
    });

    it('does not retry an Okta 404', async () => {
      const hire = newHire();
      okta.fault = { status: 404, errorCode: 'E0000007', errorSummary: 'Not found' };
      expect((await deliverSigned(hire)).statusCode).toBe(202);
      const status = await until(hire.employee_id, finished);
      expect(status).toMatchObject({ status: 'failed', reason: 'not found in Okta' });
      expect(searches(hire.email)).toBe(1);
    });

    it('retries an Okta 500 three times with backoff, then fails with the reason', async () => {
      const hire = newHire();
      okta.fault = { status: 500, errorCode: 'E0000009', errorSummary: 'Internal Server Error' };
      expect((await deliverSigned(hire)).statusCode).toBe(202);
      const status = await until(hire.employee_id, finished);
      expect(status).toMatchObject({ status: 'failed', reason: 'Okta answered 500 E0000009' });
      expect(searches(hire.email)).toBe(4);
    });

    it('gives up on a hanging Okta after its timeout and the retries', async () => {
      const hire = newHire();
      okta.fault = 'hang';
      expect((await deliverSigned(hire)).statusCode).toBe(202);
      const status = await until(hire.employee_id, finished);
      expect(status).toMatchObject({ status: 'failed', reason: 'Okta unreachable: timeout' });
      expect(searches(hire.email)).toBe(4);
    });

    it('waits out a 429 until X-Rate-Limit-Reset and completes', async () => {
      const hire = newHire();
      addOktaUser(hire.email);
      okta.rateLimit = { limit: 1, windowSeconds: 1 };
      // Spend the bucket of single-user calls, so that the groups or app links call meets a 429.
      await fetch(`${okta.baseUrl}/api/v1/users/${addOktaUser(uniqueEmail('other'))}`, {
        headers: { authorization: `SSWS ${okta.apiToken}` },
      });
      const before = okta.requests.length;
      expect((await deliverSigned(hire)).statusCode).toBe(202);
      const status = await until(hire.employee_id, finished);
      expect(status.status).toBe('completed');
      // The search, groups and app links, and the call refused once then sent again.
      expect(okta.requests.length - before).toBeGreaterThanOrEqual(4);
    });

    it('opens the circuit after repeated failures, leaves hires waiting, and closes it on a good probe', async () => {
      okta.fault = { status: 503, errorCode: 'E0000009', errorSummary: 'Service Unavailable' };
      const failing = [newHire(), newHire()];
      for (const hire of failing) {
        expect((await deliverSigned(hire)).statusCode).toBe(202);
        expect(await until(hire.employee_id, finished)).toMatchObject({ status: 'failed' });
      }
      // The third failure in a row opens the circuit: that hire waits instead of failing.
      const third = newHire();
      addOktaUser(third.email);
      expect((await deliverSigned(third)).statusCode).toBe(202);
      const waiting = await until(third.employee_id, (s) => s.next_attempt_at !== null);
      expect(waiting).toMatchObject({
        status: 'pending',
        reason: expect.stringMatching(/circuit open/),
      });
      // While it is open no call goes to Okta.
      const fourth = newHire();
      addOktaUser(fourth.email);
      expect((await deliverSigned(fourth)).statusCode).toBe(202);
      await until(fourth.employee_id, (s) => s.next_attempt_at !== null);
      expect(searches(fourth.email)).toBe(0);
      okta.fault = null;
      // Once the open period is over a probe goes through; the circuit closes and both finish.
      expect(await until(third.employee_id, finished, 20_000)).toMatchObject({
        status: 'completed',
      });
      expect(await until(fourth.employee_id, finished, 20_000)).toMatchObject({
        status: 'completed',
      });
      const [circuit] = await db.query<{ failures: number; open_until: Date | null }[]>(
        'SELECT failures, open_until FROM hr_okta_circuits',
      );
      expect(circuit).toEqual({ failures: 0, open_until: null });
    });
  });

  describe('records', () => {
    it('answers 404 for an unknown employee, 422 for a malformed id, and needs the permission', async () => {
      const unknown = await send(t, 'GET', '/v1/hr/users/E-unknown', admin.token);
      expect(unknown.statusCode).toBe(404);
      const status = await send(t, 'GET', '/v1/hr/enrichments/E-unknown', admin.token);
      expect(status.statusCode).toBe(404);
      const malformed = await send(
        t,
        'GET',
        `/v1/hr/users/${encodeURIComponent('a b')}`,
        admin.token,
      );
      expect(malformed.statusCode).toBe(422);
      const user = await signedInUser(t);
      expect((await send(t, 'GET', '/v1/hr/users/E-unknown', user.token)).statusCode).toBe(403);
      expect((await t.inject({ method: 'GET', url: '/v1/hr/enrichments/E-x' })).statusCode).toBe(
        401,
      );
    });

    it('purges enrichments that ended past RETENTION_HR_ENRICHMENTS_DAYS, keeping the others', async () => {
      const old = newHire();
      const recent = newHire();
      for (const hire of [old, recent]) {
        expect((await deliverWithKey(hire)).statusCode).toBe(202);
        await until(hire.employee_id, finished);
      }
      await db.query(
        "UPDATE hr_enrichments SET finished_at = now() - interval '366 days' WHERE employee_id = $1",
        [old.employee_id],
      );
      const run = await t.app.get(RetentionPurge).run();
      expect(run).toMatchObject({ failed: [], finished: true });
      expect(run.purged.hr_enrichments).toBeGreaterThanOrEqual(1);
      expect(await enrichmentCount(old.employee_id)).toBe(0);
      expect(await enrichmentCount(recent.employee_id)).toBe(1);
    });

    it("puts the records in the person's data export and drops them with the account", async () => {
      const hire = newHire();
      addOktaUser(hire.email);
      expect((await deliverWithKey(hire)).statusCode).toBe(202);
      await until(hire.employee_id, finished);
      const user = await send(t, 'GET', `/v1/hr/users/${hire.employee_id}`, admin.token);
      const userId = user.json<{ id: string }>().id;
      expect(await t.app.get(HrRecords).recordsOf(userId)).toEqual([
        expect.objectContaining({
          employee_id: hire.employee_id,
          email: hire.email,
          status: 'completed',
          groups: [
            { id: '00g1', name: 'Engineering' },
            { id: '00g2', name: 'Everyone' },
          ],
        }),
      ]);
      await db.query('DELETE FROM users WHERE id = $1', [userId]);
      expect(await enrichmentCount(hire.employee_id)).toBe(0);
    });
  });
});

describe('HR enrichment across a SIGKILL', () => {
  let database: { url: string; drop: () => Promise<void> };
  let okta: OktaPeer;
  let service: ServiceProcess | null = null;
  let port: number;

  const env = () => ({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: database.url,
    MASTER_KEY: Buffer.alloc(32, 13).toString('base64'),
  });

  beforeAll(async () => {
    assertBuilt();
    database = await migratedDatabase();
    okta = await new OktaPeer().start();
    port = await freePort();
  });

  afterAll(async () => {
    if (service && service.exitCode === null) {
      service.kill('SIGTERM');
      await exitOf(service);
    }
    await okta.stop();
    await database.drop();
  });

  async function start(): Promise<ServiceProcess> {
    const child = runService({
      ...env(),
      PORT: String(port),
      HOST: '127.0.0.1',
      FEDERATION_ALLOWED_HOSTS: '127.0.0.1',
      FEDERATION_TIMEOUT_MS: '30000',
      OKTA_ORG_URL: okta.baseUrl,
      OKTA_API_TOKEN: okta.apiToken,
    });
    await waitForStatus(port, '/health/ready', 200);
    return child;
  }

  async function clientToken(): Promise<string> {
    const scopes = 'hr_sources:write hr_employees:read';
    const { clientId, secret } = await createClientWithCli(
      { PATH: process.env.PATH ?? '', ...env() },
      'HR crash',
      scopes,
    );
    const res = await fetch(`http://127.0.0.1:${port}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `grant_type=client_credentials&scope=${encodeURIComponent(scopes)}`,
    });
    return ((await res.json()) as { access_token: string }).access_token;
  }

  it('finishes an enrichment interrupted by the kill after the restart', async () => {
    service = await start();
    const token = await clientToken();
    const created = await fetch(`http://127.0.0.1:${port}/v1/admin/hr-sources`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Crash HR', auth_mode: 'api_key' }),
    });
    expect(created.status).toBe(201);
    const { secret } = (await created.json()) as { secret: string };
    const hire = newHire();
    okta.addUser(
      { login: hire.email, email: hire.email, firstName: 'Ada', lastName: 'Lovelace' },
      { groups: GROUPS, appLinks: APP_LINKS },
    );
    // Okta answers slowly: the kill lands while the enrichment waits for it.
    okta.latencyMs = 20_000;
    const accepted = await fetch(`http://127.0.0.1:${port}/v1/hr/webhook`, {
      method: 'POST',
      headers: { 'x-api-key': secret, 'content-type': 'application/json' },
      body: JSON.stringify(hire),
    });
    expect(accepted.status).toBe(202);
    const deadline = Date.now() + 30_000;
    while (okta.requests.length === 0) {
      if (Date.now() > deadline) throw new Error('the enrichment never called Okta');
      await sleep(50);
    }
    service.kill('SIGKILL');
    await exitOf(service);
    okta.latencyMs = 0;
    service = await start();
    const finishedBy = Date.now() + 90_000;
    let status: Status | null = null;
    while (Date.now() < finishedBy) {
      const res = await fetch(`http://127.0.0.1:${port}/v1/hr/enrichments/${hire.employee_id}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      status = (await res.json()) as Status;
      if (status.status === 'completed' || status.status === 'failed') break;
      await sleep(250);
    }
    expect(status).toMatchObject({ status: 'completed' });
    expect(status!.attempts).toBeGreaterThanOrEqual(2);
    const user = await fetch(`http://127.0.0.1:${port}/v1/hr/users/${hire.employee_id}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await user.json()).toMatchObject({
      onboarded: true,
      groups: ['Engineering', 'Everyone'],
    });
  }, 180_000);
});
