import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { DataSource } from 'typeorm';
import { systemActor } from '../src/common/auth/actor';
import { AccessService } from '../src/modules/access/access.service';
import { ADMIN_ROLE } from '../src/modules/access/built-in-roles';
import { IdentityProvidersService } from '../src/modules/federation/identity-providers.service';
import { createVerifiedAccount, post, settled, uniqueEmail } from './support/accounts';
import { send, signedInAdmin, SignedInUser, uniqueName } from './support/access';
import { decodeClaims } from './support/mfa';
import { REAL_TIMERS } from './support/clock';
import { startTestApp, TestApp } from './support/test-app';
import { authorize, jwtParts, OidcProviderPeer, ProviderShape } from './peers/oidc-provider-peer';

const REDIRECT_URI = 'https://app.example.com/auth/callback';
const CLIENT = {
  client_id: 'gatehouse',
  client_secret: 'peer-client-secret-1',
  redirect_uris: [REDIRECT_URI],
};
const OTHER_CLIENT = {
  client_id: 'someone-else',
  client_secret: 'peer-client-secret-2',
  redirect_uris: [REDIRECT_URI],
};

interface ProviderOptions {
  jit_provisioning?: boolean;
  link_by_email?: boolean;
  allowed_email_domains?: string[];
  mfa_acr_values?: string[];
  issuer?: string;
}

async function addProvider(
  t: TestApp,
  admin: SignedInUser,
  peer: OidcProviderPeer,
  kind: ProviderShape,
  options: ProviderOptions = {},
): Promise<{ id: string; slug: string }> {
  const slug = uniqueName(kind);
  const res = await send(t, 'POST', '/v1/admin/identity-providers', admin.token, {
    slug,
    display_name: `Test ${kind}`,
    kind,
    issuer: options.issuer ?? peer.issuer,
    client_id: CLIENT.client_id,
    client_secret: CLIENT.client_secret,
    redirect_uris: [REDIRECT_URI],
    scopes: ['openid', 'email', 'profile', 'phone'],
    jit_provisioning: options.jit_provisioning ?? true,
    link_by_email: options.link_by_email ?? false,
    allowed_email_domains: options.allowed_email_domains ?? [],
    mfa_acr_values: options.mfa_acr_values ?? [],
  });
  if (res.statusCode !== 201) throw new Error(`provider: ${res.statusCode} ${res.body}`);
  return { id: res.json<{ id: string }>().id, slug };
}

/** Starts a sign-in at Gatehouse and follows the browser through the provider. */
async function authorizationResponse(t: TestApp, slug: string): Promise<URLSearchParams> {
  const started = await t.inject({
    method: 'GET',
    url: `/v1/auth/federation/${slug}/start?redirect_uri=${encodeURIComponent(REDIRECT_URI)}`,
  });
  if (started.statusCode !== 302) throw new Error(`start: ${started.statusCode} ${started.body}`);
  return authorize(String(started.headers.location));
}

function callback(t: TestApp, slug: string, params: URLSearchParams, ip?: string) {
  return post(
    t,
    `/v1/auth/federation/${slug}/callback`,
    {
      code: params.get('code'),
      state: params.get('state'),
      ...(params.get('iss') ? { iss: params.get('iss') } : {}),
    },
    { ip },
  );
}

async function signIn(t: TestApp, slug: string) {
  return callback(t, slug, await authorizationResponse(t, slug));
}

function person(overrides: Partial<{ email: string; email_verified: boolean; name: string }> = {}) {
  return {
    sub: randomUUID(),
    email: uniqueEmail('fed'),
    email_verified: true,
    name: 'Federated Person',
    phone_number: '+14155550123',
    locale: 'en-GB',
    ...overrides,
  };
}

/** The provider's own signature over claims changed from those it issued. */
function resigned(change: (payload: Record<string, unknown>) => void) {
  return async (idToken: string, peer: OidcProviderPeer) => {
    const { payload } = jwtParts(idToken);
    change(payload);
    return peer.sign(payload);
  };
}

describe('federated sign-in through an OpenID provider', () => {
  let t: TestApp;
  let okta: OidcProviderPeer;
  let keycloak: OidcProviderPeer;
  let admin: SignedInUser;

  beforeAll(async () => {
    okta = await new OidcProviderPeer('okta', [CLIENT, OTHER_CLIENT]).start();
    keycloak = await new OidcProviderPeer('keycloak', [CLIENT]).start();
    t = await startTestApp({ env: { FEDERATION_ALLOWED_HOSTS: '127.0.0.1' } });
    admin = await signedInAdmin(t);
  });

  afterAll(async () => {
    await t.close();
    await okta.stop();
    await keycloak.stop();
  });

  it('provisions an account at the first sign-in and answers a token pair with amr ["fed"]', async () => {
    const provider = await addProvider(t, admin, okta, 'okta');
    const who = person();
    okta.signInAs(who);
    const res = await signIn(t, provider.slug);
    expect(res.statusCode).toBe(200);
    const tokens = res.json<{ access_token: string; refresh_token: string }>();
    expect(decodeClaims(tokens.access_token)).toMatchObject({ amr: ['fed'], acr: 'aal1' });
    const me = await send(t, 'GET', '/v1/users/me', tokens.access_token);
    expect(me.json()).toMatchObject({
      email: who.email,
      name: who.name,
      phone: who.phone_number,
      locale: 'en-GB',
    });
    const identities = await send(t, 'GET', '/v1/users/me/identities', tokens.access_token);
    expect(identities.json<{ items: unknown[] }>().items).toEqual([
      expect.objectContaining({
        provider: provider.slug,
        issuer: okta.issuer,
        subject: who.sub,
        email: who.email,
        last_login_at: expect.any(String),
      }),
    ]);
    const { id: userId } = me.json<{ id: string }>();
    const detail = await send(t, 'GET', `/v1/admin/users/${userId}`, admin.token);
    expect(detail.json<{ identities: unknown[] }>().identities).toEqual([
      expect.objectContaining({ provider: provider.slug, subject: who.sub }),
    ]);
    await settled(t);
    const [row] = await t.app
      .get(DataSource)
      .query<{ last_login_at: Date | null; password_hash: string | null }[]>(
        'SELECT last_login_at, password_hash FROM users WHERE email = $1',
        [who.email],
      );
    expect(row.last_login_at).not.toBeNull();
    expect(row.password_hash).toBeNull();
  });

  it('signs the same person in again by issuer and sub, whatever their address became', async () => {
    const provider = await addProvider(t, admin, keycloak, 'keycloak');
    const who = person();
    keycloak.signInAs(who);
    const first = await signIn(t, provider.slug);
    const firstSub = decodeClaims(first.json<{ access_token: string }>().access_token).sub;
    keycloak.signInAs({ ...who, email: uniqueEmail('renamed'), name: 'Renamed Person' });
    const second = await signIn(t, provider.slug);
    expect(second.statusCode).toBe(200);
    const token = second.json<{ access_token: string }>().access_token;
    expect(decodeClaims(token).sub).toBe(firstSub);
    expect((await send(t, 'GET', '/v1/users/me', token)).json()).toMatchObject({
      email: who.email,
      name: 'Renamed Person',
    });
  });

  it('maps a provider-asserted second factor to amr ["fed", "mfa"] and aal2', async () => {
    const provider = await addProvider(t, admin, okta, 'okta', {
      mfa_acr_values: ['urn:okta:loa:2fa:any'],
    });
    okta.signInAs(person());
    okta.tamperNextIdToken(resigned((p) => (p.acr = 'urn:okta:loa:2fa:any')));
    const res = await signIn(t, provider.slug);
    expect(res.statusCode).toBe(200);
    expect(decodeClaims(res.json<{ access_token: string }>().access_token)).toMatchObject({
      amr: ['fed', 'mfa'],
      acr: 'aal2',
    });
  });

  it('links an existing active account with the same verified address when the provider allows it', async () => {
    const provider = await addProvider(t, admin, okta, 'okta', { link_by_email: true });
    const local = await createVerifiedAccount(t);
    okta.signInAs(person({ email: local.email }));
    const res = await signIn(t, provider.slug);
    expect(res.statusCode).toBe(200);
    const me = await send(
      t,
      'GET',
      '/v1/users/me',
      res.json<{ access_token: string }>().access_token,
    );
    expect(me.json()).toMatchObject({ email: local.email });
  });

  it.each([
    [
      'an address the provider did not verify',
      { link_by_email: true },
      false,
      403,
      'email_not_acceptable',
    ],
    ['a provider that may not link', { link_by_email: false }, true, 403, 'account_not_linked'],
  ])(
    'refuses to link a local account through %s, and changes nothing',
    async (_case, options, verified, status, code) => {
      const provider = await addProvider(t, admin, okta, 'okta', options);
      const local = await createVerifiedAccount(t);
      okta.signInAs(person({ email: local.email, email_verified: verified }));
      const res = await signIn(t, provider.slug);
      expect(res.statusCode).toBe(status);
      expect(res.json()).toMatchObject({ code });
      const [{ count }] = await t.app
        .get(DataSource)
        .query<{ count: string }[]>(
          'SELECT count(*) FROM linked_identities WHERE provider_id = $1',
          [provider.id],
        );
      expect(Number(count)).toBe(0);
    },
  );

  it('refuses an unknown person when provisioning is off, and an address outside the allowed domains', async () => {
    const closed = await addProvider(t, admin, okta, 'okta', { jit_provisioning: false });
    okta.signInAs(person());
    expect((await signIn(t, closed.slug)).json()).toMatchObject({ code: 'account_not_linked' });
    const fenced = await addProvider(t, admin, okta, 'okta', {
      allowed_email_domains: ['corp.example.org'],
    });
    okta.signInAs(person());
    const res = await signIn(t, fenced.slug);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'email_not_acceptable' });
  });

  describe('the state', () => {
    let provider: { id: string; slug: string };

    beforeAll(async () => {
      provider = await addProvider(t, admin, okta, 'okta');
    });

    it('is used once: a replayed callback is a 400', async () => {
      okta.signInAs(person());
      const params = await authorizationResponse(t, provider.slug);
      expect((await callback(t, provider.slug, params)).statusCode).toBe(200);
      const replay = await callback(t, provider.slug, params);
      expect(replay.statusCode).toBe(400);
      expect(replay.json()).toMatchObject({ code: 'invalid_federation_state' });
    });

    it('is used once by concurrent callbacks: one signs in, the other is refused', async () => {
      okta.signInAs(person());
      const params = await authorizationResponse(t, provider.slug);
      const answers = await Promise.all([
        callback(t, provider.slug, params),
        callback(t, provider.slug, params),
      ]);
      expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 400]);
    });

    it('expires after 10 minutes', async () => {
      okta.signInAs(person());
      const params = await authorizationResponse(t, provider.slug);
      await t.app
        .get(DataSource)
        .query(`UPDATE federation_logins SET expires_at = now() - interval '1 second'`);
      const res = await callback(t, provider.slug, params);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'invalid_federation_state' });
    });

    it('is unknown when made up, and missing is a 422 naming it', async () => {
      const madeUp = await post(t, `/v1/auth/federation/${provider.slug}/callback`, {
        code: 'x',
        state: 'made-up',
      });
      expect(madeUp.json()).toMatchObject({ code: 'invalid_federation_state' });
      const missing = await post(t, `/v1/auth/federation/${provider.slug}/callback`, { code: 'x' });
      expect(missing.statusCode).toBe(422);
      expect(JSON.stringify(missing.json())).toContain('state');
      const wrongType = await post(t, `/v1/auth/federation/${provider.slug}/callback`, {
        code: 1,
        state: [],
      });
      expect(wrongType.statusCode).toBe(422);
    });

    it("of one provider is refused at another's callback", async () => {
      const other = await addProvider(t, admin, okta, 'okta');
      okta.signInAs(person());
      const params = await authorizationResponse(t, provider.slug);
      const res = await callback(t, other.slug, params);
      expect(res.json()).toMatchObject({ code: 'invalid_federation_state' });
    });
  });

  describe('the ID token and the code', () => {
    let provider: { id: string; slug: string };

    beforeAll(async () => {
      provider = await addProvider(t, admin, okta, 'okta');
    });

    it.each([
      ['a wrong iss', resigned((p) => (p.iss = 'https://evil.example.com/oauth2/default'))],
      ['a wrong aud', resigned((p) => (p.aud = 'another-client'))],
      ['a wrong azp', resigned((p) => ((p.aud = [CLIENT.client_id, 'x']), (p.azp = 'x')))],
      ['an expired token', resigned((p) => (p.exp = Math.floor(Date.now() / 1000) - 600))],
      ['no nonce', resigned((p) => delete p.nonce)],
      ['another nonce', resigned((p) => (p.nonce = 'replayed-nonce'))],
      [
        'alg none',
        (idToken: string) => {
          const { payload } = jwtParts(idToken);
          const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
          return Promise.resolve(
            `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`,
          );
        },
      ],
      [
        'a signature of another key under the same kid',
        async (idToken: string) => {
          const { header, payload } = jwtParts(idToken);
          const { privateKey } = await generateKeyPair('RS256');
          return new SignJWT(payload)
            .setProtectedHeader({ alg: 'RS256', kid: header.kid })
            .sign(privateKey);
        },
      ],
    ])('refuses %s with a 401 and signs no one in', async (_case, tamper) => {
      const who = person();
      okta.signInAs(who);
      okta.tamperNextIdToken(tamper);
      const res = await signIn(t, provider.slug);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'federation_rejected' });
      const [{ count }] = await t.app
        .get(DataSource)
        .query<{ count: string }[]>('SELECT count(*) FROM users WHERE email = $1', [who.email]);
      expect(Number(count)).toBe(0);
    });

    it('fetches the JWKS again for an unknown kid (a provider that rotated its keys)', async () => {
      okta.signInAs(person());
      expect((await signIn(t, provider.slug)).statusCode).toBe(200);
      const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
      const kid = randomUUID();
      okta.publishKey({ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' });
      okta.signInAs(person());
      okta.tamperNextIdToken(async (idToken) =>
        new SignJWT(jwtParts(idToken).payload)
          .setProtectedHeader({ alg: 'RS256', kid })
          .sign(privateKey),
      );
      // openid-client fetches a JWKS again for an unknown kid once its copy is a minute old.
      jest.useFakeTimers({ doNotFake: [...REAL_TIMERS] });
      try {
        jest.setSystemTime(Date.now() + 61_000);
        expect((await signIn(t, provider.slug)).statusCode).toBe(200);
      } finally {
        jest.useRealTimers();
      }
    });

    it('refuses a response naming another issuer (mix-up)', async () => {
      okta.signInAs(person());
      const params = await authorizationResponse(t, provider.slug);
      params.set('iss', 'https://evil.example.com');
      const res = await callback(t, provider.slug, params);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'federation_rejected' });
    });

    it('refuses a code issued to another client', async () => {
      okta.signInAs(person());
      const ours = await authorizationResponse(t, provider.slug);
      const theirs = await authorize(
        `${okta.issuer}/v1/authorize?${new URLSearchParams({
          client_id: OTHER_CLIENT.client_id,
          redirect_uri: REDIRECT_URI,
          response_type: 'code',
          scope: 'openid email',
          state: 'theirs',
          nonce: 'theirs',
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          code_challenge_method: 'S256',
        }).toString()}`,
      );
      ours.set('code', theirs.get('code')!);
      const res = await callback(t, provider.slug, ours);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'federation_rejected' });
    });
  });

  describe('the provider down', () => {
    it('is a 502 problem at the start, naming no URL', async () => {
      const gone = await new OidcProviderPeer('okta', [CLIENT]).start();
      const provider = await addProvider(t, admin, gone, 'okta');
      await gone.stop();
      const res = await t.inject({
        method: 'GET',
        url: `/v1/auth/federation/${provider.slug}/start?redirect_uri=${encodeURIComponent(REDIRECT_URI)}`,
      });
      expect(res.statusCode).toBe(502);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'identity_provider_unavailable' });
      expect(res.body).not.toContain(gone.issuer);
    });

    it('is a 502 at the callback when the token endpoint stopped answering', async () => {
      const flaky = await new OidcProviderPeer('okta', [CLIENT]).start();
      const provider = await addProvider(t, admin, flaky, 'okta');
      flaky.signInAs(person());
      const params = await authorizationResponse(t, provider.slug);
      await flaky.stop();
      const res = await callback(t, provider.slug, params);
      expect(res.statusCode).toBe(502);
      expect(res.json()).toMatchObject({ code: 'identity_provider_unavailable' });
    });
  });

  it('refuses a redirect_uri not registered for the provider, and an unknown provider is a 404', async () => {
    const provider = await addProvider(t, admin, okta, 'okta');
    const res = await t.inject({
      method: 'GET',
      url: `/v1/auth/federation/${provider.slug}/start?redirect_uri=${encodeURIComponent('https://evil.example.com/cb')}`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'redirect_uri_not_allowed' });
    const unknown = await t.inject({
      method: 'GET',
      url: `/v1/auth/federation/nobody/start?redirect_uri=${encodeURIComponent(REDIRECT_URI)}`,
    });
    expect(unknown.statusCode).toBe(404);
  });

  describe('a role that requires a second factor', () => {
    let strict: TestApp;

    beforeAll(async () => {
      strict = await startTestApp({
        env: { FEDERATION_ALLOWED_HOSTS: '127.0.0.1', MFA_REQUIRED_ROLES: ADMIN_ROLE },
      });
    });

    afterAll(() => strict.close());

    it('still applies (enrollment first), unless the provider asserted a second factor', async () => {
      const strictAdmin = await createVerifiedAccount(strict);
      const [{ id }] = await strict.app
        .get(DataSource)
        .query<{ id: string }[]>('SELECT id FROM users WHERE email = $1', [strictAdmin.email]);
      await strict.app.get(AccessService).grantRole(id, ADMIN_ROLE, systemActor('test'));
      const provider = await addProviderWith(strict, okta);
      okta.signInAs(person({ email: strictAdmin.email }));
      const owed = await signIn(strict, provider.slug);
      expect(owed.statusCode).toBe(200);
      expect(owed.json()).toMatchObject({ mfa_required: true, mfa_enrollment_required: true });
      okta.signInAs(person({ email: strictAdmin.email }));
      okta.tamperNextIdToken(resigned((p) => (p.amr = ['pwd', 'mfa'])));
      const asserted = await signIn(strict, provider.slug);
      expect(decodeClaims(asserted.json<{ access_token: string }>().access_token)).toMatchObject({
        amr: ['fed', 'mfa'],
      });
    });
  });

  /** A linking provider in another app, created by the CLI's way (a system actor). */
  async function addProviderWith(app: TestApp, peer: OidcProviderPeer) {
    const provider = await app.app.get(IdentityProvidersService).create(
      {
        slug: uniqueName('okta'),
        displayName: 'Strict Okta',
        kind: 'okta',
        issuer: peer.issuer,
        clientId: CLIENT.client_id,
        clientSecret: CLIENT.client_secret,
        scopes: ['openid', 'email', 'profile'],
        claimMapping: {},
        mfaAcrValues: [],
        jitProvisioning: false,
        allowedEmailDomains: [],
        linkByEmail: true,
        redirectUris: [REDIRECT_URI],
        managementApiKind: null,
        managementApiUrl: null,
        managementApiToken: undefined,
        webhookSecret: undefined,
        enabled: true,
      },
      systemActor('test'),
    );
    return { id: provider.id, slug: provider.slug };
  }
});
