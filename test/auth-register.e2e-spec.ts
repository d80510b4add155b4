import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { itOnServer } from './support/server-only';
import { startTestApp, TestApp } from './support/test-app';
import {
  createVerifiedAccount,
  get,
  GOOD_PASSWORD,
  lastMailTo,
  login,
  mailsTo,
  answeredWithAccountsLocked,
  post,
  settled,
  tokenFromLink,
  uniqueEmail,
  uniqueIp,
} from './support/accounts';
import {
  argon2Parameters,
  expectInvalidField,
  expectProblem,
  headersWithoutIds,
  Response,
  sha256,
  without,
} from './support/assertions';

const ACCEPTED_BODY = JSON.stringify({
  message: 'If the address can be used, a message is on its way to it.',
});
const VERIFY_SUBJECT = 'Confirm your email address';
const ATTEMPT_SUBJECT = 'Someone tried to register with your email address';
/** Prefix and 32 random bytes as unpadded base64url. */
const VERIFY_TOKEN = /^ghv_[A-Za-z0-9_-]{43}$/;
const HOUR_MS = 60 * 60 * 1000;

interface UserRow {
  id: string;
  email: string;
  name: string;
  status: string;
  email_verified_at: Date | null;
  password_hash: string | null;
}

interface EmailTokenRow {
  purpose: string;
  token_hash: Buffer;
  expires_at: Date;
  consumed_at: Date | null;
  created_at: Date;
}

interface EventRow {
  type: string;
  outcome: string;
  reason: string | null;
  user_id: string | null;
  ip: string | null;
}

describe('registration and email verification', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const register = (body: unknown, ip?: string) => post(t, '/v1/auth/register', body, { ip });
  const verify = (token: unknown) => post(t, '/v1/auth/verify-email', { token });
  const resend = (email: string, ip?: string) =>
    post(t, '/v1/auth/verify-email/resend', { email }, { ip });

  // Accounts are created after the 202, by work the request leaves running.
  const usersWithEmail = async (email: string) => {
    await settled(t);
    return db.query<UserRow[]>(
      'SELECT id, email, name, status, email_verified_at, password_hash FROM users WHERE email = $1',
      [email.toLowerCase()],
    );
  };

  async function userOf(email: string): Promise<UserRow> {
    const rows = await usersWithEmail(email);
    expect(rows).toHaveLength(1);
    return rows[0];
  }

  const eventsOf = async (where: { userId?: string; ip?: string }, type: string) => {
    await settled(t);
    return db.query<EventRow[]>(
      `SELECT type, outcome, reason, user_id, ip FROM auth_events
       WHERE type = $1 AND ($2::uuid IS NULL OR user_id = $2) AND ($3::text IS NULL OR ip = $3)
       ORDER BY created_at, id`,
      [type, where.userId ?? null, where.ip ?? null],
    );
  };

  const tokenRow = async (token: string) =>
    (
      await db.query<EmailTokenRow[]>(
        'SELECT purpose, token_hash, expires_at, consumed_at, created_at FROM email_tokens WHERE token_hash = $1',
        [sha256(token)],
      )
    )[0];

  /** Registers a new address and returns the token its verification mail carries. */
  async function registerPending(email = uniqueEmail()): Promise<{ email: string; token: string }> {
    const res = await register({ email, password: GOOD_PASSWORD, name: 'Pending Person' });
    expect(res.statusCode).toBe(202);
    const mail = await lastMailTo(t, email);
    expect(mail.subject).toBe(VERIFY_SUBJECT);
    return { email, token: tokenFromLink(mail.link!) };
  }

  describe('POST /v1/auth/register', () => {
    it('a new address: 202, one pending user and a verification mail with the token in the link fragment', async () => {
      const email = uniqueEmail('new');
      const ip = uniqueIp();
      const res = await register(
        { email: email.toUpperCase(), password: GOOD_PASSWORD, name: '  Ada Lovelace  ' },
        ip,
      );

      expect(res.statusCode).toBe(202);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toBe(ACCEPTED_BODY);

      const user = await userOf(email);
      expect(user).toMatchObject({
        email,
        name: 'Ada Lovelace',
        status: 'pending_verification',
        email_verified_at: null,
      });
      expect(argon2Parameters(user.password_hash!)).toEqual({ m: 19456, t: 2, p: 1 });
      expect(user.password_hash).not.toContain(GOOD_PASSWORD);

      const mails = await mailsTo(t, email);
      expect(mails).toHaveLength(1);
      const [mail] = mails;
      expect(mail.subject).toBe(VERIFY_SUBJECT);
      expect(mail.text).toContain(mail.link);
      const link = new URL(mail.link!);
      expect(link.pathname).toMatch(/\/verify-email$/);
      // In the fragment only: browsers never send it, so it reaches no server log or Referer.
      expect(link.search).toBe('');
      const token = tokenFromLink(mail.link!);
      expect(token).toMatch(VERIFY_TOKEN);
      expect(Buffer.from(token.slice(4), 'base64url')).toHaveLength(32);
      expect(link.pathname).not.toContain(token);

      const [event] = await eventsOf({ userId: user.id }, 'register');
      expect(event).toMatchObject({ outcome: 'success', reason: null, ip });
    });

    it('stores only the SHA-256 of the verification token, valid for 24 h, and its text nowhere', async () => {
      const { email, token } = await registerPending();
      const user = await userOf(email);

      const rows = await db.query<(EmailTokenRow & { token_text: string })[]>(
        `SELECT purpose, token_hash, expires_at, consumed_at, created_at,
                row_to_json(t)::text AS token_text
         FROM email_tokens t WHERE user_id = $1`,
        [user.id],
      );
      expect(rows).toHaveLength(1);
      const [row] = rows;
      expect(row.purpose).toBe('verify_email');
      expect(row.consumed_at).toBeNull();
      expect(row.token_hash.equals(sha256(token))).toBe(true);
      expect(row.token_hash.equals(Buffer.from(token))).toBe(false);
      expect(row.token_text).not.toContain(token.slice(4));
      const lifetime = row.expires_at.getTime() - row.created_at.getTime();
      expect(Math.abs(lifetime - 24 * HOUR_MS)).toBeLessThan(60_000);

      // The dev outbox holds the mailed link by design (it stands in for the recipient's
      // mailbox); no other table may hold the token, in any column.
      const tables = await db.query<{ table_name: string }[]>(
        `SELECT table_name FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
           AND table_name <> 'mail_outbox'`,
      );
      expect(tables.map((r) => r.table_name)).toEqual(
        expect.arrayContaining(['users', 'email_tokens', 'auth_events']),
      );
      for (const { table_name } of tables) {
        const [{ hits }] = await db.query<{ hits: number }[]>(
          `SELECT count(*)::int AS hits FROM "${table_name}" r
           WHERE strpos(row_to_json(r)::text, $1) > 0`,
          [token.slice(4)],
        );
        expect({ table: table_name, hits }).toEqual({ table: table_name, hits: 0 });
      }
    });

    it('an address that has an account: byte-identical 202, no new user, a notice to its owner', async () => {
      const owner = await createVerifiedAccount(t);
      const before = await userOf(owner.email);
      const ownerMails = (await mailsTo(t, owner.email)).length;

      const fresh = await register({
        email: uniqueEmail('fresh'),
        password: 'another fine passphrase 7',
        name: 'Someone',
      });
      const taken = await register({
        email: owner.email.toUpperCase(),
        password: 'another fine passphrase 7',
        name: 'Someone',
      });

      expect(taken.statusCode).toBe(202);
      expect(fresh.statusCode).toBe(202);
      expect(taken.body).toBe(fresh.body);
      expect(taken.body).toBe(ACCEPTED_BODY);
      expect(headersWithoutIds(taken)).toEqual(headersWithoutIds(fresh));

      const after = await userOf(owner.email);
      expect(after).toEqual(before);

      const mails = await mailsTo(t, owner.email);
      expect(mails).toHaveLength(ownerMails + 1);
      const notice = mails.at(-1)!;
      expect(notice.subject).toBe(ATTEMPT_SUBJECT);
      expect(notice.link).toBeNull();
      expect(notice.text).not.toMatch(/gh[a-z]_/);
      expect(notice.text).toContain('/forgot-password');

      // The attempt changed nothing: the old password still signs in, the new one does not.
      await expect(login(t, owner.email, owner.password)).resolves.toHaveProperty('access_token');
      const wrong = await post(t, '/v1/auth/login', {
        email: owner.email,
        password: 'another fine passphrase 7',
      });
      expectProblem(wrong, 401, 'invalid_credentials');

      const events = await eventsOf({ userId: before.id }, 'register');
      expect(events.at(-1)).toMatchObject({ outcome: 'failure', reason: 'email_taken' });
    });

    itOnServer(
      'answers a taken and a new address before looking either up (no timing difference to measure)',
      async () => {
        const owner = await createVerifiedAccount(t);
        for (const email of [uniqueEmail('locked'), owner.email]) {
          const res = await answeredWithAccountsLocked(t, () =>
            register({ email, password: GOOD_PASSWORD, name: 'Locked Out' }),
          );
          expect(res.statusCode).toBe(202);
          expect(res.body).toBe(ACCEPTED_BODY);
        }
      },
    );

    it('registering a pending address again lets the mailbox owner choose the password (no pre-registration takeover)', async () => {
      // The first registrant chose a password without proving the mailbox is theirs.
      const squatter = 'squatter password nobody else knows';
      const email = uniqueEmail('pre-registered');
      await register({ email, password: squatter, name: 'Squatter' });
      const squattersLink = tokenFromLink((await lastMailTo(t, email)).link!);

      const owner = 'the real owner chooses this one';
      const again = await register({ email, password: owner, name: 'Owner' });
      expect(again.statusCode).toBe(202);
      expect(again.body).toBe(ACCEPTED_BODY);
      const mails = await mailsTo(t, email);
      expect(mails.map((m) => m.subject)).toEqual([VERIFY_SUBJECT, 'Finish creating your account']);
      const choose = tokenFromLink(mails[1].link!);
      expect(choose).toMatch(/^ghp_/);

      // The first link no longer confirms the squatter's password.
      expectProblem(await verify(squattersLink), 400, 'invalid_or_expired_token');
      const chosen = await post(t, '/v1/auth/password/reset', { token: choose, password: owner });
      expect(chosen.statusCode).toBe(204);
      expect((await userOf(email)).status).toBe('active');
      expect((await login(t, email, owner)).token_type).toBe('Bearer');
      expectProblem(
        await post(t, '/v1/auth/login', { email, password: squatter }),
        401,
        'invalid_credentials',
      );
      expect(await usersWithEmail(email)).toHaveLength(1);
    });

    it('concurrent registrations of one new address: all 202, identical, exactly one user', async () => {
      const email = uniqueEmail('race');
      const responses = await Promise.all(
        Array.from({ length: 5 }, () =>
          register({ email, password: GOOD_PASSWORD, name: 'Racer' }),
        ),
      );
      expect(responses.map((r) => r.statusCode)).toEqual([202, 202, 202, 202, 202]);
      expect(new Set(responses.map((r) => r.body))).toEqual(new Set([ACCEPTED_BODY]));

      const user = await userOf(email);
      const events = await eventsOf({ userId: user.id }, 'register');
      expect(events.filter((e) => e.outcome === 'success')).toHaveLength(1);
      expect(events.filter((e) => e.reason === 'email_taken')).toHaveLength(4);

      // The first mail is the verification link; later registrations of the still-pending
      // address send a choose-your-password link instead (never the "someone tried" notice),
      // within the per-address budget. Only the newest link works.
      const mails = await mailsTo(t, email);
      expect(mails.length).toBeGreaterThanOrEqual(1);
      expect(mails.length).toBeLessThanOrEqual(3);
      expect(mails[0].subject).toBe(VERIFY_SUBJECT);
      expect(mails.slice(1).every((m) => m.subject === 'Finish creating your account')).toBe(true);
      const newest = tokenFromLink(mails.at(-1)!.link!);
      const used = newest.startsWith('ghv_')
        ? await verify(newest)
        : await post(t, '/v1/auth/password/reset', { token: newest, password: GOOD_PASSWORD });
      expect(used.statusCode).toBe(204);
      expect((await userOf(email)).status).toBe('active');
    });

    const valid = (email: string) => ({ email, password: GOOD_PASSWORD, name: 'Valid Name' });

    it.each<[string, (email: string) => Record<string, unknown>, string]>([
      ['missing email', (e) => ({ ...valid(e), email: undefined }), 'email'],
      ['email a number', (e) => ({ ...valid(e), email: 42 }), 'email'],
      ['email an array', (e) => ({ ...valid(e), email: [e] }), 'email'],
      ['email not an address', (e) => ({ ...valid(e), email: e.replace('@', '.') }), 'email'],
      ['email too long', (e) => ({ ...valid(e), email: `${'a'.repeat(250)}${e}` }), 'email'],
      ['missing password', (e) => ({ ...valid(e), password: undefined }), 'password'],
      ['password a number', (e) => ({ ...valid(e), password: 123456789012 }), 'password'],
      ['password null', (e) => ({ ...valid(e), password: null }), 'password'],
      ['password an object', (e) => ({ ...valid(e), password: { a: 1 } }), 'password'],
      ['password over 1024', (e) => ({ ...valid(e), password: 'p'.repeat(1025) }), 'password'],
      ['missing name', (e) => ({ ...valid(e), name: undefined }), 'name'],
      ['name a number', (e) => ({ ...valid(e), name: 7 }), 'name'],
      ['name empty', (e) => ({ ...valid(e), name: '' }), 'name'],
      ['name blank', (e) => ({ ...valid(e), name: ' \t  ' }), 'name'],
      ['name with NUL', (e) => ({ ...valid(e), name: 'Ada\u0000' }), 'name'],
      ['name with a newline', (e) => ({ ...valid(e), name: 'Ada\nLovelace' }), 'name'],
      ['name with BEL', (e) => ({ ...valid(e), name: '\u0007Ada' }), 'name'],
      ['name with DEL', (e) => ({ ...valid(e), name: 'Ada\u007f' }), 'name'],
      ['name too long', (e) => ({ ...valid(e), name: 'n'.repeat(201) }), 'name'],
      ['an extra field', (e) => ({ ...valid(e), role: 'admin' }), 'role'],
    ])(
      '%s: 422 validation_failed naming the field, nothing created',
      async (_case, body, field) => {
        const email = uniqueEmail('invalid');
        const res = await register(body(email));
        expectInvalidField(res, field);
        expect(res.body).not.toContain(GOOD_PASSWORD);
        expect(await usersWithEmail(email)).toHaveLength(0);
        expect(await mailsTo(t, email)).toHaveLength(0);
      },
    );

    it('an extra field is named as not allowed, alone', async () => {
      const res = await register({ ...valid(uniqueEmail('extra')), is_admin: true });
      expect(expectProblem(res, 422, 'validation_failed').errors).toEqual([
        { field: 'is_admin', message: 'is not an allowed field' },
      ]);
    });

    it('malformed JSON: 400 malformed_body', async () => {
      const res = await t.inject({
        method: 'POST',
        url: '/v1/auth/register',
        headers: { 'content-type': 'application/json' },
        payload: '{"email": "a@example.com", "password": ',
        remoteAddress: uniqueIp(),
      });
      expectProblem(res, 400, 'malformed_body');
    });
  });

  describe('password policy at registration', () => {
    // 11 user-perceived characters, 22 code points as sent: NFKC composes each pair into one.
    const elevenCombined = 'e\u0301'.repeat(11);

    it.each<[string, (email: string) => string, RegExp]>([
      ['shorter than 12 characters', () => 'short pw 11', /at least 12/],
      ['a common password', () => 'password1234', /too common/],
      ['a common password in other case', () => 'PassWord1234', /too common/],
      ['containing the email local part', (email) => `my ${email.split('@')[0]} secret`, /email/],
      ['11 combining sequences (22 code points before NFKC)', () => elevenCombined, /at least 12/],
      ['longer than 256 characters', () => 'x'.repeat(257), /at most 256/],
      ['containing a line break', () => 'two lines of\na passphrase', /control characters/],
      ['containing a tab', () => 'tabbed\tpassphrase here', /control characters/],
    ])('%s: 422 naming password, never quoting it', async (_case, passwordFor, message) => {
      const email = uniqueEmail('policy');
      const password = passwordFor(email);
      const res = await register({ email, password, name: 'Policy Test' });
      const body = expectProblem(res, 422, 'validation_failed');
      expect(body.errors).toEqual([{ field: 'password', message: expect.stringMatching(message) }]);
      expect(res.body).not.toContain(password);
      expect(await usersWithEmail(email)).toHaveLength(0);
      expect(await mailsTo(t, email)).toHaveLength(0);
    });

    it('counts 12 combining sequences after NFKC as 12 characters, and the composed form signs in', async () => {
      const email = uniqueEmail('nfkc');
      const decomposed = 'e\u0301'.repeat(12);
      const res = await register({ email, password: decomposed, name: 'Normal Form' });
      expect(res.statusCode).toBe(202);
      expect((await verify(tokenFromLink((await lastMailTo(t, email)).link!))).statusCode).toBe(
        204,
      );
      await expect(login(t, email, '\u00e9'.repeat(12))).resolves.toHaveProperty('access_token');
    });

    it('accepts exactly 12 and exactly 256 characters', async () => {
      for (const password of ['twelve chars', 'y'.repeat(100) + 'z'.repeat(156)]) {
        const email = uniqueEmail('bounds');
        const res = await register({ email, password, name: 'Bounds' });
        expect(res.statusCode).toBe(202);
        expect(await usersWithEmail(email)).toHaveLength(1);
      }
    });
  });

  describe('POST /v1/auth/verify-email', () => {
    it('activates the account once; the link then stops working', async () => {
      const { email, token } = await registerPending();
      const user = await userOf(email);

      const res = await verify(token);
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      const after = await userOf(email);
      expect(after.status).toBe('active');
      expect(after.email_verified_at).toBeInstanceOf(Date);
      expect((await tokenRow(token)).consumed_at).toBeInstanceOf(Date);

      const tokens = await login(t, email, GOOD_PASSWORD);
      const me = await get(t, '/v1/users/me', tokens.access_token);
      expect(me.json()).toMatchObject({ email, email_verified: true, status: 'active' });

      expectProblem(await verify(token), 400, 'invalid_or_expired_token');
      const events = await eventsOf({ userId: user.id }, 'email_verify');
      expect(events).toEqual([expect.objectContaining({ outcome: 'success' })]);
    });

    it('one token used concurrently: exactly one 204', async () => {
      const { email, token } = await registerPending();
      const user = await userOf(email);
      const responses = await Promise.all(Array.from({ length: 5 }, () => verify(token)));
      const statuses = responses.map((r) => r.statusCode).sort();
      expect(statuses).toEqual([204, 400, 400, 400, 400]);
      expect(await eventsOf({ userId: user.id }, 'email_verify')).toHaveLength(1);
      expect((await userOf(email)).status).toBe('active');
    });

    it('an expired token is refused and the account stays pending', async () => {
      const { email, token } = await registerPending();
      await db.query(
        "UPDATE email_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1",
        [sha256(token)],
      );
      expectProblem(await verify(token), 400, 'invalid_or_expired_token');
      const user = await userOf(email);
      expect(user).toMatchObject({ status: 'pending_verification', email_verified_at: null });
      expect((await tokenRow(token)).consumed_at).toBeNull();
    });

    it.each<[string, () => string]>([
      ['garbage', () => 'not-a-token'],
      ['empty', () => ''],
      ['well-formed but never issued', () => `ghv_${randomBytes(32).toString('base64url')}`],
      ['of another kind', () => `ghp_${randomBytes(32).toString('base64url')}`],
      ['truncated', () => `ghv_${randomBytes(31).toString('base64url')}`],
    ])('a %s token: 400 invalid_or_expired_token, recorded', async (_case, token) => {
      const ip = uniqueIp();
      const res = await post(t, '/v1/auth/verify-email', { token: token() }, { ip });
      const body = expectProblem(res, 400, 'invalid_or_expired_token');
      expect(Object.keys(body).sort()).toEqual(
        ['code', 'detail', 'instance', 'request_id', 'status', 'title', 'type'].sort(),
      );
      expect(await eventsOf({ ip }, 'email_verify')).toEqual([
        expect.objectContaining({ outcome: 'failure', reason: 'invalid_token', user_id: null }),
      ]);
    });

    it('a password reset token does not verify an address', async () => {
      const { email } = await registerPending();
      expect((await post(t, '/v1/auth/password/forgot', { email })).statusCode).toBe(202);
      const reset = await lastMailTo(t, email);
      expect(reset.subject).toBe('Reset your password');
      expectProblem(await verify(tokenFromLink(reset.link!)), 400, 'invalid_or_expired_token');
      expect((await userOf(email)).status).toBe('pending_verification');
    });

    it.each<[string, unknown, string]>([
      ['missing token', {}, 'token'],
      ['token a number', { token: 12345 }, 'token'],
      ['token null', { token: null }, 'token'],
      ['token too long', { token: `ghv_${'a'.repeat(300)}` }, 'token'],
      ['an extra field', { token: 'ghv_x', email: 'a@example.com' }, 'email'],
    ])('%s: 422 naming the field', async (_case, body, field) => {
      expectInvalidField(await post(t, '/v1/auth/verify-email', body), field);
    });

    it('malformed JSON: 400 malformed_body', async () => {
      const res = await t.inject({
        method: 'POST',
        url: '/v1/auth/verify-email',
        headers: { 'content-type': 'application/json' },
        payload: '{"token":',
      });
      expectProblem(res, 400, 'malformed_body');
    });
  });

  describe('login before verification', () => {
    it('403 email_not_verified with the right password only; a wrong one is the usual 401', async () => {
      const { email } = await registerPending();
      const ip = uniqueIp();
      const right = await post(t, '/v1/auth/login', { email, password: GOOD_PASSWORD }, { ip });
      expectProblem(right, 403, 'email_not_verified');
      expect(right.body).not.toContain('access_token');

      const wrong = await post(t, '/v1/auth/login', { email, password: `${GOOD_PASSWORD}!` });
      const unknown = await post(t, '/v1/auth/login', {
        email: uniqueEmail('nobody'),
        password: `${GOOD_PASSWORD}!`,
      });
      const strip = (res: Response) =>
        without(expectProblem(res, 401, 'invalid_credentials'), 'request_id');
      expect(strip(wrong)).toEqual(strip(unknown));

      const user = await userOf(email);
      await settled(t);
      const events = await db.query<EventRow[]>(
        "SELECT type, outcome, reason, user_id, ip FROM auth_events WHERE type = 'login' AND user_id = $1 ORDER BY created_at, id",
        [user.id],
      );
      expect(events.map((e) => e.reason)).toEqual(['pending_verification', 'wrong_password']);
    });
  });

  describe('POST /v1/auth/verify-email/resend', () => {
    itOnServer('answers before looking the address up', async () => {
      const pending = await registerPending();
      for (const email of [pending.email, uniqueEmail('unknown')]) {
        const res = await answeredWithAccountsLocked(t, () => resend(email));
        expect(res.statusCode).toBe(202);
      }
      // The pending account got its new link once the tables were free again.
      expect((await mailsTo(t, pending.email)).length).toBe(2);
    });

    it('202 alike for unknown, verified and pending addresses; mails only the pending one', async () => {
      const pending = await registerPending();
      const verified = await createVerifiedAccount(t);
      const unknown = uniqueEmail('unknown');
      const verifiedMails = (await mailsTo(t, verified.email)).length;

      const responses = await Promise.all([
        resend(unknown),
        resend(verified.email),
        resend(pending.email.toUpperCase()),
      ]);
      for (const res of responses) {
        expect(res.statusCode).toBe(202);
        expect(res.body).toBe(ACCEPTED_BODY);
      }
      expect(headersWithoutIds(responses[0])).toEqual(headersWithoutIds(responses[2]));

      expect(await mailsTo(t, unknown)).toHaveLength(0);
      expect(await mailsTo(t, verified.email)).toHaveLength(verifiedMails);
      const mails = await mailsTo(t, pending.email);
      expect(mails).toHaveLength(2);
      const fresh = tokenFromLink(mails[1].link!);
      expect(fresh).toMatch(VERIFY_TOKEN);

      // The newest link is the one that works.
      expectProblem(await verify(pending.token), 400, 'invalid_or_expired_token');
      expect((await verify(fresh)).statusCode).toBe(204);

      const user = await userOf(pending.email);
      expect(await eventsOf({ userId: user.id }, 'email_verify_resend')).toEqual([
        expect.objectContaining({ outcome: 'success' }),
      ]);
    });

    it('past the per-address mail budget it still answers 202 but mails nothing more', async () => {
      const { email } = await registerPending();
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await resend(email)).statusCode);
      expect(statuses).toEqual([202, 202, 202, 202]);
      // Registration sent the first of three mails an hour; the first two resends the rest.
      const mails = await mailsTo(t, email);
      expect(mails).toHaveLength(3);
      expect(mails.every((m) => m.subject === VERIFY_SUBJECT)).toBe(true);
      expect((await verify(tokenFromLink(mails[2].link!))).statusCode).toBe(204);
    });

    it.each<[string, unknown, string]>([
      ['missing email', {}, 'email'],
      ['email not an address', { email: 'nope' }, 'email'],
      ['email a number', { email: 5 }, 'email'],
      ['an extra field', { email: 'a@example.com', name: 'x' }, 'name'],
    ])('%s: 422 naming the field', async (_case, body, field) => {
      expectInvalidField(await post(t, '/v1/auth/verify-email/resend', body), field);
    });
  });

  describe('per-IP limit on account requests', () => {
    it('the 31st request in an hour from one IP is a 429 with Retry-After, for every such endpoint', async () => {
      const ip = uniqueIp();
      for (let i = 0; i < 30; i++) {
        const res = await resend(uniqueEmail('flood'), ip);
        expect(res.statusCode).toBe(202);
      }

      const limited = await resend(uniqueEmail('flood'), ip);
      const body = expectProblem(limited, 429, 'too_many_requests');
      const retryAfter = Number(limited.headers['retry-after']);
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThan(3500);
      expect(retryAfter).toBeLessThanOrEqual(3600);
      expect(body.retry_after).toBe(retryAfter);

      // One budget for registration, resends and resets from the address.
      const email = uniqueEmail('blocked');
      const blocked = await register({ email, password: GOOD_PASSWORD, name: 'Blocked' }, ip);
      expectProblem(blocked, 429, 'too_many_requests');
      expect(blocked.headers['retry-after']).toBeDefined();
      expect(await usersWithEmail(email)).toHaveLength(0);
      expectProblem(
        await post(t, '/v1/auth/password/forgot', { email }, { ip }),
        429,
        'too_many_requests',
      );

      // Another client is not affected.
      expect((await resend(uniqueEmail('other'))).statusCode).toBe(202);

      await settled(t);
      const throttled = await db.query<EventRow[]>(
        "SELECT type, outcome, reason, user_id, ip FROM auth_events WHERE ip = $1 AND reason = 'throttled' ORDER BY created_at, id",
        [ip],
      );
      expect(throttled.map((e) => e.type)).toEqual([
        'email_verify_resend',
        'register',
        'password_forgot',
      ]);
      expect(throttled.every((e) => e.outcome === 'failure')).toBe(true);
    });
  });
});
