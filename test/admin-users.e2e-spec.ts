import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  GOOD_PASSWORD,
  lastMailTo,
  login,
  mailsTo,
  post,
  settled,
  tokenFromLink,
  uniqueEmail,
} from './support/accounts';
import { send, SignedInUser, signedInAdmin, signedInUser, uniqueName } from './support/access';
import { expectInvalidField, expectProblem, Response } from './support/assertions';
import { startTestApp, TestApp } from './support/test-app';

interface UserBody {
  id: string;
  email: string;
  email_verified: boolean;
  name: string;
  phone: string | null;
  avatar_url: string | null;
  timezone: string | null;
  locale: string | null;
  status: string;
  last_login_at: string | null;
  deletion_due_at: string | null;
  created_at: string;
  updated_at: string;
}

interface DetailBody extends UserBody {
  roles: { role_id: string; role_name: string; expires_at: string | null; active: boolean }[];
  factors: { kind: string; created_at: string }[];
  backup_codes_remaining: number;
  sessions: { id: string; device: string; ip: string | null; created_at: string }[];
  identities: { provider: string; subject: string }[];
}

interface PageBody {
  items: UserBody[];
  next_cursor: string | null;
}

const UNKNOWN_ID = '01890a5d-ac96-774b-bcce-b302099a8057';

/** A user signed in with a role of its own holding exactly these permissions. */
async function userWithPermissions(
  t: TestApp,
  admin: SignedInUser,
  permissions: string[],
): Promise<SignedInUser> {
  const created = await send(t, 'POST', '/v1/roles', admin.token, {
    name: uniqueName('user-managers'),
    permissions,
  });
  expect(created.statusCode).toBe(201);
  const role = created.json<{ role: { id: string } }>().role;
  const user = await signedInUser(t);
  const granted = await send(t, 'PUT', `/v1/users/${user.id}/roles/${role.id}`, admin.token, {});
  expect(granted.statusCode).toBe(201);
  // The grant bumps the policy set; decisions see it once it is reloaded.
  await settled(t);
  return user;
}

describe('admin user lifecycle (/v1/admin/users)', () => {
  let t: TestApp;
  let admin: SignedInUser;
  let dataSource: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    dataSource = t.app.get(DataSource);
    admin = await signedInAdmin(t);
  });
  afterAll(() => t.close());

  /**
   * The administrative rows about a user, oldest first, as the audit API shows them: personal
   * values (names, addresses) are stored only encrypted under the user's key.
   */
  const auditOf = async (userId: string) => {
    const res = await send(
      t,
      'GET',
      `/v1/admin/audit-events?user_id=${userId}&action=user.*&limit=100`,
      admin.token,
    );
    expect(res.statusCode).toBe(200);
    const { items } = res.json<{
      items: {
        kind: string;
        action: string;
        actor: { id: string };
        target: { type: string; id: string };
        details: Record<string, unknown>;
      }[];
    }>();
    return items
      .filter(
        (e) => e.kind === 'administrative' && e.target.type === 'user' && e.target.id === userId,
      )
      .reverse()
      .map((e) => ({ action: e.action, actor_id: e.actor.id, details: e.details }));
  };
  const authEventsOf = async (userId: string) => {
    await settled(t);
    return dataSource.query<{ type: string; outcome: string }[]>(
      'SELECT type, outcome FROM auth_events WHERE user_id = $1 ORDER BY created_at, id',
      [userId],
    );
  };
  const me = (token: string) => send(t, 'GET', '/v1/users/me', token);
  const invite = (email: string, name = 'Invited Person', token = admin.token) =>
    send(t, 'POST', '/v1/admin/users', token, { email, name });
  const acceptInvitation = (token: string, password = GOOD_PASSWORD) =>
    post(t, '/v1/invitations/accept', { token, password });

  it('is described in the OpenAPI document, each route with its permission', async () => {
    const res = await t.inject({ method: 'GET', url: '/docs/openapi.json' });
    const doc = res.json<{
      paths: Record<
        string,
        Record<string, { parameters?: { name: string }[]; responses: Record<string, unknown> }>
      >;
    }>();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/admin/users',
        '/v1/admin/users/{id}',
        '/v1/admin/users/{id}/suspend',
        '/v1/admin/users/{id}/deactivate',
        '/v1/admin/users/{id}/reactivate',
        '/v1/admin/users/{id}/password-reset',
        '/v1/admin/users/{id}/sessions',
        '/v1/admin/users/{id}/sessions/{sessionId}',
        '/v1/invitations/accept',
      ]),
    );
    const search = doc.paths['/v1/admin/users'].get;
    expect(search.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining(['email', 'name', 'status', 'role', 'created_from', 'cursor', 'sort']),
    );
    expect(doc.paths['/v1/admin/users/{id}/suspend'].post.responses).toMatchObject({
      '403': { description: 'The caller lacks the `users:suspend` permission.' },
    });
  });

  describe('every route needs a token and its own permission', () => {
    // Every row has all four entries: jest passes a callback to a test taking more than its row.
    // Every row has all four entries: jest hands a `done` callback to a test with more parameters.
    const routes: ['GET' | 'POST' | 'PATCH' | 'DELETE', string, string, unknown][] = [
      ['GET', '/v1/admin/users', 'users:read', undefined],
      ['GET', `/v1/admin/users/${UNKNOWN_ID}`, 'users:read', undefined],
      ['POST', '/v1/admin/users', 'users:invite', { email: 'a@example.com', name: 'A' }],
      ['PATCH', `/v1/admin/users/${UNKNOWN_ID}`, 'users:update', { name: 'B' }],
      ['POST', `/v1/admin/users/${UNKNOWN_ID}/suspend`, 'users:suspend', {}],
      ['POST', `/v1/admin/users/${UNKNOWN_ID}/deactivate`, 'users:suspend', {}],
      ['POST', `/v1/admin/users/${UNKNOWN_ID}/reactivate`, 'users:suspend', undefined],
      ['POST', `/v1/admin/users/${UNKNOWN_ID}/password-reset`, 'users:reset_password', undefined],
      ['DELETE', `/v1/admin/users/${UNKNOWN_ID}/sessions`, 'users:revoke_sessions', undefined],
      [
        'DELETE',
        `/v1/admin/users/${UNKNOWN_ID}/sessions/${UNKNOWN_ID}`,
        'users:revoke_sessions',
        undefined,
      ],
    ];

    it.each(routes)('%s %s: 401 without a token', async (method, url, _permission, body) => {
      expectProblem(await send(t, method, url, null, body), 401, 'unauthorized');
    });

    const PERMISSIONS = [...new Set(routes.map(([, , permission]) => permission))];
    /** One user holding each permission alone, and one holding none. */
    const holders = new Map<string, SignedInUser>();
    let plain: SignedInUser;

    beforeAll(async () => {
      plain = await signedInUser(t);
      for (const permission of PERMISSIONS) {
        holders.set(permission, await userWithPermissions(t, admin, [permission]));
      }
    });

    it.each(routes)(
      '%s %s: 403 naming %s for users without it, 404 for an unknown user with it',
      async (method, url, permission, body) => {
        const refused = expectProblem(
          await send(t, method, url, plain.token, body),
          403,
          'forbidden',
        );
        expect(refused.detail).toContain(permission);
        for (const [other, holder] of holders) {
          if (other === permission) continue;
          expectProblem(await send(t, method, url, holder.token, body), 403, 'forbidden');
        }
        const res = await send(t, method, url, holders.get(permission)!.token, body);
        if (method === 'GET' && url === '/v1/admin/users') expect(res.statusCode).toBe(200);
        else if (method === 'POST' && url === '/v1/admin/users') {
          expect([201, 409]).toContain(res.statusCode);
        } else expectProblem(res, 404, 'not_found');
      },
    );

    it('refuses an id that is not a UUID with a 422 naming it', async () => {
      expectInvalidField(await send(t, 'GET', '/v1/admin/users/42', admin.token), 'id');
      expectInvalidField(
        await send(t, 'DELETE', `/v1/admin/users/${UNKNOWN_ID}/sessions/x`, admin.token),
        'sessionId',
      );
    });
  });

  describe('GET /v1/admin/users (search)', () => {
    const tag = `srch${randomBytes(4).toString('hex')}`;
    const people: { id: string; email: string }[] = [];
    let role: { id: string; name: string };

    const search = async (query: string, token = admin.token): Promise<PageBody> => {
      const res = await send(t, 'GET', `/v1/admin/users?${query}`, token);
      expect(res.statusCode).toBe(200);
      return res.json<PageBody>();
    };
    const all = async (query: string): Promise<UserBody[]> => {
      const found: UserBody[] = [];
      let cursor: string | null = null;
      do {
        const page: PageBody = await search(
          cursor ? `${query}&limit=2&cursor=${cursor}` : `${query}&limit=2`,
        );
        expect(page.items.length).toBeLessThanOrEqual(2);
        found.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor);
      return found;
    };

    beforeAll(async () => {
      // Five accounts whose addresses share the tag, created one after the other.
      for (const letter of ['c', 'a', 'e', 'b', 'd']) {
        const email = `${tag}-${letter}@example.com`;
        const res = await invite(email, `${tag} ${letter.toUpperCase()}erson`);
        expect(res.statusCode).toBe(201);
        people.push({ id: res.json<UserBody>().id, email });
      }
      const created = await send(t, 'POST', '/v1/roles', admin.token, {
        name: uniqueName('tagged'),
        permissions: ['documents:read'],
      });
      role = created.json<{ role: { id: string; name: string } }>().role;
      await send(t, 'PUT', `/v1/users/${people[1].id}/roles/${role.id}`, admin.token, {});
      await send(t, 'POST', `/v1/admin/users/${people[2].id}/suspend`, admin.token, {});
    });

    it('finds by a case-insensitive address prefix, newest first by default', async () => {
      const page = await search(`email=${tag.toUpperCase()}-`);
      expect(page.items.map((u) => u.email)).toEqual([...people].reverse().map((p) => p.email));
      expect(page.next_cursor).toBeNull();
      expect(page.items[0]).toEqual({
        id: people[4].id,
        email: people[4].email,
        email_verified: false,
        name: `${tag} Derson`,
        phone: null,
        avatar_url: null,
        timezone: null,
        locale: null,
        status: 'invited',
        last_login_at: null,
        deletion_due_at: null,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
    });

    it('takes LIKE wildcards in a prefix literally', async () => {
      expect((await search(`email=${tag}%25`)).items).toEqual([]);
      expect((await search(`email=${tag.slice(0, 3)}_`)).items).toEqual([]);
    });

    it('finds by a case-insensitive name prefix, status and role', async () => {
      const byName = await search(`name=${tag.toUpperCase()}%20B`);
      expect(byName.items.map((u) => u.id)).toEqual([people[3].id]);
      const suspended = await search(`email=${tag}&status=suspended`);
      expect(suspended.items.map((u) => u.id)).toEqual([people[2].id]);
      const holders = await search(`role=${role.name}`);
      expect(holders.items.map((u) => u.id)).toEqual([people[1].id]);
      const admins = await search(`role=admin&email=${admin.email}`);
      expect(admins.items.map((u) => u.id)).toEqual([admin.id]);
      // `user` is held implicitly by every active account: none of the tagged ones is.
      expect((await search(`role=user&email=${tag}`)).items).toEqual([]);
      expect((await search(`role=user&email=${admin.email}`)).items.map((u) => u.id)).toEqual([
        admin.id,
      ]);
    });

    it('pages through every match in either order, by email or by creation', async () => {
      const emails = people.map((p) => p.email).sort();
      expect((await all(`email=${tag}&sort=email&order=asc`)).map((u) => u.email)).toEqual(emails);
      expect((await all(`email=${tag}&sort=email&order=desc`)).map((u) => u.email)).toEqual(
        [...emails].reverse(),
      );
      const ids = people.map((p) => p.id);
      expect((await all(`email=${tag}&sort=created_at&order=asc`)).map((u) => u.id)).toEqual(ids);
      expect((await all(`email=${tag}`)).map((u) => u.id)).toEqual([...ids].reverse());
    });

    it('filters by created and last-login ranges, from inclusive and to exclusive', async () => {
      const rows = await all(`email=${tag}&sort=created_at&order=asc`);
      const from = encodeURIComponent(rows[1].created_at);
      const to = encodeURIComponent(rows[3].created_at);
      const inRange = await search(`email=${tag}&created_from=${from}&created_to=${to}&order=asc`);
      expect(inRange.items.map((u) => u.id)).toEqual([rows[1].id, rows[2].id]);

      const signedIn = await signedInUser(t);
      await settled(t);
      const [{ last_login_at }] = await dataSource.query<{ last_login_at: Date }[]>(
        'SELECT last_login_at FROM users WHERE id = $1',
        [signedIn.id],
      );
      const at = last_login_at.toISOString();
      const after = new Date(last_login_at.getTime() + 1).toISOString();
      const found = await search(
        `email=${signedIn.email}&last_login_from=${encodeURIComponent(at)}&last_login_to=${encodeURIComponent(after)}`,
      );
      expect(found.items.map((u) => u.id)).toEqual([signedIn.id]);
      expect(found.items[0].last_login_at).toBe(at);
      const before = await search(
        `email=${signedIn.email}&last_login_to=${encodeURIComponent(at)}`,
      );
      expect(before.items).toEqual([]);
      // Never signed in: outside any last-login range.
      expect((await search(`email=${tag}&last_login_from=2000-01-01T00:00:00Z`)).items).toEqual([]);
    });

    it.each([
      ['status=banned', 'status'],
      ['role=Admin!', 'role'],
      ['created_from=yesterday', 'created_from'],
      ['last_login_to=2024-13-01T00:00:00Z', 'last_login_to'],
      ['sort=name', 'sort'],
      ['order=up', 'order'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['email=', 'email'],
      ['unknown=1', 'unknown'],
    ])('refuses %s with a 422 naming %s', async (query, field) => {
      expectInvalidField(await send(t, 'GET', `/v1/admin/users?${query}`, admin.token), field);
    });

    it('refuses a range whose from is after its to', async () => {
      expectInvalidField(
        await send(
          t,
          'GET',
          '/v1/admin/users?created_from=2025-02-01T00:00:00Z&created_to=2025-01-01T00:00:00Z',
          admin.token,
        ),
        'created_from',
      );
      expectInvalidField(
        await send(
          t,
          'GET',
          '/v1/admin/users?last_login_from=2025-02-01T00:00:00Z&last_login_to=2025-01-01T00:00:00Z',
          admin.token,
        ),
        'last_login_from',
      );
    });

    it('refuses a cursor that was tampered with, truncated or issued for another search', async () => {
      const page = await search(`email=${tag}&limit=2`);
      const cursor = page.next_cursor!;
      const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as string[];
      const edited = (change: (parts: string[]) => string[]) =>
        Buffer.from(JSON.stringify(change([...decoded])), 'utf8').toString('base64url');
      const refused = [
        `email=${tag}&cursor=${cursor.slice(0, -2)}`,
        `email=${tag}&cursor=${cursor}x`,
        `email=${tag}&cursor=${edited((p) => [p[0], 'not-a-uuid', p[2]])}`,
        `email=${tag}&cursor=${edited((p) => ['yesterday', p[1], p[2]])}`,
        `email=${tag}&cursor=${edited((p) => [p[0], p[1], 'AAAAAAAAAAAAAAAAAAAAAA'])}`,
        `email=${tag}&cursor=${edited((p) => [p[0], p[1]])}`,
        `email=${tag}&cursor=%25%25`,
        // Issued for another filter, another order or another sort key.
        `email=${tag}-a&cursor=${cursor}`,
        `email=${tag}&order=asc&cursor=${cursor}`,
        `email=${tag}&sort=email&cursor=${cursor}`,
      ];
      for (const query of refused) {
        expectInvalidField(await send(t, 'GET', `/v1/admin/users?${query}`, admin.token), 'cursor');
      }
      expect((await search(`email=${tag}&limit=2&cursor=${cursor}`)).items).toHaveLength(2);
    });
  });

  describe('GET /v1/admin/users/{id}', () => {
    it('shows roles, factors by kind and live sessions, never a secret', async () => {
      const user = await signedInAdmin(t);
      const second = await login(t, user.email, GOOD_PASSWORD, {
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
      });
      const res = await send(t, 'GET', `/v1/admin/users/${user.id}`, admin.token);
      expect(res.statusCode).toBe(200);
      const body = res.json<DetailBody>();
      expect(body).toMatchObject({ id: user.id, email: user.email, status: 'active' });
      expect(body.roles).toEqual([
        expect.objectContaining({ role_name: 'admin', expires_at: null, active: true }),
      ]);
      expect(body.factors).toEqual([]);
      expect(body.backup_codes_remaining).toBe(0);
      expect(body.identities).toEqual([]);
      expect(body.sessions.map((s) => s.id).sort()).toEqual(
        [user.tokens.session_id, second.session_id].sort(),
      );
      expect(body.sessions.find((s) => s.id === second.session_id)).toEqual({
        id: second.session_id,
        device: 'Firefox on Linux',
        ip: expect.any(String),
        created_at: expect.any(String),
        last_used_at: expect.any(String),
      });
      expect(res.body).not.toMatch(/password|hash|secret|ghr_/i);
    });

    it('answers 404 for an unknown user', async () => {
      expectProblem(
        await send(t, 'GET', `/v1/admin/users/${UNKNOWN_ID}`, admin.token),
        404,
        'not_found',
      );
    });
  });

  describe('POST /v1/admin/users (invite) and POST /v1/invitations/accept', () => {
    it('creates an invited account without a password and mails a single-use link', async () => {
      const email = uniqueEmail('invitee');
      const res = await invite(email.toUpperCase(), ' Grace Hopper ');
      expect(res.statusCode).toBe(201);
      const body = res.json<UserBody>();
      expect(body).toMatchObject({ email, name: 'Grace Hopper', status: 'invited' });
      const [{ password_hash }] = await dataSource.query<{ password_hash: string | null }[]>(
        'SELECT password_hash FROM users WHERE id = $1',
        [body.id],
      );
      expect(password_hash).toBeNull();
      expect(await auditOf(body.id)).toEqual([
        {
          action: 'user.invite',
          actor_id: admin.id,
          details: { after: { email, name: 'Grace Hopper', status: 'invited' } },
        },
      ]);
      // Without a password nobody signs in, whatever they type.
      expectProblem(
        await post(t, '/v1/auth/login', { email, password: GOOD_PASSWORD }),
        401,
        'invalid_credentials',
      );

      const mail = await lastMailTo(t, email);
      expect(mail.subject).toBe('You are invited to create your account');
      expect(mail.link).toMatch(/\/accept-invitation#token=ghi_/);
      const token = tokenFromLink(mail.link!);
      expectInvalidField(await acceptInvitation(token, 'short'), 'password');
      expect((await acceptInvitation(token)).statusCode).toBe(204);
      expectProblem(await acceptInvitation(token), 400, 'invalid_or_expired_token');

      const user = await send(t, 'GET', `/v1/admin/users/${body.id}`, admin.token);
      expect(user.json<UserBody>()).toMatchObject({ status: 'active', email_verified: true });
      await login(t, email, GOOD_PASSWORD);
      expect(await authEventsOf(body.id)).toEqual(
        expect.arrayContaining([
          { type: 'invitation_accept', outcome: 'success' },
          { type: 'email_verify', outcome: 'success' },
          { type: 'login', outcome: 'success' },
        ]),
      );
    });

    it('refuses an expired, an unknown or a malformed invitation token', async () => {
      const email = uniqueEmail('late');
      const id = (await invite(email)).json<UserBody>().id;
      const token = tokenFromLink((await lastMailTo(t, email)).link!);
      await dataSource.query(
        `UPDATE email_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
        [id],
      );
      expectProblem(await acceptInvitation(token), 400, 'invalid_or_expired_token');
      expectProblem(
        await acceptInvitation(`ghi_${'A'.repeat(43)}`),
        400,
        'invalid_or_expired_token',
      );
      // A reset link is not an invitation, nor the reverse.
      expectProblem(
        await acceptInvitation(`ghp_${'A'.repeat(43)}`),
        400,
        'invalid_or_expired_token',
      );
      expectInvalidField(await post(t, '/v1/invitations/accept', { token: 42 }), 'token');
      expectInvalidField(await post(t, '/v1/invitations/accept', { token }), 'password');
      const [{ status }] = await dataSource.query<{ status: string }[]>(
        'SELECT status FROM users WHERE id = $1',
        [id],
      );
      expect(status).toBe('invited');
    });

    it('refuses the invitation of an account suspended since', async () => {
      const email = uniqueEmail('held');
      const id = (await invite(email)).json<UserBody>().id;
      const token = tokenFromLink((await lastMailTo(t, email)).link!);
      await send(t, 'POST', `/v1/admin/users/${id}/suspend`, admin.token, {});
      expectProblem(await acceptInvitation(token), 400, 'invalid_or_expired_token');
    });

    it('lets an invitee whose link expired choose a password through forgot-password', async () => {
      const email = uniqueEmail('forgot');
      const id = (await invite(email)).json<UserBody>().id;
      expect((await post(t, '/v1/auth/password/forgot', { email })).statusCode).toBe(202);
      const reset = await lastMailTo(t, email);
      expect(reset.subject).toBe('Reset your password');
      const res = await post(t, '/v1/auth/password/reset', {
        token: tokenFromLink(reset.link!),
        password: GOOD_PASSWORD,
      });
      expect(res.statusCode).toBe(204);
      const user = await send(t, 'GET', `/v1/admin/users/${id}`, admin.token);
      expect(user.json<UserBody>().status).toBe('active');
    });

    it('refuses an address that has an account with a 409, once of two concurrent invitations', async () => {
      expectProblem(await invite(admin.email.toUpperCase()), 409, 'email_taken');
      const email = uniqueEmail('twice');
      const answers = await Promise.all([invite(email), invite(email), invite(email)]);
      const statuses = answers.map((r) => r.statusCode).sort();
      expect(statuses).toEqual([201, 409, 409]);
      for (const res of answers.filter((r) => r.statusCode === 409)) {
        expectProblem(res, 409, 'email_taken');
      }
      expect(await mailsTo(t, email)).toHaveLength(1);
    });

    it.each([
      [{ email: 'not-an-address', name: 'A' }, 'email'],
      [{ email: uniqueEmail(), name: '' }, 'name'],
      [{ email: uniqueEmail(), name: 7 }, 'name'],
      [{ name: 'A' }, 'email'],
      [{ email: uniqueEmail(), name: 'A', status: 'active' }, 'status'],
    ])('refuses %j with a 422 naming %s', async (body, field) => {
      expectInvalidField(await send(t, 'POST', '/v1/admin/users', admin.token, body), field);
    });
  });

  describe('PATCH /v1/admin/users/{id}', () => {
    it('changes profile fields, audited with the values before and after', async () => {
      const user = await signedInUser(t);
      const res = await send(t, 'PATCH', `/v1/admin/users/${user.id}`, admin.token, {
        name: 'Renamed',
        timezone: 'Europe/London',
        phone: null,
      });
      expect(res.statusCode).toBe(200);
      expect(res.json<UserBody>()).toMatchObject({
        id: user.id,
        name: 'Renamed',
        timezone: 'Europe/London',
        phone: null,
      });
      expect(await auditOf(user.id)).toEqual([
        {
          action: 'user.update',
          actor_id: admin.id,
          details: {
            before: { name: 'Test User', timezone: null },
            after: { name: 'Renamed', timezone: 'Europe/London' },
          },
        },
      ]);
      // A change to nothing changes, and records, nothing.
      await send(t, 'PATCH', `/v1/admin/users/${user.id}`, admin.token, { name: 'Renamed' });
      expect(await auditOf(user.id)).toHaveLength(1);
    });

    it.each([
      [{ name: '' }, 'name'],
      [{ timezone: 'Mars/Olympus' }, 'timezone'],
      [{ avatar_url: 'http://insecure.example.com/a.png' }, 'avatar_url'],
      [{ email: 'new@example.com' }, 'email'],
      [{ status: 'active' }, 'status'],
    ])('refuses %j with a 422 naming %s, changing nothing', async (body, field) => {
      const user = await signedInUser(t);
      expectInvalidField(
        await send(t, 'PATCH', `/v1/admin/users/${user.id}`, admin.token, body),
        field,
      );
      expect(await auditOf(user.id)).toEqual([]);
    });
  });

  describe('suspend, reactivate, deactivate', () => {
    const act = (id: string, verb: string, body: unknown = {}, token = admin.token) =>
      send(t, 'POST', `/v1/admin/users/${id}/${verb}`, token, body);
    const expectRefusedToken = async (res: Promise<Response>) =>
      expectProblem(await res, 401, 'invalid_token');

    it('suspends: sessions end, access and refresh are refused, sign-in is refused', async () => {
      const user = await signedInUser(t);
      const other = await login(t, user.email, GOOD_PASSWORD);
      expect((await me(user.token)).statusCode).toBe(200);
      const res = await act(user.id, 'suspend', { reason: 'Chargeback fraud' });
      expect(res.statusCode).toBe(200);
      expect(res.json<UserBody>().status).toBe('suspended');
      // Ended on this instance as the revocation commits (elsewhere within the 2 s bound).
      await expectRefusedToken(me(user.token));
      await expectRefusedToken(me(other.access_token));
      expectProblem(
        await post(t, '/v1/auth/refresh', { refresh_token: other.refresh_token }),
        401,
        'invalid_refresh_token',
      );
      expectProblem(
        await post(t, '/v1/auth/login', { email: user.email, password: GOOD_PASSWORD }),
        403,
        'account_suspended',
      );
      const sessions = await dataSource.query<{ revoke_reason: string | null }[]>(
        'SELECT revoke_reason FROM sessions WHERE user_id = $1',
        [user.id],
      );
      expect(sessions.map((s) => s.revoke_reason)).toEqual([
        'account_inactive',
        'account_inactive',
      ]);
      expect(await auditOf(user.id)).toEqual([
        {
          action: 'user.suspend',
          actor_id: admin.id,
          details: {
            before: { status: 'active' },
            after: { status: 'suspended' },
            reason: 'Chargeback fraud',
          },
        },
      ]);
      // Again: nothing changes, nothing is recorded.
      expect((await act(user.id, 'suspend')).statusCode).toBe(200);
      expect(await auditOf(user.id)).toHaveLength(1);

      const back = await act(user.id, 'reactivate');
      expect(back.statusCode).toBe(200);
      expect(back.json<UserBody>().status).toBe('active');
      expect((await auditOf(user.id)).at(-1)).toEqual({
        action: 'user.reactivate',
        actor_id: admin.id,
        details: { before: { status: 'suspended' }, after: { status: 'active' } },
      });
      // The ended sessions stay ended; a new sign-in works.
      await expectRefusedToken(me(user.token));
      await login(t, user.email, GOOD_PASSWORD);
    });

    it('deactivates, and a deactivated account is not suspended', async () => {
      const user = await signedInUser(t);
      const res = await act(user.id, 'deactivate', { reason: null });
      expect(res.json<UserBody>().status).toBe('deactivated');
      await expectRefusedToken(me(user.token));
      expectProblem(
        await post(t, '/v1/auth/login', { email: user.email, password: GOOD_PASSWORD }),
        403,
        'account_deactivated',
      );
      expectProblem(await act(user.id, 'suspend'), 409, 'account_status_conflict');
      expect((await auditOf(user.id)).map((a) => a.details)).toEqual([
        { before: { status: 'active' }, after: { status: 'deactivated' }, reason: null },
      ]);
    });

    it('does not reactivate an invited account', async () => {
      const id = (await invite(uniqueEmail('inv'))).json<UserBody>().id;
      expectProblem(await act(id, 'reactivate'), 409, 'account_status_conflict');
    });

    it('refuses suspending or deactivating oneself (409 self_lockout)', async () => {
      const self = await signedInAdmin(t);
      for (const verb of ['suspend', 'deactivate', 'password-reset']) {
        expectProblem(await act(self.id, verb, {}, self.token), 409, 'self_lockout');
      }
      expect((await me(self.token)).statusCode).toBe(200);
    });

    it.each([
      [{ reason: 'x'.repeat(501) }, 'reason'],
      [{ reason: 12 }, 'reason'],
      [{ until: 'tomorrow' }, 'until'],
    ])('refuses %j with a 422 naming %s', async (body, field) => {
      const user = await signedInUser(t);
      expectInvalidField(await act(user.id, 'suspend', body), field);
      expect((await me(user.token)).statusCode).toBe(200);
    });
  });

  describe('POST /v1/admin/users/{id}/password-reset', () => {
    it('ends the password and every session, and mails a reset link', async () => {
      const user = await signedInUser(t);
      const res = await send(t, 'POST', `/v1/admin/users/${user.id}/password-reset`, admin.token);
      expect(res.statusCode).toBe(204);
      expectProblem(await me(user.token), 401, 'invalid_token');
      expectProblem(
        await post(t, '/v1/auth/login', { email: user.email, password: GOOD_PASSWORD }),
        401,
        'invalid_credentials',
      );
      const mail = await lastMailTo(t, user.email);
      expect(mail.subject).toBe('Choose a new password');
      const newPassword = 'a brand new passphrase 77';
      const reset = await post(t, '/v1/auth/password/reset', {
        token: tokenFromLink(mail.link!),
        password: newPassword,
      });
      expect(reset.statusCode).toBe(204);
      await login(t, user.email, newPassword);
      expect(await authEventsOf(user.id)).toEqual(
        expect.arrayContaining([{ type: 'password_reset_forced', outcome: 'success' }]),
      );
      expect(await auditOf(user.id)).toEqual([
        { action: 'user.password_reset_force', actor_id: admin.id, details: {} },
      ]);
    });

    it('refuses an account that is not active', async () => {
      const id = (await invite(uniqueEmail('nopw'))).json<UserBody>().id;
      expectProblem(
        await send(t, 'POST', `/v1/admin/users/${id}/password-reset`, admin.token),
        409,
        'account_status_conflict',
      );
    });
  });

  describe('revoking sessions', () => {
    it('ends one session of the user, audited; another user’s session is not found', async () => {
      const user = await signedInUser(t);
      const second = await login(t, user.email, GOOD_PASSWORD);
      const stranger = await signedInUser(t);
      const url = (owner: string, session: string) =>
        `/v1/admin/users/${owner}/sessions/${session}`;
      expectProblem(
        await send(t, 'DELETE', url(user.id, stranger.tokens.session_id), admin.token),
        404,
        'not_found',
      );
      expect((await me(stranger.token)).statusCode).toBe(200);
      const res = await send(t, 'DELETE', url(user.id, second.session_id), admin.token);
      expect(res.statusCode).toBe(204);
      expectProblem(await me(second.access_token), 401, 'invalid_token');
      expect((await me(user.token)).statusCode).toBe(200);
      // Ended already: nothing left to end.
      expectProblem(
        await send(t, 'DELETE', url(user.id, second.session_id), admin.token),
        404,
        'not_found',
      );
      expect(await auditOf(user.id)).toEqual([
        {
          action: 'user.sessions_revoke',
          actor_id: admin.id,
          details: { session_ids: [second.session_id] },
        },
      ]);
    });

    it('ends every session of the user, who can sign in again', async () => {
      const user = await signedInUser(t);
      await login(t, user.email, GOOD_PASSWORD);
      const res = await send(t, 'DELETE', `/v1/admin/users/${user.id}/sessions`, admin.token);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ sessions_ended: 2 });
      expectProblem(await me(user.token), 401, 'invalid_token');
      const again = await send(t, 'DELETE', `/v1/admin/users/${user.id}/sessions`, admin.token);
      expect(again.json()).toEqual({ sessions_ended: 0 });
      await login(t, user.email, GOOD_PASSWORD);
    });
  });
});

describe('admin user lifecycle: the last administrator', () => {
  let t: TestApp;
  let onlyAdmin: SignedInUser;
  let manager: SignedInUser;

  beforeAll(async () => {
    t = await startTestApp();
    onlyAdmin = await signedInAdmin(t);
    manager = await userWithPermissions(t, onlyAdmin, [
      'users:suspend',
      'users:reset_password',
      'users:read',
    ]);
  });
  afterAll(() => t.close());

  const act = (id: string, verb: string) =>
    send(t, 'POST', `/v1/admin/users/${id}/${verb}`, manager.token, {});

  it('refuses suspending, deactivating or resetting the last active administrator', async () => {
    for (const verb of ['suspend', 'deactivate', 'password-reset']) {
      expectProblem(await act(onlyAdmin.id, verb), 409, 'last_administrator');
    }
    expect((await send(t, 'GET', '/v1/users/me', onlyAdmin.token)).statusCode).toBe(200);
  });

  it('lets one of two administrators be suspended, never both at once', async () => {
    const second = await signedInAdmin(t);
    const answers = await Promise.all([act(onlyAdmin.id, 'suspend'), act(second.id, 'suspend')]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    expectProblem(
      answers.find((r) => r.statusCode === 409)!,
      409,
      'last_administrator',
    );
    const kept = answers[0].statusCode === 409 ? onlyAdmin : second;
    expect((await send(t, 'GET', '/v1/users/me', kept.token)).statusCode).toBe(200);
  });
});
