import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  randomUUID,
} from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  JSONWebKeySet,
  JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import { DataSource } from 'typeorm';
import { EnvelopeCipher } from '../src/common/crypto/envelope-cipher';
import { AccessTokenService } from '../src/modules/auth/access-token.service';
import { SigningKeyService, signingKeyContext } from '../src/modules/auth/signing-key.service';
import { get, login, post, signedInAccount, TokenPairBody, uniqueIp } from './support/accounts';
import { startTestApp, TEST_MASTER_KEY, TestApp } from './support/test-app';
import { freshDatabase } from './support/test-database';
import { expectProblem, Response, REVOCATION_BOUND_MS, sleep } from './support/assertions';

const PUBLIC_URL = 'https://id.example.test';
const CHALLENGE = 'Bearer realm="gatehouse"';
const INVALID_TOKEN_CHALLENGE = 'Bearer realm="gatehouse", error="invalid_token"';

/** Refused the RFC 6750 way, saying nothing about why. */
function expectInvalidToken(res: Response): void {
  const body = expectProblem(res, 401, 'invalid_token');
  expect(res.headers['www-authenticate']).toBe(INVALID_TOKEN_CHALLENGE);
  expect(body.detail).toBe('The access token is invalid or has expired.');
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowS = () => Math.floor(Date.now() / 1000);

/** A real session and the means to sign tokens for it with Gatehouse's own current key. */
interface Forge {
  kid: string;
  privateKey: KeyObject;
  publicJwk: Record<string, string>;
  userId: string;
  tokens: TokenPairBody;
  /** Claims exactly as Gatehouse would issue them for the session, with changes applied. */
  claims: (changes?: Record<string, unknown>) => JWTPayload;
  /** Signs with our key, header `{alg: ES256, typ: at+jwt, kid}` plus changes. */
  sign: (claims: JWTPayload, header?: Record<string, unknown>) => Promise<string>;
}

describe('access tokens', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await startTestApp({ env: { PUBLIC_URL } });
    db = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const me = (token: string) => get(t, '/v1/users/me', token);
  const withAuthorization = (authorization: string) =>
    t.inject({ method: 'GET', url: '/v1/users/me', headers: { authorization } });
  const jwks = async (app = t) => {
    const res = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(res.statusCode).toBe(200);
    return res.json<JSONWebKeySet & { keys: Record<string, string>[] }>();
  };

  /**
   * Opens the private key that signed a real token, the way an operator holding MASTER_KEY
   * could: tokens signed with it are indistinguishable from Gatehouse's own.
   */
  async function forge(): Promise<Forge> {
    const { tokens } = await signedInAccount(t);
    const { kid } = decodeProtectedHeader(tokens.access_token);
    const [row] = await db.query<
      { private_key_sealed: string; public_jwk: Record<string, string> }[]
    >('SELECT private_key_sealed, public_jwk FROM signing_keys WHERE kid = $1', [kid]);
    const cipher = new EnvelopeCipher(Buffer.from(TEST_MASTER_KEY, 'base64'));
    const der = cipher.decrypt(row.private_key_sealed, signingKeyContext(kid!));
    const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    const userId = decodeJwt(tokens.access_token).sub!;
    const claims = (changes: Record<string, unknown> = {}) => {
      const now = nowS();
      const base: Record<string, unknown> = {
        iss: PUBLIC_URL,
        sub: userId,
        aud: t.config.tokens.audience,
        iat: now,
        exp: now + 300,
        jti: randomUUID(),
        sid: tokens.session_id,
        amr: ['pwd'],
        auth_time: now,
      };
      for (const [name, value] of Object.entries(changes)) {
        if (value === undefined) delete base[name];
        else base[name] = value;
      }
      return base as JWTPayload;
    };
    const sign = (payload: JWTPayload, header: Record<string, unknown> = {}) =>
      new SignJWT(payload)
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid, ...header })
        .sign(privateKey);
    return { kid: kid!, privateKey, publicJwk: row.public_jwk, userId, tokens, claims, sign };
  }

  describe('tokens signed with our key', () => {
    let f: Forge;
    beforeAll(async () => {
      f = await forge();
    });

    it('a well-formed one is accepted (the forge works, so the refusals below mean something)', async () => {
      const res = await me(await f.sign(f.claims()));
      expect(res.statusCode).toBe(200);
      expect(res.json<{ id: string }>().id).toBe(f.userId);
    });

    it.each<[string, Record<string, unknown>]>([
      ['expired', { iat: nowS() - 1200, exp: nowS() - 120 }],
      ['not yet valid (nbf in the future)', { nbf: nowS() + 120 }],
      ['for another audience', { aud: 'another-service' }],
      ['for other audiences only', { aud: ['another-service', 'third-service'] }],
      ['from another issuer', { iss: 'https://evil.example' }],
      ['from our issuer with a trailing slash', { iss: `${PUBLIC_URL}/` }],
      ['without sub', { sub: undefined }],
      ['without exp', { exp: undefined }],
      ['without iat', { iat: undefined }],
      ['without jti', { jti: undefined }],
      ['without sid', { sid: undefined }],
      ['without auth_time', { auth_time: undefined }],
      ['without amr', { amr: undefined }],
      ['with amr not a list', { amr: 'pwd' }],
      ['with auth_time not a number', { auth_time: '2024-01-01T00:00:00Z' }],
      ['with a sid no session has', { sid: randomUUID() }],
      ['with a sid that is not a UUID', { sid: 'not-a-session-id' }],
      ['with a sub that is not a UUID', { sub: 'admin' }],
    ])('%s: 401 invalid_token', async (_case, changes) => {
      expectInvalidToken(await me(await f.sign(f.claims(changes))));
    });

    it.each<[string, Record<string, unknown>]>([
      ['typ JWT', { typ: 'JWT' }],
      ['no typ', { typ: undefined }],
      ['typ id_token+jwt', { typ: 'id_token+jwt' }],
    ])('header with %s: 401 invalid_token', async (_case, header) => {
      const token = await new SignJWT(f.claims())
        .setProtectedHeader(
          Object.fromEntries(
            Object.entries({ alg: 'ES256', typ: 'at+jwt', kid: f.kid, ...header }).filter(
              ([, v]) => v !== undefined,
            ),
          ) as { alg: string },
        )
        .sign(f.privateKey);
      expectInvalidToken(await me(token));
    });

    it('with the sid of a revoked session: 401 invalid_token', async () => {
      const { email, password } = await signedInAccount(t);
      const ended = await login(t, email, password);
      expect((await post(t, '/v1/auth/logout', {}, { token: ended.access_token })).statusCode).toBe(
        204,
      );
      const userId = decodeJwt(ended.access_token).sub;
      expectInvalidToken(await me(await f.sign(f.claims({ sid: ended.session_id, sub: userId }))));
    });

    it('with a live session of another user as sid: 401 invalid_token', async () => {
      const other = await signedInAccount(t);
      // Both halves are live on their own; together they name no session of this subject.
      expectInvalidToken(await me(await f.sign(f.claims({ sid: other.tokens.session_id }))));
      expect((await me(other.tokens.access_token)).statusCode).toBe(200);
    });

    it('with an unknown kid, or none: 401 invalid_token, though the signature is ours', async () => {
      expectInvalidToken(await me(await f.sign(f.claims(), { kid: 'no-such-key' })));
      expectInvalidToken(await me(await f.sign(f.claims(), { kid: undefined })));
    });

    it('tampered claims break the signature', async () => {
      const [header, , signature] = f.tokens.access_token.split('.');
      const other = await signedInAccount(t);
      const payload = b64url({
        ...decodeJwt(f.tokens.access_token),
        sub: decodeJwt(other.tokens.access_token).sub,
      });
      expectInvalidToken(await me(`${header}.${payload}.${signature}`));
      expect((await me(f.tokens.access_token)).statusCode).toBe(200);
    });
  });

  describe('tokens not signed with our key', () => {
    let f: Forge;
    beforeAll(async () => {
      f = await forge();
    });

    it('another P-256 key under our kid: 401 invalid_token', async () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const token = await new SignJWT(f.claims())
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: f.kid })
        .sign(privateKey);
      expectInvalidToken(await me(token));
    });

    it('alg none, with and without a signature part: 401 invalid_token', async () => {
      for (const alg of ['none', 'None', 'NONE']) {
        const unsigned = `${b64url({ alg, typ: 'at+jwt', kid: f.kid })}.${b64url(f.claims())}`;
        expectInvalidToken(await me(`${unsigned}.`));
        expectInvalidToken(await me(`${unsigned}.${Buffer.from('x').toString('base64url')}`));
      }
    });

    it('HS256 with our public key as the HMAC secret: 401 invalid_token', async () => {
      const publicKey = createPublicKey({ key: f.publicJwk, format: 'jwk' });
      const secrets = [
        Buffer.from(publicKey.export({ format: 'pem', type: 'spki' }) as string),
        publicKey.export({ format: 'der', type: 'spki' }),
        Buffer.from(JSON.stringify(f.publicJwk)),
        Buffer.from(JSON.stringify((await jwks()).keys.find((k) => k.kid === f.kid))),
      ];
      for (const secret of secrets) {
        for (const alg of ['HS256', 'HS384', 'HS512']) {
          const token = await new SignJWT(f.claims())
            .setProtectedHeader({ alg, typ: 'at+jwt', kid: f.kid })
            .sign(new Uint8Array(secret));
          expectInvalidToken(await me(token));
        }
      }
    });

    it('RS256 header on our EC kid (signed with some RSA key): 401 invalid_token', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const token = await new SignJWT(f.claims())
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: f.kid })
        .sign(privateKey);
      expectInvalidToken(await me(token));
    });

    it('keys named by the token (jwk, jku, x5u) are never used or fetched', async () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const attackerJwk = { ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig' };
      const attackerKid = await calculateJwkThumbprint(attackerJwk);
      const requests: string[] = [];
      const server: Server = createServer((req, res) => {
        requests.push(req.url ?? '');
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: [{ ...attackerJwk, kid: attackerKid }] }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        for (const kid of [attackerKid, f.kid]) {
          const token = await new SignJWT(f.claims())
            .setProtectedHeader({
              alg: 'ES256',
              typ: 'at+jwt',
              kid,
              jwk: attackerJwk,
              jku: `${base}/jwks.json`,
              x5u: `${base}/cert.pem`,
            })
            .sign(privateKey);
          expectInvalidToken(await me(token));
        }
        expect(requests).toEqual([]);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });

  describe('the Authorization header', () => {
    let valid: string;
    beforeAll(async () => {
      valid = (await signedInAccount(t)).tokens.access_token;
    });

    it('a valid Bearer token is accepted', async () => {
      expect((await withAuthorization(`Bearer ${valid}`)).statusCode).toBe(200);
    });

    it.each([
      ['garbage', () => 'Bearer garbage'],
      ['three dots of garbage', () => 'Bearer a.b.c'],
      ['a JWT-looking string that is not JSON', () => 'Bearer eyJh.eyJh.AAAA'],
      ['two spaces after Bearer', () => `Bearer  ${valid}`],
      ['a trailing space', () => `Bearer ${valid} `],
      ['a tab instead of the space', () => `Bearer\t${valid}`],
      ['Bearer alone', () => 'Bearer'],
      ['two tokens', () => `Bearer ${valid}, Bearer ${valid}`],
    ])('%s: 401 invalid_token', async (_case, header) => {
      expectInvalidToken(await withAuthorization(header()));
    });

    it('a verification is reused for the same token until the instance forgets verifications', async () => {
      const verificationKey = jest.spyOn(t.app.get(SigningKeyService), 'verificationKey');
      const tokens = t.app.get(AccessTokenService);
      const fresh = (await signedInAccount(t)).tokens.access_token;
      await tokens.verify(fresh);
      await tokens.verify(fresh);
      expect(verificationKey).toHaveBeenCalledTimes(1);
      tokens.forgetVerifications();
      await tokens.verify(fresh);
      expect(verificationKey).toHaveBeenCalledTimes(2);
      verificationKey.mockRestore();
    });

    it('the scheme is case-insensitive (RFC 9110)', async () => {
      expect((await withAuthorization(`bearer ${valid}`)).statusCode).toBe(200);
      expect((await withAuthorization(`BEARER ${valid}`)).statusCode).toBe(200);
    });

    it.each([
      ['the token without a scheme', () => valid],
      [
        'Basic credentials',
        () => `Basic ${Buffer.from('user@example.com:secret').toString('base64')}`,
      ],
      ['the token under the Basic scheme', () => `Basic ${valid}`],
      ['Bearer as part of another scheme name', () => `Bearerx ${valid}`],
    ])(
      '%s: no Bearer credentials, 401 with a plain challenge (RFC 6750 §3.1)',
      async (_case, header) => {
        const res = await withAuthorization(header());
        expectProblem(res, 401, 'unauthorized');
        expect(res.headers['www-authenticate']).toBe(CHALLENGE);
      },
    );

    it('a token in the query string is not looked at: 401 with a plain challenge', async () => {
      const res = await t.inject({
        method: 'GET',
        url: `/v1/users/me?access_token=${encodeURIComponent(valid)}`,
      });
      expectProblem(res, 401, 'unauthorized');
      expect(res.headers['www-authenticate']).toBe(CHALLENGE);
    });
  });

  describe('published keys', () => {
    it('a token verifies with jose createRemoteJWKSet against our JWKS over HTTP', async () => {
      const { tokens } = await signedInAccount(t);
      await t.app.listen(0, '127.0.0.1');
      const { port } = t.app.getHttpServer().address() as AddressInfo;
      const origin = `http://127.0.0.1:${port}`;

      const discovery = (await (
        await fetch(`${origin}/.well-known/openid-configuration`)
      ).json()) as {
        jwks_uri: string;
        issuer: string;
      };
      expect(discovery.issuer).toBe(PUBLIC_URL);
      // The document names our public URL; this test reaches the same path on the socket.
      const jwksUrl = new URL(new URL(discovery.jwks_uri).pathname, origin);
      const keySet = createRemoteJWKSet(jwksUrl);

      const { payload, protectedHeader } = await jwtVerify(tokens.access_token, keySet, {
        issuer: PUBLIC_URL,
        audience: t.config.tokens.audience,
        typ: 'at+jwt',
        algorithms: ['ES256'],
        requiredClaims: ['sub', 'exp', 'iat', 'jti', 'sid', 'auth_time'],
      });
      expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
      expect(payload).toMatchObject({ sid: tokens.session_id, amr: ['pwd'] });

      // And the same set refuses a token whose kid it does not hold.
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const stranger = await new SignJWT(decodeJwt(tokens.access_token))
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'not-published' })
        .sign(privateKey);
      await expect(jwtVerify(stranger, keySet, { issuer: PUBLIC_URL })).rejects.toThrow();
    });
  });

  describe('revocation across instances', () => {
    it('a session ended on instance A stops working on instance B within 1 s', async () => {
      const b = await startTestApp({ databaseUrl: t.config.database.url, env: { PUBLIC_URL } });
      try {
        const { tokens } = await signedInAccount(t);
        // B accepts what A issued, and now remembers the session as live.
        expect((await get(b, '/v1/users/me', tokens.access_token)).statusCode).toBe(200);
        expect(
          (await post(t, '/v1/auth/logout', {}, { token: tokens.access_token })).statusCode,
        ).toBe(204);
        const ended = Date.now();
        expectInvalidToken(await me(tokens.access_token));
        for (;;) {
          const res = await get(b, '/v1/users/me', tokens.access_token);
          const elapsed = Date.now() - ended;
          if (res.statusCode === 401) {
            expectInvalidToken(res);
            expect(elapsed).toBeLessThan(REVOCATION_BOUND_MS);
            break;
          }
          expect(res.statusCode).toBe(200);
          expect(elapsed).toBeLessThan(REVOCATION_BOUND_MS);
          await sleep(100);
        }
      } finally {
        await b.close();
      }
    });

    it('a session ended on B through DELETE stops on A within 1 s', async () => {
      const b = await startTestApp({ databaseUrl: t.config.database.url, env: { PUBLIC_URL } });
      try {
        const { email, password, tokens } = await signedInAccount(t);
        const onB = await login(b, email, password);
        expect((await me(onB.access_token)).statusCode).toBe(200);
        const res = await b.inject({
          method: 'DELETE',
          url: `/v1/auth/sessions/${onB.session_id}`,
          headers: { authorization: `Bearer ${tokens.access_token}` },
        });
        expect(res.statusCode).toBe(204);
        const ended = Date.now();
        for (;;) {
          const check = await me(onB.access_token);
          if (check.statusCode === 401) break;
          expect(Date.now() - ended).toBeLessThan(REVOCATION_BOUND_MS);
          await sleep(100);
        }
        expect(Date.now() - ended).toBeLessThan(REVOCATION_BOUND_MS);
        expect((await me(tokens.access_token)).statusCode).toBe(200);
      } finally {
        await b.close();
      }
    });
  });

  describe('discovery document', () => {
    it('names the issuer, keys, endpoints and the algorithm actually used, without a token', async () => {
      const res = await t.inject({ method: 'GET', url: '/.well-known/openid-configuration' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['cache-control']).toMatch(/^public, max-age=\d+$/);
      expect(res.json()).toEqual({
        issuer: PUBLIC_URL,
        jwks_uri: `${PUBLIC_URL}/.well-known/jwks.json`,
        login_endpoint: `${PUBLIC_URL}/v1/auth/login`,
        refresh_endpoint: `${PUBLIC_URL}/v1/auth/refresh`,
        logout_endpoint: `${PUBLIC_URL}/v1/auth/logout`,
        userinfo_endpoint: `${PUBLIC_URL}/v1/users/me`,
        token_endpoint: `${PUBLIC_URL}/oauth/token`,
        introspection_endpoint: `${PUBLIC_URL}/oauth/introspect`,
        revocation_endpoint: `${PUBLIC_URL}/oauth/revoke`,
        grant_types_supported: ['client_credentials'],
        // Gatehouse's own permissions and introspection: what a client can be allowed.
        scopes_supported: expect.arrayContaining([
          'authz:check',
          'clients:read',
          'clients:write',
          'oauth:introspect',
        ]),
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        introspection_endpoint_auth_methods_supported: [
          'client_secret_basic',
          'client_secret_post',
        ],
        revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        access_token_signing_alg_values_supported: ['ES256'],
        access_token_types_supported: ['at+jwt'],
        access_token_audience: t.config.tokens.audience,
        subject_types_supported: ['public'],
        acr_values_supported: ['aal1', 'aal2'],
        mfa_login_endpoint: `${PUBLIC_URL}/v1/auth/login/mfa`,
        step_up_endpoint: `${PUBLIC_URL}/v1/auth/step-up`,
        claims_supported: [
          'iss',
          'sub',
          'aud',
          'exp',
          'iat',
          'jti',
          'sid',
          'amr',
          'acr',
          'auth_time',
          'client_id',
          'scope',
        ],
      });
      // Tokens really are issued under that issuer with a published key of that algorithm.
      const { tokens } = await signedInAccount(t);
      const { kid, alg } = decodeProtectedHeader(tokens.access_token);
      expect(alg).toBe('ES256');
      expect(decodeJwt(tokens.access_token).iss).toBe(PUBLIC_URL);
      expect((await jwks()).keys.map((k) => k.kid)).toContain(kid);
    });

    it('an app configured for EdDSA on a fresh database says EdDSA and signs with it', async () => {
      const fresh = await freshDatabase();
      const eddsa = await startTestApp({
        databaseUrl: fresh.url,
        env: { SIGNING_ALG: 'EdDSA', PUBLIC_URL },
      });
      try {
        const res = await eddsa.inject({ method: 'GET', url: '/.well-known/openid-configuration' });
        expect(res.statusCode).toBe(200);
        expect(
          res.json<Record<string, unknown>>().access_token_signing_alg_values_supported,
        ).toEqual(['EdDSA']);
        const { tokens } = await signedInAccount(eddsa);
        expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({
          alg: 'EdDSA',
          typ: 'at+jwt',
        });
        expect((await get(eddsa, '/v1/users/me', tokens.access_token)).statusCode).toBe(200);
        await expect(
          jwtVerify(tokens.access_token, createLocalJWKSet(await jwks(eddsa)), {
            issuer: PUBLIC_URL,
            audience: eddsa.config.tokens.audience,
            typ: 'at+jwt',
            algorithms: ['EdDSA'],
          }),
        ).resolves.toBeDefined();
        // A token of the ES256 deployment means nothing here.
        expectInvalidToken(
          await get(eddsa, '/v1/users/me', (await signedInAccount(t)).tokens.access_token),
        );
      } finally {
        await eddsa.close();
        await fresh.drop();
      }
    });
  });

  describe('public and protected routes', () => {
    it.each([
      '/health/live',
      '/health/ready',
      '/metrics',
      '/.well-known/jwks.json',
      '/.well-known/openid-configuration',
    ])('%s answers without a token, and ignores a bad one', async (url) => {
      expect((await t.inject({ method: 'GET', url })).statusCode).toBe(200);
      const withGarbage = await t.inject({
        method: 'GET',
        url,
        headers: { authorization: 'Bearer garbage' },
      });
      expect(withGarbage.statusCode).toBe(200);
    });

    it.each([
      ['GET', '/v1/users/me'],
      ['PATCH', '/v1/users/me'],
      ['GET', '/v1/users/me/preferences'],
      ['PUT', '/v1/users/me/preferences'],
      ['POST', '/v1/auth/password/change'],
    ] as const)('%s %s without a token: 401 with a Bearer challenge', async (method, url) => {
      const res = await t.inject({ method, url, payload: {}, remoteAddress: uniqueIp() });
      expectProblem(res, 401, 'unauthorized');
      expect(res.headers['www-authenticate']).toBe(CHALLENGE);
    });
  });
});
