import { signedInAdmin, signedInUser, send, SignedInUser, uniqueName } from './support/access';
import { expectProblem } from './support/assertions';
import { clientToken, createClient } from './support/clients';
import { startTestApp, TestApp } from './support/test-app';

/**
 * Nobody hands out Gatehouse permissions they do not hold: each of roles:write, policies:write
 * and clients:write used to be a way to full administration.
 */
describe('delegation limits: no escalation through the admin API', () => {
  let t: TestApp;
  let admin: SignedInUser;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await signedInAdmin(t);
  });
  afterAll(() => t.close());

  /** A user holding exactly these permissions, through a role of their own. */
  async function userWith(permissions: string[]): Promise<SignedInUser> {
    const user = await signedInUser(t);
    const role = await send(t, 'POST', '/v1/roles', admin.token, {
      name: uniqueName('holder'),
      permissions,
    });
    expect(role.statusCode).toBe(201);
    const roleId = role.json<{ role: { id: string } }>().role.id;
    const grant = await send(t, 'PUT', `/v1/users/${user.id}/roles/${roleId}`, admin.token, {});
    expect(grant.statusCode).toBe(201);
    return user;
  }

  function expectEscalation(res: Awaited<ReturnType<typeof send>>, missing: string[]): void {
    expectProblem(res, 403, 'privilege_escalation');
    expect(res.json<{ missing_permissions: string[] }>().missing_permissions).toEqual(missing);
  }

  const adminRoleId = async () =>
    (await send(t, 'GET', '/v1/roles?limit=100', admin.token))
      .json<{ items: { id: string; name: string }[] }>()
      .items.find((role) => role.name === 'admin')!.id;

  describe('roles:write', () => {
    let manager: SignedInUser;
    beforeAll(async () => {
      manager = await userWith(['roles:read', 'roles:write']);
    });

    it('creates and edits roles with permissions it holds, or that are not Gatehouse’s', async () => {
      const created = await send(t, 'POST', '/v1/roles', manager.token, {
        name: uniqueName('desk'),
        permissions: ['trading_account:trade', 'roles:read'],
      });
      expect(created.statusCode).toBe(201);
      const id = created.json<{ role: { id: string } }>().role.id;
      const patched = await send(t, 'PATCH', `/v1/roles/${id}`, manager.token, {
        description: 'no permission change',
      });
      expect(patched.statusCode).toBe(200);
    });

    it('cannot put a permission it lacks into a role, by name or by wildcard', async () => {
      const create = (permissions: string[]) =>
        send(t, 'POST', '/v1/roles', manager.token, { name: uniqueName('up'), permissions });
      expectEscalation(await create(['users:write']), ['users:write']);
      expectEscalation(await create(['policies:*']), ['policies:read', 'policies:write']);
      const everything = await create(['*']);
      expectProblem(everything, 403, 'privilege_escalation');
      const role = await create(['roles:read']);
      const id = role.json<{ role: { id: string } }>().role.id;
      expectEscalation(
        await send(t, 'PATCH', `/v1/roles/${id}`, manager.token, {
          permissions: ['clients:write'],
        }),
        ['clients:write'],
      );
    });

    it('cannot grant a role carrying permissions it lacks, admin least of all', async () => {
      const res = await send(
        t,
        'PUT',
        `/v1/users/${manager.id}/roles/${await adminRoleId()}`,
        manager.token,
        {},
      );
      expectProblem(res, 403, 'privilege_escalation');
      expect(res.json<{ missing_permissions: string[] }>().missing_permissions).toContain(
        'users:write',
      );
      const roles = await send(t, 'GET', `/v1/users/${manager.id}/roles`, admin.token);
      expect(roles.json<{ effective_roles: string[] }>().effective_roles).not.toContain('admin');
    });

    it('still lets an administrator grant admin', async () => {
      const other = await signedInUser(t);
      const res = await send(
        t,
        'PUT',
        `/v1/users/${other.id}/roles/${await adminRoleId()}`,
        admin.token,
        {},
      );
      expect(res.statusCode).toBe(201);
    });
  });

  describe('policies:write', () => {
    let author: SignedInUser;
    beforeAll(async () => {
      author = await userWith(['policies:read', 'policies:write']);
    });
    const policy = (changes: Record<string, unknown>) => ({
      name: uniqueName('p'),
      effect: 'allow',
      priority: 1,
      subjects: [`user:${author.id}`],
      actions: ['*'],
      resources: ['*'],
      ...changes,
    });

    it('cannot allow itself Gatehouse permissions it lacks', async () => {
      const res = await send(t, 'POST', '/v1/policies', author.token, policy({}));
      expectProblem(res, 403, 'privilege_escalation');
      expect(res.json<{ missing_permissions: string[] }>().missing_permissions).toEqual(
        expect.arrayContaining(['users:write', 'roles:write', 'clients:write']),
      );
      const onGatehouse = policy({ actions: ['users:read'], resources: ['gatehouse:*'] });
      expectEscalation(await send(t, 'POST', '/v1/policies', author.token, onGatehouse), [
        'users:read',
      ]);
    });

    it('writes policies for other resources, denies, and allows of what it holds', async () => {
      for (const body of [
        policy({ resources: ['trading_account:*'] }),
        policy({ effect: 'deny', subjects: [`role:${uniqueName('frozen')}`] }),
        policy({ actions: ['policies:read'], resources: ['gatehouse:*'] }),
      ]) {
        expect((await send(t, 'POST', '/v1/policies', author.token, body)).statusCode).toBe(201);
      }
    });

    it('cannot turn a harmless policy into an escalation with PUT', async () => {
      const created = await send(
        t,
        'POST',
        '/v1/policies',
        author.token,
        policy({ resources: ['report:*'] }),
      );
      const { id, name } = created.json<{ policy: { id: string; name: string } }>().policy;
      const res = await send(t, 'PUT', `/v1/policies/${id}`, author.token, policy({ name }));
      expectProblem(res, 403, 'privilege_escalation');
    });
  });

  describe('clients:write', () => {
    it('a user cannot give a client scopes it lacks', async () => {
      const operator = await userWith(['clients:read', 'clients:write']);
      const res = await send(t, 'POST', '/v1/admin/clients', operator.token, {
        name: 'Escalator',
        allowed_scopes: ['users:read'],
      });
      expectEscalation(res, ['users:read']);
      const harmless = await send(t, 'POST', '/v1/admin/clients', operator.token, {
        name: 'Introspector',
        allowed_scopes: ['oauth:introspect'],
      });
      expect(harmless.statusCode).toBe(201);
    });

    it('a service cannot mint a more powerful client, nor take over one', async () => {
      const automation = await createClient(t, ['clients:read', 'clients:write']);
      const { access_token: token } = await clientToken(t, automation);
      const minted = await send(t, 'POST', '/v1/admin/clients', token, {
        name: 'Everything',
        allowed_scopes: ['users:write', 'roles:write'],
      });
      expectEscalation(minted, ['users:write', 'roles:write']);

      const powerful = await createClient(t, ['roles:write', 'clients:write']);
      const secret = await send(t, 'POST', `/v1/admin/clients/${powerful.id}/secrets`, token, {});
      expectEscalation(secret, ['roles:write']);
      const disabled = await send(t, 'POST', `/v1/admin/clients/${powerful.id}/disable`, token);
      expect(disabled.statusCode).toBe(200);
      const enabled = await send(t, 'POST', `/v1/admin/clients/${powerful.id}/enable`, token);
      expectEscalation(enabled, ['roles:write']);
    });
  });
});
