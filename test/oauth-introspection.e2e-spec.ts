import { createPrivateKey, randomUUID } from 'node:crypto';
import { Controller, Get, Module } from '@nestjs/common';
import { decodeJwt, decodeProtectedHeader, JWTPayload, SignJWT } from 'jose';
import { DataSource } from 'typeorm';
import { RequirePermission } from '../src/common/auth/require-permission.decorator';
import { EnvelopeCipher } from '../src/common/crypto/envelope-cipher';
import { signingKeyContext } from '../src/modules/auth/signing-key.service';
import { get, post, signedInAccount } from './support/accounts';
import { PROBLEM, Response, REVOCATION_BOUND_MS, sleep } from './support/assertions';
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
import { startTestApp, TEST_MASTER_KEY, TestApp } from './support/test-app';

const PUBLIC_URL = 'https://id.example.test';

@Controller('probe/service')
class ServiceProbeController {
  @Get()
  @RequirePermission('authz:check')
  ok(): { ok: true } {
    return { ok: true };
  }
}

@Module({ controllers: [ServiceProbeController] })
class ServiceProbeModule {}

function expectOAuthError(res: Response, status: number, error: string): void {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).not.toMatch(PROBLEM);
  expect(res.json()).toEqual({ error, error_description: expect.any(String) });
}

describe('POST /oauth/introspect and /oauth/revoke', () => {
  let t: TestApp;
  let db: DataSource;
  /** Holds oauth:introspect. */
  let introspector: TestClient;
  let service: TestClient;

  beforeAll(async () => {
    t = await startTestApp({ env: { PUBLIC_URL }, extraModules: [ServiceProbeModule] });
    db = t.app.get(DataSource);
    introspector = await createClient(t, ['oauth:introspect']);
    service = await createClient(t, ['authz:check', 'users:read']);
  });
  afterAll(() => t.close());

  const introspect = (token: string, extra: Record<string, string> = {}, by = introspector) =>
    postForm(
      t,
      '/oauth/introspect',
      { token, ...extra },
      {
        authorization: basic(by.clientId, by.secret),
      },
    );
  const describeToken = async (token: string, extra: Record<string, string> = {}) => {
    const res = await introspect(token, extra);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    return res.json<Record<string, unknown>>();
  };
  const revoke = (token: string, by: TestClient, extra: Record<string, string> = {}) =>
    postForm(
      t,
      '/oauth/revoke',
      { token, ...extra },
      { authorization: basic(by.clientId, by.secret) },
    );
  const probe = (token: string, app = t) => get(app, '/probe/service', token);

  /** A token with these claims, signed with Gatehouse's current key (as only we could). */
  async function signedWithOurKey(claims: JWTPayload): Promise<string> {
    const { access_token: reference } = await clientToken(t, service);
    const { kid } = decodeProtectedHeader(reference);
    const [row] = await db.query<{ private_key_sealed: string }[]>(
      'SELECT private_key_sealed FROM signing_keys WHERE kid = $1',
      [kid],
    );
    const cipher = new EnvelopeCipher(Buffer.from(TEST_MASTER_KEY, 'base64'));
    const der = cipher.decrypt(row.private_key_sealed, signingKeyContext(kid!));
    const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    return new SignJWT({ ...decodeJwt(reference), ...claims })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
      .sign(key);
  }

  describe('introspection', () => {
    it('an active service token: every RFC 7662 member that applies', async () => {
      const { access_token: accessToken } = await clientToken(t, service, 'authz:check');
      const claims = decodeJwt(accessToken);
      expect(await describeToken(accessToken)).toEqual({
        active: true,
        token_use: 'access_token',
        token_type: 'Bearer',
        scope: 'authz:check',
        client_id: service.clientId,
        sub: service.clientId,
        iss: PUBLIC_URL,
        aud: t.config.tokens.audience,
        iat: claims.iat,
        exp: claims.exp,
        jti: claims.jti,
      });
    });

    it('an active user access token and refresh token', async () => {
      const { tokens } = await signedInAccount(t);
      const claims = decodeJwt(tokens.access_token);
      expect(await describeToken(tokens.access_token)).toEqual({
        active: true,
        token_use: 'access_token',
        token_type: 'Bearer',
        sub: claims.sub,
        sid: tokens.session_id,
        iss: PUBLIC_URL,
        aud: t.config.tokens.audience,
        iat: claims.iat,
        exp: claims.exp,
        jti: claims.jti,
      });
      const refresh = await describeToken(tokens.refresh_token);
      expect(refresh).toEqual({
        active: true,
        token_use: 'refresh_token',
        sub: claims.sub,
        sid: tokens.session_id,
        iss: PUBLIC_URL,
        iat: expect.any(Number),
        exp: expect.any(Number),
      });
      expect((refresh.exp as number) - Math.floor(Date.now() / 1000)).toBeCloseTo(
        tokens.refresh_expires_in,
        -1,
      );
    });

    it('token_type_hint is only a hint: a wrong or unknown one still finds the token', async () => {
      const { tokens } = await signedInAccount(t);
      for (const hint of ['refresh_token', 'access_token', 'something_else']) {
        expect((await describeToken(tokens.access_token, { token_type_hint: hint })).active).toBe(
          true,
        );
        expect((await describeToken(tokens.refresh_token, { token_type_hint: hint })).active).toBe(
          true,
        );
      }
    });

    it('expired access tokens and refresh tokens are inactive, with nothing else said', async () => {
      const now = Math.floor(Date.now() / 1000);
      const expired = await signedWithOurKey({
        iat: now - 1000,
        exp: now - 120,
        jti: randomUUID(),
      });
      expect(await describeToken(expired)).toEqual({ active: false });
      // The forge itself yields active tokens when in date.
      const inDate = await signedWithOurKey({ jti: randomUUID() });
      expect((await describeToken(inDate)).active).toBe(true);

      const { tokens } = await signedInAccount(t);
      await db.query(
        `UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE session_id = $1`,
        [tokens.session_id],
      );
      expect(await describeToken(tokens.refresh_token)).toEqual({ active: false });
    });

    it('revoked tokens, ended sessions, rotated refresh tokens and disabled clients: inactive', async () => {
      const { access_token: revoked } = await clientToken(t, service);
      expect((await revoke(revoked, service)).statusCode).toBe(200);
      expect(await describeToken(revoked)).toEqual({ active: false });

      const { tokens } = await signedInAccount(t);
      const rotated = await post(t, '/v1/auth/refresh', { refresh_token: tokens.refresh_token });
      expect(rotated.statusCode).toBe(200);
      expect(await describeToken(tokens.refresh_token)).toEqual({ active: false });
      const next = rotated.json<{ access_token: string; refresh_token: string }>();
      expect((await describeToken(next.refresh_token)).active).toBe(true);
      expect((await post(t, '/v1/auth/logout', {}, { token: next.access_token })).statusCode).toBe(
        204,
      );
      expect(await describeToken(next.access_token)).toEqual({ active: false });
      expect(await describeToken(next.refresh_token)).toEqual({ active: false });

      const doomed = await createClient(t);
      const { access_token: ofDisabled } = await clientToken(t, doomed);
      await setClientStatus(t, doomed, 'disabled');
      expect(await describeToken(ofDisabled)).toEqual({ active: false });
    });

    it('tokens issued before their client’s tokens were ended: inactive for good; later ones active', async () => {
      const owner = await createClient(t);
      const spare = await addClientSecret(t, owner);
      const { access_token: leaked } = await clientToken(t, owner);
      expect((await describeToken(leaked)).active).toBe(true);
      await revokeClientTokens(t, owner);
      expect(await describeToken(leaked)).toEqual({ active: false });

      const { access_token: beforeRemoval } = await clientToken(t, owner);
      expect((await describeToken(beforeRemoval)).active).toBe(true);
      await removeClientSecret(t, owner);
      expect(await describeToken(beforeRemoval)).toEqual({ active: false });

      const { access_token: beforeDisable } = await clientToken(t, spare);
      expect((await describeToken(beforeDisable)).active).toBe(true);
      await setClientStatus(t, owner, 'disabled');
      await setClientStatus(t, owner, 'active');
      expect(await describeToken(beforeDisable)).toEqual({ active: false });
      expect(await describeToken(leaked)).toEqual({ active: false });

      const { access_token: fresh } = await clientToken(t, spare);
      expect(await describeToken(fresh)).toMatchObject({ active: true, client_id: owner.clientId });
    });

    it('a token whose jti tells no time is taken as issued at the start of its iat second', async () => {
      const owner = await createClient(t);
      const iat = Math.floor(Date.now() / 1000);
      const endTokensAt = (ms: number) =>
        db.query(
          'UPDATE oauth_clients SET tokens_valid_after = to_timestamp($2 / 1000.0) WHERE id = $1',
          [owner.id, ms],
        );
      // A version 4 jti, as tokens issued before jtis were UUIDv7s have.
      const legacy = () =>
        signedWithOurKey({
          jti: randomUUID(),
          sub: owner.clientId,
          client_id: owner.clientId,
          scope: 'authz:check',
          iat,
        });
      const before = await legacy();
      await endTokensAt(iat * 1000 - 1);
      expect((await describeToken(before)).active).toBe(true);
      // Ended late in the same second: the token may have come earlier in it, so it is dead.
      const sameSecond = await legacy();
      await endTokensAt(iat * 1000 + 999);
      expect(await describeToken(sameSecond)).toEqual({ active: false });
      expect((await probe(sameSecond)).statusCode).toBe(401);
    });

    it.each<[string, string]>([
      ['garbage', 'not a token'],
      ['a JWT-shaped string', 'a.b.c'],
      ['a refresh-shaped string', `ghr_${'A'.repeat(43)}`],
      ['a client secret', 'ghs_whatever'],
    ])('%s is inactive', async (_, token) => {
      expect(await describeToken(token)).toEqual({ active: false });
    });

    it('forged claims between a user’s and a service’s token are inactive', async () => {
      const { tokens } = await signedInAccount(t);
      const userId = decodeJwt(tokens.access_token).sub!;
      for (const claims of [
        { sid: tokens.session_id },
        { sub: userId },
        { client_id: introspector.clientId },
        { scope: 'authz:check  users:read' },
        { scope: undefined },
        { amr: ['pwd'] },
        { jti: 'not-a-uuid' },
      ]) {
        const token = await signedWithOurKey({ jti: randomUUID(), ...claims });
        expect(await describeToken(token)).toEqual({ active: false });
        expect((await probe(token)).statusCode).toBe(401);
      }
    });

    it('needs the oauth:introspect scope', async () => {
      const { access_token: accessToken } = await clientToken(t, service);
      const res = await introspect(accessToken, {}, service);
      expectOAuthError(res, 400, 'unauthorized_client');
    });

    it('needs client authentication and a token', async () => {
      const noCredentials = await postForm(t, '/oauth/introspect', { token: 'x' });
      expectOAuthError(noCredentials, 401, 'invalid_client');
      expect(noCredentials.headers['www-authenticate']).toMatch(/^Basic /);
      const wrong = await postForm(
        t,
        '/oauth/introspect',
        { token: 'x' },
        {
          authorization: basic(introspector.clientId, service.secret),
        },
      );
      expectOAuthError(wrong, 401, 'invalid_client');
      const post = await postForm(t, '/oauth/introspect', {
        token: 'x',
        client_id: introspector.clientId,
        client_secret: introspector.secret,
      });
      expect(post.json()).toEqual({ active: false });
      expectOAuthError(
        await postForm(
          t,
          '/oauth/introspect',
          {},
          {
            authorization: basic(introspector.clientId, introspector.secret),
          },
        ),
        400,
        'invalid_request',
      );
    });
  });

  describe('revocation', () => {
    it('a client revokes its own token: refused at once here, within 1 s elsewhere', async () => {
      const b = await startTestApp({
        databaseUrl: t.config.database.url,
        env: { PUBLIC_URL },
        extraModules: [ServiceProbeModule],
      });
      try {
        const { access_token: accessToken } = await clientToken(t, service);
        expect((await probe(accessToken, b)).statusCode).toBe(200);
        const res = await revoke(accessToken, service, { token_type_hint: 'access_token' });
        expect(res.statusCode).toBe(200);
        expect(res.body).toBe('');
        const revoked = Date.now();
        expect((await probe(accessToken)).statusCode).toBe(401);
        for (;;) {
          const check = await probe(accessToken, b);
          if (check.statusCode === 401) break;
          expect(Date.now() - revoked).toBeLessThan(REVOCATION_BOUND_MS);
          await sleep(100);
        }
        expect(Date.now() - revoked).toBeLessThan(REVOCATION_BOUND_MS);
        // Its other tokens are untouched.
        expect((await probe((await clientToken(t, service)).access_token)).statusCode).toBe(200);
      } finally {
        await b.close();
      }
    });

    it('is kept until the token could no longer be accepted, then pruned', async () => {
      const { access_token: accessToken } = await clientToken(t, service);
      const { jti, exp } = decodeJwt(accessToken);
      expect((await revoke(accessToken, service)).statusCode).toBe(200);
      const [row] = await db.query<{ expires_at: Date }[]>(
        'SELECT expires_at FROM oauth_revoked_tokens WHERE jti = $1',
        [jti],
      );
      // exp plus the 30 s verification leeway.
      expect(row.expires_at.getTime()).toBe((exp! + 30) * 1000);
      await db.query(
        `UPDATE oauth_revoked_tokens SET expires_at = now() - interval '1 second' WHERE jti = $1`,
        [jti],
      );
      expect((await revoke((await clientToken(t, service)).access_token, service)).statusCode).toBe(
        200,
      );
      expect(
        await db.query('SELECT 1 FROM oauth_revoked_tokens WHERE jti = $1', [jti]),
      ).toHaveLength(0);
    });

    it('another client’s, a user’s, a refresh token or garbage: the same 200, nothing revoked', async () => {
      const other = await createClient(t);
      const { access_token: ofService } = await clientToken(t, service);
      const { tokens } = await signedInAccount(t);
      for (const token of [ofService, tokens.access_token, tokens.refresh_token, 'garbage']) {
        const res = await revoke(token, other);
        expect(res.statusCode).toBe(200);
        expect(res.body).toBe('');
      }
      expect((await probe(ofService)).statusCode).toBe(200);
      expect((await get(t, '/v1/users/me', tokens.access_token)).statusCode).toBe(200);
      expect((await describeToken(tokens.refresh_token)).active).toBe(true);
    });

    it('needs client authentication and a token', async () => {
      const { access_token: accessToken } = await clientToken(t, service);
      expectOAuthError(
        await postForm(t, '/oauth/revoke', { token: accessToken }),
        401,
        'invalid_client',
      );
      expectOAuthError(
        await postForm(
          t,
          '/oauth/revoke',
          {},
          { authorization: basic(service.clientId, service.secret) },
        ),
        400,
        'invalid_request',
      );
      expect((await probe(accessToken)).statusCode).toBe(200);
    });
  });
});
