import { DataSource } from 'typeorm';
import { GATEHOUSE_PERMISSIONS } from '../src/common/auth/gatehouse-permissions';
import { signedInAdmin, signedInUser, send, SignedInUser, uniqueName } from './support/access';
import { expectInvalidField, expectProblem } from './support/assertions';
import { clientToken, createClient } from './support/clients';
import { startTestApp, TestApp } from './support/test-app';

interface Decision {
  allowed: boolean;
  decision: string;
  decision_id: string;
  policy_set_version: number;
  reasons: Record<string, unknown>[];
  diagnostics?: Record<string, unknown>[];
  trace?: Record<string, unknown>[];
}

/** Types of this file's own, so that policies other specs add to the shared database never match. */
const ACCOUNT = uniqueName('account');
const APPEAL = uniqueName('appeal');
const DOCUMENT = uniqueName('document');

describe('POST /v1/authz/check (the decision point)', () => {
  let t: TestApp;
  let admin: SignedInUser;
  let trader: SignedInUser;
  let traderRole: string;
  let tradeOwn: { id: string; name: string };
  let version: number;

  const check = (body: unknown, token = admin.token, query = '') =>
    send(t, 'POST', `/v1/authz/check${query}`, token, body);

  const trade = (subjectId: string, ownerId?: string) => ({
    subject: { type: 'user', id: subjectId },
    action: `${ACCOUNT}:trade`,
    resource: {
      type: ACCOUNT,
      id: 'acc-1',
      attributes: ownerId === undefined ? {} : { owner_id: ownerId },
    },
  });

  async function createPolicy(
    body: Record<string, unknown>,
  ): Promise<{ id: string; name: string }> {
    const res = await send(t, 'POST', '/v1/policies', admin.token, body);
    expect(res.statusCode).toBe(201);
    const created = res.json<{
      policy: { id: string; name: string };
      policy_set_version: number;
    }>();
    version = created.policy_set_version;
    return created.policy;
  }

  beforeAll(async () => {
    t = await startTestApp();
    admin = await signedInAdmin(t);
    trader = await signedInUser(t);
    traderRole = uniqueName('trader');
    const role = await send(t, 'POST', '/v1/roles', admin.token, {
      name: traderRole,
      permissions: [`${ACCOUNT}:view`],
    });
    expect(role.statusCode).toBe(201);
    const grant = await send(
      t,
      'PUT',
      `/v1/users/${trader.id}/roles/${role.json<{ role: { id: string } }>().role.id}`,
      admin.token,
      {},
    );
    expect(grant.statusCode).toBe(201);
    tradeOwn = await createPolicy({
      name: uniqueName('trade-own'),
      effect: 'allow',
      priority: 10,
      subjects: [`role:${traderRole}`],
      actions: [`${ACCOUNT}:trade`],
      resources: [`${ACCOUNT}:*`],
      condition: 'resource.owner_id == subject.id',
    });
  });

  afterAll(() => t.close());

  it('allows by a policy whose condition holds, naming the policy and the version', async () => {
    const res = await check({ ...trade(trader.id, trader.id), min_policy_set_version: version });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json<Decision>();
    expect(body).toMatchObject({ allowed: true, decision: 'allow' });
    expect(body.policy_set_version).toBeGreaterThanOrEqual(version);
    expect(body.decision_id).toMatch(/^[0-9a-f-]{36}$/);
    // Every field of every kind of reason, diagnostic and trace entry, exactly, as documented.
    expect(body.reasons).toEqual([
      {
        kind: 'policy',
        policy_id: tradeOwn.id,
        policy_name: tradeOwn.name,
        effect: 'allow',
        priority: 10,
      },
    ]);
    expect(body.diagnostics).toBeUndefined();
    expect(body.trace).toBeUndefined();
  });

  it('denies by default when the condition is false', async () => {
    const body = (await check(trade(trader.id, admin.id))).json<Decision>();
    expect(body).toMatchObject({ allowed: false, decision: 'deny' });
    expect(body.reasons).toEqual([{ kind: 'default_deny' }]);
  });

  it('reports a condition that cannot be evaluated and never turns it into an allow', async () => {
    const body = (await check(trade(trader.id))).json<Decision>();
    expect(body.allowed).toBe(false);
    expect(body.diagnostics).toEqual([
      { policy_id: tradeOwn.id, policy_name: tradeOwn.name, error: expect.any(String) },
    ]);
  });

  it('gives role permissions as allows on any resource', async () => {
    const body = (
      await check({
        subject: { type: 'user', id: trader.id },
        action: `${ACCOUNT}:view`,
        resource: { type: ACCOUNT, id: 'acc-9' },
      })
    ).json<Decision>();
    expect(body.allowed).toBe(true);
    expect(body.reasons).toEqual([
      {
        kind: 'role_permission',
        role: traderRole,
        permission: `${ACCOUNT}:view`,
        effect: 'allow',
        priority: 0,
      },
    ]);
  });

  it('lets a higher-priority deny override the allow', async () => {
    const account = `frozen-${uniqueName('acc')}`;
    const deny = await createPolicy({
      name: uniqueName('freeze'),
      effect: 'deny',
      priority: 100,
      subjects: ['*'],
      actions: [`${ACCOUNT}:*`],
      resources: [`${ACCOUNT}:${account}`],
    });
    const request = trade(trader.id, trader.id);
    request.resource.id = account;
    const body = (await check({ ...request, min_policy_set_version: version })).json<Decision>();
    expect(body.allowed).toBe(false);
    expect(body.reasons).toEqual([
      expect.objectContaining({ kind: 'policy', policy_id: deny.id, effect: 'deny' }),
    ]);
  });

  it('does not let caller-supplied attributes override what Gatehouse knows', async () => {
    await createPolicy({
      name: uniqueName('suspended-only'),
      effect: 'allow',
      priority: 5,
      subjects: ['*'],
      actions: [`${APPEAL}:file`],
      resources: [`${APPEAL}:*`],
      condition: 'subject.status == "suspended" || "admin" in subject.roles',
    });
    const appeal = (id: string, attributes: Record<string, unknown>) =>
      check({
        subject: { type: 'user', id, attributes },
        action: `${APPEAL}:file`,
        resource: { type: APPEAL, id: 'a1' },
        min_policy_set_version: version,
      });
    const claimed = await appeal(trader.id, { status: 'suspended', roles: ['admin'] });
    expect(claimed.json<Decision>().allowed).toBe(false);

    const really = await signedInUser(t);
    await t.app
      .get(DataSource)
      .query(`UPDATE users SET status = 'suspended' WHERE id = $1`, [really.id]);
    expect((await appeal(really.id, { status: 'active' })).json<Decision>().allowed).toBe(true);
  });

  it('uses caller-supplied attributes Gatehouse does not know', async () => {
    await createPolicy({
      name: uniqueName('same-department'),
      effect: 'allow',
      priority: 5,
      subjects: [`role:${traderRole}`],
      actions: [`${DOCUMENT}:read`],
      resources: [`${DOCUMENT}:*`],
      condition: 'subject.department == resource.department',
    });
    const request = (department: string) => ({
      subject: { type: 'user', id: trader.id, attributes: { department: 'ops' } },
      action: `${DOCUMENT}:read`,
      resource: { type: DOCUMENT, id: 'd1', attributes: { department } },
      min_policy_set_version: version,
    });
    expect((await check(request('ops'))).json<Decision>().allowed).toBe(true);
    expect((await check(request('sales'))).json<Decision>().allowed).toBe(false);
  });

  it('gives an account that is not active no role permissions', async () => {
    const suspended = await signedInUser(t);
    const roleId = (await send(t, 'GET', `/v1/users/${trader.id}/roles`, admin.token))
      .json<{ items: { role_id: string; role_name: string }[] }>()
      .items.find((r) => r.role_name === traderRole)!.role_id;
    await send(t, 'PUT', `/v1/users/${suspended.id}/roles/${roleId}`, admin.token, {});
    // No suspension endpoint yet: the account is suspended in place.
    await t.app
      .get(DataSource)
      .query(`UPDATE users SET status = 'suspended' WHERE id = $1`, [suspended.id]);
    const body = (
      await check({
        subject: { type: 'user', id: suspended.id },
        action: `${ACCOUNT}:view`,
        resource: { type: ACCOUNT, id: 'acc-9' },
      })
    ).json<Decision>();
    expect(body).toMatchObject({ allowed: false, reasons: [{ kind: 'default_deny' }] });
  });

  it('explains every candidate with ?explain=true', async () => {
    const body = (
      await check(trade(trader.id, admin.id), admin.token, '?explain=true')
    ).json<Decision>();
    expect(body.trace).toEqual(
      expect.arrayContaining([
        {
          kind: 'policy',
          policy_id: tradeOwn.id,
          policy_name: tradeOwn.name,
          effect: 'allow',
          priority: 10,
          enabled: true,
          match: {
            subject: `role:${traderRole}`,
            action: `${ACCOUNT}:trade`,
            resource: `${ACCOUNT}:*`,
          },
          condition: { source: 'resource.owner_id == subject.id', result: 'false' },
          outcome: 'condition_false',
        },
      ]),
    );
  });

  it('never decides on an older policy set than min_policy_set_version asks for', async () => {
    const body = (
      await check({ ...trade(trader.id, trader.id), min_policy_set_version: version })
    ).json<Decision>();
    expect(body.policy_set_version).toBeGreaterThanOrEqual(version);
    const future = await check({
      ...trade(trader.id, trader.id),
      min_policy_set_version: version + 1000,
    });
    expectProblem(future, 422, 'policy_set_version_unavailable');
  });

  it('refuses malformed requests with a problem naming the field', async () => {
    expectInvalidField(
      await check({ ...trade(trader.id), subject: { type: 'robot', id: 'x' } }),
      'subject.type',
    );
    expectInvalidField(await check({ ...trade(trader.id), action: 42 }), 'action');
    expectInvalidField(await check({ ...trade(trader.id), action: `${ACCOUNT}:*` }), 'action');
    expectInvalidField(
      await check({ ...trade(trader.id), resource: 'trading_account:1' }),
      'resource',
    );
    expectInvalidField(await check({ ...trade(trader.id), context: [1, 2] }), 'context');
    expectInvalidField(await check({ ...trade(trader.id), extra: true }), 'extra');
    expectInvalidField(
      await check({ ...trade(trader.id), min_policy_set_version: -1 }),
      'min_policy_set_version',
    );
    expectInvalidField(await check(trade(trader.id), admin.token, '?explain=maybe'), 'explain');
    const noSubject: Partial<ReturnType<typeof trade>> = trade(trader.id);
    delete noSubject.subject;
    expectInvalidField(await check(noSubject), 'subject');
    const malformed = await t.inject({
      method: 'POST',
      url: '/v1/authz/check',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      payload: '{"subject":',
    });
    expectProblem(malformed, 400, 'malformed_body');
  });

  it('needs a token, and the authz:check permission; refusals are logged', async () => {
    expectProblem(await check(trade(trader.id), ''), 401, 'unauthorized');
    expectProblem(await check(trade(trader.id), trader.token), 403, 'forbidden');
    await t.waitForLog(
      (line) =>
        typeof line.msg === 'string' &&
        line.msg.includes('needs authz:check') &&
        line.msg.includes('/v1/authz/check'),
    );
  });

  it('shows the trace only to callers who may read the policies', async () => {
    const service = await createClient(t, ['authz:check']);
    const { access_token: serviceToken } = await clientToken(t, service, 'authz:check');
    expect((await check(trade(trader.id), serviceToken)).statusCode).toBe(200);
    expectProblem(await check(trade(trader.id), serviceToken, '?explain=true'), 403, 'forbidden');
    const batch = await send(t, 'POST', '/v1/authz/check/batch?explain=true', serviceToken, {
      checks: [trade(trader.id)],
    });
    expectProblem(batch, 403, 'forbidden');
  });

  it('takes none of the account attributes Gatehouse knows from the caller', async () => {
    await createPolicy({
      name: uniqueName('corp-only'),
      effect: 'allow',
      priority: 5,
      subjects: ['*'],
      actions: [`${DOCUMENT}:sign`],
      resources: [`${DOCUMENT}:*`],
      condition: 'subject.email.endsWith("@corp.example") || subject.name == "CEO"',
    });
    const sign = (id: string) =>
      check({
        subject: { type: 'user', id, attributes: { email: 'ceo@corp.example', name: 'CEO' } },
        action: `${DOCUMENT}:sign`,
        resource: { type: DOCUMENT, id: 'contract' },
        min_policy_set_version: version,
      });
    expect((await sign(trader.id)).json<Decision>().allowed).toBe(false);
    expect((await sign('00000000-0000-7000-8000-000000000000')).json<Decision>().allowed).toBe(
      false,
    );
  });

  it('never lets a policy lock an administrator out of Gatehouse’s own API', async () => {
    const locked = await signedInAdmin(t);
    const lockout = await createPolicy({
      name: uniqueName('lockout'),
      effect: 'deny',
      priority: 1_000_000,
      subjects: [`user:${locked.id}`],
      actions: ['*'],
      resources: ['*'],
    });
    const gatehouse = await check({
      subject: { type: 'user', id: locked.id },
      action: 'policies:read',
      resource: { type: 'gatehouse' },
      min_policy_set_version: version,
    });
    expect(gatehouse.json<Decision>().allowed).toBe(false);
    expect((await send(t, 'GET', '/v1/policies', locked.token)).statusCode).toBe(200);
    expect((await send(t, 'DELETE', `/v1/policies/${lockout.id}`, locked.token)).statusCode).toBe(
      200,
    );
  });

  it('lets a policy deny a non-administrator a permission a role grants', async () => {
    const reader = await signedInUser(t);
    const role = await send(t, 'POST', '/v1/roles', admin.token, {
      name: uniqueName('policy-reader'),
      permissions: ['policies:read'],
    });
    const roleId = role.json<{ role: { id: string } }>().role.id;
    await send(t, 'PUT', `/v1/users/${reader.id}/roles/${roleId}`, admin.token, {});
    expect((await send(t, 'GET', '/v1/policies', reader.token)).statusCode).toBe(200);
    await createPolicy({
      name: uniqueName('no-reading'),
      effect: 'deny',
      priority: 1,
      subjects: [`user:${reader.id}`],
      actions: ['policies:read'],
      resources: ['gatehouse:*'],
    });
    expectProblem(await send(t, 'GET', '/v1/policies', reader.token), 403, 'forbidden');
  });

  it('answers users granted authz:check through a role', async () => {
    const checker = await signedInUser(t);
    const role = await send(t, 'POST', '/v1/roles', admin.token, {
      name: uniqueName('checker'),
      permissions: ['authz:check'],
    });
    const roleId = role.json<{ role: { id: string } }>().role.id;
    await send(t, 'PUT', `/v1/users/${checker.id}/roles/${roleId}`, admin.token, {});
    const res = await check(trade(trader.id, trader.id), checker.token);
    expect(res.statusCode).toBe(200);
    expect(res.json<Decision>().allowed).toBe(true);
  });

  it('counts decisions by outcome and logs denials with their decision id', async () => {
    const denied = (await check(trade(trader.id, admin.id))).json<Decision>();
    await t.waitForLog(
      (line) => typeof line.msg === 'string' && line.msg.includes(denied.decision_id),
    );
    const metrics = await t.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/gatehouse_authz_decisions_total\{decision="deny"\} \d+/);
    expect(metrics.body).toMatch(/gatehouse_authz_decisions_total\{decision="allow"\} \d+/);
  });

  describe('service subjects', () => {
    it('match client:<client_id> policies, with the scopes Gatehouse knows', async () => {
      const reporter = await createClient(t, ['authz:check', 'users:read'], 'Reporter');
      const other = await createClient(t, ['authz:check'], 'Other');
      await createPolicy({
        name: uniqueName('reporter-reads'),
        effect: 'allow',
        priority: 1,
        subjects: [`client:${reporter.clientId}`, `client:${other.clientId}`],
        actions: [`${DOCUMENT}:export`],
        resources: [`${DOCUMENT}:*`],
        condition: '"users:read" in subject.scopes && subject.status == "active"',
      });
      const exportBy = (clientId: string, attributes: Record<string, unknown> = {}) =>
        check({
          subject: { type: 'service', id: clientId, attributes },
          action: `${DOCUMENT}:export`,
          resource: { type: DOCUMENT, id: 'd9' },
          min_policy_set_version: version,
        });
      expect((await exportBy(reporter.clientId)).json<Decision>().allowed).toBe(true);
      const claimed = await exportBy(other.clientId, { scopes: ['users:read'] });
      expect(claimed.json<Decision>().allowed).toBe(false);
      // A user whose id were the client id would not match a client: pattern, nor the reverse.
      const asUser = await check({
        subject: { type: 'user', id: reporter.clientId },
        action: `${DOCUMENT}:export`,
        resource: { type: DOCUMENT, id: 'd9' },
      });
      expect(asUser.json<Decision>().allowed).toBe(false);
    });
  });

  describe('batch', () => {
    it('answers up to 100 checks in order', async () => {
      const res = await send(t, 'POST', '/v1/authz/check/batch', admin.token, {
        checks: [
          trade(trader.id, trader.id),
          trade(trader.id, admin.id),
          trade(admin.id, admin.id),
        ],
      });
      expect(res.statusCode).toBe(200);
      const { results } = res.json<{ results: Decision[] }>();
      expect(results.map((r) => r.allowed)).toEqual([true, false, false]);
      expect(new Set(results.map((r) => r.decision_id)).size).toBe(3);
      // Each answer whole, as the single check gives it (other specs may move the policy set on
      // in between; none of their policies applies here).
      const single = (await check(trade(trader.id))).json<Decision>();
      const [inBatch] = (
        await send(t, 'POST', '/v1/authz/check/batch', admin.token, {
          checks: [trade(trader.id)],
        })
      ).json<{ results: Decision[] }>().results;
      expect(single.diagnostics).toHaveLength(1);
      expect({
        ...inBatch,
        decision_id: single.decision_id,
        policy_set_version: single.policy_set_version,
      }).toEqual(single);
    });

    it('counts every decision of a batch by its outcome', async () => {
      const { access_token: serviceToken } = await clientToken(
        t,
        await createClient(t, ['authz:check']),
        'authz:check',
      );
      const counted = async () => {
        const { body } = await t.inject({ method: 'GET', url: '/metrics' });
        const count = (decision: string) =>
          Number(
            new RegExp(`gatehouse_authz_decisions_total\\{decision="${decision}"\\} (\\d+)`).exec(
              body,
            )?.[1] ?? 0,
          );
        return { allow: count('allow'), deny: count('deny') };
      };
      const before = await counted();
      // A service caller's permission comes from its token: the guard counts no decision.
      const res = await send(t, 'POST', '/v1/authz/check/batch', serviceToken, {
        checks: [
          trade(trader.id, trader.id),
          trade(trader.id, admin.id),
          trade(admin.id, admin.id),
          trade(trader.id, trader.id),
          trade(trader.id, trader.id),
        ],
      });
      expect(res.json<{ results: Decision[] }>().results.map((r) => r.allowed)).toEqual([
        true,
        false,
        false,
        true,
        true,
      ]);
      expect(await counted()).toEqual({ allow: before.allow + 3, deny: before.deny + 2 });
    });

    it('decides each check with its own supplied attributes, the subject being shared', async () => {
      const sameTeam = await createPolicy({
        name: uniqueName('same-team'),
        effect: 'allow',
        priority: 5,
        subjects: [`role:${traderRole}`],
        actions: [`${DOCUMENT}:annotate`],
        resources: [`${DOCUMENT}:*`],
        condition: 'subject.team == resource.team && subject.status == "active"',
      });
      const annotate = (attributes?: Record<string, unknown>) => ({
        subject: { type: 'user', id: trader.id, ...(attributes ? { attributes } : {}) },
        action: `${DOCUMENT}:annotate`,
        resource: { type: DOCUMENT, id: 'd2', attributes: { team: 'red' } },
        min_policy_set_version: version,
      });
      const res = await send(t, 'POST', '/v1/authz/check/batch', admin.token, {
        checks: [
          annotate({ team: 'red' }),
          annotate(),
          annotate({ team: 'blue' }),
          annotate({ team: 'red', status: 'suspended' }),
          annotate({ status: 'active' }),
          annotate({ team: 'red' }),
        ],
      });
      const { results } = res.json<{ results: Decision[] }>();
      expect(results.map((r) => r.allowed)).toEqual([true, false, false, true, false, true]);
      // Without a team of its own the subject has none: the condition fails, for these two only.
      const missingTeam = [
        { policy_id: sameTeam.id, policy_name: sameTeam.name, error: expect.any(String) as string },
      ];
      expect(results.map((r) => r.diagnostics)).toEqual([
        undefined,
        missingTeam,
        undefined,
        undefined,
        missingTeam,
        undefined,
      ]);
    });

    it('refuses an empty batch, more than 100 checks, and a bad check naming its index', async () => {
      const batch = (checks: unknown) =>
        send(t, 'POST', '/v1/authz/check/batch', admin.token, { checks });
      expectInvalidField(await batch([]), 'checks');
      expectInvalidField(
        await batch(Array.from({ length: 101 }, () => trade(trader.id))),
        'checks',
      );
      expectInvalidField(
        await batch([trade(trader.id), { ...trade(trader.id), action: '' }]),
        'checks.1.action',
      );
    });

    it('needs the authz:check permission', async () => {
      const res = await send(t, 'POST', '/v1/authz/check/batch', trader.token, {
        checks: [trade(trader.id)],
      });
      expectProblem(res, 403, 'forbidden');
    });
  });

  describe('simulate', () => {
    const simulate = (body: unknown, token = admin.token) =>
      send(t, 'POST', '/v1/authz/simulate', token, body);
    const draft = (overrides: Record<string, unknown> = {}) => ({
      name: uniqueName('draft'),
      effect: 'allow',
      priority: 20,
      subjects: [`user:${trader.id}`],
      actions: [`${ACCOUNT}:trade`],
      resources: [`${ACCOUNT}:*`],
      ...overrides,
    });

    it('decides on unsaved policies alone, with the trace, and saves nothing', async () => {
      const res = await simulate({ policies: [draft()], request: trade(trader.id, admin.id) });
      expect(res.statusCode).toBe(200);
      const body = res.json<Decision>();
      expect(body.allowed).toBe(true);
      expect(body.reasons).toEqual([expect.objectContaining({ policy_id: 'draft:0' })]);
      expect(body.trace).toEqual(
        expect.arrayContaining([expect.objectContaining({ policy_id: 'draft:0' })]),
      );
      expect((await check(trade(trader.id, admin.id))).json<Decision>().allowed).toBe(false);
    });

    it('with include_stored_policies, a draft replaces the stored policy of its name', async () => {
      const request = trade(trader.id, trader.id);
      const withStored = await simulate({
        policies: [draft({ name: tradeOwn.name, effect: 'deny', subjects: ['*'] })],
        include_stored_policies: true,
        request,
      });
      expect(withStored.json<Decision>()).toMatchObject({ allowed: false });
      const storedOnly = await simulate({ policies: [], include_stored_policies: true, request });
      expect(storedOnly.json<Decision>()).toMatchObject({ allowed: true });
      const draftsOnly = await simulate({ policies: [], request });
      expect(draftsOnly.json<Decision>()).toMatchObject({ allowed: false });
    });

    it('refuses a condition that does not compile, naming the draft and the position', async () => {
      const res = await simulate({
        policies: [draft(), draft({ condition: 'resource.owner_id ==\n  subject.id &&' })],
        request: trade(trader.id),
      });
      expectProblem(res, 422, 'validation_failed');
      expect(res.json<{ errors: unknown[] }>().errors).toEqual([
        expect.objectContaining({
          field: 'policies.1.condition',
          line: 2,
          column: expect.any(Number),
        }),
      ]);
    });

    it('refuses malformed drafts and requests', async () => {
      expectInvalidField(
        await simulate({ policies: [draft({ subjects: ['group:x'] })], request: trade(trader.id) }),
        'policies.0.subjects',
      );
      expectInvalidField(await simulate({ policies: {}, request: trade(trader.id) }), 'policies');
      expectInvalidField(await simulate({ policies: [] }), 'request');
    });

    it('needs the policies:read permission', async () => {
      expectProblem(
        await simulate({ policies: [], request: trade(trader.id) }, trader.token),
        403,
        'forbidden',
      );
      expectProblem(
        await simulate({ policies: [], request: trade(trader.id) }, ''),
        401,
        'unauthorized',
      );
    });
  });

  describe('GET /v1/users/me/permissions', () => {
    it('lists the roles held and the permissions they grant', async () => {
      const mine = await send(t, 'GET', '/v1/users/me/permissions', trader.token);
      expect(mine.statusCode).toBe(200);
      expect(mine.json()).toEqual({
        roles: expect.arrayContaining(['user', traderRole]),
        permissions: [`${ACCOUNT}:view`],
      });
      const admins = (await send(t, 'GET', '/v1/users/me/permissions', admin.token)).json<{
        permissions: string[];
      }>();
      expect(admins.permissions).toEqual(expect.arrayContaining([...GATEHOUSE_PERMISSIONS]));
    });

    it('needs a token', async () => {
      expectProblem(await send(t, 'GET', '/v1/users/me/permissions', null), 401, 'unauthorized');
    });
  });
});
