import { DataSource } from 'typeorm';
import { Transactions } from '../src/database/transactions';
import { KnownSignInRepository } from '../src/modules/auth/known-sign-in.repository';
import { JobQueue } from '../src/modules/events/jobs/job-queue.service';
import { CONSUME_AGAIN_QUEUE } from '../src/modules/events/outbox-relay';
import { MAIL_QUEUE } from '../src/modules/mail/mail.service';
import { UsersService } from '../src/modules/users/users.service';
import { send, signedInAdmin } from './support/access';
import {
  createVerifiedAccount,
  GOOD_PASSWORD,
  lastMailTo,
  login,
  mailsTo,
  OutboxRow,
  post,
  settled,
  tokenFromLink,
  uniqueEmail,
} from './support/accounts';
import { codeAt, enrolledUser } from './support/mfa';
import { SmtpPeer } from './peers/smtp-peer';
import { startTestApp, TestApp } from './support/test-app';

const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const CHROME_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const SAFARI_MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15';
const NEW_PASSWORD = 'a brand new passphrase 2026';

const NEW_SIGN_IN = 'New sign-in to your account';
const PASSWORD_CHANGED = 'Your password was changed';

/** A verified account that has never signed in, and its id. */
async function freshAccount(t: TestApp): Promise<{ id: string; email: string; password: string }> {
  const account = await createVerifiedAccount(t);
  const user = await t.app.get(UsersService).findByEmail(account.email);
  return { id: user!.id, ...account };
}

function withSubject(mails: OutboxRow[], subject: string): OutboxRow[] {
  return mails.filter((mail) => mail.subject === subject);
}

describe('security notices by mail', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  /** The id of the one event of this type about this user. */
  async function eventId(type: string, userId: string): Promise<string> {
    await settled(t);
    const rows = await db.query<{ id: string }[]>(
      'SELECT id FROM outbox WHERE type = $1 AND user_id = $2',
      [type, userId],
    );
    expect(rows).toHaveLength(1);
    return rows[0].id;
  }

  /** Runs a relay consumer on a published event again, as a retry after its work committed. */
  async function consumeAgain(consumer: string, id: string): Promise<void> {
    await t.app.get(JobQueue).send(CONSUME_AGAIN_QUEUE, { consumer, event_id: id });
    await settled(t);
    const jobs = await db.query<{ state: string }[]>(
      "SELECT state FROM pgboss.job WHERE name = $1 AND data->>'event_id' = $2",
      [CONSUME_AGAIN_QUEUE, id],
    );
    expect(jobs.map((job) => job.state)).toContain('completed');
  }

  async function anomalies(userId: string) {
    await settled(t);
    return db.query<{ data: Record<string, unknown>; ip: string; user_agent: string }[]>(
      `SELECT data, ip, user_agent FROM outbox
        WHERE type = 'user.session.anomaly' AND user_id = $1 ORDER BY id`,
      [userId],
    );
  }

  describe('password', () => {
    it('a change tells the user when, from which device and address, and what to do', async () => {
      const { email, password } = await createVerifiedAccount(t);
      const { access_token: token } = await login(t, email, password);
      const res = await post(
        t,
        '/v1/auth/password/change',
        { current_password: password, new_password: NEW_PASSWORD },
        { token, ip: '192.0.2.15', headers: { 'user-agent': FIREFOX_LINUX } },
      );
      expect(res.statusCode).toBe(204);

      const [notice, ...more] = withSubject(await mailsTo(t, email), PASSWORD_CHANGED);
      expect(more).toHaveLength(0);
      expect(notice.link).toBeNull();
      expect(notice.text).toContain('The password of your account was changed.');
      expect(notice.text).toMatch(/When: \d{1,2} [A-Z][a-z]+ \d{4} at \d\d:\d\d UTC/);
      expect(notice.text).toContain('Device: Firefox on Linux');
      expect(notice.text).toContain('IP address: 192.0.2.15');
      expect(notice.text).toContain('If this was not you');
      expect(notice.text).toContain(`${t.config.mail.webAppUrl}/forgot-password`);
      expect(notice.text).not.toContain(NEW_PASSWORD);
      expect(notice.text).not.toContain('#');
    });

    it('a reset through a mailed link says so, in the time zone of the profile', async () => {
      const { email, password } = await createVerifiedAccount(t);
      const { access_token: token } = await login(t, email, password);
      const zone = await send(t, 'PATCH', '/v1/users/me', token, { timezone: 'Asia/Kolkata' });
      expect(zone.statusCode).toBe(200);
      expect((await post(t, '/v1/auth/password/forgot', { email })).statusCode).toBe(202);
      // Taken by its subject: a notice whose event goes through the relay may come after it.
      const [resetMail] = withSubject(await mailsTo(t, email), 'Reset your password');
      const resetToken = tokenFromLink(resetMail.link!);
      const reset = await post(
        t,
        '/v1/auth/password/reset',
        { token: resetToken, password: NEW_PASSWORD },
        { ip: '198.51.100.23', headers: { 'user-agent': SAFARI_MAC } },
      );
      expect(reset.statusCode).toBe(204);

      const notice = await lastMailTo(t, email);
      expect(notice.subject).toBe(PASSWORD_CHANGED);
      expect(notice.text).toContain('reset through a link mailed to this address');
      expect(notice.text).toMatch(/When: .* GMT\+5:30/);
      expect(notice.text).toContain('Device: Safari on macOS');
      expect(notice.text).toContain('IP address: 198.51.100.23');
      expect(notice.text).not.toContain(resetToken);
    });
  });

  describe('email address', () => {
    it('tells the old address (the new one masked) and the new one, once the change is confirmed', async () => {
      const { email, password } = await createVerifiedAccount(t);
      const { access_token: token } = await login(t, email, password);
      const newEmail = uniqueEmail('moved');
      const started = await t.inject({
        method: 'PATCH',
        url: '/v1/users/me',
        remoteAddress: '203.0.113.40',
        headers: { authorization: `Bearer ${token}`, 'user-agent': CHROME_WINDOWS },
        payload: { email: newEmail, current_password: password },
      });
      expect(started.statusCode).toBe(200);
      const confirmation = tokenFromLink((await lastMailTo(t, newEmail)).link!);
      const confirmed = await post(
        t,
        '/v1/auth/verify-email',
        { token: confirmation },
        { ip: '203.0.113.41', headers: { 'user-agent': CHROME_WINDOWS } },
      );
      expect(confirmed.statusCode).toBe(204);

      const old = await lastMailTo(t, email);
      expect(old.subject).toBe('Your email address was changed');
      expect(old.text).toContain(`changed to ${newEmail.slice(0, 2)}***@example.com`);
      expect(old.text).not.toContain(newEmail);
      expect(old.text).toContain('Device: Chrome on Windows');
      expect(old.text).toContain('IP address: 203.0.113.41');
      expect(old.text).toContain('contact support');

      const current = await lastMailTo(t, newEmail);
      expect(current.subject).toBe('This is now the email address of your account');
      expect(current.link).toBeNull();
      expect(current.text).toContain(`from ${email.slice(0, 2)}***@example.com`);
      expect(current.text).not.toContain(email);
      expect(current.text).not.toContain(confirmation);
    });
  });

  describe('second factors', () => {
    it('enrolling an authenticator app is told', async () => {
      const user = await enrolledUser(t);
      const [notice, ...more] = withSubject(
        await mailsTo(t, user.email),
        'An authenticator app was added to your account',
      );
      expect(more).toHaveLength(0);
      expect(notice.text).toContain('When: ');
      expect(notice.text).toContain('If this was not you');
      expect(notice.text).not.toContain(user.secret);
      for (const code of user.backupCodes) expect(notice.text).not.toContain(code);
    });

    it('new backup codes are told, without the codes', async () => {
      const user = await enrolledUser(t);
      const stepped = await post(
        t,
        '/v1/auth/step-up',
        { code: codeAt(user.secret) },
        { token: user.token },
      );
      expect(stepped.statusCode).toBe(200);
      const res = await post(
        t,
        '/v1/mfa/backup-codes/regenerate',
        {},
        {
          token: stepped.json<{ access_token: string }>().access_token,
          ip: '192.0.2.99',
          headers: { 'user-agent': FIREFOX_LINUX },
        },
      );
      expect(res.statusCode).toBe(200);
      const codes = res.json<{ backup_codes: string[] }>().backup_codes;

      const notice = await lastMailTo(t, user.email);
      expect(notice.subject).toBe('New backup codes were made for your account');
      expect(notice.text).toContain(`A new set of ${codes.length} backup codes`);
      expect(notice.text).toContain('Device: Firefox on Linux');
      expect(notice.text).toContain('IP address: 192.0.2.99');
      for (const code of codes) expect(notice.text).not.toContain(code);
    });

    it('removal by the user is told', async () => {
      const user = await enrolledUser(t);
      const res = await t.inject({
        method: 'DELETE',
        url: '/v1/mfa/totp',
        remoteAddress: '198.51.100.61',
        headers: { authorization: `Bearer ${user.token}`, 'user-agent': SAFARI_MAC },
        payload: { password: GOOD_PASSWORD, code: codeAt(user.secret) },
      });
      expect(res.statusCode).toBe(200);

      const notice = await lastMailTo(t, user.email);
      expect(notice.subject).toBe('The second factor of your account was removed');
      expect(notice.text).toMatch(/^The authenticator app and the backup codes/);
      expect(notice.text).toContain('Device: Safari on macOS');
      expect(notice.text).toContain('IP address: 198.51.100.61');
    });

    it('an administrator’s reset is told as such, without the administrator’s device or address', async () => {
      const admin = await signedInAdmin(t);
      const user = await enrolledUser(t);
      const res = await t.inject({
        method: 'DELETE',
        url: `/v1/admin/users/${user.id}/mfa`,
        remoteAddress: '198.51.100.200',
        headers: { authorization: `Bearer ${admin.token}`, 'user-agent': CHROME_WINDOWS },
      });
      expect(res.statusCode).toBe(204);

      const notice = await lastMailTo(t, user.email);
      expect(notice.subject).toBe('The second factor of your account was removed');
      expect(notice.text).toMatch(/^An administrator removed/);
      expect(notice.text).not.toContain('Device:');
      expect(notice.text).not.toContain('198.51.100.200');
    });

    it('an administrator’s reset of a user without a factor is not told (nothing was removed)', async () => {
      const admin = await signedInAdmin(t);
      const user = await freshAccount(t);
      const before = (await mailsTo(t, user.email)).length;
      expect(
        (await send(t, 'DELETE', `/v1/admin/users/${user.id}/mfa`, admin.token)).statusCode,
      ).toBe(204);
      expect(await mailsTo(t, user.email)).toHaveLength(before);
    });
  });

  describe('sign-in from a new device and network (user.session.anomaly)', () => {
    it('the first sign-in is not one; a new device on a new network is, with an event and a mail', async () => {
      const user = await freshAccount(t);
      await login(t, user.email, user.password, { ip: '198.51.100.7', userAgent: FIREFOX_LINUX });
      expect(await anomalies(user.id)).toEqual([]);
      expect(withSubject(await mailsTo(t, user.email), NEW_SIGN_IN)).toEqual([]);

      const second = await login(t, user.email, user.password, {
        ip: '203.0.113.9',
        userAgent: CHROME_WINDOWS,
      });
      const [event, ...more] = await anomalies(user.id);
      expect(more).toEqual([]);
      expect(event).toEqual({
        data: {
          user_id: user.id,
          session_id: second.session_id,
          auth_time: expect.any(String),
          device: 'Chrome on Windows',
        },
        ip: '203.0.113.9',
        user_agent: CHROME_WINDOWS,
      });

      const [notice, ...moreMails] = withSubject(await mailsTo(t, user.email), NEW_SIGN_IN);
      expect(moreMails).toEqual([]);
      expect(notice.link).toBeNull();
      expect(notice.text).toContain('Device: Chrome on Windows');
      expect(notice.text).toContain('IP address: 203.0.113.9');
      expect(notice.text).toContain('If this was not you');
    });

    it('a known device on a new network, or a new device on a known network, is not one', async () => {
      const user = await freshAccount(t);
      await login(t, user.email, user.password, { ip: '198.51.100.7', userAgent: FIREFOX_LINUX });
      // Known device (another Firefox on Linux), new network.
      await login(t, user.email, user.password, {
        ip: '192.0.2.50',
        userAgent: 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
      });
      // New device, known network (same /24).
      await login(t, user.email, user.password, { ip: '198.51.100.201', userAgent: SAFARI_MAC });
      // IPv6: the first address of a /48, then a new device elsewhere in that /48.
      await login(t, user.email, user.password, { ip: '2001:db8:7:1::5', userAgent: SAFARI_MAC });
      await login(t, user.email, user.password, {
        ip: '2001:db8:7:ff00::9',
        userAgent: CHROME_WINDOWS,
      });

      expect(await anomalies(user.id)).toEqual([]);
      expect(withSubject(await mailsTo(t, user.email), NEW_SIGN_IN)).toEqual([]);
    });

    it('keeps only keyed hashes of where the user signed in from, one row per device and network', async () => {
      const user = await freshAccount(t);
      await login(t, user.email, user.password, { ip: '198.51.100.7', userAgent: FIREFOX_LINUX });
      await login(t, user.email, user.password, { ip: '198.51.100.8', userAgent: FIREFOX_LINUX });
      await login(t, user.email, user.password, { ip: '203.0.113.9', userAgent: CHROME_WINDOWS });
      await settled(t);
      const rows = await db.query<{ row: string }[]>(
        'SELECT row_to_json(k)::text AS row FROM known_sign_ins k WHERE user_id = $1',
        [user.id],
      );
      expect(rows).toHaveLength(2);
      const stored = rows.map((r) => r.row).join('\n');
      for (const clear of ['198.51.100', '203.0.113', 'Firefox', 'Chrome', 'Linux', 'Windows']) {
        expect(stored).not.toContain(clear);
      }
    });

    it('concurrent first sign-ins from one device and network make one known context and no anomaly', async () => {
      const user = await freshAccount(t);
      await Promise.all(
        [1, 2, 3].map(() =>
          login(t, user.email, user.password, { ip: '192.0.2.77', userAgent: FIREFOX_LINUX }),
        ),
      );
      await settled(t);
      const [{ count }] = await db.query<{ count: string }[]>(
        'SELECT count(*) FROM known_sign_ins WHERE user_id = $1',
        [user.id],
      );
      expect(Number(count)).toBe(1);
      expect(await anomalies(user.id)).toEqual([]);
    });

    it('recording one context in two transactions at once makes one row (the unique index)', async () => {
      const user = await freshAccount(t);
      const known = t.app.get(KnownSignInRepository);
      const transactions = t.app.get(Transactions);
      const context = {
        userId: user.id,
        keyId: 'test-key',
        deviceHash: Buffer.alloc(32, 1),
        networkHash: Buffer.alloc(32, 2),
        at: new Date(),
      };
      const seen = (
        await Promise.all([1, 2].map(() => transactions.run(() => known.record([context]))))
      ).flat();
      // Each saw the context either not at all or (after the other committed) entirely.
      for (const before of seen) {
        expect([before.knownDevice, before.knownNetwork]).toEqual([
          before.signedInBefore,
          before.signedInBefore,
        ]);
      }
      const [{ count }] = await db.query<{ count: string }[]>(
        'SELECT count(*) FROM known_sign_ins WHERE user_id = $1',
        [user.id],
      );
      expect(Number(count)).toBe(1);
    });

    it('records the sign-ins of several users in one statement, each compared with its own past', async () => {
      const [first, second] = [await freshAccount(t), await freshAccount(t)];
      const known = t.app.get(KnownSignInRepository);
      const transactions = t.app.get(Transactions);
      const context = (userId: string, device: number, network: number) => ({
        userId,
        keyId: 'test-key',
        deviceHash: Buffer.alloc(32, device),
        networkHash: Buffer.alloc(32, network),
        at: new Date(),
      });
      await transactions.run(() => known.record([context(first.id, 1, 1)]));
      const seen = await transactions.run(() =>
        known.record([context(second.id, 1, 1), context(first.id, 2, 1)]),
      );
      expect(seen).toEqual([
        { signedInBefore: false, knownDevice: false, knownNetwork: false },
        { signedInBefore: true, knownDevice: false, knownNetwork: true },
      ]);
      await expect(
        transactions.run(() => known.record([context(first.id, 3, 3), context(first.id, 4, 4)])),
      ).rejects.toThrow('at most one sign-in per user');
    });

    it('after a master key change, the next sign-in counts as the first again', async () => {
      const user = await freshAccount(t);
      await login(t, user.email, user.password, { ip: '198.51.100.7', userAgent: FIREFOX_LINUX });
      await settled(t);
      // As if made under another master key: the hashes no longer compare.
      await db.query("UPDATE known_sign_ins SET key_id = 'retired' WHERE user_id = $1", [user.id]);
      await login(t, user.email, user.password, { ip: '203.0.113.9', userAgent: CHROME_WINDOWS });
      expect(await anomalies(user.id)).toEqual([]);
    });
  });

  describe('an event delivered again', () => {
    it('mails a notice once: the event id is claimed with the mail', async () => {
      const { email, password } = await createVerifiedAccount(t);
      const { access_token: token } = await login(t, email, password);
      const changed = await post(
        t,
        '/v1/auth/password/change',
        { current_password: password, new_password: NEW_PASSWORD },
        { token },
      );
      expect(changed.statusCode).toBe(204);
      const user = await t.app.get(UsersService).findByEmail(email);
      const id = await eventId('user.password_changed', user!.id);
      expect(withSubject(await mailsTo(t, email), PASSWORD_CHANGED)).toHaveLength(1);

      await consumeAgain('SecurityNotices.notify', id);
      expect(withSubject(await mailsTo(t, email), PASSWORD_CHANGED)).toHaveLength(1);

      // The claim is what holds the second mail back.
      await db.query('DELETE FROM mail_notified_events WHERE event_id = $1', [id]);
      await consumeAgain('SecurityNotices.notify', id);
      expect(withSubject(await mailsTo(t, email), PASSWORD_CHANGED)).toHaveLength(2);
    });

    it('a sign-in seen again is known and makes no second anomaly', async () => {
      const user = await freshAccount(t);
      await login(t, user.email, user.password, { ip: '198.51.100.7', userAgent: FIREFOX_LINUX });
      await login(t, user.email, user.password, { ip: '203.0.113.9', userAgent: CHROME_WINDOWS });
      expect(await anomalies(user.id)).toHaveLength(1);
      const [created] = await db.query<{ id: string }[]>(
        `SELECT id FROM outbox WHERE type = 'user.session.created' AND user_id = $1 AND ip = $2`,
        [user.id, '203.0.113.9'],
      );
      await consumeAgain('SignInAnomalies.check', created.id);
      expect(await anomalies(user.id)).toHaveLength(1);
      const anomaly = await eventId('user.session.anomaly', user.id);
      await consumeAgain('SecurityNotices.notify', anomaly);
      expect(withSubject(await mailsTo(t, user.email), NEW_SIGN_IN)).toHaveLength(1);
    });
  });
});

describe('security notices while the mail server is down', () => {
  const peer = new SmtpPeer();
  let t: TestApp;

  beforeAll(async () => {
    await peer.start();
    t = await startTestApp({ env: { SMTP_URL: peer.url() } });
  });
  afterAll(async () => {
    await t.close();
    await peer.stop();
  });

  const deliveredTo = (address: string) =>
    peer.received.filter((mail) => mail.envelope.to[0] === address);

  async function mailJobStates(): Promise<string[]> {
    const rows = await t.app
      .get(DataSource)
      .query<{ state: string }[]>('SELECT state FROM pgboss.job WHERE name = $1', [MAIL_QUEUE]);
    return rows.map((row) => row.state);
  }

  it('are kept and retried by the durable mail queue, and delivered once when it is back', async () => {
    const email = uniqueEmail('outage');
    expect(
      (await post(t, '/v1/auth/register', { email, password: GOOD_PASSWORD, name: 'Out Age' }))
        .statusCode,
    ).toBe(202);
    await settled(t);
    const [verification] = deliveredTo(email);
    const link = /https?:\/\/\S+#token=\S+/.exec(verification.text)![0];
    expect(
      (await post(t, '/v1/auth/verify-email', { token: tokenFromLink(link) })).statusCode,
    ).toBe(204);
    const { access_token: token } = await login(t, email, GOOD_PASSWORD);

    await peer.stop();
    const changed = await post(
      t,
      '/v1/auth/password/change',
      { current_password: GOOD_PASSWORD, new_password: NEW_PASSWORD },
      { token },
    );
    expect(changed.statusCode).toBe(204);
    await settled(t);
    expect(await mailJobStates()).toContain('retry');
    expect(deliveredTo(email)).toHaveLength(1);

    await peer.start();
    await t.app
      .get(DataSource)
      .query("UPDATE pgboss.job SET start_after = now() WHERE name = $1 AND state = 'retry'", [
        MAIL_QUEUE,
      ]);
    await settled(t);
    const notices = deliveredTo(email).filter((mail) => mail.headers.subject === PASSWORD_CHANGED);
    expect(notices).toHaveLength(1);
    expect(await mailJobStates()).not.toContain('retry');
  });
});
