import { DataSource } from 'typeorm';
import { AccessService } from '../src/modules/access/access.service';
import { ADMIN_ROLE } from '../src/modules/access/built-in-roles';
import { systemActor } from '../src/common/auth/actor';
import {
  get,
  GOOD_PASSWORD,
  mailsTo,
  post,
  settled,
  tokenFromLink,
  TokenPairBody,
  uniqueIp,
} from './support/accounts';
import { send, signedInUser } from './support/access';
import { expectInvalidField, expectProblem } from './support/assertions';
import {
  awayFromStepBoundary,
  codeAt,
  decodeClaims,
  enrolledUser,
  loginWithSecondFactor,
  mfaStatus,
  passwordStep,
} from './support/mfa';
import { startTestApp, TestApp } from './support/test-app';

const MFA_TOKEN = /^ghm_[A-Za-z0-9_-]{43}$/;

describe('login with a second factor (/v1/auth/login, /v1/auth/login/mfa)', () => {
  let t: TestApp;
  let dataSource: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    dataSource = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const eventsOf = async (userId: string, type: string) => {
    await settled(t);
    return dataSource.query<
      { outcome: string; reason: string | null; session_id: string | null }[]
    >(
      `SELECT outcome, reason, session_id FROM auth_events
        WHERE user_id = $1 AND type = $2 ORDER BY created_at, id`,
      [userId, type],
    );
  };
  const completeLogin = (mfaToken: string, factor: Record<string, unknown>, ip = uniqueIp()) =>
    post(t, '/v1/auth/login/mfa', { mfa_token: mfaToken, ...factor }, { ip });

  it('the right password of a user with an authenticator app gives an mfa_token and no tokens', async () => {
    const user = await enrolledUser(t);
    const res = await post(t, '/v1/auth/login', { email: user.email, password: user.password });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toEqual({
      mfa_required: true,
      mfa_enrollment_required: false,
      mfa_token: expect.stringMatching(MFA_TOKEN) as string,
      expires_in: 300,
      methods: ['totp', 'backup_code'],
    });
    expect(res.body).not.toContain('access_token');
    expect(res.body).not.toContain('refresh_token');
    expect(await eventsOf(user.id, 'mfa_challenge')).toEqual([
      { outcome: 'success', reason: 'mfa_required', session_id: null },
    ]);
  });

  it('a wrong password is the usual 401, with no hint that the account has a second factor', async () => {
    const user = await enrolledUser(t);
    const res = await post(t, '/v1/auth/login', {
      email: user.email,
      password: 'not the password!',
    });
    expectProblem(res, 401, 'invalid_credentials');
  });

  it('a code completes the login: amr pwd+otp, acr aal2, and the session works', async () => {
    const user = await enrolledUser(t);
    const mfaToken = await passwordStep(t, user.email, user.password);
    const res = await completeLogin(mfaToken, { code: codeAt(user.secret) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const pair = res.json<TokenPairBody & { backup_codes?: string[] }>();
    expect(pair).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    expect(pair.backup_codes).toBeUndefined();
    const claims = decodeClaims(pair.access_token);
    expect(claims).toMatchObject({ sub: user.id, amr: ['pwd', 'otp'], acr: 'aal2' });
    expect((await get(t, '/v1/users/me', pair.access_token)).statusCode).toBe(200);
    // A refresh keeps what the login proved.
    const refreshed = await post(t, '/v1/auth/refresh', { refresh_token: pair.refresh_token });
    expect(decodeClaims(refreshed.json<TokenPairBody>().access_token)).toMatchObject({
      amr: ['pwd', 'otp'],
      acr: 'aal2',
    });
    expect(await eventsOf(user.id, 'mfa_verify')).toEqual([
      { outcome: 'success', reason: 'totp', session_id: pair.session_id },
    ]);
    expect((await eventsOf(user.id, 'login')).at(-1)).toEqual({
      outcome: 'success',
      reason: null,
      session_id: pair.session_id,
    });
  });

  it('an mfa_token is single use', async () => {
    const user = await enrolledUser(t);
    const mfaToken = await passwordStep(t, user.email, user.password);
    expect((await completeLogin(mfaToken, { code: codeAt(user.secret) })).statusCode).toBe(200);
    const again = await completeLogin(mfaToken, { code: codeAt(user.secret, 1) });
    expectProblem(again, 401, 'invalid_mfa_token');
  });

  it('a code is accepted once: the same code, or an earlier step’s, is refused afterwards', async () => {
    const user = await enrolledUser(t);
    const code = codeAt(user.secret);
    await loginWithSecondFactor(t, user, { code });
    const replayed = await completeLogin(await passwordStep(t, user.email, user.password), {
      code,
    });
    expect(expectProblem(replayed, 401, 'invalid_mfa_code').attempts_remaining).toBe(4);
    // The activation used the previous step's code: older than the last accepted step.
    const earlier = await completeLogin(await passwordStep(t, user.email, user.password), {
      code: codeAt(user.secret, -1),
    });
    expectProblem(earlier, 401, 'invalid_mfa_code');
    expect((await eventsOf(user.id, 'mfa_verify')).map((e) => e.reason)).toEqual([
      'totp',
      'replayed_code',
      'replayed_code',
    ]);
    // The next step's code still works: replays cost nothing but the attempt.
    await loginWithSecondFactor(t, user, { code: codeAt(user.secret, 1) });
  });

  it.each([
    ['two steps behind', -2],
    ['two steps ahead', 2],
  ])('a code %s is refused; one step either way is drift the login accepts', async (_, offset) => {
    const user = await enrolledUser(t);
    const far = await completeLogin(await passwordStep(t, user.email, user.password), {
      code: codeAt(user.secret, offset),
    });
    expectProblem(far, 401, 'invalid_mfa_code');
    await loginWithSecondFactor(t, user, { code: codeAt(user.secret, 1) });
  });

  it('a backup code completes the login once; used again it is refused', async () => {
    const user = await enrolledUser(t);
    const [code] = user.backupCodes;
    const pair = await loginWithSecondFactor(t, user, { backup_code: code.toUpperCase() });
    expect(decodeClaims(pair.access_token)).toMatchObject({ amr: ['pwd', 'otp'], acr: 'aal2' });
    expect((await mfaStatus(t, pair.access_token)).backup_codes_remaining).toBe(9);
    const again = await completeLogin(await passwordStep(t, user.email, user.password), {
      backup_code: code,
    });
    expectProblem(again, 401, 'invalid_mfa_code');
    expect((await eventsOf(user.id, 'mfa_verify')).map((e) => [e.outcome, e.reason])).toEqual([
      ['success', 'backup_code'],
      ['failure', 'wrong_code'],
    ]);
  });

  it('concurrent submissions of one mfa_token and one code give exactly one token pair', async () => {
    const user = await enrolledUser(t);
    const mfaToken = await passwordStep(t, user.email, user.password);
    const code = codeAt(user.secret);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => completeLogin(mfaToken, { code })),
    );
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 401, 401, 401, 401, 401]);
    const { count } = (
      await dataSource.query<{ count: string }[]>(
        `SELECT count(*) FROM sessions WHERE user_id = $1 AND 'otp' = ANY (amr)`,
        [user.id],
      )
    )[0];
    expect(Number(count)).toBe(1);
  });

  it('concurrent logins presenting one code give exactly one success', async () => {
    const user = await enrolledUser(t);
    const tokens = await Promise.all(
      Array.from({ length: 5 }, () => passwordStep(t, user.email, user.password)),
    );
    const code = codeAt(user.secret);
    const answers = await Promise.all(tokens.map((mfaToken) => completeLogin(mfaToken, { code })));
    expect(answers.filter((r) => r.statusCode === 200)).toHaveLength(1);
    for (const r of answers.filter((a) => a.statusCode !== 200)) {
      expectProblem(r, 401, 'invalid_mfa_code');
    }
  });

  it('concurrent logins presenting one backup code give exactly one success', async () => {
    const user = await enrolledUser(t);
    const tokens = await Promise.all(
      Array.from({ length: 5 }, () => passwordStep(t, user.email, user.password)),
    );
    const answers = await Promise.all(
      tokens.map((mfaToken) => completeLogin(mfaToken, { backup_code: user.backupCodes[3] })),
    );
    expect(answers.filter((r) => r.statusCode === 200)).toHaveLength(1);
    const { rows } = {
      rows: await dataSource.query<{ used: number }[]>(
        `SELECT count(*)::int AS used FROM mfa_backup_codes WHERE user_id = $1 AND used_at IS NOT NULL`,
        [user.id],
      ),
    };
    expect(rows[0].used).toBe(1);
  });

  it('five wrong codes burn the mfa_token; the user’s throttle then answers 429 with Retry-After', async () => {
    const user = await enrolledUser(t);
    const ip = uniqueIp();
    const mfaToken = await passwordStep(t, user.email, user.password, ip);
    const wrong = codeAt(user.secret) === '000000' ? '111111' : '000000';
    const remaining: unknown[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await completeLogin(mfaToken, { code: wrong }, ip);
      remaining.push(expectProblem(res, 401, 'invalid_mfa_code').attempts_remaining);
    }
    expect(remaining).toEqual([4, 3, 2, 1, 0]);
    // Burnt: even the right code no longer helps.
    expectProblem(
      await completeLogin(mfaToken, { code: codeAt(user.secret) }, ip),
      401,
      'invalid_mfa_token',
    );
    // A new password step, from the same network, meets the per-user lock.
    const fresh = await passwordStep(t, user.email, user.password, ip);
    const locked = await completeLogin(fresh, { code: codeAt(user.secret) }, ip);
    expectProblem(locked, 429, 'too_many_requests');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await eventsOf(user.id, 'mfa_verify')).at(-1)).toMatchObject({
      outcome: 'failure',
      reason: 'throttled',
    });
  });

  it('an expired mfa_token is refused', async () => {
    const user = await enrolledUser(t);
    const mfaToken = await passwordStep(t, user.email, user.password);
    await dataSource.query(
      `UPDATE mfa_challenges SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
      [user.id],
    );
    expectProblem(
      await completeLogin(mfaToken, { code: codeAt(user.secret) }),
      401,
      'invalid_mfa_token',
    );
  });

  it('a password reset ends no second factor: the next login still asks for a code', async () => {
    const user = await enrolledUser(t);
    const pending = await passwordStep(t, user.email, user.password);
    await post(t, '/v1/auth/password/forgot', { email: user.email });
    // The notice that an authenticator was added is mailed too, before or after it (its event
    // goes through the relay, the reset through a job): take the reset mail.
    const resets = (await mailsTo(t, user.email)).filter(
      (m) => m.subject === 'Reset your password',
    );
    const link = resets.at(-1)!.link!;
    const newPassword = 'a new and different passphrase 77';
    const reset = await post(t, '/v1/auth/password/reset', {
      token: tokenFromLink(link),
      password: newPassword,
    });
    expect(reset.statusCode).toBe(204);
    // The mfa_token of the old password's login died with it.
    expectProblem(
      await completeLogin(pending, { code: codeAt(user.secret) }),
      401,
      'invalid_mfa_token',
    );
    const mfaToken = await passwordStep(t, user.email, newPassword);
    expect(mfaToken).toMatch(MFA_TOKEN);
    expect((await completeLogin(mfaToken, { code: codeAt(user.secret) })).statusCode).toBe(200);
  });

  it('a suspended account’s mfa_token stops working', async () => {
    const user = await enrolledUser(t);
    const mfaToken = await passwordStep(t, user.email, user.password);
    await dataSource.query(`UPDATE users SET status = 'suspended' WHERE id = $1`, [user.id]);
    expectProblem(
      await completeLogin(mfaToken, { code: codeAt(user.secret) }),
      401,
      'invalid_mfa_token',
    );
  });

  describe('bad input', () => {
    it.each([
      ['no factor', {}, ['code', 'backup_code']],
      [
        'both factors',
        { code: '123456', backup_code: 'abcd-efgh-ijkl-mnop' },
        ['code', 'backup_code'],
      ],
      ['a five-digit code', { code: '12345' }, ['code']],
      ['a code as a number', { code: 123456 }, ['code']],
      ['a backup code as a number', { backup_code: 7 }, ['backup_code']],
    ])('%s is a 422 naming the fields, and costs no attempt', async (_, factor, fields) => {
      const user = await enrolledUser(t);
      const mfaToken = await passwordStep(t, user.email, user.password);
      const res = await completeLogin(mfaToken, factor);
      for (const field of fields) expectInvalidField(res, field);
      const [{ failed_attempts: failed }] = await dataSource.query<{ failed_attempts: number }[]>(
        'SELECT failed_attempts FROM mfa_challenges WHERE user_id = $1',
        [user.id],
      );
      expect(failed).toBe(0);
      expect((await completeLogin(mfaToken, { code: codeAt(user.secret) })).statusCode).toBe(200);
    });

    it('a missing mfa_token is a 422; a made-up one a 401', async () => {
      expectInvalidField(await post(t, '/v1/auth/login/mfa', { code: '123456' }), 'mfa_token');
      expectProblem(
        await completeLogin('ghm_' + 'A'.repeat(43), { code: '123456' }),
        401,
        'invalid_mfa_token',
      );
      expectProblem(await completeLogin('ghr_nope', { code: '123456' }), 401, 'invalid_mfa_token');
    });

    it('a refresh token or an mfa_token is no access token', async () => {
      const user = await enrolledUser(t);
      const mfaToken = await passwordStep(t, user.email, user.password);
      const res = await get(t, '/v1/users/me', mfaToken);
      expectProblem(res, 401, 'invalid_token');
    });
  });

  describe('roles that require a second factor (MFA_REQUIRED_ROLES)', () => {
    let strict: TestApp;
    beforeAll(async () => {
      strict = await startTestApp({ env: { MFA_REQUIRED_ROLES: ADMIN_ROLE } });
    });
    afterAll(() => strict.close());

    it('a holder without a factor gets an mfa_token that can only enroll, then logs in with the first code', async () => {
      await awayFromStepBoundary();
      const user = await signedInUser(strict);
      await strict.app.get(AccessService).grantRole(user.id, ADMIN_ROLE, systemActor('test'));
      const ip = uniqueIp();
      const res = await post(
        strict,
        '/v1/auth/login',
        { email: user.email, password: GOOD_PASSWORD },
        { ip },
      );
      expect(res.statusCode).toBe(200);
      const challenge = res.json<Record<string, unknown>>();
      expect(challenge).toEqual({
        mfa_required: true,
        mfa_enrollment_required: true,
        mfa_token: expect.stringMatching(MFA_TOKEN) as string,
        expires_in: 300,
        methods: ['totp'],
      });
      const mfaToken = challenge.mfa_token as string;
      // The token is no access token, and a code cannot complete a login before enrolling.
      expectProblem(await get(strict, '/v1/mfa', mfaToken), 401, 'invalid_token');
      expectProblem(
        await post(strict, '/v1/auth/login/mfa', { mfa_token: mfaToken, code: '123456' }, { ip }),
        409,
        'mfa_enrollment_not_started',
      );
      const enrolled = await post(
        strict,
        '/v1/auth/login/mfa/enroll',
        { mfa_token: mfaToken },
        { ip },
      );
      expect(enrolled.statusCode).toBe(200);
      const { secret, otpauth_uri: uri } = enrolled.json<{ secret: string; otpauth_uri: string }>();
      expect(uri).toContain(`secret=${secret}`);
      const done = await post(
        strict,
        '/v1/auth/login/mfa',
        { mfa_token: mfaToken, code: codeAt(secret) },
        { ip },
      );
      expect(done.statusCode).toBe(200);
      const pair = done.json<TokenPairBody & { backup_codes: string[] }>();
      expect(pair.backup_codes).toHaveLength(10);
      expect(decodeClaims(pair.access_token)).toMatchObject({ acr: 'aal2', amr: ['pwd', 'otp'] });
      expect((await mfaStatus(strict, pair.access_token)).active_factors).toEqual(['totp']);
      // From now on it is an ordinary second-factor login.
      const next = await post(strict, '/v1/auth/login', {
        email: user.email,
        password: GOOD_PASSWORD,
      });
      expect(next.json()).toMatchObject({ mfa_required: true, mfa_enrollment_required: false });
    });

    it('a holder whose session has no second factor must step up before using the admin API', async () => {
      const user = await enrolledUser(strict);
      // Granted the role during a password-only session.
      await strict.app.get(AccessService).grantRole(user.id, ADMIN_ROLE, systemActor('test'));
      const res = await get(strict, '/v1/roles', user.token);
      const body = expectProblem(res, 401, 'insufficient_user_authentication');
      expect(body.acr_values).toBe('aal2');
      expect(res.headers['www-authenticate']).toContain('acr_values="aal2"');
      const stepped = await post(
        strict,
        '/v1/auth/step-up',
        { code: codeAt(user.secret) },
        { token: user.token },
      );
      const { access_token: token } = stepped.json<{ access_token: string }>();
      expect((await get(strict, '/v1/roles', token)).statusCode).toBe(200);
      // Nor can the factor the role requires be removed.
      const removed = await send(strict, 'DELETE', '/v1/mfa/totp', token, {
        password: GOOD_PASSWORD,
        code: codeAt(user.secret, 1),
      });
      expectProblem(removed, 409, 'mfa_required_by_role');
      expect((await mfaStatus(strict, token)).active_factors).toEqual(['totp']);
    });

    it('the mfa_token of an ordinary second-factor login cannot enroll', async () => {
      const user = await enrolledUser(strict);
      const mfaToken = await passwordStep(strict, user.email, user.password);
      expectProblem(
        await post(strict, '/v1/auth/login/mfa/enroll', { mfa_token: mfaToken }),
        401,
        'invalid_mfa_token',
      );
    });

    it('a user without such a role logs in with the password alone', async () => {
      const user = await signedInUser(strict);
      const res = await post(strict, '/v1/auth/login', {
        email: user.email,
        password: GOOD_PASSWORD,
      });
      expect(res.json()).toMatchObject({ token_type: 'Bearer' });
      expect(decodeClaims(res.json<TokenPairBody>().access_token)).toMatchObject({
        amr: ['pwd'],
        acr: 'aal1',
      });
    });
  });
});
