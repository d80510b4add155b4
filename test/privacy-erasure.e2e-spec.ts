import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AccountErasure } from '../src/modules/privacy/account-erasure.service';
import {
  GOOD_PASSWORD,
  lastMailTo,
  login,
  mailsTo,
  post,
  settled,
  TokenPairBody,
  uniqueEmail,
} from './support/accounts';
import { send, SignedInUser, signedInAdmin, signedInUser } from './support/access';
import { expectInvalidField, expectProblem } from './support/assertions';
import { startTestApp, TestApp } from './support/test-app';

const UNKNOWN_ID = '01890a5d-ac96-774b-bcce-b302099a8057';

/** A person with a name, a phone and a pending address change: personal data in many tables. */
async function personWithData(
  t: TestApp,
): Promise<SignedInUser & { name: string; phone: string; newEmail: string }> {
  const user = await signedInUser(t);
  const name = `Erasable ${randomBytes(6).toString('hex')}`;
  // UK mobile numbers, +44 7912 then six digits, all valid.
  const phone = `+447912${String(Math.floor(Math.random() * 1_000_000)).padStart(6, '0')}`;
  const newEmail = uniqueEmail('erasable-new');
  const patched = await send(t, 'PATCH', '/v1/users/me', user.token, { name, phone });
  expect(patched.statusCode).toBe(200);
  const changed = await send(t, 'PATCH', '/v1/users/me', user.token, {
    email: newEmail,
    current_password: GOOD_PASSWORD,
  });
  expect(changed.statusCode).toBe(200);
  await post(t, '/v1/auth/login', { email: user.email, password: 'not the password!' });
  await login(t, user.email, GOOD_PASSWORD, {
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0',
  });
  await settled(t);
  return { ...user, name, phone, newEmail };
}

/** Every base table of the database whose rows, as text, contain `value` (case-insensitive). */
async function tablesHolding(dataSource: DataSource, value: string): Promise<string[]> {
  const tables = await dataSource.query<{ schema: string; name: string }[]>(
    `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
      WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
  );
  expect(tables.length).toBeGreaterThan(30);
  const holding: string[] = [];
  for (const { schema, name } of tables) {
    const [{ found }] = await dataSource.query<{ found: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM "${schema}"."${name}" t WHERE t::text ILIKE '%' || $1 || '%') AS found`,
      [value],
    );
    if (found) holding.push(`${schema}.${name}`);
  }
  return holding;
}

describe('erasure (GDPR Art. 17)', () => {
  let t: TestApp;
  let admin: SignedInUser;
  let dataSource: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    dataSource = t.app.get(DataSource);
    admin = await signedInAdmin(t);
  });
  afterAll(() => t.close());

  const sessionsOf = async (userId: string) =>
    Number(
      (
        await dataSource.query<{ count: string }[]>(
          'SELECT count(*) FROM sessions WHERE user_id = $1',
          [userId],
        )
      )[0].count,
    );

  describe('by an administrator (DELETE /v1/admin/users/{id})', () => {
    it('deletes the account and every row of personal data; no table holds the person’s email, name or phone in clear', async () => {
      const person = await personWithData(t);
      const before = await tablesHolding(dataSource, person.email);
      expect(before).toEqual(expect.arrayContaining(['public.users', 'public.outbox']));
      expect(await tablesHolding(dataSource, person.phone)).toContain('public.outbox');
      expect(await tablesHolding(dataSource, person.newEmail)).toContain('public.outbox');

      const erased = await send(t, 'DELETE', `/v1/admin/users/${person.id}`, admin.token);
      expect(erased.statusCode).toBe(204);
      await settled(t);

      for (const value of [person.email, person.newEmail, person.name, person.phone]) {
        expect({ value, tables: await tablesHolding(dataSource, value) }).toEqual({
          value,
          tables: [],
        });
      }
      expect(await sessionsOf(person.id)).toBe(0);
      expectProblem(await send(t, 'GET', '/v1/users/me', person.token), 401, 'invalid_token');
      expectProblem(
        await post(t, '/v1/auth/refresh', { refresh_token: person.tokens.refresh_token }),
        401,
        'invalid_refresh_token',
      );
      expectProblem(
        await post(t, '/v1/auth/login', { email: person.email, password: GOOD_PASSWORD }),
        401,
        'invalid_credentials',
      );
      expectProblem(
        await send(t, 'GET', `/v1/admin/users/${person.id}`, admin.token),
        404,
        'not_found',
      );
    });

    it('keeps the audit rows about the person, their personal fields unreadable, and the chain verifying', async () => {
      const person = await personWithData(t);
      const auditOf = async () => {
        const res = await send(
          t,
          'GET',
          `/v1/admin/audit-events?user_id=${person.id}&limit=100`,
          admin.token,
        );
        return res.json<{
          items: {
            id: string;
            action: string;
            ip: string | null;
            details: Record<string, unknown>;
          }[];
        }>().items;
      };
      const rowsBefore = await auditOf();
      const signIns = (rows: typeof rowsBefore) =>
        rows.filter((row) => row.action.startsWith('auth.'));
      expect(signIns(rowsBefore).some((row) => row.ip !== null)).toBe(true);

      expect(
        (await send(t, 'DELETE', `/v1/admin/users/${person.id}`, admin.token)).statusCode,
      ).toBe(204);
      await settled(t);

      const rowsAfter = await auditOf();
      expect(rowsAfter.map((row) => row.id)).toEqual(
        expect.arrayContaining(rowsBefore.map((row) => row.id)),
      );
      // The person's own rows lose their network; an administrator's rows about them keep theirs.
      expect(signIns(rowsAfter).every((row) => row.ip === null)).toBe(true);
      expect(rowsAfter.map((row) => row.action)).toContain('user.delete');
      expect(JSON.stringify(rowsAfter)).not.toContain(person.name);
      // Sealed into the chain (within a second of being written), the rows still verify.
      let report: { valid: boolean; unsealed_rows: number; finding: unknown } | undefined;
      for (let attempt = 0; attempt < 50; attempt++) {
        const verified = await send(t, 'POST', '/v1/admin/audit-events/verify', admin.token);
        expect(verified.statusCode).toBe(200);
        report = verified.json();
        if (report!.unsealed_rows === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(report).toMatchObject({ valid: true, unsealed_rows: 0, finding: null });
    });

    it('refuses one’s own account (409 self_lockout), needs users:delete, names no unknown user', async () => {
      expectProblem(
        await send(t, 'DELETE', `/v1/admin/users/${admin.id}`, admin.token),
        409,
        'self_lockout',
      );
      const user = await signedInUser(t);
      const other = await signedInUser(t);
      expectProblem(
        await send(t, 'DELETE', `/v1/admin/users/${other.id}`, user.token),
        403,
        'forbidden',
      );
      expectProblem(
        await send(t, 'DELETE', `/v1/admin/users/${other.id}`, null),
        401,
        'unauthorized',
      );
      expectProblem(
        await send(t, 'DELETE', `/v1/admin/users/${UNKNOWN_ID}`, admin.token),
        404,
        'not_found',
      );
      expectInvalidField(await send(t, 'DELETE', '/v1/admin/users/not-a-uuid', admin.token), 'id');
      expect((await send(t, 'GET', '/v1/users/me', other.token)).statusCode).toBe(200);
    });

    it('leaves no session alive when it races refreshes and logins', async () => {
      for (let round = 0; round < 8; round++) {
        const person = await signedInUser(t);
        const answers = await Promise.all([
          post(t, '/v1/auth/refresh', { refresh_token: person.tokens.refresh_token }),
          post(t, '/v1/auth/login', { email: person.email, password: GOOD_PASSWORD }),
          send(t, 'DELETE', `/v1/admin/users/${person.id}`, admin.token),
          post(t, '/v1/auth/login', { email: person.email, password: GOOD_PASSWORD }),
        ]);
        expect(answers[2].statusCode).toBe(204);
        for (const answer of [answers[0], answers[1], answers[3]]) {
          expect([200, 401]).toContain(answer.statusCode);
        }
        await settled(t);
        expect(await sessionsOf(person.id)).toBe(0);
        for (const answer of [answers[0], answers[1], answers[3]]) {
          if (answer.statusCode !== 200) continue;
          const pair = answer.json<TokenPairBody>();
          expect((await send(t, 'GET', '/v1/users/me', pair.access_token)).statusCode).toBe(401);
          expect(
            (await post(t, '/v1/auth/refresh', { refresh_token: pair.refresh_token })).statusCode,
          ).toBe(401);
        }
      }
    });
  });

  describe('by the user (DELETE /v1/users/me), with a grace period', () => {
    it('ends every session at once, mails the date, and erases the account when it is due', async () => {
      const person = await personWithData(t);
      const second = await login(t, person.email, GOOD_PASSWORD);
      const res = await send(t, 'DELETE', '/v1/users/me', person.token);
      expect(res.statusCode).toBe(202);
      const due = Date.parse(res.json<{ deletion_due_at: string }>().deletion_due_at);
      expect(due - Date.now()).toBeGreaterThan(29.9 * 24 * 3600 * 1000);
      expect(due - Date.now()).toBeLessThanOrEqual(30 * 24 * 3600 * 1000);
      await settled(t);

      for (const token of [person.token, second.access_token]) {
        expectProblem(await send(t, 'GET', '/v1/users/me', token), 401, 'invalid_token');
      }
      expect((await lastMailTo(t, person.email)).subject).toBe('Your account will be deleted');
      const profile = await send(t, 'GET', `/v1/admin/users/${person.id}`, admin.token);
      expect(profile.json<{ deletion_due_at: string }>().deletion_due_at).toBe(
        new Date(due).toISOString(),
      );

      const erasure = t.app.get(AccountErasure);
      expect(await erasure.eraseDue(new Date(due - 1000))).toBe(0);
      expect((await send(t, 'GET', `/v1/admin/users/${person.id}`, admin.token)).statusCode).toBe(
        200,
      );
      expect(await erasure.eraseDue(new Date(due + 1000))).toBeGreaterThanOrEqual(1);
      await settled(t);
      expectProblem(
        await send(t, 'GET', `/v1/admin/users/${person.id}`, admin.token),
        404,
        'not_found',
      );
      for (const value of [person.email, person.name, person.phone]) {
        expect(await tablesHolding(dataSource, value)).toEqual([]);
      }
      const audit = await send(
        t,
        'GET',
        `/v1/admin/audit-events?user_id=${person.id}&action=user.delete`,
        admin.token,
      );
      expect(audit.json<{ items: { actor: { type: string } }[] }>().items).toEqual([
        expect.objectContaining({ actor: expect.objectContaining({ type: 'system' }) }),
      ]);
    });

    it('is cancelled by signing in before it is due', async () => {
      const person = await signedInUser(t);
      expect((await send(t, 'DELETE', '/v1/users/me', person.token)).statusCode).toBe(202);
      await settled(t);
      const pair = await login(t, person.email, GOOD_PASSWORD);
      await settled(t);
      const profile = await send(t, 'GET', '/v1/users/me', pair.access_token);
      expect(profile.json<{ deletion_due_at: string | null }>().deletion_due_at).toBeNull();
      expect((await lastMailTo(t, person.email)).subject).toBe('Your account will not be deleted');
      expect(
        await t.app.get(AccountErasure).eraseDue(new Date(Date.now() + 31 * 24 * 3600 * 1000)),
      ).toBe(0);
      expect((await send(t, 'GET', '/v1/users/me', pair.access_token)).statusCode).toBe(200);
    });

    it('needs a recent authentication', async () => {
      const person = await signedInUser(t);
      await dataSource.query(
        `UPDATE sessions SET auth_time = now() - interval '11 minutes' WHERE id = $1`,
        [person.tokens.session_id],
      );
      const refreshed = (
        await post(t, '/v1/auth/refresh', { refresh_token: person.tokens.refresh_token })
      ).json<TokenPairBody>();
      expectProblem(
        await send(t, 'DELETE', '/v1/users/me', refreshed.access_token),
        401,
        'insufficient_user_authentication',
      );
      expectProblem(await send(t, 'DELETE', '/v1/users/me', null), 401, 'unauthorized');
      expect((await send(t, 'GET', '/v1/users/me', refreshed.access_token)).statusCode).toBe(200);
      expect(await mailsTo(t, person.email)).not.toEqual(
        expect.arrayContaining([
          expect.objectContaining({ subject: 'Your account will be deleted' }),
        ]),
      );
    });
  });
});

describe('erasure without a grace period (ACCOUNT_DELETION_GRACE_DAYS=0)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { ACCOUNT_DELETION_GRACE_DAYS: '0' } });
  });
  afterAll(() => t.close());

  it('erases at once; the last administrator cannot delete their account', async () => {
    const admin = await signedInAdmin(t);
    expectProblem(await send(t, 'DELETE', '/v1/users/me', admin.token), 409, 'last_administrator');
    expect((await send(t, 'GET', '/v1/users/me', admin.token)).statusCode).toBe(200);

    const person = await signedInUser(t);
    expect((await send(t, 'DELETE', '/v1/users/me', person.token)).statusCode).toBe(204);
    await settled(t);
    expectProblem(
      await send(t, 'GET', `/v1/admin/users/${person.id}`, admin.token),
      404,
      'not_found',
    );
    expect(await tablesHolding(t.app.get(DataSource), person.email)).toEqual([]);
  });
});
