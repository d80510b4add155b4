import { DataSource } from 'typeorm';
import { startTestApp, TestApp } from './support/test-app';
import {
  createVerifiedAccount,
  get,
  GOOD_PASSWORD,
  login,
  post,
  settled,
  TokenPairBody,
  uniqueEmail,
  uniqueIp,
} from './support/accounts';
import {
  argon2Parameters,
  expectProblem,
  headersWithoutIds,
  median,
  Response,
  sha256,
  sleep,
  without,
} from './support/assertions';

const REDIS_URL = 'redis://127.0.0.1:6379';
const REFRESH_TOKEN = /^ghr_[A-Za-z0-9_-]{43}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface EventRow {
  type: string;
  outcome: string;
  reason: string | null;
  user_id: string | null;
  session_id: string | null;
  ip: string | null;
  user_agent: string | null;
}

/** A problem body without what differs per request. */
function problemWithoutIds(res: Response): Record<string, unknown> {
  return without(res.json<Record<string, unknown>>(), 'request_id');
}

/** The 429 of a locked login: Retry-After in whole seconds, repeated in the body. */
function expectLocked(res: Response, retryAfter?: number): number {
  const body = expectProblem(res, 429, 'too_many_requests');
  const seconds = Number(res.headers['retry-after']);
  expect(Number.isInteger(seconds)).toBe(true);
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(body.retry_after).toBe(seconds);
  if (retryAfter !== undefined) expect(seconds).toBe(retryAfter);
  expect(res.body).not.toContain('access_token');
  return seconds;
}

function decodeJwtPart(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function attempt(t: TestApp, email: string, password: string, ip = uniqueIp()) {
  return post(t, '/v1/auth/login', { email, password }, { ip });
}

/** The login events recorded once what the app started has settled (they follow the events). */
async function loginEvents(t: TestApp, where: { userId?: string; ip?: string }) {
  await settled(t);
  return t.app.get(DataSource).query<EventRow[]>(
    `SELECT type, outcome, reason, user_id, session_id, ip, user_agent FROM auth_events
     WHERE type = 'login' AND ($1::uuid IS NULL OR user_id = $1) AND ($2::text IS NULL OR ip = $2)
     ORDER BY created_at, id`,
    [where.userId ?? null, where.ip ?? null],
  );
}

async function userIdOf(db: DataSource, email: string): Promise<string> {
  const [row] = await db.query<{ id: string }[]>('SELECT id FROM users WHERE email = $1', [
    email.toLowerCase(),
  ]);
  return row.id;
}

describe('POST /v1/auth/login', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  it('signs in: the token pair, no-store, a session, last_login_at and a success event', async () => {
    const { email, password } = await createVerifiedAccount(t);
    const userId = await userIdOf(db, email);
    const ip = uniqueIp();
    const before = Date.now();
    const res = await post(
      t,
      '/v1/auth/login',
      { email, password },
      { ip, headers: { 'user-agent': 'LoginSpec/1.0' } },
    );

    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json<TokenPairBody>();
    expect(Object.keys(body).sort()).toEqual(
      [
        'access_token',
        'expires_in',
        'refresh_expires_in',
        'refresh_token',
        'session_id',
        'token_type',
      ].sort(),
    );
    expect(body.token_type).toBe('Bearer');
    expect(body.expires_in).toBe(900);
    expect(body.refresh_token).toMatch(REFRESH_TOKEN);
    expect(body.refresh_expires_in).toBe(7 * 24 * 60 * 60);
    expect(body.session_id).toMatch(UUID);

    const [header, payload] = body.access_token
      .split('.')
      .map((part, i) => (i < 2 ? decodeJwtPart(part) : {}));
    expect(header).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    expect(payload).toMatchObject({ sub: userId, sid: body.session_id, amr: ['pwd'] });

    const me = await get(t, '/v1/users/me', body.access_token);
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ id: userId, email });

    const [session] = await db.query<{ user_id: string; ip: string; user_agent: string }[]>(
      'SELECT user_id, ip, user_agent FROM sessions WHERE id = $1',
      [body.session_id],
    );
    expect(session).toEqual({ user_id: userId, ip, user_agent: 'LoginSpec/1.0' });
    const [stored] = await db.query<{ token_hash: Buffer }[]>(
      'SELECT token_hash FROM refresh_tokens WHERE session_id = $1',
      [body.session_id],
    );
    expect(stored.token_hash.equals(sha256(body.refresh_token))).toBe(true);

    await settled(t);
    const [{ last_login_at }] = await db.query<{ last_login_at: Date }[]>(
      'SELECT last_login_at FROM users WHERE id = $1',
      [userId],
    );
    expect(last_login_at.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(last_login_at.getTime()).toBeLessThanOrEqual(Date.now() + 1000);

    expect(await loginEvents(t, { userId })).toEqual([
      {
        type: 'login',
        outcome: 'success',
        reason: null,
        user_id: userId,
        session_id: body.session_id,
        ip,
        user_agent: 'LoginSpec/1.0',
      },
    ]);
  });

  it('each login is a session of its own', async () => {
    const { email, password } = await createVerifiedAccount(t);
    const first = await login(t, email, password);
    const second = await login(t, email, password);
    expect(second.session_id).not.toBe(first.session_id);
    expect(second.refresh_token).not.toBe(first.refresh_token);
  });

  it('the email is case-insensitive', async () => {
    const { email, password } = await createVerifiedAccount(t);
    const upper = await attempt(t, email.toUpperCase(), password);
    expect(upper.statusCode).toBe(200);
    const mixed = await attempt(
      t,
      email.replace(/^./, (c) => c.toUpperCase()),
      password,
    );
    expect(mixed.statusCode).toBe(200);
  });

  it('an unknown email and a wrong password: the same 401 invalid_credentials', async () => {
    const { email, password } = await createVerifiedAccount(t);
    const userId = await userIdOf(db, email);
    const unknownIp = uniqueIp();
    const wrong = await attempt(t, email, `${password}x`);
    const unknown = await attempt(t, uniqueEmail('nobody'), password, unknownIp);

    const body = expectProblem(wrong, 401, 'invalid_credentials');
    expectProblem(unknown, 401, 'invalid_credentials');
    expect(problemWithoutIds(unknown)).toEqual(problemWithoutIds(wrong));
    expect(headersWithoutIds(unknown)).toEqual(headersWithoutIds(wrong));
    expect(body.instance).toBe('/v1/auth/login');
    expect(wrong.body).not.toContain(email);

    expect(await loginEvents(t, { userId })).toEqual([
      expect.objectContaining({ outcome: 'failure', reason: 'wrong_password' }),
    ]);
    expect(await loginEvents(t, { ip: unknownIp })).toEqual([
      expect.objectContaining({ outcome: 'failure', reason: 'unknown_email', user_id: null }),
    ]);
  });

  it('an unknown email takes as long as a wrong password (a dummy hash is verified)', async () => {
    // Two accounts, three wrong passwords each: under the default limit of five per account.
    const accounts = [await createVerifiedAccount(t), await createVerifiedAccount(t)];
    const timed = async (email: string, password: string) => {
      const start = process.hrtime.bigint();
      const res = await attempt(t, email, password);
      expect(res.statusCode).toBe(401);
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 6; i++) {
      const account = accounts[i % 2];
      unknown.push(await timed(uniqueEmail('timing'), account.password));
      wrong.push(await timed(account.email, `${account.password}${i}`));
    }
    // Without the dummy verification an unknown email answers an order of magnitude faster;
    // the bounds leave room for a busy machine and still catch that.
    const ratio = median(wrong) / median(unknown);
    expect(ratio).toBeGreaterThan(1 / 3);
    expect(ratio).toBeLessThan(3);
  });

  it.each<[string, string, string]>([
    ['suspended', 'account_suspended', 'suspended'],
    ['deactivated', 'account_deactivated', 'deactivated'],
  ])('a %s account: 403 %s only after the right password', async (status, code, reason) => {
    const { email, password } = await createVerifiedAccount(t);
    const userId = await userIdOf(db, email);
    await db.query('UPDATE users SET status = $1 WHERE id = $2', [status, userId]);

    const right = await attempt(t, email, password);
    expectProblem(right, 403, code);
    expect(right.body).not.toContain('access_token');

    const wrong = await attempt(t, email, `${password}x`);
    const unknown = await attempt(t, uniqueEmail('nobody'), `${password}x`);
    expectProblem(wrong, 401, 'invalid_credentials');
    expect(problemWithoutIds(wrong)).toEqual(problemWithoutIds(unknown));

    const [{ sessions }] = await db.query<{ sessions: number }[]>(
      'SELECT count(*)::int AS sessions FROM sessions WHERE user_id = $1',
      [userId],
    );
    expect(sessions).toBe(0);
    expect((await loginEvents(t, { userId })).map((e) => [e.outcome, e.reason])).toEqual([
      ['failure', reason],
      ['failure', 'wrong_password'],
    ]);
  });

  it('an account without a password (federated) cannot sign in with one', async () => {
    const { email, password } = await createVerifiedAccount(t);
    await db.query('UPDATE users SET password_hash = NULL WHERE email = $1', [email]);
    expectProblem(await attempt(t, email, password), 401, 'invalid_credentials');
    expectProblem(await attempt(t, email, ''), 401, 'invalid_credentials');
  });

  it('never truncates a long password', async () => {
    const password = `${'long passphrase '.repeat(8)}end`;
    const { email } = await createVerifiedAccount(t, { password });
    expectProblem(await attempt(t, email, password.slice(0, 72)), 401, 'invalid_credentials');
    expectProblem(await attempt(t, email, `${password}!`), 401, 'invalid_credentials');
    expect((await attempt(t, email, password)).statusCode).toBe(200);
  });

  it('normalizes the password (NFKC) the same way at login as at registration', async () => {
    const { email } = await createVerifiedAccount(t, {
      password: 'caf\u00e9 au lait, s\u2019il te pla\u00eet',
    });
    const decomposed = 'cafe\u0301 au lait, s\u2019il te plai\u0302t';
    expect((await attempt(t, email, decomposed)).statusCode).toBe(200);
  });

  it.each<[string, unknown, string]>([
    ['missing email', { password: GOOD_PASSWORD }, 'email'],
    ['missing password', { email: 'a@example.com' }, 'password'],
    ['email a number', { email: 1, password: GOOD_PASSWORD }, 'email'],
    ['email not an address', { email: 'a.example.com', password: GOOD_PASSWORD }, 'email'],
    ['password a number', { email: 'a@example.com', password: 1234567890123 }, 'password'],
    ['password an array', { email: 'a@example.com', password: [GOOD_PASSWORD] }, 'password'],
    ['password over 1024', { email: 'a@example.com', password: 'x'.repeat(1025) }, 'password'],
    [
      'an extra field',
      { email: 'a@example.com', password: GOOD_PASSWORD, remember: true },
      'remember',
    ],
  ])('%s: 422 validation_failed naming the field', async (_case, body, field) => {
    const ip = uniqueIp();
    const res = await post(t, '/v1/auth/login', body, { ip });
    const problem = expectProblem(res, 422, 'validation_failed');
    expect((problem.errors as { field: string }[]).map((e) => e.field)).toContain(field);
    expect(res.body).not.toContain(GOOD_PASSWORD);
    // Refused before any attempt is made: nothing is recorded or counted.
    expect(await loginEvents(t, { ip })).toEqual([]);
  });

  it('malformed JSON: 400 malformed_body', async () => {
    const res = await t.inject({
      method: 'POST',
      url: '/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"email":"a@example.com","password":"x"',
    });
    expectProblem(res, 400, 'malformed_body');
  });

  it('rehashes on login when the argon2 parameters changed, and signs in with either', async () => {
    const { email, password } = await createVerifiedAccount(t);
    const storedHash = async () =>
      (
        await db.query<{ password_hash: string }[]>(
          'SELECT password_hash FROM users WHERE email = $1',
          [email],
        )
      )[0].password_hash;

    await login(t, email, password);
    const original = await storedHash();
    expect(argon2Parameters(original)).toEqual({ m: 19456, t: 2, p: 1 });

    const stronger = await startTestApp({
      databaseUrl: t.config.database.url,
      env: { ARGON2_ITERATIONS: '3' },
    });
    try {
      expectProblem(await attempt(stronger, email, `${password}x`), 401, 'invalid_credentials');
      expect(await storedHash()).toBe(original);

      await login(stronger, email, password);
      const rehashed = await storedHash();
      expect(rehashed).not.toBe(original);
      expect(argon2Parameters(rehashed)).toEqual({ m: 19456, t: 3, p: 1 });

      // Up to date now: no further rewrite, and the new hash verifies.
      await login(stronger, email, password);
      expect(await storedHash()).toBe(rehashed);
      expectProblem(await attempt(stronger, email, `${password}x`), 401, 'invalid_credentials');
    } finally {
      await stronger.close();
    }
  });

  it('a suspended account is not rehashed', async () => {
    const { email, password } = await createVerifiedAccount(t);
    await db.query("UPDATE users SET status = 'suspended' WHERE email = $1", [email]);
    const [{ password_hash: before }] = await db.query<{ password_hash: string }[]>(
      'SELECT password_hash FROM users WHERE email = $1',
      [email],
    );
    const stronger = await startTestApp({
      databaseUrl: t.config.database.url,
      env: { ARGON2_ITERATIONS: '3' },
    });
    try {
      expectProblem(await attempt(stronger, email, password), 403, 'account_suspended');
    } finally {
      await stronger.close();
    }
    const [{ password_hash: after }] = await db.query<{ password_hash: string }[]>(
      'SELECT password_hash FROM users WHERE email = $1',
      [email],
    );
    expect(after).toBe(before);
  });
});

const THROTTLE_ENV = {
  LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
  LOGIN_MAX_FAILURES_PER_ACCOUNT_TOTAL: '6',
  LOGIN_MAX_FAILURES_PER_IP: '5',
  LOGIN_LOCKOUT_BASE_SECONDS: '1',
  LOGIN_LOCKOUT_MAX_SECONDS: '2',
};

describe.each<[string, Record<string, string>]>([
  ['in-process counters', {}],
  ['Redis counters', { REDIS_URL }],
])('login throttling with %s', (_store, storeEnv) => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await startTestApp({ env: { ...THROTTLE_ENV, ...storeEnv } });
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  /**
   * `count` wrong passwords from one client address (the pair's count), or, without `ip`, each
   * from an address of its own (the account-wide count only).
   */
  async function failures(app: TestApp, email: string, count: number, ip?: string): Promise<void> {
    for (let i = 0; i < count; i++) {
      expectProblem(
        await attempt(app, email, `wrong password ${i}`, ip),
        401,
        'invalid_credentials',
      );
    }
  }

  it('locks an account for the address that failed, even against the right password', async () => {
    const { email, password } = await createVerifiedAccount(t);
    const userId = await userIdOf(db, email);
    const lockedIp = uniqueIp();
    await failures(t, email, 3, lockedIp);

    expectLocked(await attempt(t, email, password, lockedIp), 1);
    expectLocked(await attempt(t, email, 'yet another guess', lockedIp), 1);
    const throttled = await loginEvents(t, { ip: lockedIp });
    expect(throttled.map((e) => e.reason)).toEqual([
      'wrong_password',
      'wrong_password',
      'wrong_password',
      'throttled',
      'throttled',
    ]);
    // The owner elsewhere is not locked out by someone else's guesses (no lockout DoS), and
    // their success does not unlock the guesser's address.
    expect((await attempt(t, email, password)).statusCode).toBe(200);
    expectLocked(await attempt(t, email, password, lockedIp), 1);
    // A locked attempt is refused before the password is looked at: only three verdicts.
    expect(
      (await loginEvents(t, { userId })).filter((e) => e.reason === 'wrong_password'),
    ).toHaveLength(3);
  });

  it('failures from many addresses lock the account everywhere at the account-wide limit', async () => {
    const { email, password } = await createVerifiedAccount(t);
    await failures(t, email, 6);
    expectLocked(await attempt(t, email, password), 1);
  });

  it('concurrent guesses cannot outrun the limit: at most the maximum are checked', async () => {
    const { email } = await createVerifiedAccount(t);
    const userId = await userIdOf(db, email);
    const ip = uniqueIp();
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => attempt(t, email, `parallel guess ${i}`, ip)),
    );
    const statuses = answers.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(9);
    expect(
      (await loginEvents(t, { userId })).filter((e) => e.reason === 'wrong_password'),
    ).toHaveLength(3);
  });

  it('case variants of an address count against one account', async () => {
    const { email, password } = await createVerifiedAccount(t);
    const ip = uniqueIp();
    for (const variant of [
      email.toUpperCase(),
      email.replace(/^./, (c) => c.toUpperCase()),
      email,
    ]) {
      expectProblem(await attempt(t, variant, 'not the password', ip), 401, 'invalid_credentials');
    }
    expectLocked(await attempt(t, email, password, ip), 1);
  });

  it('a lock ends by itself; each failure after one locks for longer, up to the maximum', async () => {
    const expiring = await createVerifiedAccount(t);
    const growing = await createVerifiedAccount(t);
    const [ipA, ipB] = [uniqueIp(), uniqueIp()];

    await Promise.all([failures(t, expiring.email, 3, ipA), failures(t, growing.email, 3, ipB)]);
    const retryAfter = expectLocked(await attempt(t, expiring.email, expiring.password, ipA), 1);
    expectLocked(await attempt(t, growing.email, growing.password, ipB), 1);
    await sleep(retryAfter * 1000 + 100);

    await Promise.all([
      (async () => {
        expect((await attempt(t, expiring.email, expiring.password, ipA)).statusCode).toBe(200);
      })(),
      (async () => {
        // The fourth failure locks for twice the base (the configured maximum).
        await failures(t, growing.email, 1, ipB);
        expectLocked(await attempt(t, growing.email, growing.password, ipB), 2);
      })(),
    ]);
  });

  it('a successful login resets the count', async () => {
    const { email, password } = await createVerifiedAccount(t);
    const ip = uniqueIp();
    await failures(t, email, 2, ip);
    expect((await attempt(t, email, password, ip)).statusCode).toBe(200);
    // Without the reset the next failure would be the third and lock the account.
    await failures(t, email, 2, ip);
    expect((await attempt(t, email, password, ip)).statusCode).toBe(200);
  });

  it('unknown emails are throttled exactly like known ones', async () => {
    const known = await createVerifiedAccount(t);
    const unknown = uniqueEmail('ghost');
    const [ipA, ipB] = [uniqueIp(), uniqueIp()];
    await Promise.all([failures(t, known.email, 3, ipA), failures(t, unknown, 3, ipB)]);

    const knownLocked = await attempt(t, known.email, known.password, ipA);
    const unknownLocked = await attempt(t, unknown, known.password, ipB);
    expectLocked(knownLocked, 1);
    expectLocked(unknownLocked, 1);
    expect(problemWithoutIds(unknownLocked)).toEqual(problemWithoutIds(knownLocked));
    expect(headersWithoutIds(unknownLocked)).toEqual(headersWithoutIds(knownLocked));
  });

  it('one IP failing against many accounts is locked, independently of any account', async () => {
    const victim = await createVerifiedAccount(t);
    const ip = uniqueIp();
    // Five different addresses, one failure each: no account is near its own limit.
    for (let i = 0; i < 5; i++) {
      expectProblem(
        await attempt(t, uniqueEmail('spray'), 'password spray 2024', ip),
        401,
        'invalid_credentials',
      );
    }
    expectLocked(await attempt(t, victim.email, victim.password, ip), 1);
    // The account itself is fine from elsewhere.
    expect((await attempt(t, victim.email, victim.password)).statusCode).toBe(200);
    expect((await loginEvents(t, { ip })).map((e) => e.reason)).toEqual([
      'unknown_email',
      'unknown_email',
      'unknown_email',
      'unknown_email',
      'unknown_email',
      'throttled',
    ]);
  });

  it("a success from an IP does not clear that IP's count", async () => {
    const own = await createVerifiedAccount(t);
    const ip = uniqueIp();
    for (let i = 0; i < 4; i++) {
      expectProblem(
        await attempt(t, uniqueEmail('spray'), 'guess guess guess', ip),
        401,
        'invalid_credentials',
      );
    }
    expect((await attempt(t, own.email, own.password, ip)).statusCode).toBe(200);
    expectProblem(
      await attempt(t, uniqueEmail('spray'), 'guess guess guess', ip),
      401,
      'invalid_credentials',
    );
    expectLocked(await attempt(t, own.email, own.password, ip), 1);
  });

  if (storeEnv.REDIS_URL) {
    it('instances share the counters: failures on one lock the account on another', async () => {
      const other = await startTestApp({
        databaseUrl: t.config.database.url,
        env: { ...THROTTLE_ENV, ...storeEnv },
      });
      try {
        const { email, password } = await createVerifiedAccount(t);
        const ip = uniqueIp();
        await failures(t, email, 2, ip);
        await failures(other, email, 1, ip);
        expectLocked(await attempt(other, email, password, ip), 1);
        expectLocked(await attempt(t, email, password, ip), 1);
      } finally {
        await other.close();
      }
    });
  }
});
