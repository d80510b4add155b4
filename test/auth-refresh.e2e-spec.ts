import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  JSONWebKeySet,
  jwtVerify,
} from 'jose';
import { DataSource } from 'typeorm';
import {
  createVerifiedAccount,
  get,
  lastMailTo,
  login,
  post,
  settled,
  signedInAccount,
  tokenFromLink,
  TokenPairBody,
  uniqueEmail,
  uniqueIp,
} from './support/accounts';
import { startTestApp, TestApp } from './support/test-app';
import { expectProblem, PROBLEM, REVOCATION_BOUND_MS, sha256, sleep } from './support/assertions';

const DAY_S = 24 * 60 * 60;
/** Not the default (900), so the claims prove the setting is used. */
const ACCESS_TTL_S = 600;

function refresh(t: TestApp, refreshToken: unknown, ip?: string) {
  return post(t, '/v1/auth/refresh', { refresh_token: refreshToken }, { ip });
}

async function refreshed(t: TestApp, refreshToken: string): Promise<TokenPairBody> {
  const res = await refresh(t, refreshToken);
  expect(res.statusCode).toBe(200);
  return res.json<TokenPairBody>();
}

/** Polls until the access token is refused; fails if that takes longer than the bound. */
async function expectAccessTokenDiesWithinBound(t: TestApp, accessToken: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    const res = await get(t, '/v1/users/me', accessToken);
    const elapsed = Date.now() - started;
    if (res.statusCode === 401) {
      expectProblem(res, 401, 'invalid_token');
      return elapsed;
    }
    expect(res.statusCode).toBe(200);
    if (elapsed > REVOCATION_BOUND_MS) {
      throw new Error(`access token still accepted ${elapsed} ms after its session ended`);
    }
    await sleep(100);
  }
}

describe('refresh tokens', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await startTestApp({ env: { ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TTL_S) } });
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const liveChildren = async (sessionId: string): Promise<number> => {
    const [row] = await db.query<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM refresh_tokens
        WHERE session_id = $1 AND rotated_at IS NULL AND revoked_at IS NULL`,
      [sessionId],
    );
    return row.count;
  };
  const sessionRow = async (id: string) => {
    const [row] = await db.query<
      { revoked_at: Date | null; revoke_reason: string | null; absolute_expires_at: Date }[]
    >('SELECT revoked_at, revoke_reason, absolute_expires_at FROM sessions WHERE id = $1', [id]);
    return row;
  };
  const eventsOf = async (sessionId: string, type: string) => {
    await settled(t);
    return db.query<
      { user_id: string | null; outcome: string; reason: string | null; ip: string }[]
    >('SELECT user_id, outcome, reason, ip FROM auth_events WHERE session_id = $1 AND type = $2', [
      sessionId,
      type,
    ]);
  };
  const userIdOf = async (accessToken: string): Promise<string> => {
    const me = await get(t, '/v1/users/me', accessToken);
    expect(me.statusCode).toBe(200);
    return me.json<{ id: string }>().id;
  };

  describe('rotation', () => {
    it('returns a new pair for the same session; the old refresh token is then refused', async () => {
      const { tokens } = await signedInAccount(t);
      const res = await refresh(t, tokens.refresh_token);
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const next = res.json<TokenPairBody>();
      expect(next).toEqual({
        access_token: expect.any(String) as string,
        token_type: 'Bearer',
        expires_in: ACCESS_TTL_S,
        refresh_token: expect.stringMatching(/^ghr_[A-Za-z0-9_-]{43}$/) as string,
        refresh_expires_in: expect.any(Number) as number,
        session_id: tokens.session_id,
      });
      expect(next.refresh_token).not.toBe(tokens.refresh_token);
      expect(next.access_token).not.toBe(tokens.access_token);
      expect(next.refresh_expires_in).toBeGreaterThan(7 * DAY_S - 60);
      expect(next.refresh_expires_in).toBeLessThanOrEqual(7 * DAY_S);
      expect((await get(t, '/v1/users/me', next.access_token)).statusCode).toBe(200);

      const replay = await refresh(t, tokens.refresh_token);
      const body = expectProblem(replay, 401, 'invalid_refresh_token');
      expect(JSON.stringify(body)).not.toContain(tokens.refresh_token);
    });

    it('chains: each token of a family works exactly once', async () => {
      const { tokens } = await signedInAccount(t);
      let current = tokens;
      for (let i = 0; i < 4; i++) {
        current = await refreshed(t, current.refresh_token);
        expect(current.session_id).toBe(tokens.session_id);
      }
      const rows = await db.query<{ id: string; parent_id: string | null; rotated_at: Date }[]>(
        'SELECT id, parent_id, rotated_at FROM refresh_tokens WHERE session_id = $1 ORDER BY created_at, id',
        [tokens.session_id],
      );
      expect(rows).toHaveLength(5);
      expect(rows[0].parent_id).toBeNull();
      for (let i = 1; i < rows.length; i++) expect(rows[i].parent_id).toBe(rows[i - 1].id);
      expect(rows.filter((r) => r.rotated_at === null)).toHaveLength(1);
      expect(await liveChildren(tokens.session_id)).toBe(1);
    });

    it('records successful refreshes as auth events', async () => {
      const { tokens } = await signedInAccount(t);
      const userId = await userIdOf(tokens.access_token);
      await refreshed(t, tokens.refresh_token);
      expect(await eventsOf(tokens.session_id, 'refresh')).toEqual([
        expect.objectContaining({ user_id: userId, outcome: 'success', reason: null }),
      ]);
    });
  });

  describe('reuse detection', () => {
    it('an already-rotated token revokes its whole session and is recorded; other sessions of the user keep working', async () => {
      const { email, password, tokens: first } = await signedInAccount(t);
      const other = await login(t, email, password);
      const userId = await userIdOf(first.access_token);
      const second = await refreshed(t, first.refresh_token);
      expect((await get(t, '/v1/users/me', second.access_token)).statusCode).toBe(200);

      // An attacker (or a confused client) presents the rotated token again.
      expectProblem(await refresh(t, first.refresh_token), 401, 'invalid_refresh_token');

      // The legitimate holder's current refresh token is dead too...
      expectProblem(await refresh(t, second.refresh_token), 401, 'invalid_refresh_token');
      // ...and so are the session's access tokens, within the bound.
      await expectAccessTokenDiesWithinBound(t, second.access_token);
      await expectAccessTokenDiesWithinBound(t, first.access_token);
      expect(await liveChildren(first.session_id)).toBe(0);
      expect(await sessionRow(first.session_id)).toMatchObject({
        revoked_at: expect.any(Date) as Date,
        revoke_reason: 'refresh_token_reuse',
      });
      expect(await eventsOf(first.session_id, 'refresh_token_reuse')).toEqual([
        expect.objectContaining({ user_id: userId, outcome: 'failure', reason: 'reused' }),
      ]);

      // The user's other session is untouched.
      expect((await get(t, '/v1/users/me', other.access_token)).statusCode).toBe(200);
      const otherNext = await refreshed(t, other.refresh_token);
      expect(otherNext.session_id).toBe(other.session_id);
      expect((await get(t, '/v1/users/me', otherNext.access_token)).statusCode).toBe(200);
      expect((await sessionRow(other.session_id)).revoked_at).toBeNull();
    });

    it('a token rotated generations ago triggers it as well', async () => {
      const { tokens } = await signedInAccount(t);
      const second = await refreshed(t, tokens.refresh_token);
      const third = await refreshed(t, second.refresh_token);
      expectProblem(await refresh(t, tokens.refresh_token), 401, 'invalid_refresh_token');
      expectProblem(await refresh(t, third.refresh_token), 401, 'invalid_refresh_token');
      expect((await sessionRow(tokens.session_id)).revoke_reason).toBe('refresh_token_reuse');
      expect(await eventsOf(tokens.session_id, 'refresh_token_reuse')).toHaveLength(1);
    });

    it('N=10 concurrent refreshes with one token: exactly one succeeds, never two live children', async () => {
      const { tokens } = await signedInAccount(t);
      let inFlight = true;
      const samples: number[] = [];
      const sampler = (async () => {
        while (inFlight) samples.push(await liveChildren(tokens.session_id));
      })();
      const results = await Promise.all(
        Array.from({ length: 10 }, () => refresh(t, tokens.refresh_token)),
      );
      inFlight = false;
      await sampler;

      const ok = results.filter((r) => r.statusCode === 200);
      expect(ok).toHaveLength(1);
      for (const res of results.filter((r) => r.statusCode !== 200)) {
        expectProblem(res, 401, 'invalid_refresh_token');
      }
      expect(samples.length).toBeGreaterThan(0);
      expect(Math.max(...samples)).toBeLessThanOrEqual(1);
      expect(await liveChildren(tokens.session_id)).toBeLessThanOrEqual(1);
      const [{ count }] = await db.query<{ count: number }[]>(
        'SELECT count(*)::int AS count FROM refresh_tokens WHERE parent_id IS NOT NULL AND session_id = $1',
        [tokens.session_id],
      );
      expect(count).toBe(1);
    });
  });

  describe('lifetime', () => {
    it('idle timeout: a session past its idle expiry cannot refresh', async () => {
      const { tokens } = await signedInAccount(t);
      await db.query(
        "UPDATE sessions SET idle_expires_at = now() - interval '1 second' WHERE id = $1",
        [tokens.session_id],
      );
      expectProblem(await refresh(t, tokens.refresh_token), 401, 'invalid_refresh_token');
      expect(await eventsOf(tokens.session_id, 'refresh')).toEqual([
        expect.objectContaining({ outcome: 'failure', reason: 'expired' }),
      ]);
      await expectAccessTokenDiesWithinBound(t, tokens.access_token);
    });

    it('idle timeout: a refresh token past its own expiry is refused', async () => {
      const { tokens } = await signedInAccount(t);
      await db.query(
        "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE session_id = $1",
        [tokens.session_id],
      );
      expectProblem(await refresh(t, tokens.refresh_token), 401, 'invalid_refresh_token');
    });

    it('absolute lifetime: a session past it cannot refresh, however recently it was used', async () => {
      const { tokens } = await signedInAccount(t);
      const next = await refreshed(t, tokens.refresh_token);
      await db.query(
        "UPDATE sessions SET absolute_expires_at = now() - interval '1 second' WHERE id = $1",
        [tokens.session_id],
      );
      expectProblem(await refresh(t, next.refresh_token), 401, 'invalid_refresh_token');
      await expectAccessTokenDiesWithinBound(t, next.access_token);
    });

    it('refresh_expires_in never reaches past the absolute lifetime', async () => {
      const { tokens } = await signedInAccount(t);
      await db.query(
        "UPDATE sessions SET absolute_expires_at = now() + interval '1 hour' WHERE id = $1",
        [tokens.session_id],
      );
      const next = await refreshed(t, tokens.refresh_token);
      expect(next.refresh_expires_in).toBeLessThanOrEqual(3600);
      expect(next.refresh_expires_in).toBeGreaterThan(3600 - 60);
      const [row] = await db.query<{ within: boolean }[]>(
        `SELECT bool_and(rt.expires_at <= s.absolute_expires_at AND s.idle_expires_at <= s.absolute_expires_at) AS within
           FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id
          WHERE s.id = $1 AND rt.rotated_at IS NULL`,
        [tokens.session_id],
      );
      expect(row.within).toBe(true);
    });

    it('with idle timeout equal to the absolute lifetime, a refresh still ends at the absolute expiry', async () => {
      const capped = await startTestApp({
        env: { REFRESH_TOKEN_IDLE_DAYS: '2', REFRESH_TOKEN_ABSOLUTE_DAYS: '2' },
      });
      try {
        const { tokens } = await signedInAccount(capped);
        expect(tokens.refresh_expires_in).toBeLessThanOrEqual(2 * DAY_S);
        expect(tokens.refresh_expires_in).toBeGreaterThan(2 * DAY_S - 60);
        // As if the login had been a minute ago: a full idle period from now would overshoot.
        await capped.app
          .get(DataSource)
          .query(
            "UPDATE sessions SET absolute_expires_at = absolute_expires_at - interval '1 minute' WHERE id = $1",
            [tokens.session_id],
          );
        const next = await refreshed(capped, tokens.refresh_token);
        expect(next.refresh_expires_in).toBeLessThanOrEqual(2 * DAY_S - 60);
        expect(next.refresh_expires_in).toBeGreaterThan(2 * DAY_S - 120);
      } finally {
        await capped.close();
      }
    });

    it('an idle timeout longer than the absolute lifetime is a configuration error', async () => {
      await expect(
        startTestApp({ env: { REFRESH_TOKEN_IDLE_DAYS: '30', REFRESH_TOKEN_ABSOLUTE_DAYS: '2' } }),
      ).rejects.toThrow(/REFRESH_TOKEN_IDLE_DAYS/);
    });
  });

  describe('storage', () => {
    it('stores only SHA-256 hashes, never the token text', async () => {
      const { tokens } = await signedInAccount(t);
      const next = await refreshed(t, tokens.refresh_token);
      const rows = await db.query<{ token_hash: Buffer; whole: string }[]>(
        'SELECT token_hash, rt::text AS whole FROM refresh_tokens rt WHERE session_id = $1',
        [tokens.session_id],
      );
      expect(rows.map((r) => r.token_hash.toString('hex')).sort()).toEqual(
        [sha256(tokens.refresh_token), sha256(next.refresh_token)]
          .map((h) => h.toString('hex'))
          .sort(),
      );
      const [session] = await db.query<{ whole: string }[]>(
        'SELECT s::text AS whole FROM sessions s WHERE id = $1',
        [tokens.session_id],
      );
      await settled(t);
      const [events] = await db.query<{ whole: string }[]>(
        "SELECT coalesce(string_agg(e::text, ' '), '') AS whole FROM auth_events e WHERE session_id = $1",
        [tokens.session_id],
      );
      for (const token of [tokens.refresh_token, next.refresh_token]) {
        const secret = token.slice('ghr_'.length);
        const hex = Buffer.from(token).toString('hex');
        for (const text of [...rows.map((r) => r.whole), session.whole, events.whole]) {
          expect(text).not.toContain(secret);
          expect(text).not.toContain(hex);
        }
      }
    });
  });

  describe('bad input', () => {
    it.each([
      ['no field', {}],
      ['a number', { refresh_token: 12345 }],
      ['null', { refresh_token: null }],
      ['an array', { refresh_token: ['ghr_x'] }],
      ['an over-long string', { refresh_token: `ghr_${'a'.repeat(400)}` }],
      ['an extra field', { refresh_token: 'ghr_x', user_id: 'someone' }],
    ])('%s: 422 naming the field', async (_case, payload) => {
      const body = expectProblem(
        await post(t, '/v1/auth/refresh', payload),
        422,
        'validation_failed',
      );
      const fields = (body.errors as { field: string }[]).map((e) => e.field);
      expect(fields.length).toBeGreaterThan(0);
      expect(fields.every((f) => f === 'refresh_token' || f === 'user_id')).toBe(true);
    });

    it('a body that is not JSON: 400 malformed_body', async () => {
      const res = await t.inject({
        method: 'POST',
        url: '/v1/auth/refresh',
        headers: { 'content-type': 'application/json' },
        payload: '{"refresh_token": ',
      });
      expectProblem(res, 400, 'malformed_body');
    });

    it('a form-encoded body: 415', async () => {
      const res = await t.inject({
        method: 'POST',
        url: '/v1/auth/refresh',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'refresh_token=ghr_x',
      });
      expect(res.statusCode).toBe(415);
      expect(res.headers['content-type']).toMatch(PROBLEM);
    });

    it('tokens that are not live refresh tokens of ours: 401 invalid_refresh_token', async () => {
      const { email, tokens } = await signedInAccount(t);
      const body43 = tokens.refresh_token.slice(4);
      await post(t, '/v1/auth/password/forgot', { email });
      const resetToken = tokenFromLink((await lastMailTo(t, email)).link!);
      const candidates = [
        '',
        'garbage',
        `ghp_${body43}`, // our secret under another kind's prefix
        `xyz_${body43}`,
        body43, // no prefix at all
        `ghr_${body43.slice(1)}`, // one character short
        `${tokens.refresh_token}A`, // one too many
        ` ${tokens.refresh_token}`,
        `GHR_${body43}`,
        `ghr_${'A'.repeat(43)}`, // well-formed, never issued
        resetToken, // a real token of another kind
        tokens.access_token.slice(0, 256),
      ];
      const ip = uniqueIp();
      for (const candidate of candidates) {
        expectProblem(await refresh(t, candidate, ip), 401, 'invalid_refresh_token');
      }
      // Each attempt is on record, tied to no account.
      await settled(t);
      const failures = await db.query<
        { user_id: string | null; outcome: string; reason: string }[]
      >("SELECT user_id, outcome, reason FROM auth_events WHERE type = 'refresh' AND ip = $1", [
        ip,
      ]);
      expect(failures).toEqual(
        candidates.map(() => ({ user_id: null, outcome: 'failure', reason: 'invalid' })),
      );
      // None of that harmed the real token.
      expect((await refresh(t, tokens.refresh_token)).statusCode).toBe(200);
    });
  });

  describe('account status', () => {
    it.each(['suspended', 'deactivated'])(
      'a %s account cannot refresh, and its session is ended',
      async (status) => {
        const { email, tokens } = await signedInAccount(t);
        await db.query('UPDATE users SET status = $1 WHERE email = $2', [status, email]);
        expectProblem(await refresh(t, tokens.refresh_token), 401, 'invalid_refresh_token');
        expect(await sessionRow(tokens.session_id)).toMatchObject({
          revoked_at: expect.any(Date) as Date,
          revoke_reason: 'account_inactive',
        });
        expect(await liveChildren(tokens.session_id)).toBe(0);
        expect(await eventsOf(tokens.session_id, 'refresh')).toEqual([
          expect.objectContaining({ outcome: 'failure', reason: status }),
        ]);
        await expectAccessTokenDiesWithinBound(t, tokens.access_token);
        // Reactivation does not bring the ended session back.
        await db.query("UPDATE users SET status = 'active' WHERE email = $1", [email]);
        expectProblem(await refresh(t, tokens.refresh_token), 401, 'invalid_refresh_token');
      },
    );
  });

  describe('access token claims', () => {
    const jwks = async () => {
      const res = await t.inject({ method: 'GET', url: '/.well-known/jwks.json' });
      expect(res.statusCode).toBe(200);
      return res.json<JSONWebKeySet>();
    };

    it('carries the RFC 9068 header and claims, and auth_time survives refresh', async () => {
      const email = uniqueEmail();
      const { password } = await createVerifiedAccount(t, { email });
      const before = Math.floor(Date.now() / 1000);
      const tokens = await login(t, email, password);
      const after = Math.ceil(Date.now() / 1000);
      const userId = await userIdOf(tokens.access_token);

      const header = decodeProtectedHeader(tokens.access_token);
      expect(header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: expect.any(String) as string });
      const keySet = await jwks();
      expect(keySet.keys.map((k) => k.kid)).toContain(header.kid);

      const claims = decodeJwt(tokens.access_token);
      expect(claims).toEqual({
        iss: t.config.http.publicUrl,
        sub: userId,
        aud: t.config.tokens.audience,
        iat: expect.any(Number) as number,
        exp: expect.any(Number) as number,
        jti: expect.stringMatching(/^[0-9a-f-]{36}$/) as string,
        sid: tokens.session_id,
        amr: ['pwd'],
        acr: 'aal1',
        auth_time: expect.any(Number) as number,
      });
      expect(claims.exp! - claims.iat!).toBe(ACCESS_TTL_S);
      expect(claims.iat).toBeGreaterThanOrEqual(before);
      expect(claims.iat).toBeLessThanOrEqual(after);
      expect(claims.auth_time).toBeGreaterThanOrEqual(before);
      expect(claims.auth_time).toBeLessThanOrEqual(claims.iat!);

      // An independent implementation accepts it with every check on.
      const verified = await jwtVerify(tokens.access_token, createLocalJWKSet(keySet), {
        algorithms: ['ES256'],
        typ: 'at+jwt',
        issuer: t.config.http.publicUrl,
        audience: t.config.tokens.audience,
        requiredClaims: ['sub', 'exp', 'iat', 'jti', 'sid', 'auth_time'],
      });
      expect(verified.payload.sub).toBe(userId);

      // Let a second pass so a refresh that re-stamped auth_time would show.
      const nextSecond = (claims.iat! + 1) * 1000;
      while (Date.now() < nextSecond) await sleep(50);
      const next = await refreshed(t, tokens.refresh_token);
      const nextClaims = decodeJwt(next.access_token);
      expect(nextClaims.iat).toBeGreaterThan(claims.auth_time as number);
      expect(nextClaims).toMatchObject({
        iss: claims.iss,
        sub: userId,
        aud: claims.aud,
        sid: tokens.session_id,
        amr: ['pwd'],
        acr: 'aal1',
        auth_time: claims.auth_time,
      });
      expect(nextClaims.jti).not.toBe(claims.jti);
      expect(nextClaims.exp! - nextClaims.iat!).toBe(ACCESS_TTL_S);
      expect(decodeProtectedHeader(next.access_token)).toMatchObject({
        alg: 'ES256',
        typ: 'at+jwt',
      });
    });

    it('every token gets its own jti', async () => {
      const { tokens } = await signedInAccount(t);
      const jtis = new Set([decodeJwt(tokens.access_token).jti]);
      let current = tokens;
      for (let i = 0; i < 3; i++) {
        current = await refreshed(t, current.refresh_token);
        jtis.add(decodeJwt(current.access_token).jti);
      }
      expect(jtis.size).toBe(4);
    });
  });
});
