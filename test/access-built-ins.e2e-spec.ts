import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { GATEHOUSE_PERMISSIONS } from '../src/common/auth/gatehouse-permissions';
import { AccessService } from '../src/modules/access/access.service';
import { PoliciesService } from '../src/modules/access/policies.service';
import { systemActor } from '../src/common/auth/actor';
import { CompiledPolicySet } from '../src/modules/authz/engine/compiled-policy-set';
import { send, SignedInUser, signedInAdmin, signedInUser, uniqueName } from './support/access';
import { expectProblem, sleep } from './support/assertions';
import { startTestApp, TestApp } from './support/test-app';
import { itOnServer } from './support/server-only';
import { freshDatabase } from './support/test-database';

interface RoleBody {
  id: string;
  name: string;
  permissions: string[];
  built_in: boolean;
}

/**
 * What must hold of the whole database (the built-in roles as seeded, the last administrator),
 * so on a database of its own that no other test file writes to.
 */
describe('built-in roles and the last administrator (a database of its own)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let t: TestApp;
  let access: AccessService;
  let first: SignedInUser;
  let roles: Record<string, RoleBody>;

  beforeAll(async () => {
    db = await freshDatabase();
    t = await startTestApp({ databaseUrl: db.url });
    access = t.app.get(AccessService);
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  it('starts at version 1 with admin holding every Gatehouse permission, user none, and the shipped policies', async () => {
    expect(await access.currentVersion()).toBe(1);
    const { policies, ...snapshot } = await access.snapshot();
    expect(snapshot).toEqual({
      version: 1,
      roles: [
        { name: 'admin', permissions: [...GATEHOUSE_PERMISSIONS] },
        { name: 'user', permissions: [] },
      ],
    });
    expect(policies.map((policy) => policy.name).sort()).toEqual([
      'offline-token-use',
      'trading-account-inactive-no-trade',
      'trading-account-read',
      'trading-account-trade',
    ]);
    first = await signedInAdmin(t);
    expect(await access.currentVersion()).toBe(2);
    const listed = await send(t, 'GET', '/v1/roles', first.token);
    const items = listed.json<{ items: RoleBody[]; next_cursor: null }>().items;
    expect(items.map((r) => [r.name, r.built_in])).toEqual([
      ['admin', true],
      ['user', true],
    ]);
    roles = Object.fromEntries(items.map((r) => [r.name, r]));
  });

  it('counts versions one by one: each change is exactly one version', async () => {
    const before = await access.currentVersion();
    const created = await send(t, 'POST', '/v1/roles', first.token, { name: uniqueName('r') });
    expect(created.json()).toMatchObject({ policy_set_version: before + 1 });
    const { role } = created.json<{ role: RoleBody }>();
    const patched = await send(t, 'PATCH', `/v1/roles/${role.id}`, first.token, {
      description: 'x',
    });
    expect(patched.json()).toMatchObject({ policy_set_version: before + 2 });
    const deleted = await send(t, 'DELETE', `/v1/roles/${role.id}`, first.token);
    expect(deleted.json()).toEqual({ policy_set_version: before + 3 });
    expect(await access.currentVersion()).toBe(before + 3);
  });

  it('never deletes or renames a built-in role', async () => {
    for (const name of ['admin', 'user']) {
      const id = roles[name].id;
      expectProblem(await send(t, 'DELETE', `/v1/roles/${id}`, first.token), 409, 'built_in_role');
      expectProblem(
        await send(t, 'PATCH', `/v1/roles/${id}`, first.token, { name: 'renamed' }),
        409,
        'built_in_role',
      );
      // Its own name is not a rename.
      const same = await send(t, 'PATCH', `/v1/roles/${id}`, first.token, { name });
      expect(same.statusCode).toBe(200);
    }
  });

  it('lets admin hold more than the Gatehouse permissions, never fewer', async () => {
    const id = roles.admin.id;
    const more = [...GATEHOUSE_PERMISSIONS, 'trading_accounts:trade'];
    const extended = await send(t, 'PATCH', `/v1/roles/${id}`, first.token, { permissions: more });
    expect(extended.statusCode).toBe(200);
    expect(extended.json()).toMatchObject({ role: { permissions: more } });
    const emptied = await send(t, 'PATCH', `/v1/roles/${id}`, first.token, { permissions: [] });
    const body = expectProblem(emptied, 422, 'validation_failed');
    expect(body.errors).toEqual([
      {
        field: 'permissions',
        message: expect.stringContaining(`missing: ${GATEHOUSE_PERMISSIONS.join(', ')}`),
      },
    ]);
    const restored = await send(t, 'PATCH', `/v1/roles/${id}`, first.token, {
      permissions: [...GATEHOUSE_PERMISSIONS],
    });
    expect(restored.statusCode).toBe(200);
  });

  it('lets the user role’s permissions and descriptions change', async () => {
    const res = await send(t, 'PATCH', `/v1/roles/${roles.user.id}`, first.token, {
      description: 'Everyone signed in',
      permissions: ['documents:read'],
    });
    expect(res.json()).toMatchObject({
      role: { name: 'user', description: 'Everyone signed in', permissions: ['documents:read'] },
    });
    expect((await access.snapshot()).roles).toContainEqual({
      name: 'user',
      permissions: ['documents:read'],
    });
  });

  describe('the last administrator', () => {
    const adminGrant = (user: SignedInUser, token: string, payload: unknown = {}) =>
      send(t, 'PUT', `/v1/users/${user.id}/roles/${roles.admin.id}`, token, payload);
    const revokeAdmin = (user: SignedInUser, token: string) =>
      send(t, 'DELETE', `/v1/users/${user.id}/roles/${roles.admin.id}`, token);

    it('keeps the only permanent admin: no revocation, no expiry', async () => {
      expectProblem(await revokeAdmin(first, first.token), 409, 'last_administrator');
      const expiring = await adminGrant(first, first.token, {
        expires_at: new Date(Date.now() + 3_600_000).toISOString(),
      });
      expectProblem(expiring, 409, 'last_administrator');
      expect(await access.rolesOfUser(first.id)).toEqual(['admin', 'user']);
    });

    it('does not count an admin whose grant expires, or who is not active', async () => {
      const expiring = await signedInUser(t);
      const granted = await adminGrant(expiring, first.token, {
        expires_at: new Date(Date.now() + 3_600_000).toISOString(),
      });
      expect(granted.statusCode).toBe(201);
      const suspended = await signedInUser(t);
      expect((await adminGrant(suspended, first.token)).statusCode).toBe(201);
      // Fixture: no API suspends accounts yet.
      await t.app
        .get(DataSource)
        .query("UPDATE users SET status = 'suspended' WHERE id = $1", [suspended.id]);
      expectProblem(await revokeAdmin(first, first.token), 409, 'last_administrator');
      // An expiring grant can go: it was never the safeguard.
      expect((await revokeAdmin(expiring, first.token)).statusCode).toBe(200);
    });

    it('lets an admin go once another active user holds admin without expiry', async () => {
      const second = await signedInAdmin(t);
      expect((await revokeAdmin(first, second.token)).statusCode).toBe(200);
      expect(await access.rolesOfUser(first.id)).toEqual(['user']);
      expectProblem(await revokeAdmin(second, second.token), 409, 'last_administrator');
    });

    it('lets one of two concurrent revocations through, never both', async () => {
      const a = await signedInAdmin(t);
      const b = await signedInAdmin(t);
      const holders = async () =>
        (
          await Promise.all(
            [a, b].map(async (u) => (await access.rolesOfUser(u.id)).includes('admin')),
          )
        ).filter(Boolean).length;
      // Leave a and b as the only permanent admins.
      const others = await t.app
        .get(DataSource)
        .query<{ user_id: string }[]>(
          'SELECT user_id FROM user_roles WHERE role_id = $1 AND user_id <> ALL($2)',
          [roles.admin.id, [a.id, b.id]],
        );
      for (const { user_id } of others) {
        const res = await send(
          t,
          'DELETE',
          `/v1/users/${user_id}/roles/${roles.admin.id}`,
          a.token,
        );
        expect(res.statusCode).toBe(200);
      }
      expect(await holders()).toBe(2);
      const answers = await Promise.all([revokeAdmin(a, b.token), revokeAdmin(b, a.token)]);
      // The loser is refused by the last-administrator rule (409), or, when its request is
      // checked after the winner's commit, because it is no longer an administrator (403).
      const [winner, loser] = answers.map((r) => r.statusCode).sort();
      expect(winner).toBe(200);
      expect([403, 409]).toContain(loser);
      expect(await holders()).toBe(1);
    });
  });

  it('gives the engine a snapshot it compiles and decides by, with rolesOfUser', async () => {
    const admin = await signedInAdmin(t);
    const reader = await signedInUser(t);
    const role = await send(t, 'POST', '/v1/roles', admin.token, {
      name: uniqueName('reader'),
      permissions: ['report:read'],
    });
    const roleId = role.json<{ role: { id: string } }>().role.id;
    await send(t, 'PUT', `/v1/users/${reader.id}/roles/${roleId}`, admin.token, {});
    const policy = await send(t, 'POST', '/v1/policies', admin.token, {
      name: uniqueName('no-secrets'),
      effect: 'deny',
      priority: 1,
      subjects: [`user:${reader.id}`],
      actions: ['report:read'],
      resources: ['report:secret'],
      condition: '!has(context.break_glass)',
    });
    const policyId = policy.json<{ policy: { id: string } }>().policy.id;

    const snapshot = await access.snapshot();
    const engine = CompiledPolicySet.compile(snapshot.version, snapshot.policies, snapshot.roles);
    expect(engine.version).toBe(snapshot.version);
    const subject = {
      type: 'user' as const,
      id: reader.id,
      roles: await access.rolesOfUser(reader.id),
      attributes: {},
    };
    const read = (id: string, context = {}) =>
      engine.evaluate({
        subject,
        action: 'report:read',
        resource: { type: 'report', id },
        context,
      });
    expect(read('q3')).toMatchObject({
      allowed: true,
      reasons: [{ kind: 'role_permission', permission: 'report:read' }],
    });
    expect(read('secret')).toMatchObject({
      allowed: false,
      reasons: [{ kind: 'policy', policy_id: policyId, effect: 'deny' }],
    });
    expect(read('secret', { break_glass: true })).toMatchObject({ allowed: true });
  });

  itOnServer(
    'reads the version and the set in one snapshot, even when a change commits between reads',
    async () => {
      // Another connection holds the roles table, so the snapshot stops after reading the
      // version; a policy is created and committed meanwhile.
      const holder = new Client({ connectionString: db.url });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('LOCK TABLE roles IN ACCESS EXCLUSIVE MODE');
        const waitingOnRoles = async () =>
          (
            await holder.query(
              "SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'roles'::regclass",
            )
          ).rowCount ?? 0;
        const othersWaiting = await waitingOnRoles();
        const snapshot = access.snapshot();
        for (let attempt = 0; (await waitingOnRoles()) <= othersWaiting; attempt++) {
          if (attempt === 200) throw new Error('the snapshot never reached the roles table');
          await sleep(10);
        }
        // Through the service: a request's permission check would read the locked roles too.
        // The write commits, then waits for this instance's engine to reload, which reads the
        // locked roles too: the lock is released once the commit is seen.
        const storedVersion = async () =>
          Number(
            (await holder.query<{ version: string }>('SELECT version FROM policy_set_state'))
              .rows[0].version,
          );
        const before = await storedVersion();
        const writing = t.app.get(PoliciesService).create(
          {
            name: uniqueName('between-reads'),
            description: '',
            effect: 'allow',
            priority: 1,
            subjects: ['*'],
            actions: ['report:read'],
            resources: ['report:*'],
            condition: null,
            enabled: true,
          },
          systemActor('test'),
        );
        for (let attempt = 0; (await storedVersion()) === before; attempt++) {
          if (attempt === 200) throw new Error('the change never committed');
          await sleep(10);
        }
        await holder.query('ROLLBACK');
        const written = await writing;
        const read = await snapshot;
        expect(read.version).toBe(written.version - 1);
        expect(read.policies.map((p) => p.id)).not.toContain(written.policy.id);
        expect((await access.snapshot()).policies.map((p) => p.id)).toContain(written.policy.id);
      } finally {
        await holder.end();
      }
    },
  );
});
