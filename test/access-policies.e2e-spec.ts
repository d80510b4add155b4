import { DataSource } from 'typeorm';
import { AccessService } from '../src/modules/access/access.service';
import { send, SignedInUser, signedInAdmin, signedInUser, uniqueName } from './support/access';
import { expectInvalidField, expectProblem, without } from './support/assertions';
import { startTestApp, TestApp } from './support/test-app';

interface PolicyBody {
  id: string;
  name: string;
  description: string;
  effect: 'allow' | 'deny';
  priority: number;
  subjects: string[];
  actions: string[];
  resources: string[];
  condition: string | null;
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

type PolicyWrite = { policy: PolicyBody; policy_set_version: number };

const UNKNOWN_ID = '01890a5d-ac96-774b-bcce-b302099a8057';

/** The example. */
const tradeOwn = () => ({
  name: uniqueName('trade-own'),
  effect: 'allow',
  priority: 10,
  subjects: ['role:trader'],
  actions: ['trading_account:trade'],
  resources: ['trading_account:*'],
  condition: 'resource.owner_id == subject.id',
});

describe('policies (/v1/policies)', () => {
  let t: TestApp;
  let admin: SignedInUser;
  let dataSource: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    dataSource = t.app.get(DataSource);
    admin = await signedInAdmin(t);
  });
  afterAll(() => t.close());

  const create = (payload: unknown) => send(t, 'POST', '/v1/policies', admin.token, payload);
  const created = async (payload: Record<string, unknown> = {}) => {
    const res = await create({ ...tradeOwn(), ...payload });
    expect(res.statusCode).toBe(201);
    return res.json<PolicyWrite>();
  };
  const auditOf = (policyId: string) =>
    dataSource.query<
      { actor_type: string; actor_id: string; action: string; details: Record<string, unknown> }[]
    >(
      `SELECT actor_type, actor_id, action, details FROM audit_events
        WHERE target_type = 'policy' AND target_id = $1 ORDER BY created_at, id`,
      [policyId],
    );

  describe('POST', () => {
    it('creates a policy: 201 with the policy and the new policy-set version, audited', async () => {
      const before = await t.app.get(AccessService).currentVersion();
      const payload = { ...tradeOwn(), description: 'Traders trade their own accounts' };
      const res = await create(payload);
      expect(res.statusCode).toBe(201);
      const body = res.json<PolicyWrite>();
      expect(body.policy).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        ...payload,
        enabled: true,
        created_at: expect.any(String),
        updated_at: body.policy.created_at,
      });
      expect(body.policy_set_version).toBeGreaterThan(before);
      const fetched = await send(t, 'GET', `/v1/policies/${body.policy.id}`, admin.token);
      expect(fetched.statusCode).toBe(200);
      expect(fetched.headers['cache-control']).toBe('no-store');
      expect(fetched.json()).toEqual(body.policy);
      const { name, description, effect, priority, subjects, actions, resources, condition } =
        payload;
      expect(await auditOf(body.policy.id)).toEqual([
        {
          actor_type: 'user',
          actor_id: admin.id,
          action: 'policy.create',
          details: {
            name,
            description,
            effect,
            priority,
            subjects,
            actions,
            resources,
            condition,
            enabled: true,
            policy_set_version: body.policy_set_version,
          },
        },
      ]);
    });

    it('defaults to no description, no condition, enabled', async () => {
      const res = await create(without(tradeOwn(), 'condition'));
      expect(res.statusCode).toBe(201);
      expect(res.json<PolicyWrite>().policy).toMatchObject({
        description: '',
        condition: null,
        enabled: true,
      });
    });

    it('accepts every pattern form, a negative priority and a disabled policy', async () => {
      const res = await create({
        name: uniqueName('forms'),
        effect: 'deny',
        priority: -5,
        subjects: [
          '*',
          'role:auditor',
          'user:01890a5d-ac96-774b-bcce-b302099a8057',
          'client:svc-1',
        ],
        actions: ['*', 'document:*', 'document:read'],
        resources: ['*', 'document:*', 'document:123', 'document:a:b'],
        condition: null,
        enabled: false,
      });
      expect(res.statusCode).toBe(201);
      expect(res.json<PolicyWrite>().policy).toMatchObject({ priority: -5, enabled: false });
    });

    it('gives every write a higher version than the one before', async () => {
      const versions: number[] = [];
      for (let i = 0; i < 4; i++) versions.push((await created()).policy_set_version);
      for (let i = 1; i < versions.length; i++) {
        expect(versions[i]).toBeGreaterThan(versions[i - 1]);
      }
    });

    it('refuses a name another policy has with a 409, however many ask at once', async () => {
      const { policy } = await created();
      expectProblem(await create({ ...tradeOwn(), name: policy.name }), 409, 'name_taken');

      const racing = { ...tradeOwn(), name: uniqueName('race') };
      const answers = await Promise.all([create(racing), create(racing)]);
      expect(answers.map((r) => r.statusCode).sort()).toEqual([201, 409]);
      expectProblem(
        answers.find((r) => r.statusCode === 409)!,
        409,
        'name_taken',
      );
      const rows = await dataSource.query('SELECT 1 FROM policies WHERE name = $1', [racing.name]);
      expect(rows).toHaveLength(1);
    });

    it('refuses a malformed body', async () => {
      const res = await t.inject({
        method: 'POST',
        url: '/v1/policies',
        headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
        payload: '{"name": "x", ',
      });
      expectProblem(res, 400, 'malformed_body');
    });

    it.each([
      ['a missing effect', { effect: undefined }, 'effect'],
      ['an unknown effect', { effect: 'maybe' }, 'effect'],
      ['a priority that is a string', { priority: '10' }, 'priority'],
      ['a fractional priority', { priority: 1.5 }, 'priority'],
      ['a priority out of range', { priority: 2_000_000 }, 'priority'],
      ['a bad name', { name: 'Trade Own' }, 'name'],
      ['no subjects', { subjects: [] }, 'subjects'],
      ['subjects that are not a list', { subjects: 'role:trader' }, 'subjects'],
      ['a subject of an unknown kind', { subjects: ['group:traders'] }, 'subjects'],
      ['a role subject with a bad name', { subjects: ['role:Traders'] }, 'subjects'],
      ['a user subject with a wildcard', { subjects: ['user:*'] }, 'subjects'],
      ['a repeated subject', { subjects: ['*', '*'] }, 'subjects'],
      [
        'too many subjects',
        { subjects: Array.from({ length: 101 }, (_, i) => `user:u${i}`) },
        'subjects',
      ],
      ['no actions', { actions: [] }, 'actions'],
      ['an action without a verb', { actions: ['trade'] }, 'actions'],
      ['an action that is not a string', { actions: [7] }, 'actions'],
      ['no resources', { resources: [] }, 'resources'],
      ['a resource without a type', { resources: ['123'] }, 'resources'],
      ['a resource with a prefix wildcard', { resources: ['document:ab*'] }, 'resources'],
      ['a resource too long', { resources: [`document:${'x'.repeat(300)}`] }, 'resources'],
      ['an empty condition', { condition: '' }, 'condition'],
      ['a condition that is not a string', { condition: true }, 'condition'],
      ['a condition too long', { condition: `true${' || true'.repeat(600)}` }, 'condition'],
      ['enabled that is not a boolean', { enabled: 'yes' }, 'enabled'],
      ['a description too long', { description: 'x'.repeat(1001) }, 'description'],
      ['an unknown field', { id: UNKNOWN_ID }, 'id'],
    ])('refuses %s with a 422 naming the field', async (_case, changes, field) => {
      const payload: Record<string, unknown> = { ...tradeOwn(), ...changes };
      const res = await create(payload);
      expectInvalidField(res, field);
      const rows = await dataSource.query('SELECT 1 FROM policies WHERE name = $1', [payload.name]);
      expect(rows).toHaveLength(0);
    });

    it('names the offending pattern by its index and says what is wrong', async () => {
      const res = await create({ ...tradeOwn(), actions: ['document:read', 'document'] });
      const body = expectProblem(res, 422, 'validation_failed');
      expect(body.errors).toEqual([
        { field: 'actions', message: expect.stringMatching(/^\[1\] .*<type>:<verb>/) },
      ]);
    });

    it.each([
      ['incomplete', 'resource.owner_id ==', 1],
      ['with an unbalanced parenthesis on its second line', 'subject.id == "a" &&\n  (true', 2],
      ['naming an unknown variable', 'user.id == resource.owner_id', 1],
      ['calling an unknown function', 'frobnicate(subject.id)', 1],
      ['that cannot be a bool', '"text"', 1],
    ])(
      'refuses a condition %s with a 422 naming its line and column',
      async (_case, condition, line) => {
        const res = await create({ ...tradeOwn(), condition });
        const body = expectProblem(res, 422, 'validation_failed');
        expect(body.errors).toEqual([
          { field: 'condition', message: expect.any(String), line, column: expect.any(Number) },
        ]);
        const [error] = body.errors as { line: number; column: number; message: string }[];
        expect(error.column).toBeGreaterThanOrEqual(1);
        expect(body.detail).toContain(`line ${line}, column ${error.column}`);
        expect(body.detail).toContain(error.message);
      },
    );

    it('points at the character where the error is', async () => {
      for (const [condition, line, column] of [
        ['subject.id == "a" && )', 1, 22],
        ['subject.id == "a" &&\n  )', 2, 3],
      ] as const) {
        const res = await create({ ...tradeOwn(), condition });
        const body = expectProblem(res, 422, 'validation_failed');
        expect(body.errors).toEqual([
          expect.objectContaining({ field: 'condition', line, column }),
        ]);
      }
    });
  });

  describe('GET', () => {
    it('lists every policy by name, page by page', async () => {
      const mine = [await created(), await created(), await created()].map((w) => w.policy.name);
      const names: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
        const res = await send(t, 'GET', `/v1/policies${query}`, admin.token);
        expect(res.statusCode).toBe(200);
        const page = res.json<{ items: PolicyBody[]; next_cursor: string | null }>();
        expect(page.items.length).toBeLessThanOrEqual(2);
        names.push(...page.items.map((p) => p.name));
        cursor = page.next_cursor;
      } while (cursor);
      expect(names).toEqual([...names].sort());
      expect(new Set(names).size).toBe(names.length);
      expect(names).toEqual(expect.arrayContaining(mine));
    });

    it('refuses a bad limit or cursor, and answers 404 for an unknown policy', async () => {
      expectInvalidField(await send(t, 'GET', '/v1/policies?limit=-1', admin.token), 'limit');
      expectInvalidField(await send(t, 'GET', '/v1/policies?cursor=%25%25', admin.token), 'cursor');
      expectProblem(
        await send(t, 'GET', `/v1/policies/${UNKNOWN_ID}`, admin.token),
        404,
        'not_found',
      );
      expectInvalidField(await send(t, 'GET', '/v1/policies/trade-own', admin.token), 'id');
    });
  });

  describe('PUT', () => {
    it('replaces every field, bumps the version and audits what changed', async () => {
      const first = await created({ description: 'first' });
      const replacement = {
        name: first.policy.name,
        effect: 'deny',
        priority: 20,
        subjects: ['*'],
        actions: ['trading_account:*'],
        resources: ['trading_account:*'],
        condition: 'context.mfa != true',
      };
      const res = await send(t, 'PUT', `/v1/policies/${first.policy.id}`, admin.token, replacement);
      expect(res.statusCode).toBe(200);
      const body = res.json<PolicyWrite>();
      expect(body.policy).toMatchObject({ ...replacement, description: '', enabled: true });
      expect(body.policy_set_version).toBeGreaterThan(first.policy_set_version);
      const [, update] = await auditOf(first.policy.id);
      expect(update).toEqual({
        actor_type: 'user',
        actor_id: admin.id,
        action: 'policy.update',
        details: {
          before: {
            description: 'first',
            effect: 'allow',
            priority: 10,
            subjects: ['role:trader'],
            actions: ['trading_account:trade'],
            condition: 'resource.owner_id == subject.id',
          },
          after: {
            description: '',
            effect: 'deny',
            priority: 20,
            subjects: ['*'],
            actions: ['trading_account:*'],
            condition: 'context.mfa != true',
          },
          policy_set_version: body.policy_set_version,
        },
      });
    });

    it('changes nothing, and bumps nothing, when the replacement is what is stored', async () => {
      const first = await created();
      const same = without(first.policy, 'id', 'created_at', 'updated_at');
      const res = await send(t, 'PUT', `/v1/policies/${first.policy.id}`, admin.token, same);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(first);
      expect(await auditOf(first.policy.id)).toHaveLength(1);
    });

    it('refuses another policy’s name (409), invalid fields and conditions (422), unknown ids (404)', async () => {
      const first = await created();
      const second = await created();
      const url = `/v1/policies/${second.policy.id}`;
      expectProblem(
        await send(t, 'PUT', url, admin.token, { ...tradeOwn(), name: first.policy.name }),
        409,
        'name_taken',
      );
      expectInvalidField(
        await send(t, 'PUT', url, admin.token, { ...tradeOwn(), resources: ['nope'] }),
        'resources',
      );
      expectInvalidField(
        await send(t, 'PUT', url, admin.token, { ...tradeOwn(), condition: 'a ==' }),
        'condition',
      );
      expectInvalidField(
        await send(t, 'PUT', url, admin.token, without(tradeOwn(), 'priority')),
        'priority',
      );
      expectProblem(
        await send(t, 'PUT', `/v1/policies/${UNKNOWN_ID}`, admin.token, tradeOwn()),
        404,
        'not_found',
      );
      expect((await send(t, 'GET', url, admin.token)).json()).toEqual(second.policy);
    });
  });

  describe('DELETE', () => {
    it('deletes a policy: the new version, audited with what it was; then 404', async () => {
      const first = await created();
      const res = await send(t, 'DELETE', `/v1/policies/${first.policy.id}`, admin.token);
      expect(res.statusCode).toBe(200);
      const { policy_set_version: version } = res.json<{ policy_set_version: number }>();
      expect(version).toBeGreaterThan(first.policy_set_version);
      expectProblem(
        await send(t, 'GET', `/v1/policies/${first.policy.id}`, admin.token),
        404,
        'not_found',
      );
      expect((await auditOf(first.policy.id)).at(-1)).toMatchObject({
        action: 'policy.delete',
        actor_id: admin.id,
        details: { name: first.policy.name, effect: 'allow', policy_set_version: version },
      });
      expectProblem(
        await send(t, 'DELETE', `/v1/policies/${first.policy.id}`, admin.token),
        404,
        'not_found',
      );
    });
  });

  describe('authorization', () => {
    const routes = (id: string): ['GET' | 'POST' | 'PUT' | 'DELETE', string, unknown][] => [
      ['GET', '/v1/policies', undefined],
      ['POST', '/v1/policies', tradeOwn()],
      ['GET', `/v1/policies/${id}`, undefined],
      ['PUT', `/v1/policies/${id}`, tradeOwn()],
      ['DELETE', `/v1/policies/${id}`, undefined],
    ];

    it('answers 401 without an access token', async () => {
      const { policy } = await created();
      for (const [method, url, payload] of routes(policy.id)) {
        expectProblem(await send(t, method, url, null, payload), 401, 'unauthorized');
      }
    });

    // Needs the global PermissionGuard that enforces @RequirePermission.
    it('answers 403 to a user without the policies permissions, and changes nothing', async () => {
      const { policy } = await created();
      const plain = await signedInUser(t);
      for (const [method, url, payload] of routes(policy.id)) {
        expectProblem(await send(t, method, url, plain.token, payload), 403, 'forbidden');
      }
      expect((await send(t, 'GET', `/v1/policies/${policy.id}`, admin.token)).json()).toEqual(
        policy,
      );
    });
  });
});
