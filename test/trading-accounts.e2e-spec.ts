import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { signedInUser, SignedInUser, send } from './support/access';
import { mailsTo, settled } from './support/accounts';
import { clientToken, createClient } from './support/clients';
import { startTestApp, TestApp } from './support/test-app';
import { KitePeer } from './peers/kite-peer';
import { TradingAccountSync } from '../src/modules/trading-accounts/trading-account-sync';
import { TradingAccountsService } from '../src/modules/trading-accounts/trading-accounts.service';

const API_KEY = 'platformkey1';
const API_SECRET = 'platformsecret1';
const CALLBACK = 'http://gatehouse.test/v1/trading-accounts/links/callback';

interface AccountBody {
  id: string;
  owner_id: string;
  role: string;
  broker_user_id: string;
  status: string;
  display_name: string;
  profile: { name: string; exchanges: string[]; margins: unknown };
  token_expires_at: string;
}

describe('trading accounts (Kite Connect links, the vault, sharing, broker sessions)', () => {
  let t: TestApp;
  let kite: KitePeer;
  let db: DataSource;
  let brokerUsers = 0;

  beforeAll(async () => {
    kite = await new KitePeer().start();
    kite.addApp(API_KEY, API_SECRET, CALLBACK);
    t = await startTestApp({
      env: {
        KITE_API_KEY: API_KEY,
        KITE_API_SECRET: API_SECRET,
        KITE_LOGIN_URL: kite.loginUrl,
        KITE_API_URL: kite.url,
        KITE_TIMEOUT_MS: '500',
      },
    });
    db = t.app.get(DataSource);
  });
  afterEach(() => {
    kite.fault = null;
  });
  afterAll(async () => {
    await t.close();
    await kite.stop();
  });

  const newBrokerUser = () => kite.addUser(`ZX${1000 + ++brokerUsers}`).user_id;

  /** Starts a link as `user`; the login URL, its state, and the cookie binding it to the browser. */
  const startLink = async (user: SignedInUser, body: Record<string, string> = {}) => {
    const res = await send(t, 'POST', '/v1/trading-accounts/links', user.token, body);
    expect(res.statusCode).toBe(201);
    const setCookie = String(res.headers['set-cookie']);
    return {
      ...res.json<{ login_url: string; state: string; expires_at: string }>(),
      setCookie,
      cookie: setCookie.split(';')[0],
    };
  };

  /** The browser that holds `cookie` following the broker's redirect to `url`. */
  const redirectIn = (cookie: string | null, url: string) =>
    t.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });

  /** The browser logs in at Kite as `brokerUser` and comes back: the callback's path and query. */
  const loginAtKite = async (loginUrl: string, brokerUser: string) => {
    const location = new URL(await kite.login(loginUrl, brokerUser));
    return `${location.pathname}${location.search}`;
  };

  /** A whole link through the browser redirect; the account. */
  const link = async (user: SignedInUser, brokerUser = newBrokerUser()) => {
    const { login_url, cookie } = await startLink(user);
    const res = await redirectIn(cookie, await loginAtKite(login_url, brokerUser));
    expect(res.statusCode).toBe(200);
    return res.json<AccountBody>();
  };

  const outboxOf = (type: string, accountId: string) =>
    db.query<{ payload: Record<string, unknown> }[]>(
      `SELECT data AS payload FROM outbox WHERE type = $1 AND data->>'account_id' = $2 ORDER BY id`,
      [type, accountId],
    );

  describe('linking', () => {
    it('builds the login URL with v=3, the app key and the state in redirect_params', async () => {
      const user = await signedInUser(t);
      const { login_url, state, expires_at } = await startLink(user);
      const url = new URL(login_url);
      expect(`${url.origin}${url.pathname}`).toBe(kite.loginUrl);
      expect(url.searchParams.get('v')).toBe('3');
      expect(url.searchParams.get('api_key')).toBe(API_KEY);
      expect(new URLSearchParams(url.searchParams.get('redirect_params')!).get('state')).toBe(
        state,
      );
      expect(Date.parse(expires_at) - Date.now()).toBeGreaterThan(9 * 60 * 1000);
    });

    it('exchanges the request token through the official client and answers the account, never a credential', async () => {
      const user = await signedInUser(t);
      const brokerUser = newBrokerUser();
      const account = await link(user, brokerUser);
      expect(account).toMatchObject({
        owner_id: user.id,
        role: 'owner',
        broker_user_id: brokerUser,
        status: 'active',
        display_name: `Zerodha ${brokerUser}`,
        profile: { name: `Trader ${brokerUser}`, exchanges: ['NSE', 'BSE', 'NFO'] },
      });
      expect(new Date(account.token_expires_at).getUTCHours()).toBe(0);
      expect(new Date(account.token_expires_at).getUTCMinutes()).toBe(30);
      const [accessToken] = kite.liveSessionsOf(brokerUser);
      expect(JSON.stringify(account)).not.toContain(accessToken);
      const sealed = await db.query<{ field: string; envelope: string; key_id: string }[]>(
        'SELECT field, envelope, key_id FROM trading_account_credentials WHERE account_id = $1 ORDER BY field',
        [account.id],
      );
      expect(sealed.map((row) => row.field)).toEqual(['access_token', 'public_token']);
      for (const row of sealed) {
        expect(row.envelope).not.toContain(accessToken);
        expect(row.envelope.startsWith(`v1.${row.key_id}.`)).toBe(true);
      }
      const read = await send(t, 'GET', `/v1/trading-accounts/${account.id}`, user.token);
      expect(read.body).not.toContain(accessToken);
      expect(await outboxOf('trading_account.linked', account.id)).toHaveLength(1);
      await settled(t);
      expect(t.logs.some((line) => JSON.stringify(line).includes(accessToken))).toBe(false);
    });

    it('links with the user’s own app, whose secret is kept in the vault and used for the checksum', async () => {
      kite.addApp('ownappkey1', 'ownappsecret1', CALLBACK);
      const user = await signedInUser(t);
      const { login_url, cookie } = await startLink(user, {
        api_key: 'ownappkey1',
        api_secret: 'ownappsecret1',
      });
      expect(new URL(login_url).searchParams.get('api_key')).toBe('ownappkey1');
      const res = await redirectIn(cookie, await loginAtKite(login_url, newBrokerUser()));
      expect(res.statusCode).toBe(200);
      const fields = await db.query<{ field: string }[]>(
        'SELECT field FROM trading_account_credentials WHERE account_id = $1 ORDER BY field',
        [res.json<AccountBody>().id],
      );
      expect(fields.map((row) => row.field)).toEqual([
        'access_token',
        'api_key',
        'api_secret',
        'public_token',
      ]);
      expect(res.body).not.toContain('ownappsecret1');
    });

    it('refuses an own app given by half, naming the field', async () => {
      const user = await signedInUser(t);
      const res = await send(t, 'POST', '/v1/trading-accounts/links', user.token, {
        api_key: 'ownappkey1',
      });
      expect(res.statusCode).toBe(422);
      expect(JSON.stringify(res.json())).toContain('api_secret');
    });

    it('updates the existing account when the same broker user links again', async () => {
      const user = await signedInUser(t);
      const brokerUser = newBrokerUser();
      const first = await link(user, brokerUser);
      const second = await link(user, brokerUser);
      expect(second.id).toBe(first.id);
      const events = await outboxOf('trading_account.linked', first.id);
      expect(events.map((e) => e.payload.relinked)).toEqual([false, true]);
      const list = await send(t, 'GET', '/v1/trading-accounts', user.token);
      expect(list.json<{ items: AccountBody[] }>().items.map((a) => a.id)).toEqual([first.id]);
    });

    it('refuses a broker user linked by another account, and ends the session it just got', async () => {
      const brokerUser = newBrokerUser();
      await link(await signedInUser(t), brokerUser);
      const other = await signedInUser(t);
      const { login_url, cookie } = await startLink(other);
      const res = await redirectIn(cookie, await loginAtKite(login_url, brokerUser));
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'broker_account_linked_elsewhere' });
      expect(kite.liveSessionsOf(brokerUser)).toHaveLength(1);
    });

    it('completes a broker redirect only in the browser that started the link (login CSRF)', async () => {
      const attacker = await signedInUser(t);
      const victim = await signedInUser(t);
      const { login_url, state, setCookie, cookie } = await startLink(attacker);
      const [name, nonce] = cookie.split('=');
      expect(name).toBe(`gatehouse_link_${state.split('.')[0]}`);
      expect(setCookie).toMatch(
        /; Path=\/v1\/trading-accounts\/links\/callback; Max-Age=(59\d|600); HttpOnly; SameSite=Lax$/,
      );
      expect(state).not.toContain(nonce);
      expect(state.split('.')[2]).toBe(createHash('sha256').update(nonce).digest('base64url'));
      // The attacker's login URL, opened by the victim, who logs in at Kite as themselves.
      const victimBrokerUser = newBrokerUser();
      const callback = await loginAtKite(login_url, victimBrokerUser);
      const victimsOwn = await startLink(victim);
      const exchanges = () => kite.requests.filter((r) => r === 'POST /session/token').length;
      const before = exchanges();
      for (const browser of [null, victimsOwn.cookie, `${name}=${'A'.repeat(43)}`, `${name}=`]) {
        const res = await redirectIn(browser, callback);
        expect(res.statusCode).toBe(403);
        expect(res.json()).toMatchObject({ code: 'link_started_elsewhere' });
        expect(res.headers['set-cookie']).toBeUndefined();
      }
      expect(exchanges()).toBe(before);
      const linked = await db.query<{ owner_id: string }[]>(
        'SELECT owner_id FROM trading_accounts WHERE broker_user_id = $1',
        [victimBrokerUser],
      );
      expect(linked).toEqual([]);
      // Refused before the state was spent: the browser that started the link still completes it.
      const own = await redirectIn(`other=1; ${cookie}`, callback);
      expect(own.statusCode).toBe(200);
      expect(own.json<AccountBody>().owner_id).toBe(attacker.id);
      expect(String(own.headers['set-cookie'])).toBe(
        `${name}=; Path=/v1/trading-accounts/links/callback; Max-Age=0; HttpOnly; SameSite=Lax`,
      );
    });

    it('accepts a state once: a replayed callback is refused', async () => {
      const user = await signedInUser(t);
      const { login_url, cookie } = await startLink(user);
      const callback = await loginAtKite(login_url, newBrokerUser());
      expect((await redirectIn(cookie, callback)).statusCode).toBe(200);
      const replay = await redirectIn(cookie, callback);
      expect(replay.statusCode).toBe(400);
      expect(replay.json()).toMatchObject({ code: 'invalid_link_state' });
    });

    it('refuses an altered or unsigned state, and an expired link', async () => {
      const user = await signedInUser(t);
      const { state, cookie } = await startLink(user);
      const requestToken = kite.issueRequestToken(API_KEY, newBrokerUser());
      const callback = (s: string) =>
        `/v1/trading-accounts/links/callback?${new URLSearchParams({
          state: s,
          request_token: requestToken,
          status: 'success',
          action: 'login',
          type: 'login',
        }).toString()}`;
      const [id, expires, binding, mac] = state.split('.');
      for (const forged of [
        `${id}.${Number(expires) + 60}.${binding}.${mac}`,
        `${id}.${expires}.${Buffer.alloc(32).toString('base64url')}.${mac}`,
        `${id}.${expires}.${binding}.x`,
        `${id}.${expires}.${mac}`,
        'nonsense',
      ]) {
        const res = await redirectIn(cookie, callback(forged));
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({ code: 'invalid_link_state' });
      }
      await db.query(
        `UPDATE trading_account_links SET expires_at = now() - interval '1 second' WHERE id = $1`,
        [id],
      );
      const expired = await redirectIn(cookie, callback(state));
      expect(expired.statusCode).toBe(400);
      expect(expired.json()).toMatchObject({ code: 'invalid_link_state' });
    });

    it('completes a link through the JSON form only for the user who started it', async () => {
      const user = await signedInUser(t);
      const intruder = await signedInUser(t);
      const { login_url } = await startLink(user);
      const params = new URL(await kite.login(login_url, newBrokerUser())).searchParams;
      const body = {
        state: params.get('state'),
        request_token: params.get('request_token'),
        status: params.get('status'),
      };
      const stolen = await send(
        t,
        'POST',
        '/v1/trading-accounts/links/callback',
        intruder.token,
        body,
      );
      expect(stolen.statusCode).toBe(400);
      expect(stolen.json()).toMatchObject({ code: 'invalid_link_state' });
      const own = await send(t, 'POST', '/v1/trading-accounts/links/callback', user.token, body);
      expect(own.statusCode).toBe(200);
      expect(own.json<AccountBody>().owner_id).toBe(user.id);
      expect(
        (await send(t, 'POST', '/v1/trading-accounts/links/callback', null, body)).statusCode,
      ).toBe(401);
    });

    it('refuses a reused or expired request token as the broker does (403 TokenException)', async () => {
      const user = await signedInUser(t);
      const brokerUser = newBrokerUser();
      const requestToken = kite.issueRequestToken(API_KEY, brokerUser);
      const complete = async () => {
        const { state } = await startLink(user);
        return send(t, 'POST', '/v1/trading-accounts/links/callback', user.token, {
          state,
          request_token: requestToken,
          status: 'success',
        });
      };
      expect((await complete()).statusCode).toBe(200);
      const reused = await complete();
      expect(reused.statusCode).toBe(400);
      expect(reused.json()).toMatchObject({ code: 'broker_token_rejected' });
      kite.requestTokenTtlMs = -1;
      const late = kite.issueRequestToken(API_KEY, brokerUser);
      kite.requestTokenTtlMs = 120_000;
      const { state } = await startLink(user);
      const expired = await send(t, 'POST', '/v1/trading-accounts/links/callback', user.token, {
        state,
        request_token: late,
        status: 'success',
      });
      expect(expired.statusCode).toBe(400);
    });

    it('refuses a login the broker did not report as successful', async () => {
      const user = await signedInUser(t);
      const { state } = await startLink(user);
      const res = await send(t, 'POST', '/v1/trading-accounts/links/callback', user.token, {
        state,
        request_token: 'abc123',
        status: 'cancelled',
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'broker_token_rejected' });
    });

    it('answers 503 when the broker is slow, down or limiting (429), and links nothing', async () => {
      const user = await signedInUser(t);
      for (const fault of [
        'hang' as const,
        { status: 503, body: { status: 'error', message: 'down', error_type: 'NetworkException' } },
        {
          status: 429,
          body: { status: 'error', message: 'Too many requests', error_type: 'NetworkException' },
        },
      ]) {
        const { state } = await startLink(user);
        kite.fault = fault;
        const res = await send(t, 'POST', '/v1/trading-accounts/links/callback', user.token, {
          state,
          request_token: kite.issueRequestToken(API_KEY, newBrokerUser()),
          status: 'success',
        });
        kite.fault = null;
        expect(res.statusCode).toBe(503);
        expect(res.json()).toMatchObject({ code: 'dependency_unavailable' });
        if (fault !== 'hang' && fault.status === 429) expect(res.headers['retry-after']).toBe('1');
      }
      const list = await send(t, 'GET', '/v1/trading-accounts', user.token);
      expect(list.json<{ items: unknown[] }>().items).toEqual([]);
    });

    it('links one account when the same broker user comes back twice at once', async () => {
      const user = await signedInUser(t);
      const brokerUser = newBrokerUser();
      const attempts = await Promise.all(
        [0, 1].map(async () => {
          const { state } = await startLink(user);
          return send(t, 'POST', '/v1/trading-accounts/links/callback', user.token, {
            state,
            request_token: kite.issueRequestToken(API_KEY, brokerUser),
            status: 'success',
          });
        }),
      );
      expect(attempts.map((res) => res.statusCode)).toEqual([200, 200]);
      const ids = attempts.map((res) => res.json<AccountBody>().id);
      expect(ids[0]).toBe(ids[1]);
    });

    it('keeps every instance’s calls within Kite’s rate: many users linking at once all succeed', async () => {
      const users = await Promise.all(Array.from({ length: 14 }, () => signedInUser(t)));
      const refusedBefore = kite.rateLimited;
      const started = kite.requests.length;
      const accounts = await Promise.all(users.map((user) => link(user)));
      expect(new Set(accounts.map((account) => account.id)).size).toBe(14);
      expect(kite.requests.slice(started).filter((r) => r === 'POST /session/token')).toHaveLength(
        14,
      );
      expect(kite.rateLimited).toBe(refusedBefore);
    });
  });

  describe('accounts', () => {
    it('shows an account only to its owner and members: another user gets 404', async () => {
      const owner = await signedInUser(t);
      const other = await signedInUser(t);
      const account = await link(owner);
      for (const [method, url, body] of [
        ['GET', `/v1/trading-accounts/${account.id}`, undefined],
        ['PATCH', `/v1/trading-accounts/${account.id}`, { display_name: 'Mine now' }],
        ['DELETE', `/v1/trading-accounts/${account.id}`, undefined],
        ['POST', `/v1/trading-accounts/${account.id}/sync`, undefined],
        ['GET', `/v1/trading-accounts/${account.id}/members`, undefined],
      ] as const) {
        const res = await send(t, method, url, other.token, body);
        expect(res.statusCode).toBe(404);
      }
      expect((await send(t, 'GET', '/v1/trading-accounts', other.token)).json()).toEqual({
        items: [],
        next_cursor: null,
      });
    });

    it('renames, refusing a blank or wrongly typed name and unknown fields', async () => {
      const owner = await signedInUser(t);
      const account = await link(owner);
      const url = `/v1/trading-accounts/${account.id}`;
      for (const body of [
        { display_name: '  ' },
        { display_name: 7 },
        { display_name: 'x', status: 'active' },
      ]) {
        expect((await send(t, 'PATCH', url, owner.token, body)).statusCode).toBe(422);
      }
      const res = await send(t, 'PATCH', url, owner.token, { display_name: ' Family ' });
      expect(res.statusCode).toBe(200);
      expect(res.json<AccountBody>().display_name).toBe('Family');
      expect(await outboxOf('trading_account.updated', account.id)).toHaveLength(1);
    });

    it('refuses requests without a token and ids that are not UUIDs', async () => {
      expect((await send(t, 'GET', '/v1/trading-accounts', null)).statusCode).toBe(401);
      expect((await send(t, 'POST', '/v1/trading-accounts/links', null, {})).statusCode).toBe(401);
      const user = await signedInUser(t);
      expect((await send(t, 'GET', '/v1/trading-accounts/nope', user.token)).statusCode).toBe(422);
    });

    it('pages the list with a cursor', async () => {
      const owner = await signedInUser(t);
      const ids = [(await link(owner)).id, (await link(owner)).id, (await link(owner)).id].sort();
      const first = await send(t, 'GET', '/v1/trading-accounts?limit=2', owner.token);
      const page = first.json<{ items: AccountBody[]; next_cursor: string }>();
      expect(page.items.map((a) => a.id)).toEqual(ids.slice(0, 2));
      const second = await send(
        t,
        'GET',
        `/v1/trading-accounts?limit=2&cursor=${page.next_cursor}`,
        owner.token,
      );
      expect(second.json()).toMatchObject({ items: [{ id: ids[2] }], next_cursor: null });
      const bad = await send(t, 'GET', '/v1/trading-accounts?cursor=zzz', owner.token);
      expect(bad.statusCode).toBe(422);
    });

    it('contributes the accounts and memberships to the data export, never a credential', async () => {
      const owner = await signedInUser(t);
      const brokerUser = newBrokerUser();
      const account = await link(owner, brokerUser);
      const data = JSON.stringify(await t.app.get(TradingAccountsService).personalData(owner.id));
      expect(data).toContain(account.id);
      expect(data).toContain(brokerUser);
      expect(data).not.toContain(kite.liveSessionsOf(brokerUser)[0]);
    });

    it('unlinks: the broker session ends, the credentials are destroyed, members lose it', async () => {
      const owner = await signedInUser(t);
      const brokerUser = newBrokerUser();
      const account = await link(owner, brokerUser);
      const res = await send(t, 'DELETE', `/v1/trading-accounts/${account.id}`, owner.token);
      expect(res.statusCode).toBe(204);
      expect(kite.liveSessionsOf(brokerUser)).toEqual([]);
      const [{ count }] = await db.query<{ count: string }[]>(
        'SELECT count(*) FROM trading_account_credentials WHERE account_id = $1',
        [account.id],
      );
      expect(count).toBe('0');
      expect((await outboxOf('trading_account.unlinked', account.id))[0].payload).toMatchObject({
        broker_session_invalidated: true,
      });
      expect(
        (await send(t, 'GET', `/v1/trading-accounts/${account.id}`, owner.token)).statusCode,
      ).toBe(404);
    });

    it('unlinks even when the broker is down, saying the session was not ended', async () => {
      const owner = await signedInUser(t);
      const account = await link(owner);
      kite.fault = {
        status: 503,
        body: { status: 'error', message: 'down', error_type: 'NetworkException' },
      };
      expect(
        (await send(t, 'DELETE', `/v1/trading-accounts/${account.id}`, owner.token)).statusCode,
      ).toBe(204);
      expect((await outboxOf('trading_account.unlinked', account.id))[0].payload).toMatchObject({
        broker_session_invalidated: false,
      });
    });
  });

  describe('sharing, decisions and broker sessions for services', () => {
    const invite = async (
      owner: SignedInUser,
      accountId: string,
      member: SignedInUser,
      role: string,
    ) => {
      const invited = await send(
        t,
        'POST',
        `/v1/trading-accounts/${accountId}/members`,
        owner.token,
        {
          user_id: member.id,
          role,
        },
      );
      expect(invited.statusCode).toBe(201);
      const accepted = await send(
        t,
        'PUT',
        `/v1/trading-accounts/${accountId}/invitation`,
        member.token,
        {
          answer: 'accept',
        },
      );
      expect(accepted.statusCode).toBe(204);
    };

    const check = async (
      userId: string,
      action: string,
      accountId: string,
      attributes?: object,
    ) => {
      const service = await createClient(t, ['authz:check']);
      const { access_token } = await clientToken(t, service);
      const res = await send(t, 'POST', '/v1/authz/check', access_token, {
        subject: { type: 'user', id: userId },
        action,
        resource: { type: 'trading_account', id: accountId, ...(attributes ? { attributes } : {}) },
      });
      expect(res.statusCode).toBe(200);
      return res.json<{ allowed: boolean }>().allowed;
    };

    let trader: { access_token: string };
    beforeAll(async () => {
      trader = await clientToken(t, await createClient(t, ['trading_accounts:credentials']));
    });
    const fetchSession = (accountId: string, userId: string, token = trader.access_token) =>
      send(t, 'POST', `/v1/trading-accounts/${accountId}/session`, token, { user_id: userId });

    it('decides with the owner, status and member role Gatehouse knows, whatever the caller says', async () => {
      const owner = await signedInUser(t);
      const viewer = await signedInUser(t);
      const member = await signedInUser(t);
      const stranger = await signedInUser(t);
      const account = await link(owner);
      await invite(owner, account.id, viewer, 'viewer');
      await invite(owner, account.id, member, 'trader');
      expect(await check(owner.id, 'trading_account:trade', account.id)).toBe(true);
      expect(await check(member.id, 'trading_account:trade', account.id)).toBe(true);
      expect(await check(viewer.id, 'trading_account:trade', account.id)).toBe(false);
      expect(await check(viewer.id, 'trading_account:read', account.id)).toBe(true);
      expect(await check(stranger.id, 'trading_account:read', account.id)).toBe(false);
      expect(
        await check(stranger.id, 'trading_account:trade', account.id, {
          member_role: 'trader',
          owner_id: stranger.id,
          status: 'active',
        }),
      ).toBe(false);
    });

    it('hands the session to a service acting for a trader, audited; refuses a viewer (403)', async () => {
      const owner = await signedInUser(t);
      const viewer = await signedInUser(t);
      const member = await signedInUser(t);
      const brokerUser = newBrokerUser();
      const account = await link(owner, brokerUser);
      await invite(owner, account.id, viewer, 'viewer');
      await invite(owner, account.id, member, 'trader');
      const res = await fetchSession(account.id, member.id);
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const session = res.json<{ api_key: string; access_token: string }>();
      expect(session.api_key).toBe(API_KEY);
      expect(kite.isLive(session.access_token)).toBe(true);
      const denied = await fetchSession(account.id, viewer.id);
      expect(denied.statusCode).toBe(403);
      expect(denied.body).not.toContain(session.access_token);
      const issued = await outboxOf('trading_account.session_issued', account.id);
      expect(issued.map((e) => e.payload.user_id)).toEqual([member.id]);
      const [{ count }] = await db.query<{ count: string }[]>(
        `SELECT count(*) FROM audit_events WHERE action = 'trading_account.session_issue' AND target_id = $1`,
        [account.id],
      );
      expect(count).toBe('1');
    });

    it('refuses a member who lost access, within the cache time', async () => {
      const owner = await signedInUser(t);
      const member = await signedInUser(t);
      const account = await link(owner);
      await invite(owner, account.id, member, 'trader');
      expect((await fetchSession(account.id, member.id)).statusCode).toBe(200);
      const removed = await send(
        t,
        'DELETE',
        `/v1/trading-accounts/${account.id}/members/${member.id}`,
        owner.token,
      );
      expect(removed.statusCode).toBe(204);
      expect((await fetchSession(account.id, member.id)).statusCode).toBe(403);
    });

    it('refuses an invitee who has not accepted, users’ tokens, tokens without the scope, unknown accounts', async () => {
      const owner = await signedInUser(t);
      const invitee = await signedInUser(t);
      const account = await link(owner);
      await send(t, 'POST', `/v1/trading-accounts/${account.id}/members`, owner.token, {
        user_id: invitee.id,
        role: 'trader',
      });
      expect((await fetchSession(account.id, invitee.id)).statusCode).toBe(403);
      expect((await fetchSession(account.id, owner.id, owner.token)).statusCode).toBe(403);
      const plain = await clientToken(t, await createClient(t, ['authz:check']));
      expect((await fetchSession(account.id, owner.id, plain.access_token)).statusCode).toBe(403);
      expect(
        (await fetchSession('01890a5d-ac96-474b-bcce-b302099a8057', owner.id)).statusCode,
      ).toBe(404);
      const malformed = await send(
        t,
        'POST',
        `/v1/trading-accounts/${account.id}/session`,
        trader.access_token,
        {
          user_id: 'me',
        },
      );
      expect(malformed.statusCode).toBe(422);
    });

    it('declined invitations leave nothing; duplicates and owners are refused; managers cannot make managers', async () => {
      const owner = await signedInUser(t);
      const manager = await signedInUser(t);
      const other = await signedInUser(t);
      const account = await link(owner);
      const members = `/v1/trading-accounts/${account.id}/members`;
      await invite(owner, account.id, manager, 'manager');
      expect(
        (await send(t, 'POST', members, owner.token, { user_id: manager.id, role: 'viewer' }))
          .statusCode,
      ).toBe(409);
      expect(
        (await send(t, 'POST', members, owner.token, { user_id: owner.id, role: 'viewer' }))
          .statusCode,
      ).toBe(409);
      expect(
        (await send(t, 'POST', members, manager.token, { user_id: other.id, role: 'manager' }))
          .statusCode,
      ).toBe(403);
      expect(
        (await send(t, 'POST', members, manager.token, { user_id: other.id, role: 'viewer' }))
          .statusCode,
      ).toBe(201);
      const invitations = await send(t, 'GET', '/v1/trading-accounts/invitations', other.token);
      expect(invitations.json()).toMatchObject([{ account_id: account.id, role: 'viewer' }]);
      const declined = await send(
        t,
        'PUT',
        `/v1/trading-accounts/${account.id}/invitation`,
        other.token,
        {
          answer: 'decline',
        },
      );
      expect(declined.statusCode).toBe(204);
      const again = await send(
        t,
        'PUT',
        `/v1/trading-accounts/${account.id}/invitation`,
        other.token,
        {
          answer: 'accept',
        },
      );
      expect(again.statusCode).toBe(404);
      const list = await send(t, 'GET', members, manager.token);
      expect(list.json<{ user_id: string }[]>().map((m) => m.user_id)).toEqual([manager.id]);
      expect(
        (await send(t, 'POST', members, owner.token, { user_id: other.id, role: 'boss' }))
          .statusCode,
      ).toBe(422);
    });

    it('transfers ownership to a member; the previous owner stays as a manager', async () => {
      const owner = await signedInUser(t);
      const member = await signedInUser(t);
      const account = await link(owner);
      await invite(owner, account.id, member, 'viewer');
      const res = await send(
        t,
        'POST',
        `/v1/trading-accounts/${account.id}/transfer`,
        owner.token,
        {
          user_id: member.id,
        },
      );
      expect(res.statusCode).toBe(204);
      const seen = await send(t, 'GET', `/v1/trading-accounts/${account.id}`, member.token);
      expect(seen.json()).toMatchObject({ owner_id: member.id, role: 'owner' });
      const former = await send(t, 'GET', `/v1/trading-accounts/${account.id}`, owner.token);
      expect(former.json()).toMatchObject({ role: 'manager' });
      expect(
        (await send(t, 'DELETE', `/v1/trading-accounts/${account.id}`, owner.token)).statusCode,
      ).toBe(404);
    });
  });

  describe('sync and expiry', () => {
    it('reads the profile and margins on demand', async () => {
      const owner = await signedInUser(t);
      const account = await link(owner);
      const res = await send(t, 'POST', `/v1/trading-accounts/${account.id}/sync`, owner.token);
      expect(res.statusCode).toBe(200);
      expect(res.json<AccountBody>().profile.margins).toEqual({
        equity: 99725.05,
        commodity: 100661.7,
      });
      expect(await outboxOf('trading_account.profile_synced', account.id)).toHaveLength(1);
    });

    it('marks the account expired on a TokenException, mails the owner, and hands out no session', async () => {
      const owner = await signedInUser(t);
      const member = await signedInUser(t);
      const brokerUser = newBrokerUser();
      const account = await link(owner, brokerUser);
      await send(t, 'POST', `/v1/trading-accounts/${account.id}/members`, owner.token, {
        user_id: member.id,
        role: 'trader',
      });
      kite.expireSessionsOf(brokerUser);
      const res = await send(t, 'POST', `/v1/trading-accounts/${account.id}/sync`, owner.token);
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'trading_account_inactive' });
      const seen = await send(t, 'GET', `/v1/trading-accounts/${account.id}`, owner.token);
      expect(seen.json<AccountBody>().status).toBe('expired');
      expect(await outboxOf('trading_account.expired', account.id)).toHaveLength(1);
      const mails = await mailsTo(t, owner.email);
      expect(mails.at(-1)?.subject).toBe('Link your trading account again');
      expect((await fetchSessionFor(account.id, owner.id)).statusCode).toBe(409);
      expect(await checkTrade(owner.id, account.id)).toBe(false);
    });

    it('expires active accounts whose daily expiry passed, once', async () => {
      const owner = await signedInUser(t);
      const account = await link(owner);
      await db.query(
        `UPDATE trading_accounts SET token_expires_at = now() - interval '1 minute' WHERE id = $1`,
        [account.id],
      );
      expect(await checkTrade(owner.id, account.id)).toBe(false);
      await t.app.get(TradingAccountSync).expireDue(new Date());
      await t.app.get(TradingAccountSync).expireDue(new Date());
      expect(await outboxOf('trading_account.expired', account.id)).toHaveLength(1);
    });

    const fetchSessionFor = async (accountId: string, userId: string) => {
      const { access_token } = await clientToken(
        t,
        await createClient(t, ['trading_accounts:credentials']),
      );
      return send(t, 'POST', `/v1/trading-accounts/${accountId}/session`, access_token, {
        user_id: userId,
      });
    };
    const checkTrade = async (userId: string, accountId: string) => {
      const { access_token } = await clientToken(t, await createClient(t, ['authz:check']));
      const res = await send(t, 'POST', '/v1/authz/check', access_token, {
        subject: { type: 'user', id: userId },
        action: 'trading_account:trade',
        resource: { type: 'trading_account', id: accountId },
      });
      return res.json<{ allowed: boolean }>().allowed;
    };
  });
});
