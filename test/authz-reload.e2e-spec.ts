import { signedInAdmin, send, SignedInUser, uniqueName } from './support/access';
import { sleep } from './support/assertions';
import { startTestApp, TestApp } from './support/test-app';
import { itOnServer } from './support/server-only';

/** The bound for a policy change to reach every instance. */
const RELOAD_BOUND_MS = 1000;

describe.each([
  ['PostgreSQL LISTEN/NOTIFY', {}],
  ['Redis pub/sub', { REDIS_URL: 'redis://127.0.0.1:6379' }],
])('a policy change reaches another instance (%s)', (transport, env: Record<string, string>) => {
  // The embedded PostgreSQL delivers no NOTIFY to another connection (see onServer).
  const itNotified = transport.startsWith('PostgreSQL') ? itOnServer : it;

  let a: TestApp;
  let b: TestApp;
  let admin: SignedInUser;

  beforeAll(async () => {
    [a, b] = await Promise.all([startTestApp({ env }), startTestApp({ env })]);
    admin = await signedInAdmin(a);
  });

  afterAll(() => Promise.all([a?.close(), b?.close()]));

  itNotified('within one second, without asking for a version', async () => {
    const resource = uniqueName('doc');
    const request = {
      subject: { type: 'user', id: admin.id },
      action: 'document:publish',
      resource: { type: 'document', id: resource },
    };
    const allowedOnB = async () => {
      const res = await send(b, 'POST', '/v1/authz/check', admin.token, request);
      expect(res.statusCode).toBe(200);
      return res.json<{ allowed: boolean }>().allowed;
    };
    expect(await allowedOnB()).toBe(false);

    const created = await send(a, 'POST', '/v1/policies', admin.token, {
      name: uniqueName('publish'),
      effect: 'allow',
      priority: 1,
      subjects: [`user:${admin.id}`],
      actions: ['document:publish'],
      resources: [`document:${resource}`],
    });
    expect(created.statusCode).toBe(201);
    const changedAt = Date.now();
    let allowed = false;
    while (!allowed && Date.now() - changedAt < RELOAD_BOUND_MS) {
      allowed = await allowedOnB();
      if (!allowed) await sleep(20);
    }
    expect(allowed).toBe(true);
  });

  it('answers with min_policy_set_version at once, however the notification fares', async () => {
    const created = await send(a, 'POST', '/v1/policies', admin.token, {
      name: uniqueName('read-your-writes'),
      effect: 'allow',
      priority: 1,
      subjects: [`user:${admin.id}`],
      actions: ['document:archive'],
      resources: ['document:*'],
    });
    const { policy_set_version: version } = created.json<{ policy_set_version: number }>();
    const res = await send(b, 'POST', '/v1/authz/check', admin.token, {
      subject: { type: 'user', id: admin.id },
      action: 'document:archive',
      resource: { type: 'document', id: 'any' },
      min_policy_set_version: version,
    });
    expect(res.json()).toMatchObject({ allowed: true });
    expect(res.json<{ policy_set_version: number }>().policy_set_version).toBeGreaterThanOrEqual(
      version,
    );
  });
});
