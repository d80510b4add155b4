import { signedInAdmin, send, SignedInUser, uniqueName } from './support/access';
import { REVOCATION_BOUND_MS, sleep } from './support/assertions';
import { startTestApp, TestApp } from './support/test-app';

/** The bound for a policy change to reach every instance. */
const RELOAD_BOUND_MS = REVOCATION_BOUND_MS;

describe('a policy change reaches another instance (as its event is published)', () => {
  let a: TestApp;
  let b: TestApp;
  let admin: SignedInUser;

  beforeAll(async () => {
    a = await startTestApp();
    b = await startTestApp({ databaseUrl: a.config.database.url });
    admin = await signedInAdmin(a);
  });

  afterAll(() => Promise.all([a?.close(), b?.close()]));

  it('within one second, without asking for a version', async () => {
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

  it('answers with min_policy_set_version at once, however the event fares', async () => {
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
