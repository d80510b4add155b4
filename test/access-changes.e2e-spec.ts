import { Injectable, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { GATEHOUSE_PERMISSIONS } from '../src/common/auth/gatehouse-permissions';
import { Transactions } from '../src/database/transactions';
import { AccessService } from '../src/modules/access/access.service';
import { systemActor } from '../src/common/auth/actor';
import { EventOf, OnBroadcast } from '../src/modules/events/on-event.decorator';
import { send, SignedInUser, signedInAdmin, signedInUser, uniqueName } from './support/access';
import { startTestApp, TestApp } from './support/test-app';

const policy = () => ({
  name: uniqueName('changes'),
  effect: 'allow',
  priority: 3,
  subjects: ['role:auditor'],
  actions: ['report:read'],
  resources: ['report:*'],
  condition: 'context.ip != ""',
});

/** A broadcast consumer of access events that fails when told to, as a buggy one would. */
@Injectable()
class FailingConsumer {
  failing = false;
  seen: string[] = [];

  @OnBroadcast('role.*', 'policy.*', 'user.role.*')
  changed(event: EventOf<'role.*' | 'policy.*' | 'user.role.*'>): void {
    this.seen.push(event.type);
    if (this.failing) throw new Error('consumer failure');
  }
}

@Module({ providers: [FailingConsumer] })
class FailingConsumerModule {}

describe('telling policy-set changes as events, and reading the set', () => {
  let t: TestApp;
  let admin: SignedInUser;
  let access: AccessService;

  beforeAll(async () => {
    t = await startTestApp({ extraModules: [FailingConsumerModule] });
    access = t.app.get(AccessService);
    admin = await signedInAdmin(t);
  });
  afterAll(() => t.close());

  /** The access events written to the outbox about `subject` (a role, policy or user id). */
  const eventsAbout = (subject: string) =>
    t.app.get(DataSource).query<{ type: string; data: Record<string, unknown> }[]>(
      `SELECT type, data FROM outbox
        WHERE data->>'role_id' = $1 OR data->>'policy_id' = $1 OR data->>'user_id' = $1
        ORDER BY id`,
      [subject],
    );

  describe('events', () => {
    it('each change is an event carrying the policy-set version it made, with its audit row', async () => {
      const created = await send(t, 'POST', '/v1/policies', admin.token, policy());
      const written = created.json<{ policy: { id: string }; policy_set_version: number }>();
      expect(await eventsAbout(written.policy.id)).toEqual([
        {
          type: 'policy.created',
          data: expect.objectContaining({
            policy_id: written.policy.id,
            policy_set_version: written.policy_set_version,
          }),
        },
      ]);

      const role = await send(t, 'POST', '/v1/roles', admin.token, { name: uniqueName('r') });
      const { role: createdRole } = role.json<{ role: { id: string } }>();
      const user = await signedInUser(t);
      const granted = await send(
        t,
        'PUT',
        `/v1/users/${user.id}/roles/${createdRole.id}`,
        admin.token,
        {},
      );
      const { policy_set_version: grantVersion } = granted.json<{ policy_set_version: number }>();
      expect(await eventsAbout(user.id)).toContainEqual({
        type: 'user.role.granted',
        data: expect.objectContaining({
          user_id: user.id,
          role_id: createdRole.id,
          policy_set_version: grantVersion,
        }),
      });
      const [audit] = await t.app
        .get(DataSource)
        .query<{ action: string; details: Record<string, unknown> }[]>(
          `SELECT action, details FROM audit_events WHERE target_type = 'user' AND target_id = $1`,
          [user.id],
        );
      expect(audit).toMatchObject({
        action: 'user_role.grant',
        details: { role_id: createdRole.id, policy_set_version: grantVersion },
      });
    });

    it('says nothing of a change that did not happen', async () => {
      const existing = policy();
      expect((await send(t, 'POST', '/v1/policies', admin.token, existing)).statusCode).toBe(201);
      const before = await t.app
        .get(DataSource)
        .query<{ n: number }[]>("SELECT count(*)::int AS n FROM outbox WHERE type LIKE 'policy.%'");
      const duplicate = await send(t, 'POST', '/v1/policies', admin.token, existing);
      expect(duplicate.statusCode).toBe(409);
      const invalid = await send(t, 'POST', '/v1/policies', admin.token, {
        ...policy(),
        condition: 'nope ==',
      });
      expect(invalid.statusCode).toBe(422);
      const after = await t.app
        .get(DataSource)
        .query<{ n: number }[]>("SELECT count(*)::int AS n FROM outbox WHERE type LIKE 'policy.%'");
      expect(after).toEqual(before);
    });

    it('a consumer that fails does not fail the change', async () => {
      const consumer = t.app.get(FailingConsumer);
      consumer.failing = true;
      try {
        const res = await send(t, 'POST', '/v1/policies', admin.token, policy());
        expect(res.statusCode).toBe(201);
        expect(consumer.seen.at(-1)).toBe('policy.created');
      } finally {
        consumer.failing = false;
      }
    });

    it('joins the caller’s transaction: nothing if it rolls back, consumers only after it commits', async () => {
      const user = await signedInUser(t);
      const transactions = t.app.get(Transactions);
      const consumer = t.app.get(FailingConsumer);
      await expect(
        transactions.run(async () => {
          await access.grantRole(user.id, 'admin', systemActor('test'));
          throw new Error('the rest of the work failed');
        }),
      ).rejects.toThrow('the rest of the work failed');
      expect(await eventsAbout(user.id)).not.toContainEqual(
        expect.objectContaining({ type: 'user.role.granted' }),
      );
      expect(await access.rolesOfUser(user.id)).toEqual(['user']);

      let seenBeforeCommit: number | undefined;
      const seenBefore = consumer.seen.length;
      await transactions.run(async () => {
        await access.grantRole(user.id, 'admin', systemActor('test'));
        seenBeforeCommit = consumer.seen.length - seenBefore;
      });
      expect(seenBeforeCommit).toBe(0);
      expect(consumer.seen.length - seenBefore).toBe(1);
      expect(await eventsAbout(user.id)).toContainEqual(
        expect.objectContaining({ type: 'user.role.granted' }),
      );
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
