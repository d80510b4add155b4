import { DataSource } from 'typeorm';
import { AccessService } from '../src/modules/access/access.service';
import { send, SignedInUser, signedInAdmin, signedInUser, uniqueName } from './support/access';
import { expectInvalidField, expectProblem, sleep } from './support/assertions';
import { startTestApp, TestApp } from './support/test-app';

interface GrantBody {
  role_id: string;
  role_name: string;
  granted_by: string | null;
  granted_at: string;
  expires_at: string | null;
  active: boolean;
}

const UNKNOWN_ID = '01890a5d-ac96-774b-bcce-b302099a8057';

describe('user roles (/v1/users/{userId}/roles)', () => {
  let t: TestApp;
  let admin: SignedInUser;
  let dataSource: DataSource;
  let access: AccessService;

  beforeAll(async () => {
    t = await startTestApp();
    dataSource = t.app.get(DataSource);
    access = t.app.get(AccessService);
    admin = await signedInAdmin(t);
  });
  afterAll(() => t.close());

  const createRole = async () => {
    const res = await send(t, 'POST', '/v1/roles', admin.token, {
      name: uniqueName('role'),
      permissions: ['documents:read'],
    });
    expect(res.statusCode).toBe(201);
    return res.json<{ role: { id: string; name: string } }>().role;
  };
  const grant = (userId: string, roleId: string, payload: unknown = {}) =>
    send(t, 'PUT', `/v1/users/${userId}/roles/${roleId}`, admin.token, payload);
  const rolesOf = async (userId: string) => {
    const res = await send(t, 'GET', `/v1/users/${userId}/roles`, admin.token);
    expect(res.statusCode).toBe(200);
    return res.json<{ items: GrantBody[]; effective_roles: string[] }>();
  };
  const auditOf = (userId: string) =>
    dataSource.query<{ action: string; actor_id: string; details: Record<string, unknown> }[]>(
      `SELECT action, actor_id, details FROM audit_events
        WHERE target_type = 'user' AND target_id = $1 ORDER BY created_at, id`,
      [userId],
    );
  const inFuture = (ms: number) => new Date(Date.now() + ms).toISOString();

  describe('PUT', () => {
    it('grants a role: 201 with the grant and the new version, audited with the grantor', async () => {
      const role = await createRole();
      const user = await signedInUser(t);
      const before = await access.currentVersion();
      const res = await grant(user.id, role.id);
      expect(res.statusCode).toBe(201);
      const body = res.json<{ grant: GrantBody; policy_set_version: number }>();
      expect(body.grant).toEqual({
        role_id: role.id,
        role_name: role.name,
        granted_by: admin.id,
        granted_at: expect.any(String),
        expires_at: null,
        active: true,
      });
      expect(body.policy_set_version).toBeGreaterThan(before);
      expect(await rolesOf(user.id)).toEqual({
        items: [body.grant],
        effective_roles: [role.name, 'user'],
      });
      expect(await access.rolesOfUser(user.id)).toEqual([role.name, 'user']);
      expect(await auditOf(user.id)).toEqual([
        {
          action: 'user_role.grant',
          actor_id: admin.id,
          details: {
            role_id: role.id,
            role_name: role.name,
            expires_at: null,
            policy_set_version: body.policy_set_version,
          },
        },
      ]);
    });

    it('is idempotent: the same grant again is a 200 that changes and bumps nothing', async () => {
      const role = await createRole();
      const user = await signedInUser(t);
      const expiresAt = inFuture(3_600_000);
      const first = await grant(user.id, role.id, { expires_at: expiresAt });
      expect(first.statusCode).toBe(201);
      const again = await grant(user.id, role.id, { expires_at: expiresAt });
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual(first.json());
      expect(await auditOf(user.id)).toHaveLength(1);
    });

    it('granting again with another expiry sets it, bumps the version and audits it', async () => {
      const role = await createRole();
      const user = await signedInUser(t);
      const first = await grant(user.id, role.id, { expires_at: inFuture(3_600_000) });
      const later = new Date(Date.now() + 7_200_000);
      const res = await grant(user.id, role.id, { expires_at: later.toISOString() });
      expect(res.statusCode).toBe(200);
      const body = res.json<{ grant: GrantBody; policy_set_version: number }>();
      expect(body.grant.expires_at).toBe(later.toISOString());
      expect(body.policy_set_version).toBeGreaterThan(
        first.json<{ policy_set_version: number }>().policy_set_version,
      );
      const forever = await grant(user.id, role.id, { expires_at: null });
      expect(forever.json<{ grant: GrantBody }>().grant.expires_at).toBeNull();
      const trail = await auditOf(user.id);
      expect(trail.map((e) => e.action)).toEqual([
        'user_role.grant',
        'user_role.update',
        'user_role.update',
      ]);
      expect(trail[1].details).toMatchObject({
        expires_at: later.toISOString(),
        previous_expires_at: first.json<{ grant: GrantBody }>().grant.expires_at,
      });
    });

    it('accepts an offset other than Z and stores the instant', async () => {
      const role = await createRole();
      const user = await signedInUser(t);
      const res = await grant(user.id, role.id, { expires_at: '2999-01-01T02:00:00+02:00' });
      expect(res.statusCode).toBe(201);
      expect(res.json<{ grant: GrantBody }>().grant.expires_at).toBe('2999-01-01T00:00:00.000Z');
    });

    it('accepts a request without a body as a grant without expiry', async () => {
      const role = await createRole();
      const user = await signedInUser(t);
      const res = await send(t, 'PUT', `/v1/users/${user.id}/roles/${role.id}`, admin.token);
      expect(res.statusCode).toBe(201);
      expect(res.json<{ grant: GrantBody }>().grant.expires_at).toBeNull();
    });

    it.each([
      ['in the past', { expires_at: '2001-01-01T00:00:00Z' }],
      ['not a date', { expires_at: 'tomorrow' }],
      ['a date without a time', { expires_at: '2999-01-01' }],
      ['a time without an offset', { expires_at: '2999-01-01T00:00:00' }],
      ['an impossible date', { expires_at: '2999-02-30T00:00:00Z' }],
      ['of the wrong type', { expires_at: 1893456000 }],
    ])('refuses an expiry %s with a 422', async (_case, payload) => {
      const role = await createRole();
      const user = await signedInUser(t);
      expectInvalidField(await grant(user.id, role.id, payload), 'expires_at');
      expect((await rolesOf(user.id)).items).toEqual([]);
    });

    it('refuses unknown fields', async () => {
      const role = await createRole();
      const user = await signedInUser(t);
      expectInvalidField(await grant(user.id, role.id, { granted_by: 'me' }), 'granted_by');
    });

    it('answers 404 for an unknown user or role, 422 for ids that are not UUIDs', async () => {
      const role = await createRole();
      const user = await signedInUser(t);
      expectProblem(await grant(UNKNOWN_ID, role.id), 404, 'not_found');
      expectProblem(await grant(user.id, UNKNOWN_ID), 404, 'not_found');
      expectInvalidField(await grant('me', role.id), 'userId');
      expectInvalidField(await grant(user.id, 'admin'), 'roleId');
    });

    it('refuses to grant the implicit user role', async () => {
      const user = await signedInUser(t);
      const [{ id }] = await dataSource.query<{ id: string }[]>(
        "SELECT id FROM roles WHERE name = 'user'",
      );
      expectInvalidField(await grant(user.id, id), 'roleId');
    });
  });

  describe('expiry', () => {
    it('ignores an expired grant: listed as inactive, not among the roles held', async () => {
      const role = await createRole();
      const user = await signedInUser(t);
      const res = await grant(user.id, role.id, { expires_at: inFuture(1000) });
      expect(res.statusCode).toBe(201);
      expect(await access.rolesOfUser(user.id)).toEqual([role.name, 'user']);
      await sleep(1100);
      expect(await access.rolesOfUser(user.id)).toEqual(['user']);
      const listed = await rolesOf(user.id);
      expect(listed.effective_roles).toEqual(['user']);
      expect(listed.items).toEqual([expect.objectContaining({ role_id: role.id, active: false })]);
    });
  });

  describe('rolesOfUser', () => {
    it('gives nothing to a user who is not active, or does not exist', async () => {
      const role = await createRole();
      const user = await signedInUser(t);
      expect((await grant(user.id, role.id)).statusCode).toBe(201);
      // Fixture: no API suspends accounts yet.
      await dataSource.query("UPDATE users SET status = 'suspended' WHERE id = $1", [user.id]);
      expect(await access.rolesOfUser(user.id)).toEqual([]);
      expect(await access.rolesOfUser(UNKNOWN_ID)).toEqual([]);
    });
  });

  describe('DELETE', () => {
    it('revokes a grant: the new version, audited; a second revocation is a 404', async () => {
      const role = await createRole();
      const user = await signedInUser(t);
      const granted = await grant(user.id, role.id);
      const res = await send(t, 'DELETE', `/v1/users/${user.id}/roles/${role.id}`, admin.token);
      expect(res.statusCode).toBe(200);
      const { policy_set_version: version } = res.json<{ policy_set_version: number }>();
      expect(version).toBeGreaterThan(
        granted.json<{ policy_set_version: number }>().policy_set_version,
      );
      expect(await rolesOf(user.id)).toEqual({ items: [], effective_roles: ['user'] });
      expect((await auditOf(user.id)).at(-1)).toEqual({
        action: 'user_role.revoke',
        actor_id: admin.id,
        details: { role_id: role.id, role_name: role.name, policy_set_version: version },
      });
      expectProblem(
        await send(t, 'DELETE', `/v1/users/${user.id}/roles/${role.id}`, admin.token),
        404,
        'not_found',
      );
    });

    it('answers 404 for an unknown user or role', async () => {
      const role = await createRole();
      const user = await signedInUser(t);
      for (const url of [
        `/v1/users/${UNKNOWN_ID}/roles/${role.id}`,
        `/v1/users/${user.id}/roles/${UNKNOWN_ID}`,
      ]) {
        expectProblem(await send(t, 'DELETE', url, admin.token), 404, 'not_found');
      }
    });
  });

  describe('GET', () => {
    it('answers 404 for an unknown user', async () => {
      expectProblem(
        await send(t, 'GET', `/v1/users/${UNKNOWN_ID}/roles`, admin.token),
        404,
        'not_found',
      );
    });
  });

  describe('authorization', () => {
    it('answers 401 without an access token', async () => {
      const role = await createRole();
      const user = await signedInUser(t);
      const base = `/v1/users/${user.id}/roles`;
      expectProblem(await send(t, 'GET', base, null), 401, 'unauthorized');
      expectProblem(await send(t, 'PUT', `${base}/${role.id}`, null, {}), 401, 'unauthorized');
      expectProblem(await send(t, 'DELETE', `${base}/${role.id}`, null), 401, 'unauthorized');
    });

    // Needs the global PermissionGuard that enforces @RequirePermission.
    it('answers 403 to a user without the roles permissions: nobody grants themself a role', async () => {
      const role = await createRole();
      const user = await signedInUser(t);
      const base = `/v1/users/${user.id}/roles`;
      expectProblem(await send(t, 'GET', base, user.token), 403, 'forbidden');
      expectProblem(await send(t, 'PUT', `${base}/${role.id}`, user.token, {}), 403, 'forbidden');
      expectProblem(await send(t, 'DELETE', `${base}/${role.id}`, user.token), 403, 'forbidden');
      expect(await access.rolesOfUser(user.id)).toEqual(['user']);
    });
  });
});
