import { Controller, Get, Module } from '@nestjs/common';
import { AddressInfo } from 'node:net';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { DataSource } from 'typeorm';
import { Caller, CurrentCaller } from '../src/common/auth/principal';
import { RequirePermission } from '../src/common/auth/require-permission.decorator';
import { MAX_FORM_BYTES, MAX_FORM_PARAMETERS } from '../src/common/http/form-body';
import { uuidV7Time } from '../src/common/ids/uuid-v7';
import { CLIENT_CREDENTIALS_CACHE_MS } from '../src/modules/clients/oauth-clients.service';
import { get, post, signedInAccount, uniqueIp } from './support/accounts';
import {
  expectProblem,
  headersWithoutIds,
  PROBLEM,
  Response,
  REVOCATION_BOUND_MS,
  sleep,
} from './support/assertions';
import {
  addClientSecret,
  basic,
  clientToken,
  createClient,
  postForm,
  removeClientSecret,
  revokeClientTokens,
  setClientStatus,
  TestClient,
} from './support/clients';
import { startTestApp, TestApp } from './support/test-app';

const PUBLIC_URL = 'https://id.example.test';
const CLIENT_TTL_S = 600;
const MAX_FAILURES_PER_IP = 5;
const CHALLENGE = 'Basic realm="gatehouse", charset="UTF-8"';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A route that accepts service tokens: it declares the permission it needs. */
@Controller('probe/service')
class ServiceProbeController {
  @Get()
  @RequirePermission('authz:check')
  whoami(@CurrentCaller() caller: Caller): Caller {
    return caller;
  }
}

@Module({ controllers: [ServiceProbeController] })
class ServiceProbeModule {}

/** An RFC 6749 §5.2 error: this status and code, a description, JSON, never problem+json. */
function expectOAuthError(res: Response, status: number, error: string): string {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers['content-type']).not.toMatch(PROBLEM);
  expect(res.headers['cache-control']).toBe('no-store');
  const body = res.json<Record<string, unknown>>();
  expect(Object.keys(body).sort()).toEqual(['error', 'error_description']);
  expect(body.error).toBe(error);
  expect(typeof body.error_description).toBe('string');
  return body.error_description as string;
}

function expectInvalidClient(res: Response): void {
  expectOAuthError(res, 401, 'invalid_client');
  expect(res.headers['www-authenticate']).toBe(CHALLENGE);
}

describe('POST /oauth/token (client credentials)', () => {
  let t: TestApp;
  let db: DataSource;
  let client: TestClient;

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        PUBLIC_URL,
        CLIENT_ACCESS_TOKEN_TTL_SECONDS: String(CLIENT_TTL_S),
        LOGIN_MAX_FAILURES_PER_IP: String(MAX_FAILURES_PER_IP),
      },
      extraModules: [ServiceProbeModule],
    });
    db = t.app.get(DataSource);
    client = await createClient(t, ['authz:check', 'users:read']);
  });
  afterAll(() => t.close());

  const grant = { grant_type: 'client_credentials' };
  const token = (
    parameters: Record<string, string> | string,
    options: Parameters<typeof postForm>[3] = {},
  ) => postForm(t, '/oauth/token', parameters, options);
  const withBasic = (c: Pick<TestClient, 'clientId' | 'secret'>, extra = {}) =>
    token({ ...grant, ...extra }, { authorization: basic(c.clientId, c.secret) });

  describe('issues a token', () => {
    it('with client_secret_basic: RFC 6749 §5.1 response, no refresh token, not cacheable', async () => {
      const res = await withBasic(client);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.pragma).toBe('no-cache');
      const body = res.json<Record<string, unknown>>();
      expect(body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: CLIENT_TTL_S,
        scope: 'authz:check users:read',
      });
    });

    it('with client_secret_post', async () => {
      const res = await token({
        ...grant,
        client_id: client.clientId,
        client_secret: client.secret,
      });
      expect(res.statusCode).toBe(200);
      expect(res.json<{ scope: string }>().scope).toBe('authz:check users:read');
    });

    it('decodes Basic credentials as form-encoded (RFC 6749 §2.3.1)', async () => {
      const encoded = [...client.secret].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');
      const authorization = `Basic ${Buffer.from(`${client.clientId}:${encoded}`).toString('base64')}`;
      expect((await token(grant, { authorization })).statusCode).toBe(200);
      // Case-insensitive scheme, charset parameter on the content type.
      const res = await token(grant, {
        authorization: basic(client.clientId, client.secret).replace('Basic', 'bAsIc'),
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
      });
      expect(res.statusCode).toBe(200);
    });

    it('RFC 9068 claims, verified with jose createRemoteJWKSet over HTTP', async () => {
      const { access_token: accessToken } = await clientToken(t, client);
      await t.app.listen(0, '127.0.0.1');
      const { port } = t.app.getHttpServer().address() as AddressInfo;
      const keySet = createRemoteJWKSet(new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`));
      const { payload, protectedHeader } = await jwtVerify(accessToken, keySet, {
        issuer: PUBLIC_URL,
        audience: t.config.tokens.audience,
        typ: 'at+jwt',
        algorithms: ['ES256'],
      });
      expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: expect.any(String) });
      expect(payload).toEqual({
        iss: PUBLIC_URL,
        aud: t.config.tokens.audience,
        sub: client.clientId,
        client_id: client.clientId,
        scope: 'authz:check users:read',
        iat: expect.any(Number),
        exp: expect.any(Number),
        jti: expect.stringMatching(UUID),
      });
      expect(payload.exp! - payload.iat!).toBe(CLIENT_TTL_S);
      // Never a UUID: a service can never be taken for a user.
      expect(payload.sub).toMatch(/^ghc_[A-Za-z0-9_-]{22}$/);
    });

    it('a requested scope narrows the token to that subset; absent, all allowed scopes', async () => {
      const narrowed = await withBasic(client, { scope: 'users:read' });
      expect(narrowed.json<{ scope: string }>().scope).toBe('users:read');
      expect(decodeJwt(narrowed.json<{ access_token: string }>().access_token).scope).toBe(
        'users:read',
      );
      const repeated = await withBasic(client, { scope: 'users:read authz:check users:read' });
      expect(repeated.json<{ scope: string }>().scope).toBe('authz:check users:read');
    });

    it('notes last_used_at, at most once a minute', async () => {
      const fresh = await createClient(t);
      const lastUsed = async () =>
        (
          await db.query<{ last_used_at: Date | null }[]>(
            'SELECT last_used_at FROM oauth_clients WHERE id = $1',
            [fresh.id],
          )
        )[0].last_used_at;
      expect(await lastUsed()).toBeNull();
      await clientToken(t, fresh);
      const first = await lastUsed();
      expect(first).toBeInstanceOf(Date);
      await clientToken(t, fresh);
      expect(await lastUsed()).toEqual(first);
      // A minute later it moves again. The minute is taken off the row behind the instance's
      // back, so it is seen once the instance reads the client again (CLIENT_CREDENTIALS_CACHE_MS).
      await db.query(
        `UPDATE oauth_clients SET last_used_at = last_used_at - interval '61 seconds' WHERE id = $1`,
        [fresh.id],
      );
      await sleep(CLIENT_CREDENTIALS_CACHE_MS);
      await clientToken(t, fresh);
      expect((await lastUsed())!.getTime()).toBeGreaterThanOrEqual(first!.getTime());
    });
  });

  describe('client authentication', () => {
    it('a wrong secret, an unknown client and a malformed client id get the same 401', async () => {
      const other = await createClient(t);
      const answers = await Promise.all([
        withBasic({ clientId: client.clientId, secret: other.secret }),
        withBasic({ clientId: 'ghc_AAAAAAAAAAAAAAAAAAAAAA', secret: client.secret }),
        withBasic({ clientId: 'not-a-client', secret: client.secret }),
        token({ ...grant, client_id: client.clientId, client_secret: `${client.secret}x` }),
      ]);
      for (const res of answers) expectInvalidClient(res);
      const shapes = answers.map((res) => ({ headers: headersWithoutIds(res), body: res.body }));
      expect(new Set(shapes.map((s) => JSON.stringify(s))).size).toBe(1);
    });

    it('both methods at once is invalid_request', async () => {
      const res = await token(
        { ...grant, client_id: client.clientId, client_secret: client.secret },
        { authorization: basic(client.clientId, client.secret) },
      );
      expectOAuthError(res, 400, 'invalid_request');
    });

    it('client_id in the body too must name the client of the header', async () => {
      const same = await withBasic(client, { client_id: client.clientId });
      expect(same.statusCode).toBe(200);
      const other = await createClient(t);
      expectOAuthError(
        await withBasic(client, { client_id: other.clientId }),
        400,
        'invalid_request',
      );
    });

    it.each<[string, string]>([
      ['not base64', 'Basic !!!'],
      ['no colon', `Basic ${Buffer.from('ghc_nocolon').toString('base64')}`],
      ['empty secret', `Basic ${Buffer.from('ghc_AAAAAAAAAAAAAAAAAAAAAA:').toString('base64')}`],
      ['bad percent-encoding', `Basic ${Buffer.from('ghc_x:%zz').toString('base64')}`],
      ['not UTF-8', `Basic ${Buffer.from([0x61, 0x3a, 0xff, 0xfe]).toString('base64')}`],
      ['unpadded base64 with junk', 'Basic YTpi=x'],
      ['no credentials after the scheme', 'Basic'],
      ['another scheme', 'Digest username="x"'],
    ])(
      'a malformed Authorization header (%s) is invalid_client with a Basic challenge',
      async (_, authorization) => {
        expectInvalidClient(await token(grant, { authorization }));
      },
    );

    it('no credentials at all, or an id without a secret, is invalid_client', async () => {
      expectInvalidClient(await token(grant));
      expectInvalidClient(await token({ ...grant, client_id: client.clientId }));
    });

    it('a user’s access token is no client authentication', async () => {
      const { tokens } = await signedInAccount(t);
      expectInvalidClient(await token(grant, { authorization: `Bearer ${tokens.access_token}` }));
    });

    it('a disabled client is told so, but only with its right secret', async () => {
      const disabled = await createClient(t);
      await setClientStatus(t, disabled, 'disabled');
      const res = await withBasic(disabled);
      expect(expectOAuthError(res, 400, 'unauthorized_client')).toMatch(/disabled/);
      const other = await createClient(t);
      expectInvalidClient(await withBasic({ clientId: disabled.clientId, secret: other.secret }));
      await setClientStatus(t, disabled, 'active');
      expect((await withBasic(disabled)).statusCode).toBe(200);
    });

    it('failures are throttled per client network; the right secret does not count', async () => {
      const ip = uniqueIp();
      const wrong = { authorization: basic(client.clientId, 'ghs_wrong'), ip };
      const right = { authorization: basic(client.clientId, client.secret), ip };
      for (let i = 0; i < MAX_FAILURES_PER_IP * 2; i++) {
        expect((await token(grant, right)).statusCode).toBe(200);
      }
      for (let i = 0; i < MAX_FAILURES_PER_IP; i++) expectInvalidClient(await token(grant, wrong));
      const locked = await token(grant, right);
      expectOAuthError(locked, 429, 'temporarily_unavailable');
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
      // Another network, and the client itself, are not locked out.
      expect((await token(grant, { ...right, ip: uniqueIp() })).statusCode).toBe(200);
    });
  });

  describe('request errors', () => {
    it('another grant type is unsupported_grant_type; none is invalid_request', async () => {
      for (const grantType of ['password', 'authorization_code', 'refresh_token', 'urn:x']) {
        expectOAuthError(
          await withBasic(client, { grant_type: grantType }),
          400,
          'unsupported_grant_type',
        );
      }
      const none = await token({}, { authorization: basic(client.clientId, client.secret) });
      expectOAuthError(none, 400, 'invalid_request');
      const empty = await token('grant_type=', {
        authorization: basic(client.clientId, client.secret),
      });
      expectOAuthError(empty, 400, 'invalid_request');
    });

    it('its errors are answers, not logged as unexpected ones', async () => {
      const refused = [
        await withBasic(client, { grant_type: 'password' }),
        await token({}, { authorization: basic(client.clientId, client.secret) }),
        await token({ grant_type: 'client_credentials' }),
      ];
      expect(refused.map((res) => res.statusCode)).toEqual([400, 400, 401]);
      const ids = new Set(refused.map((res) => res.headers['x-request-id']));
      // The filter logs before it answers: any such line is in already.
      expect(t.logs.filter((l) => ids.has(l.request_id as string) && l.level === 'error')).toEqual(
        [],
      );
    });

    it('a scope beyond the allowed ones, or a malformed one, is invalid_scope', async () => {
      for (const scope of [
        'clients:write',
        'authz:check clients:write',
        'authz:check  users:read',
        'AUTHZ:CHECK',
        ' authz:check',
      ]) {
        expectOAuthError(await withBasic(client, { scope }), 400, 'invalid_scope');
      }
    });

    it('a repeated parameter is invalid_request', async () => {
      const authorization = basic(client.clientId, client.secret);
      const res = await token('grant_type=client_credentials&grant_type=client_credentials', {
        authorization,
      });
      expect(expectOAuthError(res, 400, 'invalid_request')).toMatch(/grant_type/);
      const scopes = await token(
        'grant_type=client_credentials&scope=authz:check&scope=users:read',
        { authorization },
      );
      expectOAuthError(scopes, 400, 'invalid_request');
    });

    it('a body that is not a form is invalid_request, whatever it is', async () => {
      const authorization = basic(client.clientId, client.secret);
      for (const [contentType, payload] of [
        ['application/json', JSON.stringify(grant)],
        ['text/plain', 'grant_type=client_credentials'],
        ['multipart/form-data; boundary=x', '--x--'],
      ]) {
        const res = await t.inject({
          method: 'POST',
          url: '/oauth/token',
          payload,
          headers: { 'content-type': contentType, authorization },
        });
        expect(expectOAuthError(res, 400, 'invalid_request')).toMatch(/x-www-form-urlencoded/);
      }
      const none = await t.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { authorization },
      });
      expectOAuthError(none, 400, 'invalid_request');
    });

    it('a form over 8 KiB is refused in the OAuth shape too', async () => {
      const res = await token({ ...grant, padding: 'x'.repeat(MAX_FORM_BYTES) });
      expectOAuthError(res, 400, 'invalid_request');
    });

    it('a form with more than 32 parameters is refused', async () => {
      const many = await token(`grant_type=client_credentials${'&a='.repeat(MAX_FORM_PARAMETERS)}`);
      expect(expectOAuthError(many, 400, 'invalid_request')).toMatch(/at most 32 parameters/);
      const repeated = await token('a=&'.repeat(MAX_FORM_BYTES / 4));
      expect(expectOAuthError(repeated, 400, 'invalid_request')).toMatch(/at most 32 parameters/);
    });

    it('the rest of the API still refuses forms with a 415 problem', async () => {
      const res = await t.inject({
        method: 'POST',
        url: '/v1/auth/login',
        payload: 'email=a%40example.com&password=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expectProblem(res, 415, 'unsupported_media_type');
    });

    it('GET is not a route: a 404 problem', async () => {
      expectProblem(await get(t, '/oauth/token'), 404, 'route_not_found');
    });
  });

  describe('service tokens at the API', () => {
    it('are accepted on routes that declare a permission, as the service caller', async () => {
      const { access_token: accessToken } = await clientToken(t, client);
      const res = await get(t, '/probe/service', accessToken);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        kind: 'service',
        clientId: client.clientId,
        tokenId: decodeJwt(accessToken).jti,
        scopes: ['authz:check', 'users:read'],
      });
    });

    it('with authz:check ask the decision point; without it they are refused', async () => {
      const { access_token: accessToken } = await clientToken(t, client);
      const question = {
        subject: { type: 'user', id: '01900000-0000-7000-8000-000000000000' },
        action: 'trading_account:trade',
        resource: { type: 'trading_account', id: 'acc-1' },
      };
      const res = await post(t, '/v1/authz/check', question, { token: accessToken });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ allowed: false, decision: 'deny' });
      const reader = await clientToken(t, client, 'users:read');
      expectProblem(
        await post(t, '/v1/authz/check', question, { token: reader.access_token }),
        403,
        'forbidden',
      );
    });

    it('are refused on user routes with 403 user_token_required', async () => {
      const { access_token: accessToken } = await clientToken(t, client);
      expectProblem(await get(t, '/v1/users/me', accessToken), 403, 'user_token_required');
      expectProblem(
        await post(t, '/v1/auth/logout', {}, { token: accessToken }),
        403,
        'user_token_required',
      );
    });

    it('stop working within 1 s on every instance once the client is disabled', async () => {
      const b = await startTestApp({
        databaseUrl: t.config.database.url,
        env: { PUBLIC_URL },
        extraModules: [ServiceProbeModule],
      });
      try {
        const service = await createClient(t);
        const { access_token: accessToken } = await clientToken(t, service);
        expect((await get(b, '/probe/service', accessToken)).statusCode).toBe(200);
        await setClientStatus(t, service, 'disabled');
        const disabled = Date.now();
        // On the instance that disabled it: at once.
        expect((await get(t, '/probe/service', accessToken)).statusCode).toBe(401);
        for (;;) {
          const res = await get(b, '/probe/service', accessToken);
          if (res.statusCode === 401) {
            expectProblem(res, 401, 'invalid_token');
            break;
          }
          expect(res.statusCode).toBe(200);
          expect(Date.now() - disabled).toBeLessThan(REVOCATION_BOUND_MS);
          await sleep(100);
        }
        expect(Date.now() - disabled).toBeLessThan(REVOCATION_BOUND_MS);
      } finally {
        await b.close();
      }
    });

    it.each<[string, (t: TestApp, service: TestClient) => Promise<void>]>([
      ['its tokens are revoked', revokeClientTokens],
      ['a secret of it is removed', (app, service) => removeClientSecret(app, service)],
      [
        'it is disabled and enabled again',
        async (app, service) => {
          await setClientStatus(app, service, 'disabled');
          await setClientStatus(app, service, 'active');
        },
      ],
    ])(
      'issued before, stop working within 1 s on every instance once %s; later ones work',
      async (_, end) => {
        const b = await startTestApp({
          databaseUrl: t.config.database.url,
          env: { PUBLIC_URL },
          extraModules: [ServiceProbeModule],
        });
        try {
          const service = await createClient(t);
          const spare = await addClientSecret(t, service);
          const { access_token: before } = await clientToken(t, service);
          expect((await get(b, '/probe/service', before)).statusCode).toBe(200);
          await end(t, service);
          const ended = Date.now();
          expectProblem(await get(t, '/probe/service', before), 401, 'invalid_token');
          for (;;) {
            const res = await get(b, '/probe/service', before);
            if (res.statusCode === 401) {
              expectProblem(res, 401, 'invalid_token');
              break;
            }
            expect(res.statusCode).toBe(200);
            expect(Date.now() - ended).toBeLessThan(REVOCATION_BOUND_MS);
            await sleep(100);
          }
          expect(Date.now() - ended).toBeLessThan(REVOCATION_BOUND_MS);
          // Issued after (most likely within the same second): accepted on both instances.
          const { access_token: after } = await clientToken(t, spare);
          expect((await get(t, '/probe/service', after)).statusCode).toBe(200);
          expect((await get(b, '/probe/service', after)).statusCode).toBe(200);
        } finally {
          await b.close();
        }
      },
    );

    it('a token counts as issued before its client’s tokens ended up to that very millisecond, told by its UUIDv7 jti', async () => {
      const service = await createClient(t);
      const endTokensAt = (ms: number) =>
        db.query(
          `UPDATE oauth_clients SET tokens_valid_after = to_timestamp($2 / 1000.0) WHERE id = $1`,
          [service.id, ms],
        );
      const issuedMs = (accessToken: string) => {
        const { jti, iat } = decodeJwt(accessToken);
        const ms = uuidV7Time(jti!);
        expect(ms).not.toBeNull();
        // iat is the same instant, to the second.
        expect(Math.floor(ms! / 1000)).toBe(iat);
        return ms!;
      };
      // Each token is probed once: a verdict is cached for 2 s.
      const { access_token: justAfter } = await clientToken(t, service);
      await endTokensAt(issuedMs(justAfter) - 1);
      expect((await get(t, '/probe/service', justAfter)).statusCode).toBe(200);

      const { access_token: sameMillisecond } = await clientToken(t, service);
      await endTokensAt(issuedMs(sameMillisecond));
      expectProblem(await get(t, '/probe/service', sameMillisecond), 401, 'invalid_token');

      // Later in the same second: dead too, whatever iat says.
      const { access_token: sameSecond } = await clientToken(t, service);
      await endTokensAt(issuedMs(sameSecond) + 1);
      expectProblem(await get(t, '/probe/service', sameSecond), 401, 'invalid_token');
    });
  });
});
