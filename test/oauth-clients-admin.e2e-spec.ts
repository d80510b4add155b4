import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { encodeCursor } from '../src/common/http/pagination';
import { get, post, signedInAccount } from './support/accounts';
import { signedInAdmin } from './support/access';
import { CLIENT_CREDENTIALS_CACHE_MS } from '../src/modules/clients/oauth-clients.service';
import { expectInvalidField, expectProblem, sha256, sleep, without } from './support/assertions';
import { basic, clientToken, createClient, postForm, TestClient } from './support/clients';
import { startTestApp, TEST_MASTER_KEY, TestApp } from './support/test-app';

const CLI = join(__dirname, '..', 'dist', 'src', 'cli.js');
const SECRET = /^ghs_[A-Za-z0-9_-]{43}$/;
const CLIENT_ID = /^ghc_[A-Za-z0-9_-]{22}$/;

/** Runs the built CLI as an operator would. */
async function cli(t: TestApp, args: string[], stdin = '') {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: t.config.database.url!,
      MASTER_KEY: TEST_MASTER_KEY,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(stdin);
  const code = await new Promise((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

interface ClientBody {
  id: string;
  client_id: string;
  name: string;
  allowed_scopes: string[];
  grant_types: string[];
  status: string;
  secrets: { id: string; created_at: string; expires_at: string | null; active: boolean }[];
  created_at: string;
  updated_at: string;
  last_used_at: string | null;
  tokens_valid_after: string | null;
}

describe('/v1/admin/clients', () => {
  let t: TestApp;
  let db: DataSource;
  /**
   * A service holding clients:read and clients:write, and authz:check, the scope it hands out
   * (nobody hands out a permission it does not hold): how automation administers clients.
   */
  let operator: TestClient;
  let operatorToken: string;
  /** A user holding the admin role. */
  let adminToken: string;

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(DataSource);
    operator = await createClient(t, ['clients:read', 'clients:write', 'authz:check']);
    operatorToken = (await clientToken(t, operator)).access_token;
    adminToken = (await signedInAdmin(t)).token;
  });
  afterAll(() => t.close());

  const as = (token: string) => ({
    get: (url: string) => get(t, url, token),
    post: (url: string, body: unknown = {}) => post(t, url, body, { token }),
    delete: (url: string) =>
      t.inject({ method: 'DELETE', url, headers: { authorization: `Bearer ${token}` } }),
  });
  const admin = () => as(adminToken);
  const automation = () => as(operatorToken);

  async function created(
    body: Record<string, unknown> = {},
  ): Promise<ClientBody & { client_secret: string }> {
    const res = await automation().post('/v1/admin/clients', {
      name: 'Billing',
      allowed_scopes: ['authz:check'],
      ...body,
    });
    expect(res.statusCode).toBe(201);
    return res.json();
  }
  const tokenWith = (clientId: string, secret: string) =>
    postForm(
      t,
      '/oauth/token',
      { grant_type: 'client_credentials' },
      {
        authorization: basic(clientId, secret),
      },
    );
  const auditOf = (clientId: string) =>
    db.query<
      { action: string; actor_type: string; actor_id: string; details: Record<string, unknown> }[]
    >(
      `SELECT action, actor_type, actor_id, details FROM audit_events
        WHERE target_type = 'client' AND target_id = $1 ORDER BY created_at, id`,
      [clientId],
    );
  /** An access token of the client with this secret, failing the test otherwise. */
  const accessToken = async (clientId: string, secret: string) => {
    const res = await tokenWith(clientId, secret);
    expect(res.statusCode).toBe(200);
    return res.json<{ access_token: string }>().access_token;
  };
  /** Whether the token is accepted: clients of these tests hold clients:read for this. */
  const accepted = async (token: string, clientRowId: string) => {
    const res = await as(token).get(`/v1/admin/clients/${clientRowId}`);
    if (res.statusCode !== 401) expect(res.statusCode).toBe(200);
    else expectProblem(res, 401, 'invalid_token');
    return res.statusCode === 200;
  };
  const activeSecrets = async (id: string) =>
    (
      await db.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM oauth_client_secrets
          WHERE client_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
        [id],
      )
    )[0].n;

  describe('create', () => {
    it('answers 201 with the client and its first secret, shown once and stored as a hash', async () => {
      const res = await admin().post('/v1/admin/clients', {
        name: '  Trading service ',
        allowed_scopes: ['users:read', 'authz:check'],
      });
      expect(res.statusCode).toBe(201);
      expect(res.headers['cache-control']).toBe('no-store');
      const body = res.json<ClientBody & { client_secret: string }>();
      expect(body).toEqual({
        id: expect.any(String),
        client_id: expect.stringMatching(CLIENT_ID),
        name: 'Trading service',
        allowed_scopes: ['authz:check', 'users:read'],
        grant_types: ['client_credentials'],
        status: 'active',
        secrets: [
          {
            id: expect.any(String),
            created_at: expect.any(String),
            expires_at: null,
            active: true,
          },
        ],
        created_at: expect.any(String),
        updated_at: expect.any(String),
        last_used_at: null,
        tokens_valid_after: null,
        client_secret: expect.stringMatching(SECRET),
      });
      const [stored] = await db.query<{ secret_hash: Buffer }[]>(
        'SELECT secret_hash FROM oauth_client_secrets WHERE id = $1',
        [body.secrets[0].id],
      );
      expect(stored.secret_hash).toEqual(sha256(body.client_secret));
      expect(JSON.stringify(await db.query('SELECT * FROM oauth_client_secrets'))).not.toContain(
        body.client_secret,
      );
      expect((await tokenWith(body.client_id, body.client_secret)).statusCode).toBe(200);
      // Never again: not in the client's own representation, nor in the logs.
      expect((await admin().get(`/v1/admin/clients/${body.id}`)).body).not.toContain(
        body.client_secret,
      );
      expect(JSON.stringify(t.logs)).not.toContain(body.client_secret);
      expect(await auditOf(body.client_id)).toEqual([
        {
          action: 'client.create',
          actor_type: 'user',
          actor_id: expect.any(String),
          details: {
            name: 'Trading service',
            allowed_scopes: ['authz:check', 'users:read'],
            secret_id: body.secrets[0].id,
            secret_expires_at: null,
          },
        },
      ]);
    });

    it('records a service as the actor when a service makes the change', async () => {
      const body = await created();
      const [event] = await auditOf(body.client_id);
      expect(event).toMatchObject({ actor_type: 'service', actor_id: operator.clientId });
    });

    it.each<[string, Record<string, unknown>, string]>([
      [
        'an unknown scope',
        { allowed_scopes: ['authz:check', 'trading:everything'] },
        'allowed_scopes',
      ],
      ['no scope', { allowed_scopes: [] }, 'allowed_scopes'],
      ['a repeated scope', { allowed_scopes: ['authz:check', 'authz:check'] }, 'allowed_scopes'],
      ['a blank name', { name: '   ' }, 'name'],
      ['a name with a bidi override', { name: 'evil\u202Eecivres' }, 'name'],
      ['a past expiry', { secret_expires_at: '2020-01-01T00:00:00Z' }, 'secret_expires_at'],
      ['an expiry that is no date', { secret_expires_at: 'tomorrow' }, 'secret_expires_at'],
      ['a client_id of its choosing', { client_id: 'ghc_AAAAAAAAAAAAAAAAAAAAAA' }, 'client_id'],
      ['grant types', { grant_types: ['password'] }, 'grant_types'],
    ])('refuses %s with a 422 naming the field', async (_, changes, field) => {
      const res = await automation().post('/v1/admin/clients', {
        name: 'Bad',
        allowed_scopes: ['authz:check'],
        ...changes,
      });
      expectInvalidField(res, field);
    });
  });

  describe('read', () => {
    it('lists clients oldest first, a page at a time', async () => {
      const mine = [await created(), await created(), await created(), await created()];
      const first = await admin().get('/v1/admin/clients?limit=2');
      expect(first.json<{ items: unknown[] }>().items).toHaveLength(2);
      // Other test files add clients concurrently: follow the pages from our first one until
      // the other three have all been seen.
      const seen: ClientBody[] = [];
      let cursor: string | null = encodeCursor(mine[0].id);
      let pages = 0;
      while (cursor && !mine.slice(1).every((m) => seen.some((c) => c.id === m.id))) {
        const res = await admin().get(`/v1/admin/clients?limit=2&cursor=${cursor}`);
        expect(res.statusCode).toBe(200);
        const page = res.json<{ items: ClientBody[]; next_cursor: string | null }>();
        expect(page.items.length).toBeLessThanOrEqual(2);
        if (pages++ === 0) expect(page.next_cursor).toEqual(expect.any(String));
        seen.push(...page.items);
        cursor = page.next_cursor;
      }
      const ids = seen.map((c) => c.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual([...ids].sort());
      expect(ids.filter((id) => mine.some((m) => m.id === id))).toEqual(
        mine.slice(1).map((m) => m.id),
      );
      expect(seen.find((c) => c.id === mine[1].id)).toMatchObject({ client_id: mine[1].client_id });
      expect(JSON.stringify(seen)).not.toMatch(/ghs_/);
    });

    it('refuses a cursor it did not issue and a limit out of range', async () => {
      expectInvalidField(await admin().get('/v1/admin/clients?cursor=bm90LWEtdXVpZA'), 'cursor');
      expectInvalidField(await admin().get('/v1/admin/clients?limit=0'), 'limit');
      expectInvalidField(await admin().get('/v1/admin/clients?limit=101'), 'limit');
    });

    it('gets one client; an unknown id is 404 and a malformed one 422', async () => {
      const body = await created();
      const res = await admin().get(`/v1/admin/clients/${body.id}`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(without(body, 'client_secret'));
      expectProblem(
        await admin().get('/v1/admin/clients/01900000-0000-7000-8000-000000000000'),
        404,
        'not_found',
      );
      expectInvalidField(await admin().get('/v1/admin/clients/ghc_x'), 'id');
    });
  });

  describe('secret rotation', () => {
    it('a second secret works beside the first; a third is refused; the first works until removed', async () => {
      const client = await created();
      const added = await automation().post(`/v1/admin/clients/${client.id}/secrets`);
      expect(added.statusCode).toBe(201);
      expect(added.headers['cache-control']).toBe('no-store');
      const second = added.json<{
        id: string;
        client_secret: string;
        active: boolean;
        expires_at: null;
      }>();
      expect(second).toEqual({
        id: expect.any(String),
        created_at: expect.any(String),
        expires_at: null,
        active: true,
        client_secret: expect.stringMatching(SECRET),
      });
      expect((await tokenWith(client.client_id, client.client_secret)).statusCode).toBe(200);
      expect((await tokenWith(client.client_id, second.client_secret)).statusCode).toBe(200);

      const third = await automation().post(`/v1/admin/clients/${client.id}/secrets`);
      expectProblem(third, 409, 'secret_limit_reached');
      expect(await activeSecrets(client.id)).toBe(2);

      const removed = await automation().delete(
        `/v1/admin/clients/${client.id}/secrets/${client.secrets[0].id}`,
      );
      expect(removed.statusCode).toBe(204);
      const old = await tokenWith(client.client_id, client.client_secret);
      expect(old.statusCode).toBe(401);
      expect(old.json()).toMatchObject({ error: 'invalid_client' });
      expect((await tokenWith(client.client_id, second.client_secret)).statusCode).toBe(200);
      const listed = (await admin().get(`/v1/admin/clients/${client.id}`)).json<ClientBody>();
      expect(listed.secrets.map((s) => s.id)).toEqual([second.id]);
      // Room again for the next rotation.
      expect((await automation().post(`/v1/admin/clients/${client.id}/secrets`)).statusCode).toBe(
        201,
      );
      expect((await auditOf(client.client_id)).map((e) => e.action)).toEqual([
        'client.create',
        'client.secret_add',
        'client.secret_remove',
        'client.secret_add',
      ]);
    });

    it('an expired secret stops working and no longer counts towards the two', async () => {
      const client = await created();
      const expiring = await automation().post(`/v1/admin/clients/${client.id}/secrets`, {
        expires_at: new Date(Date.now() + 3600_000).toISOString(),
      });
      expect(expiring.statusCode).toBe(201);
      const secret = expiring.json<{ id: string; client_secret: string; expires_at: string }>();
      expect(new Date(secret.expires_at).getTime()).toBeGreaterThan(Date.now());
      expect((await tokenWith(client.client_id, secret.client_secret)).statusCode).toBe(200);
      await db.query(
        `UPDATE oauth_client_secrets SET expires_at = now() - interval '1 second' WHERE id = $1`,
        [secret.id],
      );
      // Expired behind the instance's back, as time would: it reads the secrets again within
      // CLIENT_CREDENTIALS_CACHE_MS (a change made through the service applies at once).
      const expired = Date.now();
      while ((await tokenWith(client.client_id, secret.client_secret)).statusCode !== 401) {
        expect(Date.now() - expired).toBeLessThan(CLIENT_CREDENTIALS_CACHE_MS + 500);
        await sleep(100);
      }
      const listed = (await admin().get(`/v1/admin/clients/${client.id}`)).json<ClientBody>();
      expect(listed.secrets.find((s) => s.id === secret.id)).toMatchObject({ active: false });
      expect((await automation().post(`/v1/admin/clients/${client.id}/secrets`)).statusCode).toBe(
        201,
      );
    });

    it('concurrent additions never leave three active secrets', async () => {
      const client = await created();
      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          automation().post(`/v1/admin/clients/${client.id}/secrets`),
        ),
      );
      expect(answers.filter((res) => res.statusCode === 201)).toHaveLength(1);
      for (const res of answers.filter((r) => r.statusCode !== 201)) {
        expectProblem(res, 409, 'secret_limit_reached');
      }
      expect(await activeSecrets(client.id)).toBe(2);
    });

    it('a secret of another client, or an unknown one, is 404 and removes nothing', async () => {
      const a = await created();
      const b = await created();
      expectProblem(
        await automation().delete(`/v1/admin/clients/${a.id}/secrets/${b.secrets[0].id}`),
        404,
        'not_found',
      );
      expect((await tokenWith(b.client_id, b.client_secret)).statusCode).toBe(200);
      expectProblem(
        await automation().post('/v1/admin/clients/01900000-0000-7000-8000-000000000000/secrets'),
        404,
        'not_found',
      );
      // Removing twice: the second time there is nothing to remove.
      const url = `/v1/admin/clients/${a.id}/secrets/${a.secrets[0].id}`;
      expect((await automation().delete(url)).statusCode).toBe(204);
      expectProblem(await automation().delete(url), 404, 'not_found');
    });
  });

  describe('ending the tokens a client holds', () => {
    const reader = () => created({ allowed_scopes: ['clients:read'] });

    it('disable, remove every secret, add one, enable: the old tokens stay refused, new ones work', async () => {
      const client = await reader();
      const stolen = await accessToken(client.client_id, client.client_secret);
      expect(await accepted(stolen, client.id)).toBe(true);
      expect((await automation().post(`/v1/admin/clients/${client.id}/disable`)).statusCode).toBe(
        200,
      );
      expect(
        (
          await automation().delete(
            `/v1/admin/clients/${client.id}/secrets/${client.secrets[0].id}`,
          )
        ).statusCode,
      ).toBe(204);
      const added = await automation().post(`/v1/admin/clients/${client.id}/secrets`);
      expect(added.statusCode).toBe(201);
      const enabled = await automation().post(`/v1/admin/clients/${client.id}/enable`);
      expect(enabled.json<ClientBody>().status).toBe('active');

      expect(await accepted(stolen, client.id)).toBe(false);
      const fresh = await accessToken(
        client.client_id,
        added.json<{ client_secret: string }>().client_secret,
      );
      expect(await accepted(fresh, client.id)).toBe(true);
      expect(await accepted(stolen, client.id)).toBe(false);
    });

    it('removing a secret ends the tokens the client holds, whichever secret got them', async () => {
      const client = await reader();
      const second = (await automation().post(`/v1/admin/clients/${client.id}/secrets`)).json<{
        client_secret: string;
      }>();
      const byFirst = await accessToken(client.client_id, client.client_secret);
      const bySecond = await accessToken(client.client_id, second.client_secret);
      const removed = await automation().delete(
        `/v1/admin/clients/${client.id}/secrets/${client.secrets[0].id}`,
      );
      expect(removed.statusCode).toBe(204);
      expect(await accepted(byFirst, client.id)).toBe(false);
      expect(await accepted(bySecond, client.id)).toBe(false);
      // The rotation goes on: the remaining secret gets tokens that work.
      expect(
        await accepted(await accessToken(client.client_id, second.client_secret), client.id),
      ).toBe(true);
      const listed = (await admin().get(`/v1/admin/clients/${client.id}`)).json<ClientBody>();
      expect(listed.tokens_valid_after).not.toBeNull();
    });

    it('revoke-tokens ends the tokens issued until now and leaves the client working, audited', async () => {
      const client = await reader();
      const leaked = await accessToken(client.client_id, client.client_secret);
      expect(await accepted(leaked, client.id)).toBe(true);
      const before = Date.now();
      const res = await admin().post(`/v1/admin/clients/${client.id}/revoke-tokens`);
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      expect(await accepted(leaked, client.id)).toBe(false);
      // Issued right after, most likely within the same second: it works.
      const next = await accessToken(client.client_id, client.client_secret);
      expect(await accepted(next, client.id)).toBe(true);

      const listed = (await admin().get(`/v1/admin/clients/${client.id}`)).json<ClientBody>();
      expect(listed.status).toBe('active');
      expect(listed.secrets.map((s) => s.id)).toEqual(client.secrets.map((s) => s.id));
      const validAfter = new Date(listed.tokens_valid_after!).getTime();
      expect(validAfter).toBeGreaterThanOrEqual(before);
      expect(validAfter).toBeLessThanOrEqual(Date.now());
      expect((await auditOf(client.client_id)).slice(1)).toEqual([
        {
          action: 'client.tokens_revoke',
          actor_type: 'user',
          actor_id: expect.any(String),
          details: { tokens_valid_after: listed.tokens_valid_after },
        },
      ]);

      // Again: the tokens issued since end too.
      expect(
        (await automation().post(`/v1/admin/clients/${client.id}/revoke-tokens`)).statusCode,
      ).toBe(204);
      expect(await accepted(next, client.id)).toBe(false);
      expect((await auditOf(client.client_id)).map((e) => e.action)).toEqual([
        'client.create',
        'client.tokens_revoke',
        'client.tokens_revoke',
      ]);
    });

    it('revoke-tokens: an unknown client is 404, a malformed id 422, and a reader is refused', async () => {
      expectProblem(
        await admin().post('/v1/admin/clients/01900000-0000-7000-8000-000000000000/revoke-tokens'),
        404,
        'not_found',
      );
      expectInvalidField(await admin().post('/v1/admin/clients/ghc_x/revoke-tokens'), 'id');
      const client = await reader();
      const token = await accessToken(client.client_id, client.client_secret);
      expectProblem(
        await as(token).post(`/v1/admin/clients/${client.id}/revoke-tokens`),
        403,
        'forbidden',
      );
      // Refused, nothing changed: its token still works.
      expect(await accepted(token, client.id)).toBe(true);
      expect((await auditOf(client.client_id)).map((e) => e.action)).toEqual(['client.create']);
    });
  });

  describe('disable and enable', () => {
    it('a disabled client gets no tokens; enabled again, it does; each change audited once', async () => {
      const client = await created();
      const disabled = await admin().post(`/v1/admin/clients/${client.id}/disable`);
      expect(disabled.statusCode).toBe(200);
      expect(disabled.json<ClientBody>().status).toBe('disabled');
      const refused = await tokenWith(client.client_id, client.client_secret);
      expect(refused.json()).toMatchObject({ error: 'unauthorized_client' });
      expect((await admin().post(`/v1/admin/clients/${client.id}/disable`)).statusCode).toBe(200);
      const enabled = await admin().post(`/v1/admin/clients/${client.id}/enable`);
      expect(enabled.json<ClientBody>().status).toBe('active');
      expect((await tokenWith(client.client_id, client.client_secret)).statusCode).toBe(200);
      expect((await auditOf(client.client_id)).map((e) => e.action)).toEqual([
        'client.create',
        'client.disable',
        'client.enable',
      ]);
      expectProblem(
        await admin().post('/v1/admin/clients/01900000-0000-7000-8000-000000000000/disable'),
        404,
        'not_found',
      );
    });
  });

  describe('access', () => {
    const routes: [string, string][] = [
      ['GET', '/v1/admin/clients'],
      ['POST', '/v1/admin/clients'],
      ['GET', '/v1/admin/clients/01900000-0000-7000-8000-000000000000'],
      ['POST', '/v1/admin/clients/01900000-0000-7000-8000-000000000000/secrets'],
      [
        'DELETE',
        '/v1/admin/clients/01900000-0000-7000-8000-000000000000/secrets/01900000-0000-7000-8000-000000000001',
      ],
      ['POST', '/v1/admin/clients/01900000-0000-7000-8000-000000000000/disable'],
      ['POST', '/v1/admin/clients/01900000-0000-7000-8000-000000000000/enable'],
      ['POST', '/v1/admin/clients/01900000-0000-7000-8000-000000000000/revoke-tokens'],
    ];

    it.each(routes)('%s %s needs an access token', async (method, url) => {
      const res = await t.inject({
        method: method as 'GET',
        url,
        payload: method === 'POST' ? {} : undefined,
      });
      expectProblem(res, 401, 'unauthorized');
    });

    // Enforced by the global PermissionGuard (the lead's work): these pass once it is in.
    it.each(routes)('%s %s is 403 for a user without the permission', async (method, url) => {
      const { tokens } = await signedInAccount(t);
      const res = await t.inject({
        method: method as 'GET',
        url,
        payload: method === 'POST' ? {} : undefined,
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      expectProblem(res, 403, 'forbidden');
    });

    // The refusal, too, is the PermissionGuard's.
    it('a service token needs the permission among its scopes', async () => {
      const reader = await createClient(t, ['clients:read']);
      const { access_token: accessToken } = await clientToken(t, reader);
      expect((await get(t, '/v1/admin/clients', accessToken)).statusCode).toBe(200);
      const res = await post(
        t,
        '/v1/admin/clients',
        { name: 'X', allowed_scopes: ['authz:check'] },
        { token: accessToken },
      );
      expectProblem(res, 403, 'forbidden');
    });
  });

  describe('npm run cli -- clients:create', () => {
    it('prints the client id and the secret once; they get a token', async () => {
      const result = await cli(t, [
        'clients:create',
        '--name',
        'Nightly sync',
        '--scopes',
        'authz:check users:read',
      ]);
      expect(result.code).toBe(0);
      const clientId = /client_id:\s+(\S+)/.exec(result.stdout)?.[1];
      const secret = /client_secret:\s+(\S+)/.exec(result.stdout)?.[1];
      expect(clientId).toMatch(CLIENT_ID);
      expect(secret).toMatch(SECRET);
      expect(result.stdout.split(secret!)).toHaveLength(2);
      const res = await tokenWith(clientId!, secret!);
      expect(res.statusCode).toBe(200);
      expect(res.json<{ scope: string }>().scope).toBe('authz:check users:read');
      expect(await auditOf(clientId!)).toEqual([
        expect.objectContaining({ action: 'client.create', actor_type: 'system', actor_id: 'cli' }),
      ]);
    });

    it('refuses unknown scopes, and a missing name or scope list, creating nothing', async () => {
      const name = `Refused ${randomUUID()}`;
      const unknown = await cli(t, [
        'clients:create',
        '--name',
        name,
        '--scopes',
        'authz:check root:all',
      ]);
      expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining('root:all') });
      expect((await cli(t, ['clients:create', '--scopes', 'authz:check'])).code).toBe(2);
      expect((await cli(t, ['clients:create', '--name', name])).code).toBe(2);
      expect(await db.query('SELECT 1 FROM oauth_clients WHERE name = $1', [name])).toHaveLength(0);
    });
  });
});
