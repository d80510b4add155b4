import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  createVerifiedAccount,
  get,
  login,
  post,
  settled,
  signedInAccount,
  TokenPairBody,
  uniqueIp,
} from './support/accounts';
import { startTestApp, TestApp } from './support/test-app';
import { expectProblem, REVOCATION_BOUND_MS, sleep } from './support/assertions';

const FIREFOX_ON_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const CHROME_ON_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

interface SessionItem {
  id: string;
  device: string;
  user_agent: string | null;
  ip: string | null;
  created_at: string;
  last_seen_at: string;
  current: boolean;
}

describe('sessions, logout and logout-all', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const listSessions = async (accessToken: string): Promise<SessionItem[]> => {
    const res = await get(t, '/v1/auth/sessions', accessToken);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    return res.json<{ items: SessionItem[] }>().items;
  };
  const revokeSession = (accessToken: string, id: string) =>
    t.inject({
      method: 'DELETE',
      url: `/v1/auth/sessions/${id}`,
      headers: { authorization: `Bearer ${accessToken}` },
    });
  const refresh = (refreshToken: string) =>
    post(t, '/v1/auth/refresh', { refresh_token: refreshToken });
  const me = (accessToken: string) => get(t, '/v1/users/me', accessToken);
  const sessionRow = async (id: string) => {
    const [row] = await db.query<{ revoked_at: Date | null; revoke_reason: string | null }[]>(
      'SELECT revoked_at, revoke_reason FROM sessions WHERE id = $1',
      [id],
    );
    return row;
  };
  const eventsOfUser = async (accessTokenOwnerId: string, type: string) => {
    await settled(t);
    return db.query<
      { session_id: string | null; outcome: string; ip: string; user_agent: string }[]
    >(
      'SELECT session_id, outcome, ip, user_agent FROM auth_events WHERE user_id = $1 AND type = $2',
      [accessTokenOwnerId, type],
    );
  };
  const userIdOf = async (accessToken: string): Promise<string> => {
    const res = await me(accessToken);
    expect(res.statusCode).toBe(200);
    return res.json<{ id: string }>().id;
  };
  /** Both tokens of a session are dead: the access token within the bound, refresh at once. */
  const expectSessionEnded = async (tokens: TokenPairBody) => {
    expectProblem(await refresh(tokens.refresh_token), 401, 'invalid_refresh_token');
    const started = Date.now();
    for (;;) {
      const res = await me(tokens.access_token);
      if (res.statusCode === 401) {
        expectProblem(res, 401, 'invalid_token');
        return;
      }
      expect(res.statusCode).toBe(200);
      expect(Date.now() - started).toBeLessThan(REVOCATION_BOUND_MS);
      await sleep(100);
    }
  };
  const expectSessionWorks = async (tokens: TokenPairBody) => {
    expect((await me(tokens.access_token)).statusCode).toBe(200);
    expect((await sessionRow(tokens.session_id)).revoked_at).toBeNull();
  };

  describe('GET /v1/auth/sessions', () => {
    it('lists the caller’s live sessions with device, ip, times and exactly one current', async () => {
      const { email, password } = await createVerifiedAccount(t);
      const firefoxIp = uniqueIp();
      const chromeIp = uniqueIp();
      const before = Date.now();
      const firefox = await login(t, email, password, {
        ip: firefoxIp,
        userAgent: FIREFOX_ON_LINUX,
      });
      const chrome = await login(t, email, password, {
        ip: chromeIp,
        userAgent: CHROME_ON_WINDOWS,
      });
      const after = Date.now();

      const items = await listSessions(firefox.access_token);
      expect(items).toHaveLength(2);
      const byId = new Map(items.map((s) => [s.id, s]));
      expect(byId.get(firefox.session_id)).toEqual({
        id: firefox.session_id,
        device: 'Firefox on Linux',
        user_agent: FIREFOX_ON_LINUX,
        ip: firefoxIp,
        created_at: expect.any(String) as string,
        last_seen_at: expect.any(String) as string,
        current: true,
      });
      expect(byId.get(chrome.session_id)).toMatchObject({
        device: 'Chrome on Windows',
        user_agent: CHROME_ON_WINDOWS,
        ip: chromeIp,
        current: false,
      });
      expect(items.filter((s) => s.current)).toHaveLength(1);
      for (const item of items) {
        for (const at of [item.created_at, item.last_seen_at]) {
          expect(new Date(at).toISOString()).toBe(at);
          expect(new Date(at).getTime()).toBeGreaterThanOrEqual(before - 1000);
          expect(new Date(at).getTime()).toBeLessThanOrEqual(after + 1000);
        }
      }

      // The flag follows the token the request was made with.
      const fromChrome = await listSessions(chrome.access_token);
      expect(fromChrome.filter((s) => s.current).map((s) => s.id)).toEqual([chrome.session_id]);
    });

    it('an unrecognised or missing user agent is an unknown device', async () => {
      const { email, password } = await createVerifiedAccount(t);
      const unknown = await login(t, email, password, { userAgent: 'SomeBot/1.0' });
      const res = await post(
        t,
        '/v1/auth/login',
        { email, password },
        { headers: { 'user-agent': '' } },
      );
      expect(res.statusCode).toBe(200);
      const items = await listSessions(unknown.access_token);
      expect(items.find((s) => s.id === unknown.session_id)).toMatchObject({
        device: 'Unknown device',
        user_agent: 'SomeBot/1.0',
      });
      expect(items.find((s) => s.id === res.json<TokenPairBody>().session_id)).toMatchObject({
        device: 'Unknown device',
        user_agent: null,
      });
    });

    it('last_seen_at moves with a refresh; created_at does not', async () => {
      const { tokens } = await signedInAccount(t);
      const [before] = await listSessions(tokens.access_token);
      await db.query(
        "UPDATE sessions SET last_seen_at = last_seen_at - interval '1 hour', created_at = created_at - interval '1 hour' WHERE id = $1",
        [tokens.session_id],
      );
      const res = await refresh(tokens.refresh_token);
      expect(res.statusCode).toBe(200);
      const next = res.json<TokenPairBody>();
      const [after] = await listSessions(next.access_token);
      expect(after.id).toBe(before.id);
      expect(new Date(after.created_at).getTime()).toBe(
        new Date(before.created_at).getTime() - 3600_000,
      );
      expect(new Date(after.last_seen_at).getTime()).toBeGreaterThanOrEqual(
        new Date(before.last_seen_at).getTime(),
      );
    });

    it('leaves out ended and expired sessions, and other users’ sessions', async () => {
      const { email, password, tokens: current } = await signedInAccount(t);
      const loggedOut = await login(t, email, password);
      const expired = await login(t, email, password);
      const stranger = await signedInAccount(t);
      expect(
        (await post(t, '/v1/auth/logout', {}, { token: loggedOut.access_token })).statusCode,
      ).toBe(204);
      await db.query(
        "UPDATE sessions SET idle_expires_at = now() - interval '1 second' WHERE id = $1",
        [expired.session_id],
      );
      const ids = (await listSessions(current.access_token)).map((s) => s.id);
      expect(ids).toEqual([current.session_id]);
      expect(ids).not.toContain(stranger.tokens.session_id);
    });
  });

  describe('DELETE /v1/auth/sessions/{id}', () => {
    it('ends another session of the caller: 204, gone from the list, its tokens stop working', async () => {
      const { email, password, tokens: mine } = await signedInAccount(t);
      const other = await login(t, email, password);
      const userId = await userIdOf(mine.access_token);
      expect((await me(other.access_token)).statusCode).toBe(200);

      const res = await revokeSession(mine.access_token, other.session_id);
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');

      expect((await listSessions(mine.access_token)).map((s) => s.id)).toEqual([mine.session_id]);
      await expectSessionEnded(other);
      expect(await sessionRow(other.session_id)).toMatchObject({
        revoked_at: expect.any(Date) as Date,
        revoke_reason: 'revoked_by_user',
      });
      expect(await eventsOfUser(userId, 'session_revoke')).toEqual([
        expect.objectContaining({ session_id: other.session_id, outcome: 'success' }),
      ]);
      // The caller's own session is untouched.
      await expectSessionWorks(mine);
      expect((await refresh(mine.refresh_token)).statusCode).toBe(200);

      // Ending it again: it is no longer there.
      expectProblem(await revokeSession(mine.access_token, other.session_id), 404, 'not_found');
    });

    it('ending the current session works like logout', async () => {
      const { tokens } = await signedInAccount(t);
      expect((await revokeSession(tokens.access_token, tokens.session_id)).statusCode).toBe(204);
      await expectSessionEnded(tokens);
    });

    it('someone else’s session is a 404 indistinguishable from a random id, and it keeps working', async () => {
      const me1 = await signedInAccount(t);
      const victim = await signedInAccount(t);

      const foreign = await revokeSession(me1.tokens.access_token, victim.tokens.session_id);
      const foreignBody = expectProblem(foreign, 404, 'not_found');
      const random = await revokeSession(me1.tokens.access_token, randomUUID());
      const randomBody = expectProblem(random, 404, 'not_found');
      const withoutRequestIds = (body: Record<string, unknown>) => ({
        ...body,
        request_id: undefined,
        instance: undefined,
      });
      expect(withoutRequestIds(foreignBody)).toEqual(withoutRequestIds(randomBody));

      await expectSessionWorks(victim.tokens);
      const refreshed = await refresh(victim.tokens.refresh_token);
      expect(refreshed.statusCode).toBe(200);
      const victimId = await userIdOf(refreshed.json<TokenPairBody>().access_token);
      expect(await eventsOfUser(victimId, 'session_revoke')).toEqual([]);
    });

    it.each([
      ['not-a-uuid'],
      ['123'],
      ['01a202dc-7e5e-7000-aaa5-acd52501659'], // one digit short
      ["' OR 1=1 --"],
    ])('a malformed id (%s) is a 422 naming `id`', async (id) => {
      const { tokens } = await signedInAccount(t);
      const res = await revokeSession(tokens.access_token, encodeURIComponent(id));
      const body = expectProblem(res, 422, 'validation_failed');
      expect(body.errors).toEqual([{ field: 'id', message: expect.any(String) as string }]);
      await expectSessionWorks(tokens);
    });
  });

  describe('POST /v1/auth/logout', () => {
    it('ends the current session only: 204, then its access and refresh tokens are refused', async () => {
      const { email, password, tokens } = await signedInAccount(t);
      const other = await login(t, email, password);
      const userId = await userIdOf(tokens.access_token);
      const ip = uniqueIp();

      const res = await post(t, '/v1/auth/logout', {}, { token: tokens.access_token, ip });
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');

      await expectSessionEnded(tokens);
      expect((await sessionRow(tokens.session_id)).revoke_reason).toBe('logout');
      expect(await eventsOfUser(userId, 'logout')).toEqual([
        expect.objectContaining({ session_id: tokens.session_id, outcome: 'success', ip }),
      ]);
      // A second logout with the same token is refused: the token is dead.
      expectProblem(
        await post(t, '/v1/auth/logout', {}, { token: tokens.access_token }),
        401,
        'invalid_token',
      );
      await expectSessionWorks(other);
    });

    it('accepts no body at all', async () => {
      const { tokens } = await signedInAccount(t);
      const res = await t.inject({
        method: 'POST',
        url: '/v1/auth/logout',
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      expect(res.statusCode).toBe(204);
      await expectSessionEnded(tokens);
    });
  });

  describe('POST /v1/auth/logout-all', () => {
    it('ends every session of the caller, the current one included, and no one else’s', async () => {
      const { email, password, tokens } = await signedInAccount(t);
      const second = await login(t, email, password);
      const third = await login(t, email, password);
      const stranger = await signedInAccount(t);
      const userId = await userIdOf(tokens.access_token);

      const res = await post(t, '/v1/auth/logout-all', {}, { token: second.access_token });
      expect(res.statusCode).toBe(204);

      for (const session of [tokens, second, third]) {
        await expectSessionEnded(session);
        expect((await sessionRow(session.session_id)).revoke_reason).toBe('logout_all');
      }
      expect(await eventsOfUser(userId, 'logout_all')).toEqual([
        expect.objectContaining({ session_id: second.session_id, outcome: 'success' }),
      ]);
      await expectSessionWorks(stranger.tokens);

      // Signing in again starts a fresh, working session.
      const fresh = await login(t, email, password);
      expect((await listSessions(fresh.access_token)).map((s) => s.id)).toEqual([fresh.session_id]);
    });
  });

  describe('without a token', () => {
    it.each([
      ['GET', '/v1/auth/sessions'],
      ['DELETE', `/v1/auth/sessions/${randomUUID()}`],
      ['DELETE', '/v1/auth/sessions/not-a-uuid'],
      ['POST', '/v1/auth/logout'],
      ['POST', '/v1/auth/logout-all'],
    ] as const)('%s %s: 401 with a Bearer challenge, as problem+json', async (method, url) => {
      const res = await t.inject({ method, url, remoteAddress: uniqueIp() });
      const body = expectProblem(res, 401, 'unauthorized');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="gatehouse"');
      expect(body.request_id).toBe(res.headers['x-request-id']);
    });
  });
});
