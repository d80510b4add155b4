import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuditChain } from '../src/modules/audit/audit-chain';
import { AuditKeyring } from '../src/modules/audit/audit-keyring';
import { createVerifiedAccount, get, login, post, settled, uniqueIp } from './support/accounts';
import { send, signedInAdmin, signedInUser, SignedInUser, uniqueName } from './support/access';
import { expectInvalidField, expectProblem } from './support/assertions';
import { startTestApp, TestApp } from './support/test-app';

interface AuditEventBody {
  id: string;
  kind: string;
  occurred_at: string;
  action: string;
  outcome: string;
  reason: string | null;
  actor: { type: string; id: string | null };
  target: { type: string; id: string | null };
  user_id: string | null;
  session_id: string | null;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  network: string | null;
  details: Record<string, unknown>;
  seq: number | null;
}

interface AuditPage<T = AuditEventBody> {
  items: T[];
  next_cursor: string | null;
  prev_cursor: string | null;
}

interface ActivityBody {
  id: string;
  action: string;
  outcome: string;
  by: string;
  ip: string | null;
  network: string | null;
  user_agent: string | null;
  session_id: string | null;
}

describe('the audit log', () => {
  let t: TestApp;
  let db: DataSource;
  let admin: SignedInUser;

  const list = async (query: string, token = admin.token) => {
    const res = await get(t, `/v1/admin/audit-events${query}`, token);
    expect(res.statusCode).toBe(200);
    return res.json<AuditPage>();
  };

  /** A user who signed in from `ip` with `userAgent`, then failed once from `ip`. */
  async function userWithSignIns(ip: string, userAgent: string) {
    const account = await createVerifiedAccount(t);
    const tokens = await login(t, account.email, account.password, { ip, userAgent });
    const failed = await post(
      t,
      '/v1/auth/login',
      { email: account.email, password: 'not the password at all' },
      { ip, headers: { 'user-agent': userAgent } },
    );
    expect(failed.statusCode).toBe(401);
    await settled(t);
    const [{ id }] = await db.query<{ id: string }[]>('SELECT id FROM users WHERE email = $1', [
      account.email.toLowerCase(),
    ]);
    return { ...account, id, tokens };
  }

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(DataSource);
    admin = await signedInAdmin(t);
  });
  afterAll(() => t.close());

  describe('GET /v1/admin/audit-events', () => {
    it('shows administrative changes and authentication events in one timeline, newest first', async () => {
      const ip = uniqueIp();
      const user = await userWithSignIns(ip, 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0');
      const role = await send(t, 'POST', '/v1/roles', admin.token, {
        name: uniqueName('auditors'),
        permissions: ['audit:read'],
      });
      expect(role.statusCode).toBe(201);
      const roleId = role.json<{ role: { id: string } }>().role.id;
      await settled(t);

      const page = await list('?limit=100');
      const ids = page.items.map((item) => item.id);
      expect([...ids].sort().reverse()).toEqual(ids);
      const created = page.items.find((item) => item.action === 'role.create');
      expect(created).toMatchObject({
        kind: 'administrative',
        actor: { type: 'user', id: admin.id },
        target: { type: 'role', id: roleId },
        outcome: 'success',
      });
      const signIn = page.items.find(
        (i) => i.action === 'auth.login' && i.user_id === user.id && i.outcome === 'success',
      );
      expect(signIn).toMatchObject({
        kind: 'authentication',
        outcome: 'success',
        actor: { type: 'user', id: user.id },
        ip,
        user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0',
        network: `${ip.split('.').slice(0, 3).join('.')}.0/24`,
      });
      const failure = page.items.find(
        (i) => i.action === 'auth.login' && i.user_id === user.id && i.outcome === 'failure',
      );
      expect(failure).toMatchObject({ actor: { type: 'anonymous', id: null }, ip });
    });

    it('filters by actor, target user, action or family, outcome, address or network, request and time', async () => {
      const ip = uniqueIp();
      const user = await userWithSignIns(ip, 'curl/8.0');
      const other = await userWithSignIns(uniqueIp(), 'curl/8.0');

      const byUser = await list(`?user_id=${user.id}`);
      expect(byUser.items.length).toBeGreaterThanOrEqual(3);
      expect(byUser.items.every((i) => i.user_id === user.id)).toBe(true);

      const byActor = await list(`?actor_id=${user.id}`);
      expect(byActor.items.length).toBeGreaterThan(0);
      expect(byActor.items.every((i) => i.actor.id === user.id)).toBe(true);

      const failures = await list(`?user_id=${user.id}&outcome=failure`);
      expect(failures.items.map((i) => [i.action, i.reason])).toEqual([
        ['auth.login', 'wrong_password'],
      ]);

      const family = await list(`?action=auth.*&user_id=${other.id}`);
      expect(family.items.length).toBeGreaterThan(0);
      expect(family.items.every((i) => i.action.startsWith('auth.'))).toBe(true);
      const exact = await list(`?action=auth.login&user_id=${other.id}`);
      expect(exact.items.every((i) => i.action === 'auth.login')).toBe(true);
      expect(exact.items).toHaveLength(2);

      const byAddress = await list(`?ip=${ip}`);
      expect(byAddress.items.length).toBeGreaterThanOrEqual(2);
      expect(byAddress.items.every((i) => i.ip === ip)).toBe(true);
      for (const network of [
        `${ip.split('.').slice(0, 2).join('.')}.0.0/16`,
        `${ip.split('.').slice(0, 3).join('.')}.0/24`,
      ]) {
        const byNetwork = await list(`?ip=${encodeURIComponent(network)}&limit=100`);
        expect(byNetwork.items.map((i) => i.id)).toEqual(
          expect.arrayContaining(byAddress.items.map((i) => i.id)),
        );
      }
      const elsewhere = await list(`?ip=${encodeURIComponent('192.0.2.0/24')}`);
      expect(elsewhere.items.map((i) => i.id)).not.toEqual(
        expect.arrayContaining(byAddress.items.map((i) => i.id)),
      );

      const requestId = byUser.items.find((i) => i.request_id)!.request_id!;
      const byRequest = await list(`?request_id=${encodeURIComponent(requestId)}`);
      expect(byRequest.items.length).toBeGreaterThan(0);
      expect(byRequest.items.every((i) => i.request_id === requestId)).toBe(true);

      const first = byUser.items.at(-1)!;
      const from = new Date(Date.parse(first.occurred_at) + 1).toISOString();
      const later = await list(`?user_id=${user.id}&from=${from}`);
      expect(later.items.map((i) => i.id)).not.toContain(first.id);
      const until = await list(`?user_id=${user.id}&to=${from}`);
      expect(until.items.map((i) => i.id)).toContain(first.id);
    });

    it('pages to older rows and back to newer ones with opaque cursors', async () => {
      const user = await userWithSignIns(uniqueIp(), 'curl/8.0');
      for (let i = 0; i < 3; i++) await login(t, user.email, user.password);
      await settled(t);
      const all = await list(`?user_id=${user.id}&limit=100`);
      expect(all.items.length).toBeGreaterThanOrEqual(6);

      const seen: string[] = [];
      let page = await list(`?user_id=${user.id}&limit=2`);
      expect(page.prev_cursor).toBeNull();
      const pages = [page];
      seen.push(...page.items.map((i) => i.id));
      while (page.next_cursor) {
        page = await list(`?user_id=${user.id}&limit=2&cursor=${page.next_cursor}`);
        pages.push(page);
        seen.push(...page.items.map((i) => i.id));
      }
      expect(seen).toEqual(all.items.map((i) => i.id));

      const back = await list(`?user_id=${user.id}&limit=2&cursor=${pages[2].prev_cursor}`);
      expect(back.items.map((i) => i.id)).toEqual(pages[1].items.map((i) => i.id));
      const newest = await list(`?user_id=${user.id}&limit=2&cursor=${back.prev_cursor}`);
      expect(newest.items.map((i) => i.id)).toEqual(pages[0].items.map((i) => i.id));
      expect(newest.prev_cursor).toBeNull();
    });

    it('refuses a tampered cursor, or one issued for other filters, with a 400', async () => {
      const user = await userWithSignIns(uniqueIp(), 'curl/8.0');
      const page = await list(`?user_id=${user.id}&limit=1`);
      const cursor = page.next_cursor!;
      const [payload, tag] = cursor.split('.');
      const altered = Buffer.from(payload, 'base64url').toString().replace('older', 'newer');
      for (const bad of [
        `${Buffer.from(altered).toString('base64url')}.${tag}`,
        `${payload}.${tag.slice(0, -2)}AA`,
        'not-a-cursor',
        `${payload}`,
      ]) {
        const res = await get(
          t,
          `/v1/admin/audit-events?user_id=${user.id}&cursor=${encodeURIComponent(bad)}`,
          admin.token,
        );
        const body = expectProblem(res, 400, 'invalid_cursor');
        expect(body.errors).toEqual([{ field: 'cursor', message: expect.any(String) }]);
      }
      const otherFilter = await get(
        t,
        `/v1/admin/audit-events?user_id=${admin.id}&cursor=${cursor}`,
        admin.token,
      );
      expectProblem(otherFilter, 400, 'invalid_cursor');
    });

    it.each([
      ['user_id=nope', 'user_id'],
      ['actor_id=not-a-uuid', 'actor_id'],
      ['actor_type=service', 'actor_type'],
      ['actor_type=robot&actor_id=x', 'actor_type'],
      ['action=Role Create', 'action'],
      ['action=*', 'action'],
      ['action=webhook.endpoint.*', 'action'],
      ['outcome=maybe', 'outcome'],
      ['ip=300.1.2.3', 'ip'],
      ['ip=10.0.0.0/4', 'ip'],
      ['ip=10.1.2.0/28', 'ip'],
      ['ip=2001:db8::/8', 'ip'],
      ['from=yesterday', 'from'],
      ['from=2026-01-01T00:00:00', 'from'],
      ['to=2026-13-01T00:00:00Z', 'to'],
      ['from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
      ['from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'to'],
    ])('refuses the filter %s with a 400 naming %s', async (query, field) => {
      const res = await get(t, `/v1/admin/audit-events?${query}`, admin.token);
      const body = expectProblem(res, 400, 'invalid_audit_filter');
      expect((body.errors as { field: string }[]).map((e) => e.field)).toContain(field);
    });

    it('refuses an unknown parameter, a repeated one and a limit out of range (422)', async () => {
      expectInvalidField(await get(t, '/v1/admin/audit-events?colour=red', admin.token), 'colour');
      expectInvalidField(
        await get(t, '/v1/admin/audit-events?outcome=success&outcome=failure', admin.token),
        'outcome',
      );
      expectInvalidField(await get(t, '/v1/admin/audit-events?limit=1000', admin.token), 'limit');
    });

    it('needs a token and the audit:read permission', async () => {
      expectProblem(await get(t, '/v1/admin/audit-events'), 401, 'unauthorized');
      const user = await signedInUser(t);
      expectProblem(await get(t, '/v1/admin/audit-events', user.token), 403, 'forbidden');
    });
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await get(t, '/docs/openapi.json')).json<{
      paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
    }>();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/admin/audit-events',
        '/v1/admin/audit-events/verify',
        '/v1/admin/audit-exports',
        '/v1/admin/audit-exports/{id}',
        '/v1/admin/audit-exports/{id}/download',
        '/v1/users/me/activity',
      ]),
    );
    const parameters = doc.paths['/v1/admin/audit-events'].get.parameters!.map((p) => p.name);
    expect(parameters).toEqual(
      expect.arrayContaining([
        'limit',
        'cursor',
        'actor_id',
        'user_id',
        'action',
        'ip',
        'from',
        'to',
      ]),
    );
  });

  describe('personal data', () => {
    it('keeps addresses and user agents only encrypted, and nulls them once the user’s key is destroyed', async () => {
      const ip = uniqueIp();
      const agent = `AuditProbe/${randomUUID()}`;
      const user = await userWithSignIns(ip, agent);
      const [{ whole }] = await db.query<{ whole: string }[]>(
        `SELECT string_agg(e::text, ' ') AS whole FROM audit_events e WHERE user_id = $1`,
        [user.id],
      );
      expect(whole).not.toContain(ip);
      expect(whole).not.toContain(agent);

      await t.app.get(AuditChain).sealPending();
      expect(await t.app.get(AuditKeyring).destroyUserKey(user.id)).toBe(true);
      const after = await list(`?user_id=${user.id}`);
      expect(after.items.length).toBeGreaterThan(0);
      for (const item of after.items) {
        expect(item).toMatchObject({ ip: null, user_agent: null, user_id: user.id });
      }
      const byAddress = await list(`?ip=${ip}`);
      expect(byAddress.items.map((i) => i.user_id)).toContain(user.id);

      const verified = await send(t, 'POST', '/v1/admin/audit-events/verify', admin.token);
      expect(verified.json()).toMatchObject({ valid: true, finding: null });

      // New rows about the erased user record nothing personal.
      await login(t, user.email, user.password, { ip, userAgent: agent });
      await settled(t);
      const newest = (await list(`?user_id=${user.id}&action=auth.login&limit=1`)).items[0];
      expect(newest).toMatchObject({ ip: null, user_agent: null });
    });
  });

  describe('GET /v1/users/me/activity', () => {
    it('shows the user their own sign-ins with device and network, failed attempts and what an administrator changed', async () => {
      const ip = uniqueIp();
      const user = await userWithSignIns(ip, 'Mozilla/5.0 (Macintosh) Safari/605.1.15');
      const role = await send(t, 'POST', '/v1/roles', admin.token, {
        name: uniqueName('readers'),
        permissions: ['audit:read'],
      });
      const roleId = role.json<{ role: { id: string } }>().role.id;
      const grant = await send(t, 'PUT', `/v1/users/${user.id}/roles/${roleId}`, admin.token);
      expect(grant.statusCode).toBe(201);
      await settled(t);
      const res = await get(t, '/v1/users/me/activity', user.tokens.access_token);
      expect(res.statusCode).toBe(200);
      const page = res.json<AuditPage<ActivityBody>>();
      const signIn = page.items.find((i) => i.action === 'auth.login' && i.outcome === 'success');
      expect(signIn).toMatchObject({
        by: 'you',
        ip,
        user_agent: 'Mozilla/5.0 (Macintosh) Safari/605.1.15',
        session_id: expect.any(String),
      });
      const failed = page.items.find((i) => i.action === 'auth.login' && i.outcome === 'failure');
      expect(failed).toMatchObject({ by: 'unknown', ip });
      const granted = page.items.find((i) => i.action === 'user_role.grant');
      expect(granted).toMatchObject({ by: 'administrator', ip: null, user_agent: null });
      expect(page.items.some((i) => i.action === 'auth.refresh')).toBe(false);
    });

    it('shows only the user’s own rows, page by page', async () => {
      const user = await userWithSignIns(uniqueIp(), 'curl/8.0');
      const other = await userWithSignIns(uniqueIp(), 'curl/8.0');
      await login(t, user.email, user.password);
      await settled(t);
      const token = user.tokens.access_token;
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await get(
          t,
          `/v1/users/me/activity?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
          token,
        );
        const page = res.json<AuditPage<ActivityBody>>();
        ids.push(...page.items.map((i) => i.id));
        cursor = page.next_cursor;
      } while (cursor);
      const [{ count }] = await db.query<{ count: string }[]>(
        `SELECT count(*) FROM audit_events WHERE user_id = $1 AND action <> 'auth.refresh'`,
        [user.id],
      );
      expect(ids).toHaveLength(Number(count));
      const [{ others }] = await db.query<{ others: string }[]>(
        'SELECT count(*) AS others FROM audit_events WHERE id = ANY($1::uuid[]) AND user_id <> $2',
        [ids, user.id],
      );
      expect(Number(others)).toBe(0);

      // Another user's cursor is no cursor of this list.
      const theirs = await get(t, '/v1/users/me/activity?limit=1', other.tokens.access_token);
      const foreign = theirs.json<AuditPage<ActivityBody>>().next_cursor!;
      expectProblem(
        await get(t, `/v1/users/me/activity?cursor=${foreign}`, token),
        400,
        'invalid_cursor',
      );
    });

    it('needs a signed-in user and refuses unknown parameters', async () => {
      expectProblem(await get(t, '/v1/users/me/activity'), 401, 'unauthorized');
      const user = await signedInUser(t);
      expectInvalidField(await get(t, '/v1/users/me/activity?user_id=x', user.token), 'user_id');
    });
  });
});
