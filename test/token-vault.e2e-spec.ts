import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { OfflineTokenVault } from '../src/modules/token-vault/offline-token-vault';
import { TOKEN_REVOCATION_QUEUE } from '../src/modules/token-vault/token-vault-erasure';
import { TokenVaultRepository } from '../src/modules/token-vault/token-vault.repository';
import { settled } from './support/accounts';
import { send, signedInAdmin, signedInUser, SignedInUser, uniqueName } from './support/access';
import { clientToken, createClient } from './support/clients';
import { setClock } from './support/clock';
import { startTestApp, TestApp } from './support/test-app';
import { authorize, CookieJar, OidcProviderPeer } from './peers/oidc-provider-peer';

const REDIRECT_URI = 'https://app.example.com/token-vault/callback';
const CLIENT = {
  client_id: 'gatehouse-vault',
  client_secret: 'peer-client-secret-vault',
  redirect_uris: [REDIRECT_URI],
};
/** Short, so that a slow provider is told apart quickly. */
const PROVIDER_TIMEOUT_MS = 1500;

interface Stored {
  persistent_token_id: string;
  session_id: string | null;
}

describe('token vault: offline tokens at a Keycloak-shaped provider', () => {
  let t: TestApp;
  let keycloak: OidcProviderPeer;
  let admin: SignedInUser;
  let slug: string;

  async function addProvider(peer: OidcProviderPeer): Promise<string> {
    const name = uniqueName('kc');
    const res = await send(t, 'POST', '/v1/admin/identity-providers', admin.token, {
      slug: name,
      display_name: 'Keycloak',
      kind: 'keycloak',
      issuer: peer.issuer,
      client_id: CLIENT.client_id,
      client_secret: CLIENT.client_secret,
      redirect_uris: [REDIRECT_URI],
      scopes: ['openid', 'email'],
      jit_provisioning: false,
      link_by_email: false,
      allowed_email_domains: [],
      mfa_acr_values: [],
    });
    if (res.statusCode !== 201) throw new Error(`provider: ${res.statusCode} ${res.body}`);
    return name;
  }

  async function consentUrl(user: SignedInUser, provider = slug): Promise<string> {
    const res = await send(
      t,
      'GET',
      `/v1/token-vault/consent?provider=${provider}&scopes=email,profile`,
      user.token,
    );
    if (res.statusCode !== 200) throw new Error(`consent: ${res.statusCode} ${res.body}`);
    return res.json<{ authorization_url: string }>().authorization_url;
  }

  function callback(params: URLSearchParams) {
    return t.inject({ method: 'GET', url: `/v1/token-vault/callback?${params.toString()}` });
  }

  /** Consent through the provider as `sub`, in the browser session of `jar`. */
  async function consented(
    user: SignedInUser,
    options: { jar?: CookieJar; sub?: string; provider?: string; peer?: OidcProviderPeer } = {},
  ): Promise<URLSearchParams> {
    (options.peer ?? keycloak).signInAs({ sub: options.sub ?? user.id, email: user.email });
    return authorize(await consentUrl(user, options.provider), options.jar);
  }

  async function stored(
    user: SignedInUser,
    options: Parameters<typeof consented>[1] = {},
  ): Promise<Stored> {
    const res = await callback(await consented(user, options));
    if (res.statusCode !== 200) throw new Error(`callback: ${res.statusCode} ${res.body}`);
    return res.json<Stored>();
  }

  function accessToken(id: string, token: string, body: Record<string, unknown> = {}) {
    return send(t, 'POST', `/v1/token-vault/tokens/${id}/access-token`, token, body);
  }

  async function sealed(id: string) {
    const [row] = await t.app
      .get(DataSource)
      .query<{ envelope: string; token_hash: Buffer; status: string; rotated_at: Date | null }[]>(
        'SELECT envelope, token_hash, status, rotated_at FROM offline_tokens WHERE id = $1',
        [id],
      );
    return row;
  }

  /** The offline token a record holds, opened as the vault opens it. */
  async function plainOfflineToken(id: string): Promise<string> {
    const [row] = await t.app
      .get(DataSource)
      .query<{ envelope: string; user_id: string; provider_id: string }[]>(
        'SELECT envelope, user_id, provider_id FROM offline_tokens WHERE id = $1',
        [id],
      );
    return t.app
      .get(OfflineTokenVault)
      .open({ recordId: id, userId: row.user_id, providerId: row.provider_id }, row.envelope);
  }

  /** Waits until a trip to the provider holds the record's lease. */
  async function tripUnderWay(id: string): Promise<void> {
    const database = t.app.get(DataSource);
    for (let look = 0; look < 500; look++) {
      const [row] = await database.query<{ leased: boolean }[]>(
        'SELECT coalesce(lease_until > now(), false) AS leased FROM offline_tokens WHERE id = $1',
        [id],
      );
      if (row.leased) return;
      await new Promise((done) => setTimeout(done, 10));
    }
    throw new Error('no trip took the lease');
  }

  async function activeAtProvider(token: string): Promise<boolean> {
    const res = await send(t, 'POST', '/v1/token-vault/validate', admin.token, {
      provider: slug,
      token,
    });
    expect(res.statusCode).toBe(200);
    return res.json<{ active: boolean }>().active;
  }

  beforeAll(async () => {
    keycloak = await new OidcProviderPeer('keycloak', [CLIENT], {
      rotateRefreshTokens: true,
      revocation: 'per_client',
    }).start();
    t = await startTestApp({
      env: {
        FEDERATION_ALLOWED_HOSTS: '127.0.0.1',
        FEDERATION_TIMEOUT_MS: String(PROVIDER_TIMEOUT_MS),
      },
    });
    admin = await signedInAdmin(t);
    slug = await addProvider(keycloak);
  });

  afterAll(async () => {
    await t.close();
    await keycloak.stop();
  });

  describe('consent and storage', () => {
    it('asks offline_access with PKCE, a nonce and a signed state, and stores the offline token sealed', async () => {
      const user = await signedInUser(t);
      const url = new URL(await consentUrl(user));
      expect(url.searchParams.get('scope')!.split(' ')).toEqual(
        expect.arrayContaining(['openid', 'offline_access', 'email', 'profile']),
      );
      expect(url.searchParams.get('prompt')).toBe('consent');
      expect(url.searchParams.get('code_challenge_method')).toBe('S256');
      expect(url.searchParams.get('nonce')).toBeTruthy();
      expect(url.searchParams.get('state')).toMatch(/^[0-9a-f-]{36}\.\d+\.[\w-]+$/);

      keycloak.signInAs({ sub: user.id, email: user.email });
      const res = await callback(await authorize(url.toString()));
      expect(res.statusCode).toBe(200);
      const body = res.json<Stored>();
      expect(body.session_id).toEqual(expect.any(String));

      const list = await send(t, 'GET', '/v1/token-vault/tokens', user.token);
      expect(list.json<{ items: Record<string, unknown>[] }>().items).toEqual([
        expect.objectContaining({
          id: body.persistent_token_id,
          subject: user.id,
          session_id: body.session_id,
          status: 'active',
          scopes: expect.arrayContaining(['openid', 'offline_access']),
        }),
      ]);
      expect(list.body).not.toMatch(/envelope|token_hash|refresh_token/);
      const row = await sealed(body.persistent_token_id);
      expect(row.envelope).toMatch(/^v1\.|^[A-Za-z0-9_.:-]+$/);
      await settled(t);
      const [event] = await t.app
        .get(DataSource)
        .query<{ data: Record<string, unknown> }[]>(
          `SELECT data FROM outbox WHERE type = 'token_vault.token_stored' AND data->>'token_id' = $1`,
          [body.persistent_token_id],
        );
      expect(event.data).toMatchObject({ user_id: user.id, created: true });
    });

    it('completes from a web client (JSON POST) only for the user who asked', async () => {
      const user = await signedInUser(t);
      const other = await signedInUser(t);
      const params = await consented(user);
      const form = { code: params.get('code'), state: params.get('state'), iss: params.get('iss') };
      const stolen = await send(t, 'POST', '/v1/token-vault/callback', other.token, form);
      expect(stolen.statusCode).toBe(400);
      expect(stolen.json()).toMatchObject({ code: 'invalid_consent_state' });
      const res = await send(t, 'POST', '/v1/token-vault/callback', user.token, form);
      expect(res.statusCode).toBe(200);
      const replay = await send(t, 'POST', '/v1/token-vault/callback', user.token, form);
      expect(replay.statusCode).toBe(400);
      expect(replay.json()).toMatchObject({ code: 'invalid_consent_state' });
    });

    it('refuses a replayed, altered or expired state, changing nothing', async () => {
      const user = await signedInUser(t);
      const params = await consented(user);
      expect((await callback(params)).statusCode).toBe(200);
      const replay = await callback(params);
      expect(replay.statusCode).toBe(400);
      expect(replay.json()).toMatchObject({ code: 'invalid_consent_state' });

      const fresh = await consented(user);
      const altered = new URLSearchParams(fresh);
      altered.set('state', `${fresh.get('state')!.slice(0, -2)}AA`);
      expect((await callback(altered)).statusCode).toBe(400);

      setClock(Date.now() + 11 * 60 * 1000);
      try {
        const late = await callback(fresh);
        expect(late.statusCode).toBe(400);
        expect(late.json()).toMatchObject({ code: 'invalid_consent_state' });
      } finally {
        jest.useRealTimers();
      }
      const list = await send(t, 'GET', '/v1/token-vault/tokens', user.token);
      expect(list.json<{ items: unknown[] }>().items).toHaveLength(1);
    });

    it('refuses the consent of a session that ended meanwhile', async () => {
      const user = await signedInUser(t);
      const params = await consented(user);
      const logout = await send(t, 'POST', '/v1/auth/logout', user.token);
      expect(logout.statusCode).toBe(204);
      const res = await callback(params);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'invalid_consent_state' });
    });

    it('answers a denied consent and a callback without a code clearly', async () => {
      const user = await signedInUser(t);
      keycloak.signInAs({ sub: user.id, email: user.email });
      keycloak.denyNextConsent();
      const denied = await callback(await authorize(await consentUrl(user)));
      expect(denied.statusCode).toBe(400);
      expect(denied.json()).toMatchObject({
        code: 'consent_denied',
        provider_error: 'access_denied',
      });

      const params = await consented(user);
      params.delete('code');
      const noCode = await callback(params);
      expect(noCode.statusCode).toBe(422);
      expect((await send(t, 'GET', '/v1/token-vault/tokens', user.token)).json()).toEqual({
        items: [],
        next_cursor: null,
      });
    });

    it('validates the consent request: 422 for malformed parameters, 404 for an unknown provider, 401 without a token', async () => {
      const user = await signedInUser(t);
      const missing = await send(t, 'GET', '/v1/token-vault/consent', user.token);
      expect(missing.statusCode).toBe(422);
      expect(missing.json<{ errors: { field: string }[] }>().errors[0].field).toBe('provider');
      const badScope = await send(
        t,
        'GET',
        `/v1/token-vault/consent?provider=${slug}&scopes=${encodeURIComponent('a"b')}`,
        user.token,
      );
      expect(badScope.statusCode).toBe(422);
      const unknown = await send(t, 'GET', '/v1/token-vault/consent?provider=nope', user.token);
      expect(unknown.statusCode).toBe(404);
      const redirect = await send(
        t,
        'GET',
        `/v1/token-vault/consent?provider=${slug}&redirect_uri=${encodeURIComponent('https://evil.example.com/cb')}`,
        user.token,
      );
      expect(redirect.statusCode).toBe(400);
      expect(redirect.json()).toMatchObject({ code: 'redirect_uri_not_allowed' });
      const anonymous = await send(t, 'GET', `/v1/token-vault/consent?provider=${slug}`, null);
      expect(anonymous.statusCode).toBe(401);
      const noState = await t.inject({ method: 'GET', url: '/v1/token-vault/callback?code=x' });
      expect(noState.statusCode).toBe(422);
    });

    it('keeps the same token stored twice as one record', async () => {
      const user = await signedInUser(t);
      const providerId = (await send(t, 'GET', '/v1/token-vault/tokens', user.token)).json();
      expect(providerId).toEqual({ items: [], next_cursor: null });
      const [provider] = await t.app
        .get(DataSource)
        .query<{ id: string }[]>('SELECT id FROM identity_providers WHERE slug = $1', [slug]);
      const repository = t.app.get(TokenVaultRepository);
      const token = {
        userId: user.id,
        providerId: provider.id,
        subject: 'someone',
        providerSessionId: 'sid-1',
        scopes: ['openid', 'offline_access'],
        envelope: 'sealed',
        keyId: 'k',
        tokenHash: Buffer.alloc(32, 7),
        expiresAt: null,
      };
      const first = await repository.upsert({ id: randomUUID(), ...token });
      const second = await repository.upsert({
        id: randomUUID(),
        ...token,
        providerSessionId: 'sid-2',
      });
      expect(first.created).toBe(true);
      expect(second).toEqual({ id: first.id, created: false });
      const list = await send(t, 'GET', '/v1/token-vault/tokens', user.token);
      expect(list.json<{ items: { session_id: string }[] }>().items).toEqual([
        expect.objectContaining({ id: first.id, session_id: 'sid-2' }),
      ]);
    });
  });

  describe('access tokens', () => {
    it('mints an access token for the owner and stores the rotated offline token', async () => {
      const user = await signedInUser(t);
      const { persistent_token_id: id } = await stored(user);
      const before = await sealed(id);
      const res = await accessToken(id, user.token);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        access_token: expect.any(String),
        token_type: expect.stringMatching(/^bearer$/i),
      });
      expect(res.headers['cache-control']).toBe('no-store');
      const after = await sealed(id);
      expect(after.envelope).not.toBe(before.envelope);
      expect(after.token_hash.equals(before.token_hash)).toBe(false);
      expect(after.rotated_at).not.toBeNull();
      // The rotated token is the one used next: the spent one would revoke the grant.
      expect((await accessToken(id, user.token)).statusCode).toBe(200);
      expect((await accessToken(id, user.token)).statusCode).toBe(200);

      const introspected = await send(t, 'POST', '/v1/token-vault/validate', user.token, {
        provider: slug,
        token: res.json<{ access_token: string }>().access_token,
      });
      expect(introspected.statusCode).toBe(200);
      expect(introspected.json()).toMatchObject({ active: true, sub: user.id });
      const garbage = await send(t, 'POST', '/v1/token-vault/validate', user.token, {
        provider: slug,
        token: 'not-a-token',
      });
      expect(garbage.json()).toEqual({ active: false });
    });

    it('renews the offline token in place: the record stays, the stored token changes', async () => {
      const user = await signedInUser(t);
      const stored1 = await stored(user);
      const before = await sealed(stored1.persistent_token_id);
      const res = await send(
        t,
        'POST',
        `/v1/token-vault/tokens/${stored1.persistent_token_id}/offline-token`,
        user.token,
        {},
      );
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(stored1);
      expect(res.body).not.toMatch(/refresh_token|access_token/);
      expect((await sealed(stored1.persistent_token_id)).envelope).not.toBe(before.envelope);
      expect((await accessToken(stored1.persistent_token_id, user.token)).statusCode).toBe(200);
    });

    it('makes one provider call for 50 concurrent requests for one record', async () => {
      const user = await signedInUser(t);
      const { persistent_token_id: id } = await stored(user);
      const calls = keycloak.refreshRequests;
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => accessToken(id, user.token)),
      );
      expect(answers.map((res) => res.statusCode)).toEqual(Array(50).fill(200));
      expect(
        new Set(answers.map((res) => res.json<{ access_token: string }>().access_token)).size,
      ).toBe(1);
      expect(keycloak.refreshRequests - calls).toBe(1);
      expect((await accessToken(id, user.token)).statusCode).toBe(200);
    });

    it('holds no row lock nor transaction while the provider answers', async () => {
      const user = await signedInUser(t);
      const { persistent_token_id: id } = await stored(user);
      keycloak.delayTokenResponses(600);
      try {
        const pending = accessToken(id, user.token);
        await tripUnderWay(id);
        const database = t.app.get(DataSource);
        // NOWAIT: a transaction holding the row would make this fail at once.
        const locked = await database.transaction((manager) =>
          manager.query<{ lease_until: Date | null }[]>(
            'SELECT lease_until FROM offline_tokens WHERE id = $1 FOR UPDATE NOWAIT',
            [id],
          ),
        );
        expect(locked[0].lease_until).not.toBeNull();
        expect((await pending).statusCode).toBe(200);
      } finally {
        keycloak.delayTokenResponses(0);
      }
      const [after] = await t.app
        .get(DataSource)
        .query<{ lease_until: Date | null; access_token_sealed: string | null }[]>(
          'SELECT lease_until, access_token_sealed FROM offline_tokens WHERE id = $1',
          [id],
        );
      expect(after.lease_until).toBeNull();
      // No other instance waited: the access token was never written.
      expect(after.access_token_sealed).toBeNull();
    });

    it('revokes the token a trip under way stores: DELETE waits for the trip', async () => {
      const user = await signedInUser(t);
      const { persistent_token_id: id } = await stored(user);
      keycloak.delayTokenResponses(400);
      let minted;
      let deleted;
      try {
        const pending = accessToken(id, user.token);
        await tripUnderWay(id);
        deleted = await send(t, 'DELETE', `/v1/token-vault/tokens/${id}`, user.token);
        minted = await pending;
      } finally {
        keycloak.delayTokenResponses(0);
      }
      expect(minted.statusCode).toBe(200);
      expect(deleted.statusCode).toBe(204);
      const rotated = minted.json<{ access_token: string }>().access_token;
      expect(await activeAtProvider(rotated)).toBe(false);
      expect((await send(t, 'GET', `/v1/token-vault/tokens/${id}`, user.token)).statusCode).toBe(
        404,
      );
    });

    it('takes over the lease of a leader that died once it runs out, and makes one provider call', async () => {
      const user = await signedInUser(t);
      const { persistent_token_id: id } = await stored(user);
      // Another instance took the lease and died before answering: its lease runs 1.5 s more.
      await t.app.get(DataSource).query(
        `UPDATE offline_tokens SET lease_id = $2, lease_until = now() + interval '1500 milliseconds'
            WHERE id = $1`,
        [id, randomUUID()],
      );
      const calls = keycloak.refreshRequests;
      const started = Date.now();
      const res = await accessToken(id, user.token);
      expect(res.statusCode).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
      expect(keycloak.refreshRequests - calls).toBe(1);
      expect((await sealed(id)).rotated_at).not.toBeNull();
      expect((await accessToken(id, user.token)).statusCode).toBe(200);
    });

    it('makes one provider call for two instances racing for one record, and both get its answer', async () => {
      const user = await signedInUser(t);
      const { persistent_token_id: id } = await stored(user);
      const other = await startTestApp({
        databaseUrl: t.config.database.url,
        env: {
          FEDERATION_ALLOWED_HOSTS: '127.0.0.1',
          FEDERATION_TIMEOUT_MS: String(PROVIDER_TIMEOUT_MS),
        },
      });
      try {
        // Discovery first, so that the race is for the token endpoint alone.
        await send(other, 'POST', '/v1/token-vault/validate', user.token, {
          provider: slug,
          token: 'x',
        });
        const calls = keycloak.refreshRequests;
        keycloak.delayTokenResponses(500);
        let answers;
        try {
          // The second instance asks while the first one's trip is under way.
          const leading = accessToken(id, user.token);
          await tripUnderWay(id);
          const following = send(
            other,
            'POST',
            `/v1/token-vault/tokens/${id}/access-token`,
            user.token,
            {},
          );
          answers = await Promise.all([leading, following]);
        } finally {
          keycloak.delayTokenResponses(0);
        }
        expect(answers.map((res) => res.statusCode)).toEqual([200, 200]);
        expect(keycloak.refreshRequests - calls).toBe(1);
        const [first, second] = answers.map((res) =>
          res.json<{ access_token: string; expires_in: number }>(),
        );
        expect(second.access_token).toBe(first.access_token);
        expect(await activeAtProvider(first.access_token)).toBe(true);
        // Kept for the waiting instance only, sealed; the next trip clears it.
        const [kept] = await t.app
          .get(DataSource)
          .query<{ access_token_sealed: string | null }[]>(
            'SELECT access_token_sealed FROM offline_tokens WHERE id = $1',
            [id],
          );
        expect(kept.access_token_sealed).toMatch(/^v1\./);
        expect(kept.access_token_sealed).not.toContain(first.access_token);
        // A request after the race makes a trip of its own with the rotated token.
        const later = await send(
          other,
          'POST',
          `/v1/token-vault/tokens/${id}/access-token`,
          user.token,
          {},
        );
        expect(later.statusCode).toBe(200);
        expect(later.json<{ access_token: string }>().access_token).not.toBe(first.access_token);
        expect(keycloak.refreshRequests - calls).toBe(2);
      } finally {
        await other.close();
      }
    });

    it("answers 404 for another user's record, on every route", async () => {
      const owner = await signedInUser(t);
      const other = await signedInUser(t);
      const { persistent_token_id: id } = await stored(owner);
      expect((await accessToken(id, other.token)).statusCode).toBe(404);
      expect((await send(t, 'GET', `/v1/token-vault/tokens/${id}`, other.token)).statusCode).toBe(
        404,
      );
      expect(
        (await send(t, 'DELETE', `/v1/token-vault/tokens/${id}`, other.token)).statusCode,
      ).toBe(404);
      expect((await accessToken(randomUUID(), owner.token)).statusCode).toBe(404);
      expect((await accessToken('not-a-uuid', owner.token)).statusCode).toBe(422);
      expect((await send(t, 'GET', `/v1/token-vault/tokens/${id}`, owner.token)).statusCode).toBe(
        200,
      );
    });

    it('serves a service with token_vault:use acting for the owner, and refuses one without it', async () => {
      const owner = await signedInUser(t);
      const { persistent_token_id: id } = await stored(owner);
      const reporter = await clientToken(t, await createClient(t, ['token_vault:use']));
      const served = await accessToken(id, reporter.access_token, { user_id: owner.id });
      expect(served.statusCode).toBe(200);
      const wrongOwner = await accessToken(id, reporter.access_token, { user_id: admin.id });
      expect(wrongOwner.statusCode).toBe(404);
      const noOwner = await accessToken(id, reporter.access_token);
      expect(noOwner.statusCode).toBe(404);
      const malformed = await accessToken(id, reporter.access_token, { user_id: 42 });
      expect(malformed.statusCode).toBe(422);
      const unknownField = await accessToken(id, reporter.access_token, { token: 'x' });
      expect(unknownField.statusCode).toBe(422);
      const plain = await clientToken(t, await createClient(t, ['authz:check']));
      const refused = await accessToken(id, plain.access_token, { user_id: owner.id });
      expect(refused.statusCode).toBe(403);
      await settled(t);
      const audit = await send(
        t,
        'GET',
        '/v1/admin/audit-events?action=offline_token.access_token_issue&limit=100',
        admin.token,
      );
      expect(audit.statusCode).toBe(200);
      const rows = audit
        .json<{ items: { target: { id: string }; actor: { type: string } }[] }>()
        .items.filter((row) => row.target.id === id);
      expect(rows).toEqual([
        expect.objectContaining({ actor: expect.objectContaining({ type: 'service' }) }),
      ]);
    });

    it('marks a token the provider revoked, and tells the caller to ask for consent again', async () => {
      const user = await signedInUser(t);
      const { persistent_token_id: id, session_id: sid } = await stored(user);
      expect(await keycloak.endSession(sid!)).toBe(true);
      const res = await accessToken(id, user.token);
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'offline_token_revoked' });
      expect((await sealed(id)).status).toBe('revoked');
      const again = await accessToken(id, user.token);
      expect(again.statusCode).toBe(409);
      const listed = await send(t, 'GET', `/v1/token-vault/tokens/${id}`, user.token);
      expect(listed.json()).toMatchObject({ status: 'revoked', revoked_at: expect.any(String) });
    });

    it('answers 502 when the provider is slow or down, and keeps the record usable', async () => {
      const user = await signedInUser(t);
      const { persistent_token_id: id } = await stored(user);
      keycloak.delayTokenResponses(PROVIDER_TIMEOUT_MS + 500);
      try {
        const slow = await accessToken(id, user.token);
        expect(slow.statusCode).toBe(502);
        expect(slow.json()).toMatchObject({ code: 'identity_provider_unavailable' });
      } finally {
        keycloak.delayTokenResponses(0);
      }
      expect((await sealed(id)).status).toBe('active');

      const gone = await new OidcProviderPeer('keycloak', [CLIENT], {
        rotateRefreshTokens: false,
        revocation: 'per_session',
      }).start();
      const goneSlug = await addProvider(gone);
      const stranded = await stored(user, { provider: goneSlug, peer: gone });
      await gone.stop();
      const down = await accessToken(stranded.persistent_token_id, user.token);
      expect(down.statusCode).toBe(502);
      const deleting = await send(
        t,
        'DELETE',
        `/v1/token-vault/tokens/${stranded.persistent_token_id}`,
        user.token,
      );
      expect(deleting.statusCode).toBe(502);
      expect((await sealed(stranded.persistent_token_id)).status).toBe('active');
    });
  });

  describe('erasure', () => {
    it("deletes an erased person's records and then revokes them at the provider, from a job holding them sealed", async () => {
      const user = await signedInUser(t);
      const { persistent_token_id: id, session_id: sid } = await stored(user);
      const minted = (await accessToken(id, user.token)).json<{ access_token: string }>();
      const offline = await plainOfflineToken(id);
      expect(await activeAtProvider(offline)).toBe(true);

      const erased = await send(t, 'DELETE', `/v1/admin/users/${user.id}`, admin.token);
      expect(erased.statusCode).toBe(204);
      const database = t.app.get(DataSource);
      expect(
        await database.query('SELECT id FROM offline_tokens WHERE user_id = $1', [user.id]),
      ).toEqual([]);
      await settled(t);
      const jobs = await database.query<{ data: string; state: string }[]>(
        'SELECT data::text AS data, state FROM pgboss.job WHERE name = $1',
        [TOKEN_REVOCATION_QUEUE],
      );
      expect(jobs.length).toBeGreaterThan(0);
      expect(jobs.every((job) => job.state === 'completed')).toBe(true);
      for (const job of jobs) {
        expect(job.data).toContain('sealed');
        expect(job.data).not.toContain(offline);
      }
      expect(await activeAtProvider(offline)).toBe(false);
      expect(await activeAtProvider(minted.access_token)).toBe(false);
      expect(keycloak.endedSessions).toContain(sid);
    });

    it('answers 404 to a trip under way when its person is erased, and leaves nothing usable', async () => {
      const user = await signedInUser(t);
      const { persistent_token_id: id } = await stored(user);
      const offline = await plainOfflineToken(id);
      keycloak.delayTokenResponses(400);
      let minted;
      try {
        const pending = accessToken(id, user.token);
        await tripUnderWay(id);
        const erased = await send(t, 'DELETE', `/v1/admin/users/${user.id}`, admin.token);
        expect(erased.statusCode).toBe(204);
        minted = await pending;
      } finally {
        keycloak.delayTokenResponses(0);
      }
      expect(minted.statusCode).toBe(404);
      await settled(t);
      expect(await activeAtProvider(offline)).toBe(false);
    });
  });

  describe('revocation (Keycloak before 26.1: revocation is per client)', () => {
    it('ends the session of the last record, and revokes the token at the provider', async () => {
      const user = await signedInUser(t);
      const { persistent_token_id: id, session_id: sid } = await stored(user);
      const res = await send(t, 'DELETE', `/v1/token-vault/tokens/${id}`, user.token);
      expect(res.statusCode).toBe(204);
      expect(keycloak.endedSessions).toContain(sid);
      expect((await send(t, 'GET', `/v1/token-vault/tokens/${id}`, user.token)).statusCode).toBe(
        404,
      );
      await settled(t);
      const [event] = await t.app
        .get(DataSource)
        .query<{ data: Record<string, unknown> }[]>(
          `SELECT data FROM outbox WHERE type = 'token_vault.token_deleted' AND data->>'token_id' = $1`,
          [id],
        );
      expect(event.data).toMatchObject({ provider_revoked: true, provider_session: 'ended' });
    });

    it("leaves the user's other tokens at the provider usable, and a shared session alive", async () => {
      const user = await signedInUser(t);
      const jar = new CookieJar();
      const first = await stored(user, { jar });
      const sharing = await stored(user, { jar });
      const elsewhere = await stored(user);
      expect(sharing.session_id).toBe(first.session_id);
      expect(elsewhere.session_id).not.toBe(first.session_id);

      const res = await send(
        t,
        'DELETE',
        `/v1/token-vault/tokens/${first.persistent_token_id}`,
        user.token,
      );
      expect(res.statusCode).toBe(204);
      expect(keycloak.endedSessions).not.toContain(first.session_id);
      expect((await accessToken(sharing.persistent_token_id, user.token)).statusCode).toBe(200);
      expect((await accessToken(elsewhere.persistent_token_id, user.token)).statusCode).toBe(200);

      const alone = await send(
        t,
        'DELETE',
        `/v1/token-vault/tokens/${elsewhere.persistent_token_id}`,
        user.token,
      );
      expect(alone.statusCode).toBe(204);
      expect(keycloak.endedSessions).toContain(elsewhere.session_id);
      expect((await accessToken(sharing.persistent_token_id, user.token)).statusCode).toBe(200);
    });
  });
});
