import { createHmac, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { post, settled, uniqueEmail } from './support/accounts';
import { send, signedInAdmin, signedInUser, SignedInUser, uniqueName } from './support/access';
import { decodeClaims } from './support/mfa';
import { startTestApp, TestApp } from './support/test-app';
import { authorize, OidcProviderPeer } from './peers/oidc-provider-peer';
import { OktaPeer } from './peers/okta-peer';
import { ProviderSyncs } from '../src/modules/federation/sync/provider-syncs.service';

const REDIRECT_URI = 'https://app.example.com/auth/callback';
const CLIENT = {
  client_id: 'gatehouse',
  client_secret: 'peer-client-secret-1',
  redirect_uris: [REDIRECT_URI],
};
const HOOK_AUTHORIZATION = 'Basic Z2F0ZWhvdXNlOmhvb2stc2VjcmV0LTE=';
const ASGARDEO_SECRET = 'asgardeo-webhook-secret-1';

interface Linked {
  oktaId: string;
  userId: string;
  refreshToken: string;
  email: string;
}

/** An Okta System Log event about a user, as an event hook carries it. */
function logEvent(eventType: string, userId: string, uuid = randomUUID()) {
  return {
    uuid,
    published: new Date().toISOString(),
    eventType,
    version: '0',
    displayMessage: eventType,
    severity: 'INFO',
    legacyEventType: null,
    actor: { id: '00uadmin', type: 'User', alternateId: 'admin@corp.test', displayName: 'Admin' },
    outcome: { result: 'SUCCESS', reason: null },
    target: [{ id: userId, type: 'User', alternateId: 'x@corp.test', displayName: 'X' }],
    transaction: { type: 'WEB', id: randomUUID(), detail: {} },
  };
}

function delivery(events: unknown[]) {
  return {
    eventType: 'com.okta.event_hook',
    eventTypeVersion: '1.0',
    cloudEventsVersion: '0.1',
    source: 'https://corp.okta.test/api/v1/eventHooks/who7hphp39JoHLni81d7',
    eventId: randomUUID(),
    eventTime: new Date().toISOString(),
    contentType: 'application/json',
    data: { events },
  };
}

describe('live sync from identity providers: webhooks and admin syncs', () => {
  let t: TestApp;
  let oidc: OidcProviderPeer;
  let okta: OktaPeer;
  let admin: SignedInUser;
  let provider: { id: string; slug: string };
  let db: DataSource;

  async function addProvider(
    kind: 'okta' | 'asgardeo',
    extra: Record<string, unknown>,
  ): Promise<{ id: string; slug: string }> {
    const slug = uniqueName(kind);
    const res = await send(t, 'POST', '/v1/admin/identity-providers', admin.token, {
      slug,
      display_name: `Test ${kind}`,
      kind,
      issuer: oidc.issuer,
      client_id: CLIENT.client_id,
      client_secret: CLIENT.client_secret,
      redirect_uris: [REDIRECT_URI],
      jit_provisioning: true,
      link_by_email: false,
      allowed_email_domains: [],
      ...extra,
    });
    if (res.statusCode !== 201) throw new Error(`provider: ${res.statusCode} ${res.body}`);
    return { id: res.json<{ id: string }>().id, slug };
  }

  /** A person at Okta who signed in to Gatehouse once (linked by issuer and their Okta id). */
  async function linkedPerson(slug = provider.slug): Promise<Linked> {
    const email = uniqueEmail('okta');
    const oktaId = okta.addUser({
      login: email,
      email,
      firstName: 'First',
      lastName: 'Person',
      displayName: 'First Person',
    });
    oidc.signInAs({ sub: oktaId, email, email_verified: true, name: 'First Person' });
    const started = await t.inject({
      method: 'GET',
      url: `/v1/auth/federation/${slug}/start?redirect_uri=${encodeURIComponent(REDIRECT_URI)}`,
    });
    const params = await authorize(String(started.headers.location));
    const res = await post(t, `/v1/auth/federation/${slug}/callback`, {
      code: params.get('code'),
      state: params.get('state'),
      ...(params.get('iss') ? { iss: params.get('iss') } : {}),
    });
    if (res.statusCode !== 200) throw new Error(`sign-in: ${res.statusCode} ${res.body}`);
    const tokens = res.json<{ access_token: string; refresh_token: string }>();
    return {
      oktaId,
      userId: decodeClaims(tokens.access_token).sub as string,
      refreshToken: tokens.refresh_token,
      email,
    };
  }

  function hook(
    body: unknown,
    authorization: string | null = HOOK_AUTHORIZATION,
    slug = provider.slug,
  ) {
    return t.inject({
      method: 'POST',
      url: `/v1/webhooks/okta/${slug}`,
      headers: {
        'content-type': 'application/json',
        ...(authorization === null ? {} : { authorization }),
      },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  async function userOf(id: string) {
    const res = await send(t, 'GET', `/v1/admin/users/${id}`, admin.token);
    return res.json<{ name: string; status: string; phone: string | null }>();
  }

  async function storedEvents(
    uuid: string,
  ): Promise<{ processed_at: Date | null; outcome: string | null }[]> {
    return db.query(
      'SELECT processed_at, outcome FROM identity_provider_events WHERE event_id = $1',
      [uuid],
    );
  }

  async function until(
    what: string,
    check: () => Promise<boolean>,
    timeoutMs = 30_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`never: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  beforeAll(async () => {
    oidc = await new OidcProviderPeer('okta', [CLIENT]).start();
    okta = await new OktaPeer().start();
    t = await startTestApp({ env: { FEDERATION_ALLOWED_HOSTS: '127.0.0.1' } });
    db = t.app.get(DataSource);
    admin = await signedInAdmin(t);
    provider = await addProvider('okta', {
      management_api_kind: 'okta',
      management_api_url: okta.baseUrl,
      management_api_token: okta.apiToken,
      webhook_secret: HOOK_AUTHORIZATION,
    });
  });

  afterAll(async () => {
    await t.close();
    await oidc.stop();
    await okta.stop();
  });

  beforeEach(() => {
    okta.fault = null;
    okta.rateLimit = null;
    okta.maxLimit = 200;
  });

  describe('Okta event hooks', () => {
    it('answers the one-time verification with the challenge, given the configured Authorization', async () => {
      const challenge = randomUUID();
      const ok = await t.inject({
        method: 'GET',
        url: `/v1/webhooks/okta/${provider.slug}`,
        headers: { authorization: HOOK_AUTHORIZATION, 'x-okta-verification-challenge': challenge },
      });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({ verification: challenge });
      const wrong = await t.inject({
        method: 'GET',
        url: `/v1/webhooks/okta/${provider.slug}`,
        headers: {
          authorization: 'Basic d3Jvbmc6d3Jvbmc=',
          'x-okta-verification-challenge': challenge,
        },
      });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json()).toMatchObject({ code: 'invalid_webhook_signature' });
      expect(wrong.body).not.toContain(challenge);
      const missing = await t.inject({
        method: 'GET',
        url: `/v1/webhooks/okta/${provider.slug}`,
        headers: { authorization: HOOK_AUTHORIZATION },
      });
      expect(missing.statusCode).toBe(422);
    });

    it('acknowledges a profile update at once and a job brings the linked account to Okta’s profile', async () => {
      const person = await linkedPerson();
      okta.updateProfile(person.oktaId, {
        displayName: 'Renamed At Okta',
        mobilePhone: '+14155550199',
      });
      const event = logEvent('user.account.update_profile', person.oktaId);
      const res = await hook(delivery([event]));
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      // Until the job applied it, not only until the queue is idle: an attempt that failed (CI
      // once saw one) waits for its retry, which an idle queue does not count.
      await until(
        'the job applied the profile',
        async () => (await storedEvents(event.uuid))[0]?.processed_at != null,
      );
      expect(await storedEvents(event.uuid)).toEqual([
        { processed_at: expect.any(Date), outcome: 'updated' },
      ]);
      const user = await userOf(person.userId);
      expect(user).toMatchObject({ name: 'Renamed At Okta', phone: '+14155550199' });
      const metrics = await t.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(
        /profile_sync_latency_seconds_count\{provider_kind="okta",trigger="webhook"\} [1-9]/,
      );
      expect(metrics.body).toMatch(
        /webhook_processing_time_seconds_count\{provider_kind="okta"\} [1-9]/,
      );
    });

    it('stores a replayed event once and processes it once', async () => {
      const person = await linkedPerson();
      okta.updateProfile(person.oktaId, { displayName: 'Replayed Once' });
      const event = logEvent('user.account.update_profile', person.oktaId);
      const [first, second] = await Promise.all([hook(delivery([event])), hook(delivery([event]))]);
      expect([first.statusCode, second.statusCode]).toEqual([204, 204]);
      await settled(t);
      const reads = okta.count(`GET /api/v1/users/${person.oktaId}`);
      expect(await hook(delivery([event]))).toMatchObject({ statusCode: 204 });
      await settled(t);
      expect(await storedEvents(event.uuid)).toHaveLength(1);
      expect(okta.count(`GET /api/v1/users/${person.oktaId}`)).toBe(reads);
      const [{ count }] = await db.query<{ count: string }[]>(
        `SELECT count(*) FROM outbox WHERE type = 'user.updated' AND user_id = $1`,
        [person.userId],
      );
      expect(Number(count)).toBe(1);
    });

    it('suspends the account and ends its sessions when Okta suspends the person, and reactivates it after', async () => {
      const person = await linkedPerson();
      okta.setStatus(person.oktaId, 'SUSPENDED');
      await hook(delivery([logEvent('user.lifecycle.suspend', person.oktaId)]));
      await settled(t);
      expect((await userOf(person.userId)).status).toBe('suspended');
      const refresh = await post(t, '/v1/auth/refresh', { refresh_token: person.refreshToken });
      expect(refresh.statusCode).toBe(401);
      okta.setStatus(person.oktaId, 'ACTIVE');
      await hook(
        delivery([
          logEvent('user.lifecycle.unsuspend', person.oktaId),
          logEvent('user.lifecycle.reactivate', person.oktaId),
        ]),
      );
      await settled(t);
      expect((await userOf(person.userId)).status).toBe('active');
    });

    it('leaves an account an administrator suspended here suspended when Okta says the person is active', async () => {
      const person = await linkedPerson();
      const suspended = await send(
        t,
        'POST',
        `/v1/admin/users/${person.userId}/suspend`,
        admin.token,
        {
          reason: 'local investigation',
        },
      );
      expect(suspended.statusCode).toBe(200);
      await hook(delivery([logEvent('user.lifecycle.reactivate', person.oktaId)]));
      await settled(t);
      expect((await userOf(person.userId)).status).toBe('suspended');
    });

    it('processes a delivery’s events together: one Okta read per person, each account brought to its latest state', async () => {
      const renamed = await linkedPerson();
      const alsoRenamed = await linkedPerson();
      const deleted = await linkedPerson();
      okta.updateProfile(renamed.oktaId, { displayName: 'Batch First' });
      okta.updateProfile(alsoRenamed.oktaId, { displayName: 'Batch Second' });
      okta.deleteUser(deleted.oktaId);
      const events = [
        logEvent('user.account.update_profile', renamed.oktaId),
        logEvent('user.account.update_profile', alsoRenamed.oktaId),
        logEvent('user.account.update_profile', renamed.oktaId),
        logEvent('user.lifecycle.delete.initiated', deleted.oktaId),
      ];
      const readsBefore = (person: Linked) => okta.count(`GET /api/v1/users/${person.oktaId}`);
      const before = [renamed, alsoRenamed, deleted].map(readsBefore);
      expect(await hook(delivery(events))).toMatchObject({ statusCode: 204 });
      await settled(t);
      expect([renamed, alsoRenamed, deleted].map(readsBefore)).toEqual(before.map((n) => n + 1));
      for (const event of events) {
        expect(await storedEvents(event.uuid)).toEqual([
          { processed_at: expect.any(Date), outcome: 'updated' },
        ]);
      }
      expect((await userOf(renamed.userId)).name).toBe('Batch First');
      expect((await userOf(alsoRenamed.userId)).name).toBe('Batch Second');
      expect((await userOf(deleted.userId)).status).toBe('deactivated');
      const [{ count }] = await db.query<{ count: string }[]>(
        `SELECT count(*) FROM outbox WHERE type = 'user.updated' AND user_id = $1`,
        [renamed.userId],
      );
      expect(Number(count)).toBe(1);
    });

    it('deactivates the account of a person deleted at Okta', async () => {
      const person = await linkedPerson();
      okta.deleteUser(person.oktaId);
      await hook(delivery([logEvent('user.lifecycle.delete.initiated', person.oktaId)]));
      await settled(t);
      expect((await userOf(person.userId)).status).toBe('deactivated');
    });

    it('refuses a missing or wrong Authorization with 401 and stores nothing', async () => {
      const event = logEvent('user.account.update_profile', '00unobody');
      for (const authorization of [null, 'Basic d3Jvbmc6d3Jvbmc=', `${HOOK_AUTHORIZATION}x`]) {
        const res = await hook(delivery([event]), authorization);
        expect(res.statusCode).toBe(401);
        expect(res.json()).toMatchObject({ code: 'invalid_webhook_signature' });
      }
      expect(await storedEvents(event.uuid)).toEqual([]);
    });

    it('refuses a malformed body with 400 naming what is wrong, and stores nothing of it', async () => {
      const good = logEvent('user.account.update_profile', '00unobody');
      const cases: [unknown, RegExp][] = [
        ['{"data": ', /./],
        [{ data: {} }, /data\.events/],
        [delivery([good, { eventType: 'user.lifecycle.suspend' }]), /data\.events\[1\]/],
        [delivery([{ ...good, published: 'yesterday' }]), /published/],
        [delivery([{ ...good, target: [] }]), /User/],
      ];
      for (const [body, detail] of cases) {
        const res = await hook(body);
        expect(res.statusCode).toBe(400);
        expect(res.json<{ detail: string }>().detail).toMatch(detail);
      }
      expect(await storedEvents(good.uuid)).toEqual([]);
    });

    it('ignores event types it does not follow, and answers 404 for an unknown provider', async () => {
      const ignored = logEvent('user.session.start', '00unobody');
      expect(await hook(delivery([ignored]))).toMatchObject({ statusCode: 204 });
      expect(await storedEvents(ignored.uuid)).toEqual([]);
      const unknown = await hook(
        delivery([logEvent('user.lifecycle.create', '00u1')]),
        HOOK_AUTHORIZATION,
        'no-such-provider',
      );
      expect(unknown.statusCode).toBe(404);
    });

    it('refuses deliveries under a replaced secret, and to a disabled provider, as soon as the change is made', async () => {
      const changed = await addProvider('okta', { webhook_secret: HOOK_AUTHORIZATION });
      const person = await linkedPerson();
      const event = () => delivery([logEvent('user.account.update_profile', person.oktaId)]);
      // Read once, so that the provider is cached on this instance before it changes.
      expect(await hook(event(), HOOK_AUTHORIZATION, changed.slug)).toMatchObject({
        statusCode: 204,
      });
      const replaced = 'Basic bmV3Om5ldy1zZWNyZXQ=';
      const patch = (body: Record<string, unknown>) =>
        send(t, 'PATCH', `/v1/admin/identity-providers/${changed.id}`, admin.token, body);
      expect((await patch({ webhook_secret: replaced })).statusCode).toBe(200);
      await settled(t);
      expect(await hook(event(), HOOK_AUTHORIZATION, changed.slug)).toMatchObject({
        statusCode: 401,
      });
      expect(await hook(event(), replaced, changed.slug)).toMatchObject({ statusCode: 204 });
      expect((await patch({ enabled: false })).statusCode).toBe(200);
      await settled(t);
      expect(await hook(event(), replaced, changed.slug)).toMatchObject({ statusCode: 404 });
    });

    it('records an event about a person not linked here as such, without calling Okta', async () => {
      const before = okta.requests.length;
      const event = logEvent('user.lifecycle.create', '00unotlinked');
      await hook(delivery([event]));
      await settled(t);
      expect(await storedEvents(event.uuid)).toEqual([
        { processed_at: expect.any(Date), outcome: 'not_linked' },
      ]);
      expect(okta.requests.length).toBe(before);
    });

    it('retries the job while Okta is down and applies the change once it is back', async () => {
      const person = await linkedPerson();
      okta.updateProfile(person.oktaId, { displayName: 'After The Outage' });
      okta.fault = { status: 500, errorCode: 'E0000009', errorSummary: 'Internal Server Error' };
      const event = logEvent('user.account.update_profile', person.oktaId);
      expect(await hook(delivery([event]))).toMatchObject({ statusCode: 204 });
      await until('the first attempt failed', async () => {
        const [job] = await db.query<{ state: string }[]>(
          `SELECT state FROM pgboss.job WHERE name = 'federation.provider-event' AND data->>'event_id' = (
             SELECT id::text FROM identity_provider_events WHERE event_id = $1)`,
          [event.uuid],
        );
        return job?.state === 'retry';
      });
      expect((await storedEvents(event.uuid))[0].processed_at).toBeNull();
      okta.fault = null;
      await until(
        'the retry applied it',
        async () => (await storedEvents(event.uuid))[0].processed_at !== null,
      );
      expect((await userOf(person.userId)).name).toBe('After The Outage');
    });
  });

  describe('Asgardeo webhooks', () => {
    let asgardeo: { id: string; slug: string };

    beforeAll(async () => {
      asgardeo = await addProvider('asgardeo', { webhook_secret: ASGARDEO_SECRET });
    });

    function token(type = 'userProfileUpdated', jti = randomUUID()) {
      return {
        iss: 'https://api.asgardeo.io/t/myorg',
        jti,
        iat: Date.now(),
        rci: randomUUID(),
        events: {
          [`https://schemas.identity.wso2.org/events/user/event-type/${type}`]: {
            initiatorType: 'ADMIN',
            user: {
              id: randomUUID(),
              updatedClaims: [{ uri: 'http://wso2.org/claims/givenname', value: 'Kim' }],
              ref: 'https://api.asgardeo.io/t/myorg/scim2/Users/x',
            },
            tenant: { id: '12402', name: 'myorg' },
            action: 'UPDATE',
          },
        },
      };
    }

    function deliver(raw: string, signature: string | null, header = 'x-hub-signature') {
      return t.inject({
        method: 'POST',
        url: `/v1/webhooks/asgardeo/${asgardeo.slug}`,
        headers: {
          'content-type': 'application/json',
          ...(signature === null ? {} : { [header]: signature }),
        },
        payload: raw,
      });
    }

    const sign = (raw: string) =>
      `sha256=${createHmac('sha256', ASGARDEO_SECRET).update(raw).digest('hex')}`;

    it('answers the WebSub subscription challenge as plain text', async () => {
      const challenge = randomUUID();
      const res = await t.inject({
        method: 'GET',
        url: `/v1/webhooks/asgardeo/${asgardeo.slug}?hub.mode=subscribe&hub.topic=myorg.x.schema.wso2.v1.event.user&hub.challenge=${challenge}&hub.lease_seconds=864000`,
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.body).toBe(challenge);
      const bad = await t.inject({
        method: 'GET',
        url: `/v1/webhooks/asgardeo/${asgardeo.slug}?hub.mode=publish&hub.challenge=x`,
      });
      expect(bad.statusCode).toBe(422);
    });

    it('stores an event signed over the exact raw body, once, under either signature header', async () => {
      const body = token();
      const raw = `{ "iss":${JSON.stringify(body.iss)},  "jti":${JSON.stringify(body.jti)}, "iat":${body.iat}, "events":${JSON.stringify(body.events)} }`;
      expect(await deliver(raw, sign(raw))).toMatchObject({ statusCode: 204 });
      expect(await deliver(raw, sign(raw), 'x-wso2-event-signature')).toMatchObject({
        statusCode: 204,
      });
      await settled(t);
      expect(await storedEvents(`${body.jti}:userProfileUpdated`)).toEqual([
        { processed_at: expect.any(Date), outcome: 'not_linked' },
      ]);
    });

    it('refuses a bad, missing or re-serialized-body signature with 401 and stores nothing', async () => {
      const body = token();
      const raw = JSON.stringify(body, null, 2);
      for (const signature of [
        null,
        'sha256=00',
        sign(JSON.stringify(body)),
        sign(raw).replace('sha256=', 'sha1='),
      ]) {
        const res = await deliver(raw, signature);
        expect(res.statusCode).toBe(401);
      }
      expect(await storedEvents(`${body.jti}:userProfileUpdated`)).toEqual([]);
    });

    it('refuses a malformed token with 400 and ignores unknown event URIs', async () => {
      const noJti = JSON.stringify({ iat: Date.now(), events: {} });
      expect((await deliver(noJti, sign(noJti))).statusCode).toBe(400);
      const secondsIat = JSON.stringify({ ...token(), iat: 'now' });
      expect((await deliver(secondsIat, sign(secondsIat))).statusCode).toBe(400);
      const login = token('loginSuccess');
      const raw = JSON.stringify({
        ...login,
        events: { 'https://schemas.identity.wso2.org/events/login/event-type/loginSuccess': {} },
      });
      expect((await deliver(raw, sign(raw))).statusCode).toBe(204);
      expect(await storedEvents(`${login.jti}:loginSuccess`)).toEqual([]);
    });
  });

  describe('the admin users list by identity provider', () => {
    it('lists the users linked to a provider by its slug or id, page by page', async () => {
      const other = await addProvider('okta', {});
      const linked = [await linkedPerson(other.slug), await linkedPerson(other.slug)];
      await linkedPerson();
      const expected = linked.map((person) => person.userId).sort();
      for (const key of [other.slug, other.id]) {
        const ids: string[] = [];
        let cursor: string | null = null;
        do {
          const url: string = `/v1/admin/users?identity_provider=${key}&limit=1${cursor ? `&cursor=${cursor}` : ''}`;
          const res = await send(t, 'GET', url, admin.token);
          expect(res.statusCode).toBe(200);
          const page = res.json<{ items: { id: string }[]; next_cursor: string | null }>();
          ids.push(...page.items.map((item) => item.id));
          cursor = page.next_cursor;
        } while (cursor);
        expect(ids.sort()).toEqual(expected);
      }
      const none = await send(
        t,
        'GET',
        '/v1/admin/users?identity_provider=no-such-provider',
        admin.token,
      );
      expect(none.json()).toEqual({ items: [], next_cursor: null });
      const bad = await send(
        t,
        'GET',
        '/v1/admin/users?identity_provider=Not%20A%20Slug',
        admin.token,
      );
      expect(bad.statusCode).toBe(422);
      expect(JSON.stringify(bad.json())).toContain('identity_provider');
    });

    it('refuses a cursor of the unfiltered search for the filtered one', async () => {
      const first = await send(t, 'GET', '/v1/admin/users?limit=1', admin.token);
      const cursor = first.json<{ next_cursor: string }>().next_cursor;
      const res = await send(
        t,
        'GET',
        `/v1/admin/users?limit=1&identity_provider=${provider.slug}&cursor=${cursor}`,
        admin.token,
      );
      expect(res.statusCode).toBe(422);
    });
  });

  describe('admin syncs', () => {
    it('syncs every linked user page by page through Okta’s rate limits, audited, resumable by its saved page', async () => {
      const people = [await linkedPerson(), await linkedPerson(), await linkedPerson()];
      people.forEach((person, i) =>
        okta.updateProfile(person.oktaId, { displayName: `Synced Person ${i}` }),
      );
      okta.maxLimit = 2;
      okta.rateLimit = { limit: 2, windowSeconds: 1 };
      const before = okta.count('GET /api/v1/users?');
      const res = await send(
        t,
        'POST',
        `/v1/admin/identity-providers/${provider.id}/sync`,
        admin.token,
      );
      expect(res.statusCode).toBe(202);
      const run = res.json<{ id: string; status: string }>();
      expect(run.status).toBe('running');
      expect(res.headers.location).toBe(
        `/v1/admin/identity-providers/${provider.id}/syncs/${run.id}`,
      );
      const again = await send(
        t,
        'POST',
        `/v1/admin/identity-providers/${provider.id}/sync`,
        admin.token,
      );
      expect(again.json<{ id: string }>().id).toBe(run.id);
      let finished:
        | { status: string; pages_read: number; users_seen: number; users_updated: number }
        | undefined;
      await until(
        'the sync completed',
        async () => {
          const got = await send(t, 'GET', String(res.headers.location), admin.token);
          finished = got.json();
          return finished!.status !== 'running';
        },
        120_000,
      );
      expect(finished).toMatchObject({ status: 'completed' });
      expect(finished!.users_seen).toBeGreaterThanOrEqual(3);
      expect(finished!.users_updated).toBeGreaterThanOrEqual(3);
      expect(finished!.pages_read).toBeGreaterThanOrEqual(2);
      for (const [i, person] of people.entries()) {
        expect((await userOf(person.userId)).name).toBe(`Synced Person ${i}`);
      }
      // Pages followed Okta's next links; 429s (the peer's limit of 2 a second) were waited out.
      expect(okta.count('GET /api/v1/users?') - before).toBeGreaterThanOrEqual(
        finished!.pages_read,
      );
      await settled(t);
      const audit = await send(
        t,
        'GET',
        `/v1/admin/audit-events?action=identity_provider.sync`,
        admin.token,
      );
      expect(audit.statusCode).toBe(200);
      expect(JSON.stringify(audit.json())).toContain(run.id);
    });

    it('applies each page at once: an event per changed account, none for the unchanged, never an older state, resuming after the page last applied', async () => {
      const own = await addProvider('okta', {
        management_api_kind: 'okta',
        management_api_url: okta.baseUrl,
        management_api_token: okta.apiToken,
      });
      const [changed, alsoChanged, unchanged, newerHere] = [
        await linkedPerson(own.slug),
        await linkedPerson(own.slug),
        await linkedPerson(own.slug),
        await linkedPerson(own.slug),
      ];
      okta.updateProfile(changed.oktaId, { displayName: 'Batch Changed' });
      okta.updateProfile(alsoChanged.oktaId, { displayName: 'Batch Also Changed' });
      okta.updateProfile(newerHere.oktaId, { displayName: 'Older Than Applied' });
      // A newer state of this person was applied already (a webhook processed first).
      const newer = new Date(Date.now() + 60_000);
      await db.query(
        'UPDATE linked_identities SET remote_updated_at = $2 WHERE provider_id = $1 AND subject = $3',
        [own.id, newer, newerHere.oktaId],
      );
      const people = [changed, alsoChanged, unchanged, newerHere];
      const updatedEvents = async (userId: string) => {
        const [row] = await db.query<{ n: string }[]>(
          "SELECT count(*) AS n FROM outbox WHERE type = 'user.updated' AND user_id = $1",
          [userId],
        );
        return Number(row.n);
      };
      const eventsBefore = await Promise.all(people.map((person) => updatedEvents(person.userId)));
      const [{ id: runId }] = await db.query<{ id: string }[]>(
        `INSERT INTO identity_provider_sync_runs (provider_id, status) VALUES ($1, 'running')
         RETURNING id`,
        [own.id],
      );
      const syncs = t.app.get(ProviderSyncs);
      okta.maxLimit = 2;
      const firstPage = okta.requests.length;
      // The first page is read and applied; the second fails as the process would die there.
      okta.failAfter(1, {
        status: 503,
        errorCode: 'E0000009',
        errorSummary: 'Internal Server Error',
      });

      await expect(syncs.run(runId)).rejects.toThrow('management API answered 503');
      const [halfway] = await db.query<
        { pages_read: number; users_seen: number; cursor: string }[]
      >('SELECT pages_read, users_seen, cursor FROM identity_provider_sync_runs WHERE id = $1', [
        runId,
      ]);
      expect(halfway).toMatchObject({ pages_read: 1, users_seen: 2 });
      const firstUrl = okta.requests[firstPage];
      okta.fault = null;

      await syncs.run(runId);

      const [done] = await db.query<
        { status: string; pages_read: number; users_seen: number; users_updated: number }[]
      >(
        'SELECT status, pages_read, users_seen, users_updated FROM identity_provider_sync_runs WHERE id = $1',
        [runId],
      );
      expect(done).toMatchObject({
        status: 'completed',
        users_seen: okta.userCount,
        pages_read: Math.ceil(okta.userCount / 2),
        users_updated: 2,
      });
      // Resumed at the saved page: the first was never read again.
      expect(okta.requests.slice(firstPage).filter((line) => line === firstUrl)).toHaveLength(1);
      expect((await userOf(changed.userId)).name).toBe('Batch Changed');
      expect((await userOf(alsoChanged.userId)).name).toBe('Batch Also Changed');
      expect((await userOf(unchanged.userId)).name).toBe('First Person');
      expect((await userOf(newerHere.userId)).name).toBe('First Person');
      const eventsAfter = await Promise.all(people.map((person) => updatedEvents(person.userId)));
      expect(eventsAfter.map((count, i) => count - eventsBefore[i])).toEqual([1, 1, 0, 0]);
      const [kept] = await db.query<{ remote_updated_at: Date }[]>(
        'SELECT remote_updated_at FROM linked_identities WHERE provider_id = $1 AND subject = $2',
        [own.id, newerHere.oktaId],
      );
      expect(kept.remote_updated_at).toEqual(newer);
    });

    it('syncs one user now, and answers 404, 409 and 502 for an unknown user, no identity and Okta down', async () => {
      const person = await linkedPerson();
      okta.updateProfile(person.oktaId, { displayName: 'One User Synced' });
      const res = await send(t, 'POST', `/v1/admin/users/${person.userId}/sync`, admin.token);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        items: [expect.objectContaining({ provider_id: provider.id, outcome: 'updated' })],
      });
      expect((await userOf(person.userId)).name).toBe('One User Synced');
      const unchanged = await send(t, 'POST', `/v1/admin/users/${person.userId}/sync`, admin.token);
      expect(unchanged.json<{ items: { outcome: string }[] }>().items[0].outcome).toBe('unchanged');
      expect(
        (await send(t, 'POST', `/v1/admin/users/${randomUUID()}/sync`, admin.token)).statusCode,
      ).toBe(404);
      expect(
        (await send(t, 'POST', `/v1/admin/users/not-a-uuid/sync`, admin.token)).statusCode,
      ).toBe(422);
      const local = await signedInUser(t);
      const none = await send(t, 'POST', `/v1/admin/users/${local.id}/sync`, admin.token);
      expect(none.statusCode).toBe(409);
      expect(none.json()).toMatchObject({ code: 'sync_not_configured' });
      okta.fault = { status: 503, errorCode: 'E0000009', errorSummary: 'Internal Server Error' };
      const down = await send(t, 'POST', `/v1/admin/users/${person.userId}/sync`, admin.token);
      expect(down.statusCode).toBe(502);
      expect(down.json()).toMatchObject({ code: 'identity_provider_unavailable' });
      expect(down.body).not.toContain(okta.baseUrl);
    });

    it('refuses syncs without the permission or a management API', async () => {
      const person = await linkedPerson();
      const someone = await signedInUser(t);
      expect(
        (await send(t, 'POST', `/v1/admin/users/${person.userId}/sync`, someone.token)).statusCode,
      ).toBe(403);
      expect(
        (await send(t, 'POST', `/v1/admin/identity-providers/${provider.id}/sync`, someone.token))
          .statusCode,
      ).toBe(403);
      expect(
        (
          await t.inject({
            method: 'POST',
            url: `/v1/admin/identity-providers/${provider.id}/sync`,
          })
        ).statusCode,
      ).toBe(401);
      const bare = await addProvider('okta', {});
      const res = await send(
        t,
        'POST',
        `/v1/admin/identity-providers/${bare.id}/sync`,
        admin.token,
      );
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'sync_not_configured' });
      expect(
        (await send(t, 'POST', `/v1/admin/identity-providers/${randomUUID()}/sync`, admin.token))
          .statusCode,
      ).toBe(404);
    });
  });
});
