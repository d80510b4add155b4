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
  signedInAccount,
  tokenFromLink,
  TokenPairBody,
  uniqueEmail,
  uniqueIp,
} from './support/accounts';
import {
  expectInvalidField,
  expectProblem,
  headersWithoutIds,
  Response,
  sha256,
  sleep,
} from './support/assertions';

const ACCEPTED_BODY = JSON.stringify({
  message: 'If the address can be used, a message is on its way to it.',
});
const RESET_SUBJECT = 'Reset your password';
const CHANGED_SUBJECT = 'Your password was changed';
const RESET_TOKEN = /^ghp_[A-Za-z0-9_-]{43}$/;
const NEW_PASSWORD = 'a brand new passphrase 99';
const HOUR_MS = 60 * 60 * 1000;

interface EventRow {
  type: string;
  outcome: string;
  reason: string | null;
  user_id: string | null;
  session_id: string | null;
}

/**
 * The status `request` settles on within the 5 s the issue allows a revoked session to keep
 * working (instances cache a session's state briefly).
 */
async function statusWithin5s(request: () => Promise<Response>, expected: number): Promise<number> {
  const deadline = Date.now() + 5000;
  let status = (await request()).statusCode;
  while (status !== expected && Date.now() < deadline) {
    await sleep(100);
    status = (await request()).statusCode;
  }
  return status;
}

describe('password flows', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const forgot = (email: unknown, ip?: string) =>
    post(t, '/v1/auth/password/forgot', { email }, { ip });
  const reset = (token: unknown, password: unknown) =>
    post(t, '/v1/auth/password/reset', { token, password });
  const change = (accessToken: string | undefined, body: unknown, ip?: string) =>
    post(t, '/v1/auth/password/change', body, { token: accessToken, ip });
  const refresh = (refreshToken: string) =>
    post(t, '/v1/auth/refresh', { refresh_token: refreshToken });
  const me = (accessToken: string) => () => get(t, '/v1/users/me', accessToken);
  const attempt = (email: string, password: string, ip?: string) =>
    post(t, '/v1/auth/login', { email, password }, { ip });

  async function userIdOf(email: string): Promise<string> {
    const [row] = await db.query<{ id: string }[]>('SELECT id FROM users WHERE email = $1', [
      email.toLowerCase(),
    ]);
    return row.id;
  }

  const eventsOf = async (userId: string, type: string) => {
    await settled(t);
    return db.query<EventRow[]>(
      `SELECT type, outcome, reason, user_id, session_id FROM auth_events
       WHERE user_id = $1 AND type = $2 ORDER BY created_at, id`,
      [userId, type],
    );
  };

  /** Asks for a reset link for `email` and returns its token. */
  async function resetToken(email: string): Promise<string> {
    expect((await forgot(email)).statusCode).toBe(202);
    const mail = await lastMailTo(t, email);
    expect(mail.subject).toBe(RESET_SUBJECT);
    return tokenFromLink(mail.link!);
  }

  describe('POST /v1/auth/password/forgot', () => {
    itOnServer(
      'answers before looking the address up, so known and unknown take the same time',
      async () => {
        const { email } = await createVerifiedAccount(t);
        for (const address of [email, uniqueEmail('unknown')]) {
          const res = await answeredWithAccountsLocked(t, () => forgot(address));
          expect(res.statusCode).toBe(202);
        }
        // Issuing the token before answering (as it once did) would have waited for the lock.
        expect((await lastMailTo(t, email)).subject).toBe(RESET_SUBJECT);
      },
    );

    it('202 byte-identical for a known and an unknown address; only the known one gets a 1 h link', async () => {
      const { email } = await createVerifiedAccount(t);
      const userId = await userIdOf(email);
      const unknown = uniqueEmail('unknown');

      const known = await forgot(email.toUpperCase());
      const stranger = await forgot(unknown);
      expect(known.statusCode).toBe(202);
      expect(stranger.statusCode).toBe(202);
      expect(known.body).toBe(ACCEPTED_BODY);
      expect(stranger.body).toBe(known.body);
      expect(headersWithoutIds(stranger)).toEqual(headersWithoutIds(known));

      expect(await mailsTo(t, unknown)).toHaveLength(0);
      const mail = await lastMailTo(t, email);
      expect(mail.subject).toBe(RESET_SUBJECT);
      expect(mail.text).toContain(mail.link);
      const link = new URL(mail.link!);
      expect(link.pathname).toMatch(/\/reset-password$/);
      expect(link.search).toBe('');
      const token = tokenFromLink(mail.link!);
      expect(token).toMatch(RESET_TOKEN);

      const rows = await db.query<
        { purpose: string; token_hash: Buffer; expires_at: Date; created_at: Date }[]
      >(
        "SELECT purpose, token_hash, expires_at, created_at FROM email_tokens WHERE user_id = $1 AND purpose = 'reset_password'",
        [userId],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].token_hash.equals(sha256(token))).toBe(true);
      const lifetime = rows[0].expires_at.getTime() - rows[0].created_at.getTime();
      expect(Math.abs(lifetime - HOUR_MS)).toBeLessThan(60_000);

      expect(await eventsOf(userId, 'password_forgot')).toEqual([
        expect.objectContaining({ outcome: 'success' }),
      ]);
    });

    it.each(['suspended', 'deactivated'])('a %s account gets 202 and no mail', async (status) => {
      const { email } = await createVerifiedAccount(t);
      await db.query('UPDATE users SET status = $1 WHERE email = $2', [status, email]);
      const before = (await mailsTo(t, email)).length;
      const res = await forgot(email);
      expect(res.statusCode).toBe(202);
      expect(res.body).toBe(ACCEPTED_BODY);
      expect(await mailsTo(t, email)).toHaveLength(before);
    });

    it('a newer link retires the older one', async () => {
      const { email, password } = await createVerifiedAccount(t);
      const first = await resetToken(email);
      const second = await resetToken(email);
      expect(second).not.toBe(first);
      expectProblem(await reset(first, NEW_PASSWORD), 400, 'invalid_or_expired_token');
      expect((await attempt(email, password)).statusCode).toBe(200);
      expect((await reset(second, NEW_PASSWORD)).statusCode).toBe(204);
    });

    it('past the per-address mail budget it still answers 202 but mails nothing more', async () => {
      const { email } = await createVerifiedAccount(t);
      // Registration used one of the three mails an hour an address may get.
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await forgot(email)).statusCode);
      expect(statuses).toEqual([202, 202, 202, 202]);
      const resets = (await mailsTo(t, email)).filter((m) => m.subject === RESET_SUBJECT);
      expect(resets).toHaveLength(2);
    });

    it.each<[string, unknown, string]>([
      ['missing email', {}, 'email'],
      ['email not an address', { email: 'nobody' }, 'email'],
      ['email an object', { email: { $ne: null } }, 'email'],
      ['an extra field', { email: 'a@example.com', redirect: 'https://evil.example' }, 'redirect'],
    ])('%s: 422 naming the field', async (_case, body, field) => {
      expectInvalidField(await post(t, '/v1/auth/password/forgot', body), field);
    });

    it('malformed JSON: 400 malformed_body', async () => {
      const res = await t.inject({
        method: 'POST',
        url: '/v1/auth/password/forgot',
        headers: { 'content-type': 'application/json' },
        payload: '{"email" "a@example.com"}',
        remoteAddress: uniqueIp(),
      });
      expectProblem(res, 400, 'malformed_body');
    });
  });

  describe('POST /v1/auth/password/reset', () => {
    it('sets the new password, ends every session, and tells the owner', async () => {
      const { email, password, tokens: first } = await signedInAccount(t);
      const second = await login(t, email, password);
      const userId = await userIdOf(email);
      expect((await me(first.access_token)()).statusCode).toBe(200);

      const token = await resetToken(email);
      const res = await reset(token, NEW_PASSWORD);
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');

      for (const session of [first, second]) {
        expect(await statusWithin5s(me(session.access_token), 401)).toBe(401);
        expectProblem(await refresh(session.refresh_token), 401, 'invalid_refresh_token');
      }
      const revoked = await db.query<{ revoke_reason: string | null; revoked_at: Date | null }[]>(
        'SELECT revoke_reason, revoked_at FROM sessions WHERE user_id = $1',
        [userId],
      );
      expect(revoked).toHaveLength(2);
      for (const row of revoked) {
        expect(row.revoked_at).toBeInstanceOf(Date);
        expect(row.revoke_reason).toBe('password_reset');
      }

      expectProblem(await attempt(email, password), 401, 'invalid_credentials');
      const fresh = await login(t, email, NEW_PASSWORD);
      expect((await me(fresh.access_token)()).statusCode).toBe(200);

      expect((await lastMailTo(t, email)).subject).toBe(CHANGED_SUBJECT);
      expect(await eventsOf(userId, 'password_reset')).toEqual([
        expect.objectContaining({ outcome: 'success' }),
      ]);
    });

    it('a token works once', async () => {
      const { email } = await createVerifiedAccount(t);
      const token = await resetToken(email);
      expect((await reset(token, NEW_PASSWORD)).statusCode).toBe(204);
      const again = await reset(token, 'yet another passphrase 5');
      expectProblem(again, 400, 'invalid_or_expired_token');
      expect((await attempt(email, NEW_PASSWORD)).statusCode).toBe(200);
    });

    it('one token used concurrently: exactly one 204, and only its password works', async () => {
      const { email, password } = await createVerifiedAccount(t);
      const userId = await userIdOf(email);
      const token = await resetToken(email);
      const candidates = Array.from({ length: 5 }, (_, i) => `concurrent passphrase no ${i}`);

      const responses = await Promise.all(candidates.map((p) => reset(token, p)));
      const statuses = responses.map((r) => r.statusCode);
      expect([...statuses].sort()).toEqual([204, 400, 400, 400, 400]);
      for (const res of responses.filter((r) => r.statusCode === 400)) {
        expectProblem(res, 400, 'invalid_or_expired_token');
      }

      const winner = candidates[statuses.indexOf(204)];
      expect((await attempt(email, winner)).statusCode).toBe(200);
      for (const loser of candidates.filter((p) => p !== winner)) {
        expectProblem(await attempt(email, loser), 401, 'invalid_credentials');
      }
      expect(await eventsOf(userId, 'password_reset')).toHaveLength(1);
      expect(password).not.toBe(winner);
    });

    it.each<[string, (email: string) => string, RegExp]>([
      ['too short', () => 'short pw 11', /at least 12/],
      ['common', () => 'password1234', /too common/],
      ['containing the email local part', (email) => `new ${email.split('@')[0]} pw`, /email/],
      ['containing a line break', () => 'new passphrase\r\nsecond line', /control characters/],
    ])(
      'a new password %s: 422 naming password, and the token still works',
      async (_c, weak, message) => {
        const { email, password } = await createVerifiedAccount(t);
        const token = await resetToken(email);
        const res = await reset(token, weak(email));
        const body = expectProblem(res, 422, 'validation_failed');
        expect(body.errors).toEqual([
          { field: 'password', message: expect.stringMatching(message) },
        ]);
        expect(res.body).not.toContain(weak(email));

        // Nothing changed and nothing was used up.
        expect((await attempt(email, password)).statusCode).toBe(200);
        const [{ consumed_at }] = await db.query<{ consumed_at: Date | null }[]>(
          'SELECT consumed_at FROM email_tokens WHERE token_hash = $1',
          [sha256(token)],
        );
        expect(consumed_at).toBeNull();
        expect((await reset(token, NEW_PASSWORD)).statusCode).toBe(204);
        expect((await attempt(email, NEW_PASSWORD)).statusCode).toBe(200);
      },
    );

    it('a weak password keeps every session alive', async () => {
      const { email, tokens } = await signedInAccount(t);
      const token = await resetToken(email);
      expectProblem(await reset(token, 'password1234'), 422, 'validation_failed');
      expect((await refresh(tokens.refresh_token)).statusCode).toBe(200);
    });

    it('an expired token is refused', async () => {
      const { email, password } = await createVerifiedAccount(t);
      const token = await resetToken(email);
      await db.query(
        "UPDATE email_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1",
        [sha256(token)],
      );
      expectProblem(await reset(token, NEW_PASSWORD), 400, 'invalid_or_expired_token');
      expect((await attempt(email, password)).statusCode).toBe(200);
    });

    it.each<[string, () => string]>([
      ['garbage', () => 'reset-me-please'],
      ['well-formed but never issued', () => `ghp_${randomBytes(32).toString('base64url')}`],
      ['refresh-token-shaped', () => `ghr_${randomBytes(32).toString('base64url')}`],
    ])('a %s token: 400 invalid_or_expired_token', async (_case, token) => {
      expectProblem(await reset(token(), NEW_PASSWORD), 400, 'invalid_or_expired_token');
    });

    it('an email verification token does not reset a password', async () => {
      const email = uniqueEmail('pending');
      const registered = await post(t, '/v1/auth/register', {
        email,
        password: GOOD_PASSWORD,
        name: 'Pending',
      });
      expect(registered.statusCode).toBe(202);
      const verifyToken = tokenFromLink((await lastMailTo(t, email)).link!);
      expectProblem(await reset(verifyToken, NEW_PASSWORD), 400, 'invalid_or_expired_token');
      // Still a usable verification token.
      expect((await post(t, '/v1/auth/verify-email', { token: verifyToken })).statusCode).toBe(204);
    });

    it('a pending account: the reset link proves the mailbox and activates it', async () => {
      const email = uniqueEmail('pending');
      await post(t, '/v1/auth/register', { email, password: GOOD_PASSWORD, name: 'Pending' });
      await settled(t);
      const token = await resetToken(email);
      expect((await reset(token, NEW_PASSWORD)).statusCode).toBe(204);
      const [user] = await db.query<{ status: string; email_verified_at: Date | null }[]>(
        'SELECT status, email_verified_at FROM users WHERE email = $1',
        [email],
      );
      expect(user.status).toBe('active');
      expect(user.email_verified_at).toBeInstanceOf(Date);
      expect((await attempt(email, NEW_PASSWORD)).statusCode).toBe(200);
    });

    it('an account suspended after the link was sent cannot use it', async () => {
      const { email, password } = await createVerifiedAccount(t);
      const token = await resetToken(email);
      await db.query("UPDATE users SET status = 'suspended' WHERE email = $1", [email]);
      expectProblem(await reset(token, NEW_PASSWORD), 400, 'invalid_or_expired_token');
      await db.query("UPDATE users SET status = 'active' WHERE email = $1", [email]);
      expect((await attempt(email, password)).statusCode).toBe(200);
    });

    it.each<[string, unknown, string]>([
      ['missing token', { password: NEW_PASSWORD }, 'token'],
      ['missing password', { token: 'ghp_x' }, 'password'],
      ['token a number', { token: 7, password: NEW_PASSWORD }, 'token'],
      ['password a number', { token: 'ghp_x', password: 123456789012 }, 'password'],
      ['password over 1024', { token: 'ghp_x', password: 'z'.repeat(1025) }, 'password'],
      ['an extra field', { token: 'ghp_x', password: NEW_PASSWORD, email: 'a@b.co' }, 'email'],
    ])('%s: 422 naming the field', async (_case, body, field) => {
      expectInvalidField(await post(t, '/v1/auth/password/reset', body), field);
    });

    it('malformed JSON: 400 malformed_body', async () => {
      const res = await t.inject({
        method: 'POST',
        url: '/v1/auth/password/reset',
        headers: { 'content-type': 'application/json' },
        payload: "{'token': 'x'}",
      });
      expectProblem(res, 400, 'malformed_body');
    });
  });

  describe('POST /v1/auth/password/change', () => {
    it('needs an access token: 401 with WWW-Authenticate', async () => {
      const missing = await change(undefined, {
        current_password: GOOD_PASSWORD,
        new_password: NEW_PASSWORD,
      });
      expectProblem(missing, 401, 'unauthorized');
      expect(missing.headers['www-authenticate']).toBe('Bearer realm="gatehouse"');

      const bogus = await post(
        t,
        '/v1/auth/password/change',
        { current_password: GOOD_PASSWORD, new_password: NEW_PASSWORD },
        { headers: { authorization: 'Bearer not.a.token' } },
      );
      expectProblem(bogus, 401, 'invalid_token');
      expect(bogus.headers['www-authenticate']).toBe(
        'Bearer realm="gatehouse", error="invalid_token"',
      );
    });

    it('changes the password, keeps the caller signed in, ends the other sessions, tells the owner', async () => {
      const { email, password, tokens: mine } = await signedInAccount(t);
      const other = await login(t, email, password);
      const userId = await userIdOf(email);

      const res = await change(mine.access_token, {
        current_password: password,
        new_password: NEW_PASSWORD,
      });
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');

      expect(await statusWithin5s(me(other.access_token), 401)).toBe(401);
      expectProblem(await refresh(other.refresh_token), 401, 'invalid_refresh_token');
      expect((await me(mine.access_token)()).statusCode).toBe(200);
      const sessions = await get(t, '/v1/auth/sessions', mine.access_token);
      expect(sessions.json<{ items: { id: string; current: boolean }[] }>().items).toEqual([
        expect.objectContaining({ id: mine.session_id, current: true }),
      ]);
      const renewed = await refresh(mine.refresh_token);
      expect(renewed.statusCode).toBe(200);
      expect(renewed.json<TokenPairBody>().session_id).toBe(mine.session_id);

      expectProblem(await attempt(email, password), 401, 'invalid_credentials');
      expect((await attempt(email, NEW_PASSWORD)).statusCode).toBe(200);

      expect((await lastMailTo(t, email)).subject).toBe(CHANGED_SUBJECT);
      expect(await eventsOf(userId, 'password_change')).toEqual([
        expect.objectContaining({ outcome: 'success', session_id: mine.session_id }),
      ]);
    });

    it('a wrong current password: 403 invalid_current_password, nothing changes', async () => {
      const { email, password, tokens } = await signedInAccount(t);
      const userId = await userIdOf(email);
      const mailCount = (await mailsTo(t, email)).length;
      const res = await change(tokens.access_token, {
        current_password: `${password}?`,
        new_password: NEW_PASSWORD,
      });
      expectProblem(res, 403, 'invalid_current_password');
      expect((await attempt(email, password)).statusCode).toBe(200);
      expectProblem(await attempt(email, NEW_PASSWORD), 401, 'invalid_credentials');
      expect(await mailsTo(t, email)).toHaveLength(mailCount);
      expect(await eventsOf(userId, 'password_change')).toEqual([
        expect.objectContaining({ outcome: 'failure', reason: 'wrong_password' }),
      ]);
    });

    it('repeated wrong current passwords are throttled like logins (429, Retry-After)', async () => {
      const { email, password, tokens } = await signedInAccount(t);
      const userId = await userIdOf(email);
      const wrong = { current_password: 'not my password at all', new_password: NEW_PASSWORD };
      const ip = uniqueIp();
      // The default limit is five failures per account and client address.
      for (let i = 0; i < 5; i++) {
        expectProblem(
          await change(tokens.access_token, wrong, ip),
          403,
          'invalid_current_password',
        );
      }
      const locked = await change(
        tokens.access_token,
        { current_password: password, new_password: NEW_PASSWORD },
        ip,
      );
      const body = expectProblem(locked, 429, 'too_many_requests');
      const retryAfter = Number(locked.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(body.retry_after).toBe(retryAfter);
      // One count for the account: a stolen access token cannot go on guessing by signing in.
      expectProblem(await attempt(email, password, ip), 429, 'too_many_requests');
      expect((await eventsOf(userId, 'password_change')).map((e) => e.reason)).toEqual([
        ...Array<string>(5).fill('wrong_password'),
        'throttled',
      ]);
      expect((await me(tokens.access_token)()).statusCode).toBe(200);
    });

    it.each<[string, (email: string) => string, RegExp]>([
      ['too short', () => 'tiny pw', /at least 12/],
      ['common', () => 'PASSWORD1234', /too common/],
      ['containing the email local part', (email) => `${email.split('@')[0]}-forever`, /email/],
      ['containing a NUL character', () => 'new passphrase \u0000 here', /control characters/],
    ])('a new password %s: 422 naming new_password', async (_case, weak, message) => {
      const { email, password, tokens } = await signedInAccount(t);
      const other = await login(t, email, password);
      const res = await change(tokens.access_token, {
        current_password: password,
        new_password: weak(email),
      });
      const body = expectProblem(res, 422, 'validation_failed');
      expect(body.errors).toEqual([
        { field: 'new_password', message: expect.stringMatching(message) },
      ]);
      expect(res.body).not.toContain(weak(email));
      expect((await attempt(email, password)).statusCode).toBe(200);
      expect((await refresh(other.refresh_token)).statusCode).toBe(200);
    });

    it.each<[string, unknown, string]>([
      ['missing current_password', { new_password: NEW_PASSWORD }, 'current_password'],
      ['missing new_password', { current_password: GOOD_PASSWORD }, 'new_password'],
      [
        'current_password a number',
        { current_password: 1, new_password: NEW_PASSWORD },
        'current_password',
      ],
      [
        'new_password null',
        { current_password: GOOD_PASSWORD, new_password: null },
        'new_password',
      ],
      [
        'new_password over 1024',
        { current_password: GOOD_PASSWORD, new_password: 'q'.repeat(1025) },
        'new_password',
      ],
      [
        'an extra field',
        { current_password: GOOD_PASSWORD, new_password: NEW_PASSWORD, logout_others: false },
        'logout_others',
      ],
    ])('%s: 422 naming the field', async (_case, body, field) => {
      const { tokens } = await signedInAccount(t);
      expectInvalidField(await change(tokens.access_token, body), field);
    });

    it('malformed JSON: 400 malformed_body', async () => {
      const { tokens } = await signedInAccount(t);
      const res = await t.inject({
        method: 'POST',
        url: '/v1/auth/password/change',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${tokens.access_token}`,
        },
        payload: '{"current_password":',
      });
      expectProblem(res, 400, 'malformed_body');
    });
  });
});
