import { Client, Notification } from 'pg';
import { DataSource } from 'typeorm';
import { GATEHOUSE_PERMISSIONS } from '../src/common/auth/gatehouse-permissions';
import { Transactions } from '../src/database/transactions';
import {
  AccessChange,
  AccessChanges,
  AUTHZ_NOTIFY_CHANNEL,
} from '../src/modules/access/access-changes';
import { AccessService } from '../src/modules/access/access.service';
import { systemActor } from '../src/modules/audit/audit-actor';
import { send, SignedInUser, signedInAdmin, signedInUser, uniqueName } from './support/access';
import { sleep } from './support/assertions';
import { startTestApp, TestApp } from './support/test-app';
import { onServer } from './support/server-only';

const policy = () => ({
  name: uniqueName('changes'),
  effect: 'allow',
  priority: 3,
  subjects: ['role:auditor'],
  actions: ['report:read'],
  resources: ['report:*'],
  condition: 'context.ip != ""',
});

describe('announcing policy-set changes, and reading the set', () => {
  let t: TestApp;
  let admin: SignedInUser;
  let access: AccessService;

  beforeAll(async () => {
    t = await startTestApp();
    access = t.app.get(AccessService);
    admin = await signedInAdmin(t);
  });
  afterAll(() => t.close());

  /** The AccessChanges this app emits while `work` runs. */
  async function emittedDuring(work: () => Promise<unknown>): Promise<AccessChange[]> {
    const seen: AccessChange[] = [];
    const unsubscribe = t.app.get(AccessChanges).subscribe((change) => void seen.push(change));
    try {
      await work();
      return seen;
    } finally {
      unsubscribe();
    }
  }

  // The embedded PostgreSQL delivers no NOTIFY to another connection (see onServer).
  (onServer ? describe : describe.skip)('PostgreSQL NOTIFY', () => {
    let listener: Client;
    const received: Notification[] = [];

    beforeAll(async () => {
      listener = new Client({ connectionString: t.config.database.url });
      await listener.connect();
      listener.on('notification', (n) => void received.push(n));
      await listener.query(`LISTEN ${AUTHZ_NOTIFY_CHANNEL}`);
    });
    afterAll(() => listener.end());

    /** The payload announcing `version`, once it arrived (other test files write too). */
    async function announced(version: number): Promise<Record<string, unknown>> {
      for (let attempt = 0; attempt < 100; attempt++) {
        const payloads = received.map((n) => JSON.parse(n.payload!) as Record<string, unknown>);
        const found = payloads.find((p) => p.version === version);
        if (found) return found;
        await sleep(20);
      }
      throw new Error(`version ${version} was never announced`);
    }

    it('announces a policy change as {version}, and a grant as {version, user_id}', async () => {
      const created = await send(t, 'POST', '/v1/policies', admin.token, policy());
      const { policy_set_version: policyVersion } = created.json<{ policy_set_version: number }>();
      expect(await announced(policyVersion)).toEqual({ version: policyVersion });

      const role = await send(t, 'POST', '/v1/roles', admin.token, { name: uniqueName('r') });
      const { role: created_role, policy_set_version: roleVersion } = role.json<{
        role: { id: string };
        policy_set_version: number;
      }>();
      expect(await announced(roleVersion)).toEqual({ version: roleVersion });

      const user = await signedInUser(t);
      const granted = await send(
        t,
        'PUT',
        `/v1/users/${user.id}/roles/${created_role.id}`,
        admin.token,
        {},
      );
      const { policy_set_version: grantVersion } = granted.json<{ policy_set_version: number }>();
      expect(await announced(grantVersion)).toEqual({ version: grantVersion, user_id: user.id });
      expect(received.every((n) => n.channel === AUTHZ_NOTIFY_CHANNEL)).toBe(true);
    });
  });

  describe('AccessChanges', () => {
    it('tells listeners of every committed change with its version, after the commit', async () => {
      let committedVersion: Promise<number> | undefined;
      const user = await signedInUser(t);
      let roleId = '';
      let grantVersion = 0;
      const seen = await emittedDuring(async () => {
        const unsubscribe = t.app.get(AccessChanges).subscribe(() => {
          // Read on another connection: the change must already be visible there.
          committedVersion ??= access.currentVersion();
        });
        const role = await send(t, 'POST', '/v1/roles', admin.token, { name: uniqueName('r') });
        roleId = role.json<{ role: { id: string } }>().role.id;
        const granted = await send(t, 'PUT', `/v1/users/${user.id}/roles/${roleId}`, admin.token);
        grantVersion = granted.json<{ policy_set_version: number }>().policy_set_version;
        unsubscribe();
      });
      expect(seen).toEqual([
        { version: expect.any(Number) },
        { version: grantVersion, userIds: [user.id] },
      ]);
      expect(await committedVersion).toBeGreaterThanOrEqual(seen[0].version);
    });

    it('says nothing of a change that did not happen', async () => {
      const existing = policy();
      expect((await send(t, 'POST', '/v1/policies', admin.token, existing)).statusCode).toBe(201);
      const seen = await emittedDuring(async () => {
        const duplicate = await send(t, 'POST', '/v1/policies', admin.token, existing);
        expect(duplicate.statusCode).toBe(409);
        const invalid = await send(t, 'POST', '/v1/policies', admin.token, {
          ...policy(),
          condition: 'nope ==',
        });
        expect(invalid.statusCode).toBe(422);
      });
      expect(seen).toEqual([]);
    });

    it('a listener that fails does not fail the change', async () => {
      const unsubscribe = t.app.get(AccessChanges).subscribe(() => {
        throw new Error('listener failure');
      });
      try {
        const res = await send(t, 'POST', '/v1/policies', admin.token, policy());
        expect(res.statusCode).toBe(201);
      } finally {
        unsubscribe();
      }
    });

    it('waits for the caller’s transaction when a grant joins it, and is silent if it rolls back', async () => {
      const user = await signedInUser(t);
      const transactions = t.app.get(Transactions);
      const seen = await emittedDuring(async () => {
        await expect(
          transactions.run(async () => {
            await access.grantRole(user.id, 'admin', systemActor('test'));
            throw new Error('the rest of the work failed');
          }),
        ).rejects.toThrow('the rest of the work failed');
      });
      expect(seen).toEqual([]);
      expect(await access.rolesOfUser(user.id)).toEqual(['user']);

      let seenBeforeCommit: number | undefined;
      const committed = await emittedDuring(async () => {
        const seen: AccessChange[] = [];
        const unsubscribe = t.app.get(AccessChanges).subscribe((c) => void seen.push(c));
        await transactions.run(async () => {
          await access.grantRole(user.id, 'admin', systemActor('test'));
          seenBeforeCommit = seen.length;
        });
        unsubscribe();
      });
      expect(seenBeforeCommit).toBe(0);
      expect(committed).toEqual([{ version: expect.any(Number), userIds: [user.id] }]);
      expect(await access.rolesOfUser(user.id)).toEqual(['admin', 'user']);
    });
  });

  describe('AccessService.snapshot', () => {
    it('holds the built-in roles, and every policy as the engine defines it', async () => {
      const payload = { ...policy(), enabled: false };
      const created = await send(t, 'POST', '/v1/policies', admin.token, payload);
      const written = created.json<{ policy: { id: string }; policy_set_version: number }>();
      const snapshot = await access.snapshot();
      expect(snapshot.version).toBeGreaterThanOrEqual(written.policy_set_version);
      expect(snapshot.roles).toEqual(
        expect.arrayContaining([
          { name: 'admin', permissions: [...GATEHOUSE_PERMISSIONS] },
          { name: 'user', permissions: [] },
        ]),
      );
      expect(snapshot.policies).toContainEqual({
        id: written.policy.id,
        name: payload.name,
        effect: 'allow',
        priority: 3,
        subjects: ['role:auditor'],
        actions: ['report:read'],
        resources: ['report:*'],
        condition: 'context.ip != ""',
        enabled: false,
      });
    });

    it('refuses to run inside another transaction, which could not give one snapshot', async () => {
      await expect(t.app.get(Transactions).run(() => access.snapshot())).rejects.toThrow(
        /REPEATABLE READ/,
      );
    });
  });

  describe('audit of a system actor', () => {
    it('records the tool as the actor and the grantor', async () => {
      const user = await signedInUser(t);
      await access.grantRole(user.id, 'admin', systemActor('test'));
      const [row] = await t.app
        .get(DataSource)
        .query<{ actor_type: string; actor_id: string; request_id: string | null }[]>(
          `SELECT actor_type, actor_id, request_id FROM audit_events
            WHERE target_type = 'user' AND target_id = $1`,
          [user.id],
        );
      expect(row).toEqual({ actor_type: 'system', actor_id: 'test', request_id: null });
      const listed = await send(t, 'GET', `/v1/users/${user.id}/roles`, admin.token);
      expect(listed.json()).toMatchObject({ items: [{ role_name: 'admin', granted_by: 'test' }] });
    });
  });
});
