import { DataSource } from 'typeorm';
import { AccessService } from '../src/modules/access/access.service';
import { send, SignedInUser, signedInAdmin, signedInUser, uniqueName } from './support/access';
import { expectInvalidField, expectProblem, Response } from './support/assertions';
import { startTestApp, TestApp } from './support/test-app';
import { migratedDatabase } from './support/test-database';

interface RoleBody {
  id: string;
  name: string;
  description: string;
  permissions: string[];
  built_in: boolean;
  created_at: string;
  updated_at: string;
}

interface AuditRow {
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  details: Record<string, unknown>;
  request_id: string | null;
  network: string | null;
}

describe('roles (/v1/roles)', () => {
  let t: TestApp;
  let admin: SignedInUser;
  let dataSource: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    dataSource = t.app.get(DataSource);
    admin = await signedInAdmin(t);
  });
  afterAll(() => t.close());

  const createRole = async (fields: Record<string, unknown> = {}) => {
    const res = await send(t, 'POST', '/v1/roles', admin.token, {
      name: uniqueName('role'),
      ...fields,
    });
    expect(res.statusCode).toBe(201);
    return res.json<{ role: RoleBody; policy_set_version: number }>();
  };
  const auditOf = (targetId: string) =>
    dataSource.query<AuditRow[]>(
      `SELECT actor_type, actor_id, action, target_type, target_id, details, request_id, ip_network::text AS network
         FROM audit_events WHERE target_id = $1 ORDER BY created_at, id`,
      [targetId],
    );
  const builtIn = async (name: string): Promise<RoleBody> => {
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=100&cursor=${cursor}` : '?limit=100';
      const page = (await send(t, 'GET', `/v1/roles${query}`, admin.token)).json<{
        items: RoleBody[];
        next_cursor: string | null;
      }>();
      const found = page.items.find((r) => r.name === name);
      if (found) return found;
      cursor = page.next_cursor;
    } while (cursor);
    throw new Error(`no role ${name}`);
  };

  describe('POST', () => {
    it('creates a role: 201 with the role and the new policy-set version, audited', async () => {
      const before = await t.app.get(AccessService).currentVersion();
      const name = uniqueName('trader');
      const res = await send(t, 'POST', '/v1/roles', admin.token, {
        name,
        description: 'Trades on linked accounts',
        permissions: ['trading_accounts:trade', 'documents:*'],
      });
      expect(res.statusCode).toBe(201);
      const body = res.json<{ role: RoleBody; policy_set_version: number }>();
      expect(body.role).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name,
        description: 'Trades on linked accounts',
        permissions: ['trading_accounts:trade', 'documents:*'],
        built_in: false,
        created_at: expect.any(String),
        updated_at: body.role.created_at,
      });
      expect(body.policy_set_version).toBeGreaterThan(before);
      const fetched = await send(t, 'GET', `/v1/roles/${body.role.id}`, admin.token);
      expect(fetched.statusCode).toBe(200);
      expect(fetched.headers['cache-control']).toBe('no-store');
      expect(fetched.json()).toEqual(body.role);
      expect(await auditOf(body.role.id)).toEqual([
        {
          actor_type: 'user',
          actor_id: admin.id,
          action: 'role.create',
          target_type: 'role',
          target_id: body.role.id,
          details: {
            name,
            description: 'Trades on linked accounts',
            permissions: ['trading_accounts:trade', 'documents:*'],
            policy_set_version: body.policy_set_version,
          },
          request_id: res.headers['x-request-id'],
          network: '127.0.0.0/24',
        },
      ]);
    });

    it('defaults to no description and no permissions', async () => {
      const { role } = await createRole();
      expect(role).toMatchObject({ description: '', permissions: [] });
    });

    it('refuses a name another role has with a 409, however many ask at once', async () => {
      const name = uniqueName('dup');
      await createRole({ name });
      expectProblem(await send(t, 'POST', '/v1/roles', admin.token, { name }), 409, 'name_taken');
      expectProblem(
        await send(t, 'POST', '/v1/roles', admin.token, { name: 'admin' }),
        409,
        'name_taken',
      );

      const racing = uniqueName('race');
      const answers = await Promise.all(
        [0, 1, 2].map(() => send(t, 'POST', '/v1/roles', admin.token, { name: racing })),
      );
      expect(answers.map((r) => r.statusCode).sort()).toEqual([201, 409, 409]);
      for (const res of answers.filter((r) => r.statusCode === 409)) {
        expectProblem(res, 409, 'name_taken');
      }
      const rows = await dataSource.query('SELECT 1 FROM roles WHERE name = $1', [racing]);
      expect(rows).toHaveLength(1);
    });

    it('refuses a malformed body', async () => {
      const res = await t.inject({
        method: 'POST',
        url: '/v1/roles',
        headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
        payload: '{"name": ',
      });
      expectProblem(res, 400, 'malformed_body');
    });

    it.each([
      ['a missing name', {}, 'name'],
      ['a name of the wrong type', { name: 5 }, 'name'],
      ['an upper-case name', { name: 'Trader' }, 'name'],
      ['a name starting with a digit', { name: '9trader' }, 'name'],
      ['a name with a dot', { name: 'a.b' }, 'name'],
      ['a name of 64 characters', { name: `a${'b'.repeat(63)}` }, 'name'],
      ['an unknown field', { name: 'fine-name', built_in: true }, 'built_in'],
      ['a description of the wrong type', { name: 'fine-name', description: 1 }, 'description'],
      ['a null description', { name: 'fine-name', description: null }, 'description'],
      [
        'a description too long',
        { name: 'fine-name', description: 'x'.repeat(1001) },
        'description',
      ],
      [
        'permissions that are not a list',
        { name: 'fine-name', permissions: 'users:read' },
        'permissions',
      ],
      ['a permission that is not a string', { name: 'fine-name', permissions: [1] }, 'permissions'],
      ['a permission without a verb', { name: 'fine-name', permissions: ['users'] }, 'permissions'],
      [
        'an upper-case permission',
        { name: 'fine-name', permissions: ['Users:read'] },
        'permissions',
      ],
      ['a repeated permission', { name: 'fine-name', permissions: ['a:b', 'a:b'] }, 'permissions'],
      [
        'too many permissions',
        { name: 'fine-name', permissions: Array.from({ length: 201 }, (_, i) => `t${i}:read`) },
        'permissions',
      ],
    ])('refuses %s with a 422 naming the field', async (_case, payload, field) => {
      const res = await send(t, 'POST', '/v1/roles', admin.token, payload);
      expectInvalidField(res, field);
    });

    it('names the offending permission by its index', async () => {
      const res = await send(t, 'POST', '/v1/roles', admin.token, {
        name: uniqueName('bad'),
        permissions: ['users:read', 'users:'],
      });
      const body = expectProblem(res, 422, 'validation_failed');
      expect(body.errors).toEqual([
        { field: 'permissions', message: expect.stringMatching(/^\[1\] /) },
      ]);
    });
  });

  describe('GET', () => {
    it('lists every role by name, page by page, built-ins included', async () => {
      const mine = [await createRole(), await createRole(), await createRole()].map(
        (w) => w.role.name,
      );
      const names: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
        const res = await send(t, 'GET', `/v1/roles${query}`, admin.token);
        expect(res.statusCode).toBe(200);
        const page = res.json<{ items: RoleBody[]; next_cursor: string | null }>();
        expect(page.items.length).toBeLessThanOrEqual(2);
        names.push(...page.items.map((r) => r.name));
        cursor = page.next_cursor;
        pages++;
      } while (cursor);
      expect(pages).toBeGreaterThanOrEqual(3);
      expect(names).toEqual([...names].sort());
      expect(new Set(names).size).toBe(names.length);
      expect(names).toEqual(expect.arrayContaining(['admin', 'user', ...mine]));
    });

    it('shows the built-in roles: admin with every Gatehouse permission, user with none', async () => {
      expect(await builtIn('admin')).toMatchObject({
        built_in: true,
        permissions: expect.arrayContaining([
          'users:read',
          'users:write',
          'roles:read',
          'roles:write',
          'policies:read',
          'policies:write',
          'clients:read',
          'clients:write',
          'audit:read',
          'authz:check',
          'users:reset_mfa',
        ]),
      });
      expect(await builtIn('user')).toMatchObject({ built_in: true });
    });

    it.each([
      ['a limit of 0', '?limit=0', 'limit'],
      ['a limit over 100', '?limit=101', 'limit'],
      ['a limit that is not a number', '?limit=ten', 'limit'],
      ['a fractional limit', '?limit=1.5', 'limit'],
      ['a cursor it never issued', '?cursor=bm90IGEgbmFtZQ', 'cursor'],
      ['an unknown parameter', '?sort=name', 'sort'],
    ])('refuses %s with a 422', async (_case, query, field) => {
      expectInvalidField(await send(t, 'GET', `/v1/roles${query}`, admin.token), field);
    });

    it('answers 404 for an unknown role and 422 for an id that is not a UUID', async () => {
      const unknown = '01890a5d-ac96-774b-bcce-b302099a8057';
      expectProblem(await send(t, 'GET', `/v1/roles/${unknown}`, admin.token), 404, 'not_found');
      expectInvalidField(await send(t, 'GET', '/v1/roles/admin', admin.token), 'id');
    });
  });

  describe('PATCH', () => {
    it('changes the given fields, bumps the version and audits before and after', async () => {
      const created = await createRole({ description: 'old', permissions: ['a:read'] });
      const newName = uniqueName('renamed');
      const res = await send(t, 'PATCH', `/v1/roles/${created.role.id}`, admin.token, {
        name: newName,
        permissions: ['a:read', 'a:write'],
      });
      expect(res.statusCode).toBe(200);
      const body = res.json<{ role: RoleBody; policy_set_version: number }>();
      expect(body.role).toMatchObject({
        id: created.role.id,
        name: newName,
        description: 'old',
        permissions: ['a:read', 'a:write'],
      });
      expect(body.policy_set_version).toBeGreaterThan(created.policy_set_version);
      const [, update] = await auditOf(created.role.id);
      expect(update).toMatchObject({
        actor_type: 'user',
        actor_id: admin.id,
        action: 'role.update',
        details: {
          before: { name: created.role.name, permissions: ['a:read'] },
          after: { name: newName, permissions: ['a:read', 'a:write'] },
          policy_set_version: body.policy_set_version,
        },
        request_id: res.headers['x-request-id'],
      });
    });

    it('changes nothing, and bumps nothing, when the values are the ones stored', async () => {
      const created = await createRole({ description: 'same', permissions: ['a:read'] });
      const res = await send(t, 'PATCH', `/v1/roles/${created.role.id}`, admin.token, {
        description: 'same',
        permissions: ['a:read'],
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(created);
      expect(await auditOf(created.role.id)).toHaveLength(1);
    });

    it('renames the role in the policies that name it, in the same change', async () => {
      const { role } = await createRole();
      const policy = await send(t, 'POST', '/v1/policies', admin.token, {
        name: uniqueName('names-role'),
        effect: 'allow',
        priority: 1,
        subjects: [`role:${role.name}`, 'user:someone'],
        actions: ['document:read'],
        resources: ['document:*'],
      });
      expect(policy.statusCode).toBe(201);
      const policyId = policy.json<{ policy: { id: string } }>().policy.id;
      const newName = uniqueName('renamed');
      const res = await send(t, 'PATCH', `/v1/roles/${role.id}`, admin.token, { name: newName });
      expect(res.statusCode).toBe(200);
      const after = await send(t, 'GET', `/v1/policies/${policyId}`, admin.token);
      expect(after.json()).toMatchObject({ subjects: [`role:${newName}`, 'user:someone'] });
      const [, update] = await auditOf(role.id);
      expect(update.details).toMatchObject({
        policies_updated: [policy.json<{ policy: { name: string } }>().policy.name],
      });
    });

    it('refuses a name another role has with a 409 and changes nothing', async () => {
      const first = await createRole();
      const second = await createRole({ description: 'kept' });
      const res = await send(t, 'PATCH', `/v1/roles/${second.role.id}`, admin.token, {
        name: first.role.name,
        description: 'not kept',
      });
      expectProblem(res, 409, 'name_taken');
      expect((await send(t, 'GET', `/v1/roles/${second.role.id}`, admin.token)).json()).toEqual(
        second.role,
      );
    });

    it('refuses to rename a built-in role', async () => {
      for (const name of ['admin', 'user']) {
        const role = await builtIn(name);
        const res = await send(t, 'PATCH', `/v1/roles/${role.id}`, admin.token, {
          name: uniqueName('x'),
        });
        expectProblem(res, 409, 'built_in_role');
      }
    });

    it('refuses to take a Gatehouse permission away from admin, naming it', async () => {
      const role = await builtIn('admin');
      const res = await send(t, 'PATCH', `/v1/roles/${role.id}`, admin.token, {
        permissions: role.permissions.filter((p) => p !== 'roles:write'),
      });
      const body = expectProblem(res, 422, 'validation_failed');
      expect(body.errors).toEqual([
        { field: 'permissions', message: expect.stringContaining('missing: roles:write') },
      ]);
    });

    it('refuses invalid fields, and answers 404 for an unknown role', async () => {
      const { role } = await createRole();
      expectInvalidField(
        await send(t, 'PATCH', `/v1/roles/${role.id}`, admin.token, { permissions: ['x'] }),
        'permissions',
      );
      expectInvalidField(
        await send(t, 'PATCH', `/v1/roles/${role.id}`, admin.token, { id: role.id }),
        'id',
      );
      expectInvalidField(
        await send(t, 'PATCH', `/v1/roles/${role.id}`, admin.token, { name: null }),
        'name',
      );
      const unknown = '01890a5d-ac96-774b-bcce-b302099a8057';
      expectProblem(
        await send(t, 'PATCH', `/v1/roles/${unknown}`, admin.token, { description: 'x' }),
        404,
        'not_found',
      );
    });
  });

  describe('DELETE', () => {
    it('deletes the role and its grants, bumps the version and audits it', async () => {
      const created = await createRole({ permissions: ['a:read'] });
      const holder = await signedInUser(t);
      const grant = await send(
        t,
        'PUT',
        `/v1/users/${holder.id}/roles/${created.role.id}`,
        admin.token,
        {},
      );
      expect(grant.statusCode).toBe(201);
      const res = await send(t, 'DELETE', `/v1/roles/${created.role.id}`, admin.token);
      expect(res.statusCode).toBe(200);
      const { policy_set_version: version } = res.json<{ policy_set_version: number }>();
      expect(version).toBeGreaterThan(
        grant.json<{ policy_set_version: number }>().policy_set_version,
      );
      expectProblem(
        await send(t, 'GET', `/v1/roles/${created.role.id}`, admin.token),
        404,
        'not_found',
      );
      expect(await t.app.get(AccessService).rolesOfUser(holder.id)).toEqual(['user']);
      const trail = await auditOf(created.role.id);
      expect(trail.at(-1)).toMatchObject({
        actor_type: 'user',
        actor_id: admin.id,
        action: 'role.delete',
        details: {
          name: created.role.name,
          permissions: ['a:read'],
          revoked_grants: 1,
          policy_set_version: version,
        },
      });
      expectProblem(
        await send(t, 'DELETE', `/v1/roles/${created.role.id}`, admin.token),
        404,
        'not_found',
      );
    });

    it('refuses to delete a built-in role', async () => {
      for (const name of ['admin', 'user']) {
        const role = await builtIn(name);
        expectProblem(
          await send(t, 'DELETE', `/v1/roles/${role.id}`, admin.token),
          409,
          'built_in_role',
        );
      }
    });

    it('refuses to delete a role that policies name, listing them', async () => {
      const { role } = await createRole();
      const policyName = uniqueName('uses-role');
      const policy = await send(t, 'POST', '/v1/policies', admin.token, {
        name: policyName,
        effect: 'deny',
        priority: 5,
        subjects: [`role:${role.name}`],
        actions: ['*'],
        resources: ['*'],
      });
      expect(policy.statusCode).toBe(201);
      const body = expectProblem(
        await send(t, 'DELETE', `/v1/roles/${role.id}`, admin.token),
        409,
        'role_in_use',
      );
      expect(body.policies).toEqual([policyName]);
      expect((await send(t, 'GET', `/v1/roles/${role.id}`, admin.token)).statusCode).toBe(200);
    });
  });

  describe('authorization', () => {
    const routes = (id: string): [string, 'GET' | 'POST' | 'PATCH' | 'DELETE', unknown][] => [
      ['/v1/roles', 'GET', undefined],
      ['/v1/roles', 'POST', { name: uniqueName('nope') }],
      [`/v1/roles/${id}`, 'GET', undefined],
      [`/v1/roles/${id}`, 'PATCH', { description: 'nope' }],
      [`/v1/roles/${id}`, 'DELETE', undefined],
    ];

    it('answers 401 without an access token', async () => {
      const { role } = await createRole();
      for (const [url, method, payload] of routes(role.id)) {
        const res: Response = await send(t, method, url, null, payload);
        expectProblem(res, 401, 'unauthorized');
      }
    });

    // Needs the global PermissionGuard that enforces @RequirePermission.
    it('answers 403 to a user without the roles permissions, and changes nothing', async () => {
      const { role } = await createRole({ description: 'untouched' });
      const plain = await signedInUser(t);
      for (const [url, method, payload] of routes(role.id)) {
        expectProblem(await send(t, method, url, plain.token, payload), 403, 'forbidden');
      }
      expect((await send(t, 'GET', `/v1/roles/${role.id}`, admin.token)).json()).toEqual(role);
    });
  });
});

describe('a role MFA_REQUIRED_ROLES names', () => {
  it('is required to exist at boot, and then cannot be deleted or renamed', async () => {
    const database = await migratedDatabase();
    const name = uniqueName('finance');
    try {
      // Created first: a boot with the setting naming it fails until it exists.
      const before = await startTestApp({ databaseUrl: database.url });
      try {
        const created = await send(
          before,
          'POST',
          '/v1/roles',
          (await signedInAdmin(before)).token,
          {
            name,
          },
        );
        expect(created.statusCode).toBe(201);
      } finally {
        await before.close();
      }
      const t = await startTestApp({
        databaseUrl: database.url,
        env: { MFA_REQUIRED_ROLES: name },
      });
      try {
        const admin = await signedInAdmin(t);
        const [{ id }] = await t.app
          .get(DataSource)
          .query<{ id: string }[]>('SELECT id FROM roles WHERE name = $1', [name]);
        const deleted = expectProblem(
          await send(t, 'DELETE', `/v1/roles/${id}`, admin.token),
          409,
          'role_in_use',
        );
        expect(deleted.detail).toBe(
          'MFA_REQUIRED_ROLES names this role, so it cannot be deleted; change the setting first.',
        );
        const renamed = expectProblem(
          await send(t, 'PATCH', `/v1/roles/${id}`, admin.token, { name: uniqueName('renamed') }),
          409,
          'role_in_use',
        );
        expect(renamed.detail).toMatch(/cannot be renamed/);
        const role = await send(t, 'GET', `/v1/roles/${id}`, admin.token);
        expect(role.json()).toMatchObject({ name });
        // Anything but its name may change.
        const described = await send(t, 'PATCH', `/v1/roles/${id}`, admin.token, {
          description: 'Finance team',
          name,
        });
        expect(described.statusCode).toBe(200);
      } finally {
        await t.close();
      }
    } finally {
      await database.drop();
    }
  });
});
