import { Client, DefaultRequestExecutor, OktaApiError } from '@okta/okta-sdk-nodejs';
import { OktaPeer } from './peers/okta-peer';

/**
 * The Okta management API peer, driven by Okta's own SDK: what the SDK does with it (follow
 * `Link` headers, wait out a 429 until `X-Rate-Limit-Reset`, raise OktaApiError) is what the
 * real API makes it do, so the peer is held to the contract other tests rely on.
 */
describe('Okta management API peer, through @okta/okta-sdk-nodejs', () => {
  let peer: OktaPeer;

  function client(token = peer.apiToken): Client {
    return new Client({
      orgUrl: peer.baseUrl,
      token,
      cacheMiddleware: null,
      requestExecutor: new DefaultRequestExecutor({ maxRetries: 2, requestTimeout: 10_000 }),
    });
  }

  async function all<T>(collection: AsyncIterable<T | null>): Promise<T[]> {
    const items: T[] = [];
    for await (const item of collection) if (item) items.push(item);
    return items;
  }

  beforeAll(async () => {
    peer = await new OktaPeer().start();
  });

  afterAll(() => peer.stop());

  beforeEach(() => {
    peer.rateLimit = null;
    peer.fault = null;
    peer.latencyMs = 0;
  });

  it('reads a user by id and by login, with their groups and app links', async () => {
    const id = peer.addUser(
      { login: 'ada@corp.test', email: 'ada@corp.test', firstName: 'Ada', lastName: 'Lovelace' },
      {
        groups: [
          { id: '00g1', type: 'OKTA_GROUP', profile: { name: 'Engineering', description: null } },
        ],
        appLinks: [
          { id: '00al1', label: 'Gatehouse', linkUrl: 'https://x.test/home', appName: 'gatehouse' },
        ],
      },
    );
    const okta = client();
    const byId = await okta.userApi.getUser({ userId: id });
    expect(byId).toMatchObject({ id, status: 'ACTIVE', profile: { firstName: 'Ada' } });
    const byLogin = await okta.userApi.getUser({ userId: 'ada@corp.test' });
    expect(byLogin.id).toBe(id);
    const groups = await all(await okta.userApi.listUserGroups({ userId: id }));
    expect(groups.map((group) => group.profile?.name)).toEqual(['Engineering']);
    const links = await all(await okta.userApi.listAppLinks({ userId: id }));
    expect(links).toEqual([expect.objectContaining({ label: 'Gatehouse', appName: 'gatehouse' })]);
  });

  it('pages a list by limit and the absolute next link until there is none', async () => {
    const domain = `page${Date.now()}.test`;
    for (let i = 0; i < 7; i++) {
      peer.addUser({ login: `u${i}@${domain}`, email: `u${i}@${domain}` });
    }
    const before = peer.count('GET /api/v1/users?');
    const users = await all(
      await client().userApi.listUsers({ search: `profile.email sw "u"`, limit: 3 }),
    );
    const ours = users.filter((user) => user.profile?.email?.endsWith(domain));
    expect(ours).toHaveLength(7);
    expect(peer.count('GET /api/v1/users?') - before).toBeGreaterThanOrEqual(3);
  });

  it('searches case-insensitively, filters case-sensitively, and keeps DEPROVISIONED users to searches', async () => {
    const okta = client();
    const gone = peer.addUser(
      { login: 'gone@search.test', email: 'Gone@Search.test' },
      { status: 'DEPROVISIONED' },
    );
    const searched = await all(
      await okta.userApi.listUsers({ search: 'profile.email eq "gone@search.test"' }),
    );
    expect(searched.map((user) => user.id)).toEqual([gone]);
    const filtered = await all(
      await okta.userApi.listUsers({ filter: 'profile.email eq "gone@search.test"' }),
    );
    expect(filtered).toEqual([]);
    const listed = await all(await okta.userApi.listUsers({}));
    expect(listed.map((user) => user.id)).not.toContain(gone);
  });

  it('refuses a bad token, a bad search and an unknown user with Okta error codes', async () => {
    const refuse = async (promise: Promise<unknown>) => {
      const error = (await promise.then(
        () => null,
        (e: unknown) => e,
      )) as OktaApiError;
      expect(error).toBeInstanceOf(OktaApiError);
      return { status: error.status, code: error.errorCode };
    };
    expect(await refuse(client('00wrong').userApi.getUser({ userId: 'me' }))).toEqual({
      status: 401,
      code: 'E0000011',
    });
    expect(await refuse(client().userApi.getUser({ userId: '00unknown' }))).toEqual({
      status: 404,
      code: 'E0000007',
    });
    expect(
      await refuse(all(await client().userApi.listUsers({ filter: 'profile.title co "x"' }))),
    ).toEqual({ status: 400, code: 'E0000031' });
  });

  it('sends the rate-limit headers and a 429 once spent, which the SDK waits out until Reset', async () => {
    const id = peer.addUser({ login: 'limited@corp.test', email: 'limited@corp.test' });
    peer.rateLimit = { limit: 2, windowSeconds: 1 };
    const res = await fetch(`${peer.baseUrl}/api/v1/users/${id}`, {
      headers: { authorization: `SSWS ${peer.apiToken}` },
    });
    expect(Number(res.headers.get('x-rate-limit-limit'))).toBe(2);
    expect(Number(res.headers.get('x-rate-limit-remaining'))).toBe(1);
    expect(Number(res.headers.get('x-rate-limit-reset'))).toBeGreaterThan(Date.now() / 1000 - 1);
    expect(res.headers.get('x-okta-request-id')).toBeTruthy();
    const okta = client();
    await okta.userApi.getUser({ userId: id });
    const before = peer.count(`GET /api/v1/users/${id}`);
    const third = await okta.userApi.getUser({ userId: id });
    expect(third.id).toBe(id);
    // The 429 and the retry after the reset.
    expect(peer.count(`GET /api/v1/users/${id}`) - before).toBe(2);
  });
});
