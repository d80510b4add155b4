import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { DataSource } from 'typeorm';
import { decodeBase32 } from '../src/modules/mfa/base32';
import { get, GOOD_PASSWORD, post, settled, TokenPairBody, uniqueIp } from './support/accounts';
import { send, signedInAdmin, signedInUser } from './support/access';
import { expectInvalidField, expectProblem, Response } from './support/assertions';
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

const PNG_DATA_URL = 'data:image/png;base64,';

function scan(dataUrl: string): string | undefined {
  expect(dataUrl.startsWith(PNG_DATA_URL)).toBe(true);
  const png = PNG.sync.read(Buffer.from(dataUrl.slice(PNG_DATA_URL.length), 'base64'));
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
}

/** The RFC 9470 challenge of a route that needs more authentication than the token carries. */
function expectStepUpChallenge(res: Response, parameter: string): Record<string, unknown> {
  const body = expectProblem(res, 401, 'insufficient_user_authentication');
  const challenge = res.headers['www-authenticate'] as string;
  expect(challenge).toMatch(/^Bearer /);
  expect(challenge).toContain('error="insufficient_user_authentication"');
  expect(challenge).toContain(parameter);
  return body;
}

describe('second factors (/v1/mfa) and step-up (/v1/auth/step-up)', () => {
  let t: TestApp;
  let dataSource: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    dataSource = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const eventTypes = async (userId: string) => {
    await settled(t);
    return (
      await dataSource.query<{ type: string; outcome: string; reason: string | null }[]>(
        `SELECT type, outcome, reason FROM auth_events
          WHERE user_id = $1 AND (type LIKE 'mfa%' OR type = 'step_up') ORDER BY created_at, id`,
        [userId],
      )
    ).map((e) => `${e.type}:${e.outcome}${e.reason ? `:${e.reason}` : ''}`);
  };
  /** Makes the session's last authentication `seconds` old; its next refresh carries that. */
  const ageAuthentication = async (pair: TokenPairBody, seconds: number): Promise<string> => {
    await dataSource.query(
      `UPDATE sessions SET auth_time = now() - make_interval(secs => $2) WHERE id = $1`,
      [pair.session_id, seconds],
    );
    const refreshed = await post(t, '/v1/auth/refresh', { refresh_token: pair.refresh_token });
    return refreshed.json<TokenPairBody>().access_token;
  };

  describe('enrollment', () => {
    it('gives a 160-bit seed, its otpauth URI and a QR code of that URI; the seed is stored sealed', async () => {
      const user = await signedInUser(t);
      const res = await post(t, '/v1/mfa/totp/enroll', {}, { token: user.token });
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const body = res.json<{ secret: string; otpauth_uri: string; qr_code: string }>();
      expect(body.secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(decodeBase32(body.secret)).toHaveLength(20);
      const uri = new URL(body.otpauth_uri);
      expect(uri.protocol).toBe('otpauth:');
      expect(uri.host).toBe('totp');
      expect(decodeURIComponent(uri.pathname)).toBe(`/Gatehouse:${user.email}`);
      expect(Object.fromEntries(uri.searchParams)).toEqual({
        secret: body.secret,
        issuer: 'Gatehouse',
        algorithm: 'SHA1',
        digits: '6',
        period: '30',
      });
      expect(scan(body.qr_code)).toBe(body.otpauth_uri);
      const [row] = await dataSource.query<{ secret_sealed: string; status: string }[]>(
        'SELECT secret_sealed, status FROM mfa_totp_factors WHERE user_id = $1',
        [user.id],
      );
      expect(row.status).toBe('pending');
      expect(row.secret_sealed).not.toContain(body.secret);
      expect(row.secret_sealed).not.toContain(decodeBase32(body.secret)!.toString('base64'));
      expect(await mfaStatus(t, user.token)).toEqual({
        active_factors: [],
        totp: { status: 'pending', activated_at: null },
        backup_codes_remaining: 0,
      });
    });

    it('a wrong first code activates nothing; the password alone still signs in', async () => {
      await awayFromStepBoundary();
      const user = await signedInUser(t);
      const { secret } = (await post(t, '/v1/mfa/totp/enroll', {}, { token: user.token })).json<{
        secret: string;
      }>();
      const res = await post(
        t,
        '/v1/mfa/totp/activate',
        { code: codeAt(secret, 3) },
        { token: user.token },
      );
      expectProblem(res, 403, 'invalid_current_mfa_code');
      expect((await mfaStatus(t, user.token)).totp.status).toBe('pending');
      const login = await post(t, '/v1/auth/login', { email: user.email, password: GOOD_PASSWORD });
      expect(login.json()).toHaveProperty('access_token');
      expect(await eventTypes(user.id)).toEqual([
        'mfa_enroll:success',
        'mfa_activate:failure:wrong_code',
      ]);
    });

    it('the right first code activates it and answers ten distinct backup codes, once', async () => {
      const user = await enrolledUser(t);
      expect(user.backupCodes).toHaveLength(10);
      expect(new Set(user.backupCodes).size).toBe(10);
      for (const code of user.backupCodes) expect(code).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
      const status = await mfaStatus(t, user.token);
      expect(status).toMatchObject({ active_factors: ['totp'], backup_codes_remaining: 10 });
      expect(status.totp.status).toBe('active');
      const hashes = await dataSource.query<{ code_hash: string }[]>(
        'SELECT code_hash FROM mfa_backup_codes WHERE user_id = $1',
        [user.id],
      );
      for (const { code_hash: hash } of hashes) expect(hash).toMatch(/^\$argon2id\$/);
      expect(await eventTypes(user.id)).toEqual(['mfa_enroll:success', 'mfa_activate:success']);
      // Nothing to activate any more; enrolling another needs removing this one first.
      expectProblem(
        await post(
          t,
          '/v1/mfa/totp/activate',
          { code: codeAt(user.secret, 1) },
          { token: user.token },
        ),
        409,
        'mfa_already_enabled',
      );
      expectProblem(
        await post(t, '/v1/mfa/totp/enroll', {}, { token: user.token }),
        409,
        'mfa_already_enabled',
      );
    });

    it('activation without an enrollment is a 409', async () => {
      const user = await signedInUser(t);
      expectProblem(
        await post(t, '/v1/mfa/totp/activate', { code: '123456' }, { token: user.token }),
        409,
        'mfa_enrollment_not_started',
      );
    });

    it.each([
      ['missing', {}],
      ['too short', { code: '12345' }],
      ['not digits', { code: '12a456' }],
      ['a number', { code: 123456 }],
      ['with an unknown field', { code: '123456', secret: 'x' }],
    ])('activation with a code %s is a 422', async (_, body) => {
      const user = await signedInUser(t);
      await post(t, '/v1/mfa/totp/enroll', {}, { token: user.token });
      const res = await post(t, '/v1/mfa/totp/activate', body, { token: user.token });
      expectProblem(res, 422, 'validation_failed');
      expect((await mfaStatus(t, user.token)).totp.status).toBe('pending');
    });

    it('needs a login within ten minutes: an older one gets the RFC 9470 challenge with max_age', async () => {
      const account = await signedInUser(t);
      const stale = await ageAuthentication(account.tokens, 11 * 60);
      const res = await post(t, '/v1/mfa/totp/enroll', {}, { token: stale });
      const body = expectStepUpChallenge(res, 'max_age="600"');
      expect(body.max_age).toBe(600);
      expect(body.acr_values).toBeUndefined();
      // Step-up with the password gives a token of the same session with a new auth_time.
      const stepped = await post(
        t,
        '/v1/auth/step-up',
        { password: GOOD_PASSWORD },
        { token: stale },
      );
      expect(stepped.statusCode).toBe(200);
      const fresh = stepped.json<{ access_token: string; acr: string; auth_time: number }>();
      expect(fresh.acr).toBe('aal1');
      expect(Math.abs(fresh.auth_time - Date.now() / 1000)).toBeLessThan(30);
      const claims = decodeClaims(fresh.access_token);
      expect(claims).toMatchObject({
        sid: account.tokens.session_id,
        amr: ['pwd'],
        acr: 'aal1',
        auth_time: fresh.auth_time,
      });
      expect(
        (await post(t, '/v1/mfa/totp/enroll', {}, { token: fresh.access_token })).statusCode,
      ).toBe(200);
    });

    it('needs a user token', async () => {
      expectProblem(await post(t, '/v1/mfa/totp/enroll', {}), 401, 'unauthorized');
      expectProblem(await get(t, '/v1/mfa'), 401, 'unauthorized');
    });
  });

  describe('backup codes', () => {
    it('regenerating needs a second factor: an aal1 token gets the challenge with acr_values', async () => {
      const user = await enrolledUser(t);
      // The enrollment happened in a password-only session.
      const res = await post(t, '/v1/mfa/backup-codes/regenerate', {}, { token: user.token });
      const body = expectStepUpChallenge(res, 'acr_values="aal2"');
      expect(body.acr_values).toBe('aal2');
      const stepped = await post(
        t,
        '/v1/auth/step-up',
        { code: codeAt(user.secret) },
        { token: user.token },
      );
      expect(stepped.statusCode).toBe(200);
      const { access_token: token, acr } = stepped.json<{ access_token: string; acr: string }>();
      expect(acr).toBe('aal2');
      expect(decodeClaims(token)).toMatchObject({ amr: ['pwd', 'otp'], acr: 'aal2' });
      const renewed = await post(t, '/v1/mfa/backup-codes/regenerate', {}, { token });
      expect(renewed.statusCode).toBe(200);
      const codes = renewed.json<{ backup_codes: string[] }>().backup_codes;
      expect(codes).toHaveLength(10);
      expect(codes.filter((c) => user.backupCodes.includes(c))).toEqual([]);
      // The old set is gone, the new one works.
      const old = await post(t, '/v1/auth/login/mfa', {
        mfa_token: await passwordStep(t, user.email, user.password),
        backup_code: user.backupCodes[0],
      });
      expectProblem(old, 401, 'invalid_mfa_code');
      await loginWithSecondFactor(t, user, { backup_code: codes[0] });
      expect(await eventTypes(user.id)).toEqual([
        'mfa_enroll:success',
        'mfa_activate:success',
        'step_up:success:totp',
        'mfa_backup_codes_regenerate:success',
        'mfa_challenge:success:mfa_required',
        'mfa_verify:failure:wrong_code',
        'mfa_challenge:success:mfa_required',
        'mfa_verify:success:backup_code',
      ]);
    });

    it('an aal2 authentication older than ten minutes is not enough either', async () => {
      const user = await enrolledUser(t);
      const pair = await loginWithSecondFactor(t, user, { code: codeAt(user.secret) });
      const stale = await ageAuthentication(pair, 11 * 60);
      expectStepUpChallenge(
        await post(t, '/v1/mfa/backup-codes/regenerate', {}, { token: stale }),
        'max_age="600"',
      );
    });
  });

  describe('step-up', () => {
    it('a wrong password is a 403 and changes nothing', async () => {
      const user = await signedInUser(t);
      const res = await post(
        t,
        '/v1/auth/step-up',
        { password: 'not the password!' },
        { token: user.token },
      );
      expectProblem(res, 403, 'invalid_current_password');
      expect(await eventTypes(user.id)).toEqual(['step_up:failure:wrong_password']);
    });

    it('a code without an authenticator app is a 409', async () => {
      const user = await signedInUser(t);
      expectProblem(
        await post(t, '/v1/auth/step-up', { code: '123456' }, { token: user.token }),
        409,
        'mfa_not_enabled',
      );
    });

    it('a wrong code is a 403; a used code too', async () => {
      const user = await enrolledUser(t);
      const used = codeAt(user.secret, -1);
      expectProblem(
        await post(t, '/v1/auth/step-up', { code: used }, { token: user.token }),
        403,
        'invalid_current_mfa_code',
      );
      expect((await eventTypes(user.id)).at(-1)).toBe('step_up:failure:replayed_code');
    });

    it.each([
      ['nothing', {}, ['password', 'code', 'backup_code']],
      ['password and code', { password: GOOD_PASSWORD, code: '123456' }, ['password', 'code']],
      ['a password as a number', { password: 5 }, ['password']],
    ])('%s is a 422', async (_, body, fields) => {
      const user = await signedInUser(t);
      const res = await post(t, '/v1/auth/step-up', body, { token: user.token });
      for (const field of fields) expectInvalidField(res, field);
    });

    it('needs a live session', async () => {
      const user = await signedInUser(t);
      await post(t, '/v1/auth/logout', {}, { token: user.token });
      expectProblem(
        await post(t, '/v1/auth/step-up', { password: GOOD_PASSWORD }, { token: user.token }),
        401,
        'invalid_token',
      );
      expectProblem(
        await post(t, '/v1/auth/step-up', { password: GOOD_PASSWORD }),
        401,
        'unauthorized',
      );
    });
  });

  describe('removing the authenticator app (DELETE /v1/mfa/totp)', () => {
    const remove = (token: string, body: Record<string, unknown>) =>
      send(t, 'DELETE', '/v1/mfa/totp', token, body);

    it('needs the password and a current code; a wrong one of either changes nothing', async () => {
      const user = await enrolledUser(t);
      expectProblem(
        await remove(user.token, { password: 'not the password!', code: codeAt(user.secret) }),
        403,
        'invalid_current_password',
      );
      expectProblem(
        await remove(user.token, { password: GOOD_PASSWORD, code: codeAt(user.secret, -1) }),
        403,
        'invalid_current_mfa_code',
      );
      expectInvalidField(await remove(user.token, { password: GOOD_PASSWORD }), 'code');
      expectInvalidField(await remove(user.token, { code: codeAt(user.secret) }), 'password');
      expect((await mfaStatus(t, user.token)).active_factors).toEqual(['totp']);
    });

    it('removes the factor and the backup codes; other sessions end only when asked', async () => {
      const user = await enrolledUser(t);
      const other = await loginWithSecondFactor(t, user, { code: codeAt(user.secret) });
      const res = await remove(user.token, {
        password: GOOD_PASSWORD,
        code: codeAt(user.secret, 1),
        end_other_sessions: true,
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ sessions_ended: 1 });
      expect(await mfaStatus(t, user.token)).toEqual({
        active_factors: [],
        totp: { status: 'none', activated_at: null },
        backup_codes_remaining: 0,
      });
      expectProblem(await get(t, '/v1/users/me', other.access_token), 401, 'invalid_token');
      const login = await post(t, '/v1/auth/login', { email: user.email, password: GOOD_PASSWORD });
      expect(login.json()).toHaveProperty('access_token');
      expect((await eventTypes(user.id)).at(-1)).toBe('mfa_disable:success');
    });

    it('a backup code will do, for a lost phone; other sessions stay by default', async () => {
      const user = await enrolledUser(t);
      const other = await loginWithSecondFactor(t, user, { code: codeAt(user.secret) });
      const res = await remove(user.token, {
        password: GOOD_PASSWORD,
        backup_code: user.backupCodes[9],
      });
      expect(res.json()).toEqual({ sessions_ended: 0 });
      expect((await get(t, '/v1/users/me', other.access_token)).statusCode).toBe(200);
    });

    it('without a factor it is a 409', async () => {
      const user = await signedInUser(t);
      expectProblem(
        await remove(user.token, { password: GOOD_PASSWORD, code: '123456' }),
        409,
        'mfa_not_enabled',
      );
    });
  });

  describe('administrators’ reset (DELETE /v1/admin/users/{id}/mfa)', () => {
    it('removes every factor, is audited, and the user signs in with the password alone', async () => {
      const admin = await signedInAdmin(t);
      const user = await enrolledUser(t);
      const pending = await passwordStep(t, user.email, user.password, uniqueIp());
      const res = await send(t, 'DELETE', `/v1/admin/users/${user.id}/mfa`, admin.token);
      expect(res.statusCode).toBe(204);
      const audit = await dataSource.query<Record<string, unknown>[]>(
        `SELECT actor_type, actor_id, action, target_type, details FROM audit_events
          WHERE target_id = $1 AND action = 'user.mfa_reset'`,
        [user.id],
      );
      expect(audit).toEqual([
        {
          actor_type: 'user',
          actor_id: admin.id,
          action: 'user.mfa_reset',
          target_type: 'user',
          details: { removed: true },
        },
      ]);
      expect((await eventTypes(user.id)).at(-1)).toBe('mfa_reset:success');
      // The login that was waiting for a code cannot finish with the old factor.
      expectProblem(
        await post(t, '/v1/auth/login/mfa', { mfa_token: pending, code: codeAt(user.secret) }),
        401,
        'invalid_mfa_token',
      );
      // Every session of the user ended with it.
      expectProblem(await get(t, '/v1/users/me', user.token), 401, 'invalid_token');
      const login = await post(t, '/v1/auth/login', { email: user.email, password: GOOD_PASSWORD });
      expect(login.json()).toHaveProperty('access_token');
    });

    it('is not for one’s own account', async () => {
      const admin = await signedInAdmin(t);
      expectProblem(
        await send(t, 'DELETE', `/v1/admin/users/${admin.id}/mfa`, admin.token),
        403,
        'forbidden',
      );
    });

    it('needs users:reset_mfa; an unknown user is a 404, a malformed id a 422', async () => {
      const admin = await signedInAdmin(t);
      const user = await enrolledUser(t);
      expectProblem(
        await send(t, 'DELETE', `/v1/admin/users/${user.id}/mfa`, user.token),
        403,
        'forbidden',
      );
      expectProblem(
        await send(t, 'DELETE', `/v1/admin/users/${user.id}/mfa`, null),
        401,
        'unauthorized',
      );
      expect((await mfaStatus(t, user.token)).active_factors).toEqual(['totp']);
      expectProblem(
        await send(
          t,
          'DELETE',
          '/v1/admin/users/0190a3f4-1d2c-7000-8000-000000000000/mfa',
          admin.token,
        ),
        404,
        'not_found',
      );
      expectInvalidField(await send(t, 'DELETE', '/v1/admin/users/nope/mfa', admin.token), 'id');
    });
  });
});
