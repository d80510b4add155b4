import { DataSource } from 'typeorm';
import {
  get,
  GOOD_PASSWORD,
  lastMailTo,
  login,
  mailsTo,
  post,
  settled,
  signedInAccount,
  tokenFromLink,
  uniqueEmail,
} from './support/accounts';
import { startTestApp, TestApp } from './support/test-app';

describe('profile and preferences (/v1/users/me)', () => {
  let t: TestApp;
  let dataSource: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    dataSource = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const patch = (token: string, payload: unknown) =>
    t.inject({
      method: 'PATCH',
      url: '/v1/users/me',
      headers: { authorization: `Bearer ${token}` },
      payload: payload as Record<string, unknown>,
    });
  const put = (token: string, payload: unknown) =>
    t.inject({
      method: 'PUT',
      url: '/v1/users/me/preferences',
      headers: { authorization: `Bearer ${token}` },
      payload: payload as Record<string, unknown>,
    });
  const problem = (body: string) =>
    JSON.parse(body) as { code: string; errors?: { field: string; message: string }[] };
  const fieldsOf = (body: string) => (problem(body).errors ?? []).map((e) => e.field);

  describe('GET', () => {
    it('returns the profile without any secret, not cacheable', async () => {
      const { email, tokens } = await signedInAccount(t);
      const res = await get(t, '/v1/users/me', tokens.access_token);
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const body = JSON.parse(res.body) as Record<string, unknown>;
      expect(body).toMatchObject({
        email,
        email_verified: true,
        pending_email: null,
        name: 'Test User',
        phone: null,
        avatar_url: null,
        timezone: null,
        locale: null,
        status: 'active',
      });
      expect(Object.keys(body).sort()).toEqual(
        [
          'avatar_url',
          'created_at',
          'deletion_due_at',
          'email',
          'email_verified',
          'id',
          'last_login_at',
          'locale',
          'name',
          'pending_email',
          'phone',
          'status',
          'timezone',
          'updated_at',
        ].sort(),
      );
      expect(res.body).not.toMatch(/argon2|password/);
    });

    it('needs an access token', async () => {
      const res = await get(t, '/v1/users/me');
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="gatehouse"');
    });
  });

  describe('PATCH', () => {
    it('changes name, phone, avatar, time zone and locale, in canonical forms', async () => {
      const { tokens } = await signedInAccount(t);
      const res = await patch(tokens.access_token, {
        name: '  Ada Lovelace ',
        phone: '+447911123456',
        avatar_url: 'https://cdn.example.com/ada.png',
        timezone: 'europe/london',
        locale: 'en-gb',
      });
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({
        name: 'Ada Lovelace',
        phone: '+447911123456',
        avatar_url: 'https://cdn.example.com/ada.png',
        timezone: 'Europe/London',
        locale: 'en-GB',
      });
      const again = JSON.parse((await get(t, '/v1/users/me', tokens.access_token)).body) as Record<
        string,
        unknown
      >;
      expect(again.timezone).toBe('Europe/London');
    });

    it('keeps a current zone name rather than the runtime’s legacy alias', async () => {
      const { tokens } = await signedInAccount(t);
      const res = await patch(tokens.access_token, { timezone: 'Asia/Kolkata' });
      expect(JSON.parse(res.body)).toMatchObject({ timezone: 'Asia/Kolkata' });
    });

    it('clears optional fields with null and leaves absent ones alone', async () => {
      const { tokens } = await signedInAccount(t);
      await patch(tokens.access_token, { phone: '+14155552671', locale: 'fr' });
      const res = await patch(tokens.access_token, { phone: null });
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ phone: null, locale: 'fr' });
    });

    it.each([
      [{ phone: '07700900123' }, 'phone'],
      [{ phone: '+1555' }, 'phone'],
      [{ phone: '+99912345678' }, 'phone'],
      [{ avatar_url: 'http://cdn.example.com/a.png' }, 'avatar_url'],
      [{ avatar_url: 'https://user:pw@cdn.example.com/a.png' }, 'avatar_url'],
      [{ avatar_url: 'javascript:alert(1)' }, 'avatar_url'],
      [{ timezone: 'Mars/Olympus_Mons' }, 'timezone'],
      [{ timezone: '../../etc/passwd' }, 'timezone'],
      [{ locale: 'not a locale!' }, 'locale'],
      [{ name: '' }, 'name'],
      [{ name: '   ' }, 'name'],
      [{ name: 'bell\u0007' }, 'name'],
      [{ name: '\u202Eevil' }, 'name'],
      [{ name: 'zero\u200Bwidth' }, 'name'],
      [{ name: null }, 'name'],
      [{ name: 42 }, 'name'],
      [{ name: 'x'.repeat(201) }, 'name'],
      [{ status: 'active' }, 'status'],
      [{ email_verified: true }, 'email_verified'],
      [{ id: '0190a0a0-0000-7000-8000-000000000000' }, 'id'],
    ])('refuses %j with 422 naming %s, changing nothing', async (payload, field) => {
      const { tokens } = await signedInAccount(t);
      // The sign-in's own effects (`last_login_at`) are done before the snapshot.
      await settled(t);
      const before = (await get(t, '/v1/users/me', tokens.access_token)).body;
      const res = await patch(tokens.access_token, { ...payload });
      expect(res.statusCode).toBe(422);
      expect(problem(res.body).code).toBe('validation_failed');
      expect(fieldsOf(res.body)).toContain(field);
      expect((await get(t, '/v1/users/me', tokens.access_token)).body).toBe(before);
    });

    it('refuses a malformed body with 400 and a missing token with 401', async () => {
      const { tokens } = await signedInAccount(t);
      const malformed = await t.inject({
        method: 'PATCH',
        url: '/v1/users/me',
        headers: {
          authorization: `Bearer ${tokens.access_token}`,
          'content-type': 'application/json',
        },
        payload: '{"name": ',
      });
      expect(malformed.statusCode).toBe(400);
      expect(problem(malformed.body).code).toBe('malformed_body');
      const anonymous = await t.inject({
        method: 'PATCH',
        url: '/v1/users/me',
        payload: { name: 'X' },
      });
      expect(anonymous.statusCode).toBe(401);
    });
  });

  describe('email change', () => {
    it('takes effect only when the new address confirms it', async () => {
      const { email, password, tokens } = await signedInAccount(t);
      const newEmail = uniqueEmail('New');
      const res = await patch(tokens.access_token, { email: newEmail, current_password: password });
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ email, pending_email: newEmail.toLowerCase() });

      const notice = await lastMailTo(t, email);
      expect(notice.text).toContain(newEmail.toLowerCase().slice(0, 2) + '***@example.com');
      expect(notice.text).not.toContain(newEmail.toLowerCase());
      const verification = await lastMailTo(t, newEmail);
      const token = tokenFromLink(verification.link!);
      expect(token).toMatch(/^ghe_/);

      // Not yet: the old address still signs in, the new one does not.
      await login(t, email, password);
      const early = await post(t, '/v1/auth/login', { email: newEmail, password });
      expect(early.statusCode).toBe(401);

      expect((await post(t, '/v1/auth/verify-email', { token })).statusCode).toBe(204);
      const me = JSON.parse((await get(t, '/v1/users/me', tokens.access_token)).body) as Record<
        string,
        unknown
      >;
      expect(me).toMatchObject({
        email: newEmail.toLowerCase(),
        pending_email: null,
        email_verified: true,
      });
      await login(t, newEmail, password);
      expect((await post(t, '/v1/auth/login', { email, password })).statusCode).toBe(401);
      expect((await lastMailTo(t, email)).subject).toMatch(/changed/i);
      expect((await post(t, '/v1/auth/verify-email', { token })).statusCode).toBe(400);

      await settled(t);
      const events = await dataSource.query<{ type: string }[]>(
        `SELECT type FROM auth_events WHERE user_id = $1 AND type LIKE 'email_change%' ORDER BY created_at`,
        [me.id],
      );
      expect(events.map((e) => e.type)).toEqual(['email_change_request', 'email_change']);
    });

    it('needs the current password, and counts wrong ones against the account', async () => {
      const { tokens } = await signedInAccount(t);
      const newEmail = uniqueEmail();
      const missing = await patch(tokens.access_token, { email: newEmail });
      expect(missing.statusCode).toBe(422);
      expect(fieldsOf(missing.body)).toEqual(['current_password']);
      const wrong = await patch(tokens.access_token, {
        email: newEmail,
        current_password: 'not the password at all',
      });
      expect(wrong.statusCode).toBe(403);
      expect(problem(wrong.body).code).toBe('invalid_current_password');
      expect(await mailsTo(t, newEmail)).toHaveLength(0);
      await settled(t);
      const events = await dataSource.query<{ reason: string }[]>(
        `SELECT reason FROM auth_events WHERE type = 'email_change_request' AND outcome = 'failure' AND user_id = (SELECT user_id FROM sessions WHERE id = $1)`,
        [tokens.session_id],
      );
      expect(events).toEqual([{ reason: 'wrong_password' }]);
    });

    it('refuses the current address and does not mail an address another account holds', async () => {
      const { email, password, tokens } = await signedInAccount(t);
      const same = await patch(tokens.access_token, {
        email: email.toUpperCase(),
        current_password: password,
      });
      expect(same.statusCode).toBe(422);
      expect(fieldsOf(same.body)).toEqual(['email']);

      const other = await signedInAccount(t);
      const before = (await mailsTo(t, other.email)).length;
      const taken = await patch(tokens.access_token, {
        email: other.email,
        current_password: password,
      });
      // Same answer as for a free address: whether it is taken is only told to its owner.
      expect(taken.statusCode).toBe(200);
      expect(await mailsTo(t, other.email)).toHaveLength(before);
    });

    /** A started email change: the confirmation token mailed to the new address. */
    async function startEmailChange(token: string, password: string): Promise<string> {
      const newEmail = uniqueEmail('pending-change');
      const res = await patch(token, { email: newEmail, current_password: password });
      expect(res.statusCode).toBe(200);
      return tokenFromLink((await lastMailTo(t, newEmail)).link!);
    }

    async function resetLink(email: string): Promise<string> {
      expect((await post(t, '/v1/auth/password/forgot', { email })).statusCode).toBe(202);
      const mail = await lastMailTo(t, email);
      expect(mail.subject).toBe('Reset your password');
      return tokenFromLink(mail.link!);
    }

    it('a password reset cancels a pending email change (no takeover after the owner reacts)', async () => {
      const { email, password, tokens } = await signedInAccount(t);
      const change = await startEmailChange(tokens.access_token, password);
      const reset = await post(t, '/v1/auth/password/reset', {
        token: await resetLink(email),
        password: 'a brand new passphrase 2026',
      });
      expect(reset.statusCode).toBe(204);
      expect((await post(t, '/v1/auth/verify-email', { token: change })).statusCode).toBe(400);
    });

    it('a password change cancels a pending email change and open reset links', async () => {
      const { email, password, tokens } = await signedInAccount(t);
      const change = await startEmailChange(tokens.access_token, password);
      const reset = await resetLink(email);
      const changed = await post(
        t,
        '/v1/auth/password/change',
        { current_password: password, new_password: 'a brand new passphrase 2026' },
        { token: tokens.access_token },
      );
      expect(changed.statusCode).toBe(204);
      expect((await post(t, '/v1/auth/verify-email', { token: change })).statusCode).toBe(400);
      const late = await post(t, '/v1/auth/password/reset', {
        token: reset,
        password: 'yet another passphrase 2026',
      });
      expect(late.statusCode).toBe(400);
    });

    it('logout-all cancels a pending email change and open reset links', async () => {
      const { email, password, tokens } = await signedInAccount(t);
      const change = await startEmailChange(tokens.access_token, password);
      const reset = await resetLink(email);
      const out = await post(t, '/v1/auth/logout-all', {}, { token: tokens.access_token });
      expect(out.statusCode).toBe(204);
      expect((await post(t, '/v1/auth/verify-email', { token: change })).statusCode).toBe(400);
      const late = await post(t, '/v1/auth/password/reset', {
        token: reset,
        password: 'yet another passphrase 2026',
      });
      expect(late.statusCode).toBe(400);
    });

    it('a confirmed email change cancels reset links mailed to the old address', async () => {
      const { email, password, tokens } = await signedInAccount(t);
      const reset = await resetLink(email);
      const change = await startEmailChange(tokens.access_token, password);
      expect((await post(t, '/v1/auth/verify-email', { token: change })).statusCode).toBe(204);
      const late = await post(t, '/v1/auth/password/reset', {
        token: reset,
        password: 'yet another passphrase 2026',
      });
      expect(late.statusCode).toBe(400);
    });

    it('a suspended account cannot complete an email change', async () => {
      const { email, password, tokens } = await signedInAccount(t);
      const change = await startEmailChange(tokens.access_token, password);
      await dataSource.query(`UPDATE users SET status = 'suspended' WHERE email = $1`, [email]);
      const res = await post(t, '/v1/auth/verify-email', { token: change });
      expect(res.statusCode).toBe(400);
      expect(problem(res.body).code).toBe('invalid_or_expired_token');
      const [row] = await dataSource.query<{ email: string }[]>(
        'SELECT email FROM users WHERE id = (SELECT user_id FROM sessions WHERE id = $1)',
        [tokens.session_id],
      );
      expect(row.email).toBe(email);
    });

    it('answers 409 when the address was taken between request and confirmation', async () => {
      const { password, tokens } = await signedInAccount(t);
      const newEmail = uniqueEmail('race');
      await patch(tokens.access_token, { email: newEmail, current_password: password });
      const token = tokenFromLink((await lastMailTo(t, newEmail)).link!);
      await signedInAccount(t, { email: newEmail, password: GOOD_PASSWORD });
      const res = await post(t, '/v1/auth/verify-email', { token });
      expect(res.statusCode).toBe(409);
      expect(problem(res.body).code).toBe('email_taken');
    });
  });

  describe('preferences', () => {
    const document = {
      theme: 'dark',
      notifications: {
        security_alerts: true,
        product_updates: false,
        price_alerts: true,
        channels: ['email', 'push'],
      },
      watchlists: [{ name: 'Tech', symbols: ['NASDAQ:AAPL', 'NSE:INFY'] }],
      default_trading_account_id: '0190a0a0-0000-7000-8000-000000000001',
    };

    it('starts from defaults and is replaced whole by PUT', async () => {
      const { tokens } = await signedInAccount(t);
      const initial = await get(t, '/v1/users/me/preferences', tokens.access_token);
      expect(initial.statusCode).toBe(200);
      expect(JSON.parse(initial.body)).toEqual({
        theme: 'system',
        notifications: {
          security_alerts: true,
          product_updates: false,
          price_alerts: false,
          channels: ['email'],
        },
        watchlists: [],
        default_trading_account_id: null,
      });
      const saved = await put(tokens.access_token, document);
      expect(saved.statusCode).toBe(200);
      expect(JSON.parse(saved.body)).toEqual(document);
      const read = await get(t, '/v1/users/me/preferences', tokens.access_token);
      expect(JSON.parse(read.body)).toEqual(document);
      const changed = await put(tokens.access_token, {
        ...document,
        theme: 'light',
        watchlists: [],
      });
      expect(JSON.parse(changed.body)).toMatchObject({ theme: 'light', watchlists: [] });

      const other = await signedInAccount(t);
      const theirs = await get(t, '/v1/users/me/preferences', other.tokens.access_token);
      expect(JSON.parse(theirs.body)).toMatchObject({ theme: 'system' });
    });

    it.each([
      [{ ...document, theme: 'neon' }, 'theme'],
      [{ ...document, theme: undefined }, 'theme'],
      [{ ...document, notifications: undefined }, 'notifications'],
      [
        { ...document, notifications: { ...document.notifications, price_alerts: 'yes' } },
        'notifications.price_alerts',
      ],
      [
        { ...document, notifications: { ...document.notifications, channels: ['pigeon'] } },
        'notifications.channels',
      ],
      [
        { ...document, notifications: { ...document.notifications, extra: 1 } },
        'notifications.extra',
      ],
      [{ ...document, watchlists: [{ name: 'x', symbols: ['aapl'] }] }, 'watchlists.0.symbols'],
      [{ ...document, watchlists: [{ name: '', symbols: [] }] }, 'watchlists.0.name'],
      [{ ...document, watchlists: 'Tech' }, 'watchlists'],
      [{ ...document, default_trading_account_id: 'acc-1' }, 'default_trading_account_id'],
      [{ ...document, colour: 'red' }, 'colour'],
    ])(
      'refuses an invalid document (%#) with 422 naming %s, keeping the old one',
      async (payload, field) => {
        const { tokens } = await signedInAccount(t);
        await put(tokens.access_token, document);
        const res = await put(tokens.access_token, payload);
        expect(res.statusCode).toBe(422);
        expect(fieldsOf(res.body)).toContain(field);
        const read = await get(t, '/v1/users/me/preferences', tokens.access_token);
        expect(JSON.parse(read.body)).toEqual(document);
      },
    );
  });
});
