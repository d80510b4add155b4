import { DataSource } from 'typeorm';
import { get, login, post } from './support/accounts';
import type { Response } from './support/assertions';
import { signedInAdmin, signedInUser } from './support/access';
import {
  ENTERPRISE,
  expectScimError,
  oktaUser,
  PATCH_OP,
  SCIM_JSON,
  ScimClient,
  scimClient,
  scimRequester,
  uniqueUserName,
  USER_SCHEMA,
} from './support/scim';
import { startTestApp, TestApp } from './support/test-app';
import { SessionService } from '../src/modules/auth/session.service';
import { UsersService } from '../src/modules/users/users.service';
import { AccountErasure } from '../src/modules/privacy/account-erasure.service';
import { PersonalDataSources } from '../src/modules/privacy/personal-data-sources';
import { TEST_ACTOR } from './support/clients';

type Resource = Record<string, unknown> & { id: string; meta: { version: string } };

const filterUrl = (filter: string, extra = '') =>
  `/scim/v2/Users?filter=${encodeURIComponent(filter)}${extra}`;

describe('SCIM /scim/v2/Users', () => {
  let t: TestApp;
  let db: DataSource;
  let okta: ScimClient;

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(DataSource);
    okta = await scimClient(t);
  });
  afterAll(() => t.close());

  async function created(client: ScimClient, body: Record<string, unknown>): Promise<Resource> {
    const res = await client.request('POST', '/scim/v2/Users', body);
    expect({ status: res.statusCode, body: res.body }).toMatchObject({ status: 201 });
    return res.json<Resource>();
  }

  const account = (id: string) => t.app.get(UsersService).findById(id);

  describe("Okta's provisioning sequence", () => {
    it('looks up, creates, reads, updates and deactivates a user', async () => {
      const userName = uniqueUserName('okta');
      const lookup = await okta.request(
        'GET',
        filterUrl(`userName eq "${userName}"`, '&startIndex=1&count=100'),
      );
      expect(lookup.statusCode).toBe(200);
      expect(lookup.headers['content-type']).toMatch(SCIM_JSON);
      expect(lookup.json()).toEqual({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
        totalResults: 0,
        startIndex: 1,
        itemsPerPage: 0,
        Resources: [],
      });

      const body = oktaUser(userName);
      const res = await okta.request('POST', '/scim/v2/Users', body);
      expect(res.statusCode).toBe(201);
      const user = res.json<Resource>();
      expect(res.headers.location).toBe(`${t.config.http.publicUrl}/scim/v2/Users/${user.id}`);
      expect(res.headers.etag).toBe('W/"1"');
      expect(user).toMatchObject({
        schemas: [USER_SCHEMA],
        userName,
        externalId: body.externalId,
        name: body.name,
        emails: body.emails,
        displayName: body.displayName,
        active: true,
        meta: { resourceType: 'User', version: 'W/"1"', location: res.headers.location },
      });
      expect(user).not.toHaveProperty('password');
      // The account exists, active, its address proven: the password Okta set works.
      expect(await account(user.id)).toMatchObject({
        email: userName,
        name: body.displayName,
        status: 'active',
      });
      expect(await login(t, userName, body.password)).toHaveProperty('access_token');

      const read = await okta.request('GET', `/scim/v2/Users/${user.id}`);
      expect(read.statusCode).toBe(200);
      expect(read.json()).toEqual(user);

      const found = await okta.request('GET', filterUrl(`userName eq "${userName.toUpperCase()}"`));
      expect(found.json()).toMatchObject({ totalResults: 1, Resources: [{ id: user.id }] });

      const renamed = {
        ...body,
        name: { givenName: 'Changed', familyName: 'Name' },
        displayName: 'Changed Name',
      };
      const put = await okta.request('PUT', `/scim/v2/Users/${user.id}`, renamed);
      expect(put.statusCode).toBe(200);
      expect(put.json()).toMatchObject({ displayName: 'Changed Name', meta: { version: 'W/"2"' } });
      expect(await account(user.id)).toMatchObject({ name: 'Changed Name' });

      const deactivated = await okta.request('PATCH', `/scim/v2/Users/${user.id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', value: { active: false } }],
      });
      expect(deactivated.statusCode).toBe(200);
      expect(deactivated.json()).toMatchObject({ active: false });
      expect(await account(user.id)).toMatchObject({ status: 'deactivated' });

      const reactivated = await okta.request('PATCH', `/scim/v2/Users/${user.id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', value: { active: true } }],
      });
      expect(reactivated.json()).toMatchObject({ active: true });
      expect(await account(user.id)).toMatchObject({ status: 'active' });
    });

    it('ends every session of a deprovisioned account', async () => {
      const userName = uniqueUserName('sessions');
      const body = oktaUser(userName);
      const user = await created(okta, body);
      const tokens = await login(t, userName, body.password);
      expect((await get(t, '/v1/users/me', tokens.access_token)).statusCode).toBe(200);

      await okta.request('PATCH', `/scim/v2/Users/${user.id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', path: 'active', value: false }],
      });
      expect(await t.app.get(SessionService).listLive(user.id)).toEqual([]);
      const refresh = await post(t, '/v1/auth/refresh', { refresh_token: tokens.refresh_token });
      expect(refresh.statusCode).toBe(401);
    });
  });

  describe("Entra ID's provisioning sequence", () => {
    it('creates with the enterprise extension, patches the way Entra ID does, and deletes', async () => {
      const entra = await scimClient(t);
      const userName = `Test_User_${uniqueUserName('entra')}`;
      const lookup = await entra.request('GET', filterUrl(`userName eq "${userName}"`));
      expect(lookup.json()).toMatchObject({ totalResults: 0 });

      const manager = await created(entra, oktaUser(uniqueUserName('manager')));
      const user = await created(entra, {
        schemas: [USER_SCHEMA, ENTERPRISE],
        externalId: 'e7c0b7e8-0c7f-4b8e-9a3e-1f2e3d4c5b6a',
        userName,
        active: true,
        emails: [{ primary: true, type: 'work', value: `work.${userName}` }],
        meta: { resourceType: 'User' },
        name: {
          formatted: 'givenName familyName',
          familyName: 'familyName',
          givenName: 'givenName',
        },
        roles: [],
        [ENTERPRISE]: {
          employeeNumber: '701984',
          department: 'Tour Operations',
          costCenter: '4130',
        },
      });
      expect(user.schemas).toEqual([USER_SCHEMA, ENTERPRISE]);
      expect(user[ENTERPRISE]).toEqual({
        employeeNumber: '701984',
        department: 'Tour Operations',
        costCenter: '4130',
      });
      expect(await account(user.id)).toMatchObject({
        email: `work.${userName}`.toLowerCase(),
        name: 'givenName familyName',
      });

      const patched = await entra.request('PATCH', `/scim/v2/Users/${user.id}`, {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'Replace', path: 'emails[type eq "work"].value', value: `new.${userName}` },
          { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
          { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555 0100' },
          { op: 'Add', path: `${ENTERPRISE}:manager`, value: manager.id },
          { op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Finance' },
          { op: 'Remove', path: `${ENTERPRISE}:costCenter` },
        ],
      });
      expect({ status: patched.statusCode, body: patched.body }).toMatchObject({ status: 200 });
      expect(patched.json()).toMatchObject({
        emails: [{ primary: true, type: 'work', value: `new.${userName}` }],
        name: { familyName: 'updatedFamilyName', givenName: 'givenName' },
        phoneNumbers: [{ type: 'mobile', value: '+1 555 0100' }],
        [ENTERPRISE]: {
          employeeNumber: '701984',
          department: 'Finance',
          manager: { value: manager.id },
        },
      });
      expect(patched.json<Resource>()[ENTERPRISE]).not.toHaveProperty('costCenter');
      expect(await account(user.id)).toMatchObject({ email: `new.${userName}`.toLowerCase() });

      const byManager = await entra.request(
        'GET',
        filterUrl(
          `${ENTERPRISE}:manager.value eq "${manager.id}" and ${ENTERPRISE}:department eq "finance"`,
        ),
      );
      expect(byManager.json()).toMatchObject({ totalResults: 1, Resources: [{ id: user.id }] });

      // Entra ID sends booleans as strings.
      const disabled = await entra.request('PATCH', `/scim/v2/Users/${user.id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
      });
      expect(disabled.json()).toMatchObject({ active: false });

      const deleted = await entra.request('DELETE', `/scim/v2/Users/${user.id}`);
      expect(deleted.statusCode).toBe(204);
      expectScimError(await entra.request('GET', `/scim/v2/Users/${user.id}`), 404);
      // The account stays, deprovisioned, for the administrators and the audit trail.
      expect(await account(user.id)).toMatchObject({ status: 'deactivated' });
    });
  });

  describe('lists', () => {
    let client: ScimClient;
    let users: Resource[];

    beforeAll(async () => {
      client = await scimClient(t);
      users = [];
      for (const [i, title] of [
        'Engineer',
        'engineer',
        'Manager',
        'Designer',
        'Engineer',
      ].entries()) {
        users.push(
          await created(client, {
            ...oktaUser(uniqueUserName(`list${i}`)),
            title,
            emails: [
              { value: `home${i}@example.org`, type: 'home' },
              { value: `work${i}@example.com`, type: 'work', primary: i % 2 === 0 },
            ],
          }),
        );
      }
    });

    const ids = (res: Response) => {
      expect({ status: res.statusCode, body: res.body }).toMatchObject({ status: 200 });
      return res.json<{ Resources: Resource[] }>().Resources.map((r) => r.id);
    };

    it('pages with startIndex and count, in creation order', async () => {
      const page = await client.request('GET', '/scim/v2/Users?startIndex=2&count=2');
      expect(page.json()).toMatchObject({ totalResults: 5, startIndex: 2, itemsPerPage: 2 });
      expect(ids(page)).toEqual([users[1].id, users[2].id]);
      const counted = await client.request('GET', '/scim/v2/Users?count=0');
      expect(counted.json()).toMatchObject({ totalResults: 5, itemsPerPage: 0, Resources: [] });
      const clamped = await client.request('GET', '/scim/v2/Users?startIndex=-4&count=-1');
      expect(clamped.json()).toMatchObject({ startIndex: 1, itemsPerPage: 0 });
    });

    it('filters with case rules per attribute, value paths, not and grouping', async () => {
      const titled = await client.request('GET', filterUrl('title eq "ENGINEER"'));
      expect(ids(titled).sort()).toEqual([users[0].id, users[1].id, users[4].id].sort());
      const exactId = await client.request(
        'GET',
        filterUrl(`id eq "${users[2].id.toUpperCase()}"`),
      );
      expect(ids(exactId)).toEqual([]);
      const work = await client.request(
        'GET',
        filterUrl('emails[type eq "work" and primary eq true]'),
      );
      expect(ids(work)).toEqual([users[0].id, users[2].id, users[4].id]);
      const grouped = await client.request(
        'GET',
        filterUrl(
          'not (title eq "engineer") and (emails.value sw "HOME3" or emails.value ew "2@example.com")',
        ),
      );
      expect(ids(grouped)).toEqual([users[2].id, users[3].id]);
      const present = await client.request(
        'GET',
        filterUrl('title pr and meta.created le "2999-01-01T00:00:00Z"'),
      );
      expect(present.json()).toMatchObject({ totalResults: 5 });
    });

    it('sorts, and cuts resources to the attributes asked for', async () => {
      const sorted = await client.request(
        'GET',
        '/scim/v2/Users?sortBy=title&sortOrder=descending&attributes=title',
      );
      const resources = sorted.json<{ Resources: Record<string, unknown>[] }>().Resources;
      expect(resources.map((r) => (r.title as string).toLowerCase())).toEqual([
        'manager',
        'engineer',
        'engineer',
        'engineer',
        'designer',
      ]);
      expect(Object.keys(resources[0]).sort()).toEqual(['id', 'schemas', 'title']);
      const excluded = await client.request(
        'GET',
        `/scim/v2/Users/${users[0].id}?excludedAttributes=emails,name.givenName`,
      );
      expect(excluded.json()).not.toHaveProperty('emails');
      expect(excluded.json<Resource>().name).toEqual({
        familyName: (users[0].name as { familyName: string }).familyName,
      });
      const subs = await client.request(
        'GET',
        `/scim/v2/Users/${users[0].id}?attributes=emails.value`,
      );
      expect(subs.json()).toEqual({
        schemas: [USER_SCHEMA],
        id: users[0].id,
        emails: [{ value: 'home0@example.org' }, { value: 'work0@example.com' }],
      });
    });

    it('searches with POST /.search', async () => {
      const res = await client.request('POST', '/scim/v2/Users/.search', {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
        filter: 'title eq "designer"',
        attributes: ['userName'],
        startIndex: 1,
        count: 10,
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
        totalResults: 1,
        startIndex: 1,
        itemsPerPage: 1,
        Resources: [{ schemas: [USER_SCHEMA], id: users[3].id, userName: users[3].userName }],
      });
    });

    it('refuses bad filters, sorts and attribute names with 400s naming them', async () => {
      for (const filter of [
        'userName eq',
        'userName xx "a"',
        '(userName eq "a"',
        'nope eq "a"',
        'active gt true',
        'emails[type eq "a"',
        'name eq "a"',
        'meta.version eq "x"',
        'password eq "x"',
        'userName eq 12',
      ]) {
        const res = await client.request('GET', filterUrl(filter));
        expectScimError(res, 400, 'invalidFilter');
      }
      expectScimError(
        await client.request('GET', '/scim/v2/Users?sortBy=emails'),
        400,
        'invalidValue',
      );
      expectScimError(
        await client.request('GET', '/scim/v2/Users?attributes=nope'),
        400,
        'invalidValue',
      );
      expectScimError(
        await client.request('GET', '/scim/v2/Users?count=many'),
        400,
        'invalidValue',
      );
      expectScimError(
        await client.request('GET', '/scim/v2/Users?sortOrder=up'),
        400,
        'invalidValue',
      );
      expectScimError(
        await client.request('GET', '/scim/v2/Users?startIndex=1&startIndex=2'),
        400,
        'invalidValue',
      );
      expectScimError(await client.request('GET', '/scim/v2/Users?page=2'), 400, 'invalidValue');
      expectScimError(
        await client.request('POST', '/scim/v2/Users/.search', { filter: 'userName pr' }),
        400,
        'invalidSyntax',
      );
    });
  });

  describe('ETags', () => {
    it('answers 304 to an unchanged version and 412 to a stale If-Match', async () => {
      const user = await created(okta, oktaUser(uniqueUserName('etag')));
      const unchanged = await okta.request('GET', `/scim/v2/Users/${user.id}`, undefined, {
        'if-none-match': 'W/"1"',
      });
      expect(unchanged.statusCode).toBe(304);
      const patch = {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', path: 'title', value: 'Pilot' }],
      };
      const first = await okta.request('PATCH', `/scim/v2/Users/${user.id}`, patch, {
        'if-match': 'W/"1"',
      });
      expect(first.headers.etag).toBe('W/"2"');
      const stale = await okta.request('PATCH', `/scim/v2/Users/${user.id}`, patch, {
        'if-match': 'W/"1"',
      });
      expectScimError(stale, 412);
      expectScimError(
        await okta.request('PUT', `/scim/v2/Users/${user.id}`, oktaUser(user.userName as string), {
          'if-match': 'W/"1"',
        }),
        412,
      );
      expectScimError(
        await okta.request('DELETE', `/scim/v2/Users/${user.id}`, undefined, {
          'if-match': 'W/"1"',
        }),
        412,
      );
      expect((await okta.request('GET', `/scim/v2/Users/${user.id}`)).json()).toMatchObject({
        title: 'Pilot',
        meta: { version: 'W/"2"' },
      });
      expect(
        (await okta.request('DELETE', `/scim/v2/Users/${user.id}`, undefined, { 'if-match': '*' }))
          .statusCode,
      ).toBe(204);
    });

    it('moves to a new version when an administrator suspends the account', async () => {
      const user = await created(okta, oktaUser(uniqueUserName('admin')));
      const admin = await signedInAdmin(t);
      const suspend = await post(
        t,
        `/v1/admin/users/${user.id}/suspend`,
        {},
        { token: admin.token },
      );
      expect(suspend.statusCode).toBe(200);
      expect((await okta.request('GET', `/scim/v2/Users/${user.id}`)).json()).toMatchObject({
        active: false,
        meta: { version: 'W/"2"' },
      });
    });
  });

  describe('clients and their resources', () => {
    it("hides another client's users, and shows them to a client allowed every one", async () => {
      const other = await scimClient(t);
      const all = await scimClient(t, ['scim:provision', 'scim:provision_all']);
      const user = await created(okta, oktaUser(uniqueUserName('mine')));
      const url = `/scim/v2/Users/${user.id}`;
      expectScimError(await other.request('GET', url), 404);
      expectScimError(await other.request('PUT', url, oktaUser(user.userName as string)), 404);
      expectScimError(
        await other.request('PATCH', url, {
          schemas: [PATCH_OP],
          Operations: [{ op: 'replace', path: 'title', value: 'x' }],
        }),
        404,
      );
      expectScimError(await other.request('DELETE', url), 404);
      expect(
        (await other.request('GET', filterUrl(`userName eq "${user.userName as string}"`))).json(),
      ).toMatchObject({ totalResults: 0 });
      expect((await all.request('GET', url)).statusCode).toBe(200);
      expect(
        (await all.request('GET', filterUrl(`userName eq "${user.userName as string}"`))).json(),
      ).toMatchObject({ totalResults: 1 });
      expect(await account(user.id)).toMatchObject({ status: 'active' });
    });

    it('scopes externalId per client', async () => {
      const other = await scimClient(t);
      const externalId = `ext-${uniqueUserName()}`;
      await created(okta, oktaUser(uniqueUserName('ext'), { externalId }));
      await created(other, oktaUser(uniqueUserName('ext'), { externalId }));
      const again = await okta.request(
        'POST',
        '/scim/v2/Users',
        oktaUser(uniqueUserName('ext'), { externalId }),
      );
      expectScimError(again, 409, 'uniqueness');
      const mine = await other.request('GET', filterUrl(`externalId eq "${externalId}"`));
      expect(mine.json()).toMatchObject({ totalResults: 1 });
    });
  });

  describe('personal data', () => {
    it("is a file of the person's data export, and goes with the account when it is erased", async () => {
      const body = oktaUser(uniqueUserName('gdpr'), { title: 'Analyst' });
      const user = await created(okta, body);
      const source = t.app
        .get(PersonalDataSources)
        .all()
        .find((s) => s.file === 'provisioned-profile.json');
      const collected = (await source!.collect(user.id)) as Record<string, unknown>;
      expect(collected).toMatchObject({
        client_id: okta.client.clientId,
        id: user.id,
        userName: body.userName,
        title: 'Analyst',
        emails: body.emails,
      });
      expect(JSON.stringify(collected)).not.toContain(body.password);

      await t.app.get(AccountErasure).eraseByAdministrator(user.id, TEST_ACTOR);
      expect(await source!.collect(user.id)).toBeNull();
      expectScimError(await okta.request('GET', `/scim/v2/Users/${user.id}`), 404);
      const [{ count }] = await db.query<{ count: number }[]>(
        'SELECT count(*)::int AS count FROM scim_users WHERE user_id = $1',
        [user.id],
      );
      expect(count).toBe(0);
    });
  });

  describe('failures', () => {
    it('refuses requests without a token, with a user token, or without the scope', async () => {
      const anonymous = scimRequester(t, null);
      const res = await anonymous('GET', '/scim/v2/Users');
      expectScimError(res, 401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expectScimError(await scimRequester(t, 'not-a-token')('GET', '/scim/v2/Users'), 401);
      const person = await signedInAdmin(t);
      expectScimError(await scimRequester(t, person.token)('GET', '/scim/v2/Users'), 403);
      const unscoped = await scimClient(t, ['authz:check']);
      expectScimError(await unscoped.request('GET', '/scim/v2/Users'), 403);
      expectScimError(
        await unscoped.request('POST', '/scim/v2/Users', oktaUser(uniqueUserName())),
        403,
      );
      const ordinary = await signedInUser(t);
      expectScimError(
        await scimRequester(t, ordinary.token)('GET', '/scim/v2/ServiceProviderConfig'),
        403,
      );
    });

    it('refuses malformed bodies and wrong types, changing nothing', async () => {
      const userName = uniqueUserName('bad');
      const raw = await t.inject({
        method: 'POST',
        url: '/scim/v2/Users',
        payload: '{"userName": ',
        headers: { 'content-type': 'application/scim+json', authorization: `Bearer ${okta.token}` },
      });
      expectScimError(raw, 400, 'invalidSyntax');
      const cases: [Record<string, unknown>, string][] = [
        [{ ...oktaUser(userName), schemas: undefined }, 'invalidSyntax'],
        [{ ...oktaUser(userName), schemas: ['urn:example:nope'] }, 'invalidValue'],
        [{ ...oktaUser(userName), userName: 42 }, 'invalidValue'],
        [{ ...oktaUser(userName), userName: undefined }, 'invalidValue'],
        [{ ...oktaUser(userName), active: 'maybe' }, 'invalidValue'],
        [{ ...oktaUser(userName), emails: { value: userName } }, 'invalidValue'],
        [{ ...oktaUser(userName), nickname2: 'x' }, 'invalidValue'],
        [{ ...oktaUser(userName), name: { givenName: 'a', middle: 'b' } }, 'invalidValue'],
        [{ ...oktaUser('not-an-address'), emails: [] }, 'invalidValue'],
        [{ ...oktaUser(userName), password: 'short' }, 'invalidValue'],
      ];
      for (const [body, scimType] of cases) {
        expectScimError(await okta.request('POST', '/scim/v2/Users', body), 400, scimType);
      }
      const [{ count }] = await db.query<{ count: number }[]>(
        'SELECT count(*)::int AS count FROM users WHERE email = $1',
        [userName],
      );
      expect(count).toBe(0);
    });

    it('refuses bad PATCH requests with the scimType that names the fault', async () => {
      const user = await created(okta, oktaUser(uniqueUserName('patch')));
      const url = `/scim/v2/Users/${user.id}`;
      const patch = (Operations: unknown, schemas = [PATCH_OP]) =>
        okta.request('PATCH', url, { schemas, Operations });
      expectScimError(
        await patch([{ op: 'replace', path: 'title', value: 'x' }], []),
        400,
        'invalidSyntax',
      );
      expectScimError(await patch([]), 400, 'invalidSyntax');
      expectScimError(
        await patch([{ op: 'move', path: 'title', value: 'x' }]),
        400,
        'invalidSyntax',
      );
      expectScimError(await patch([{ op: 'remove' }]), 400, 'noTarget');
      expectScimError(
        await patch([{ op: 'replace', path: 'nope', value: 'x' }]),
        400,
        'invalidPath',
      );
      expectScimError(
        await patch([{ op: 'replace', path: 'emails[type eq', value: 'x' }]),
        400,
        'invalidPath',
      );
      expectScimError(await patch([{ op: 'replace', path: 'id', value: 'x' }]), 400, 'mutability');
      expectScimError(
        await patch([{ op: 'replace', path: 'groups', value: [] }]),
        400,
        'mutability',
      );
      expectScimError(
        await patch([
          {
            op: 'replace',
            path: 'emails[type eq "home" or type eq "other"].value',
            value: 'x@example.com',
          },
        ]),
        400,
        'noTarget',
      );
      expectScimError(await patch([{ op: 'remove', path: 'userName' }]), 400, 'invalidValue');
      expectScimError(
        await patch([{ op: 'replace', path: 'title', value: 7 }]),
        400,
        'invalidValue',
      );
      expect((await okta.request('GET', url)).json()).toMatchObject({ meta: { version: 'W/"1"' } });
    });

    it('lets one of two concurrent creates of a userName through and answers the other 409', async () => {
      const userName = uniqueUserName('race');
      const other = await scimClient(t);
      const [a, b] = await Promise.all([
        okta.request('POST', '/scim/v2/Users', oktaUser(userName)),
        other.request('POST', '/scim/v2/Users', oktaUser(userName)),
      ]);
      expect([a.statusCode, b.statusCode].sort()).toEqual([201, 409]);
      expectScimError(a.statusCode === 409 ? a : b, 409, 'uniqueness');
      const sameNameOtherAddress = await okta.request('POST', '/scim/v2/Users', {
        ...oktaUser(userName.toUpperCase()),
        emails: [{ value: uniqueUserName('elsewhere'), primary: true }],
      });
      expectScimError(sameNameOtherAddress, 409, 'uniqueness');
    });

    it('answers an unknown id, an unknown type and a non-uuid id with SCIM 404s', async () => {
      expectScimError(
        await okta.request('GET', '/scim/v2/Users/0190d1b8-7a3c-7c4e-8a1b-2f3c4d5e6f70'),
        404,
      );
      expectScimError(await okta.request('GET', '/scim/v2/Users/abc'), 404);
      expectScimError(await okta.request('GET', '/scim/v2/Devices'), 404);
    });
  });
});

describe('SCIM deprovisioning with SCIM_DEPROVISION=suspend', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { SCIM_DEPROVISION: 'suspend' } });
  });
  afterAll(() => t.close());

  it('suspends the account on active: false and on DELETE', async () => {
    const okta = await scimClient(t);
    const users = t.app.get(UsersService);
    for (const deprovision of ['patch', 'delete'] as const) {
      const res = await okta.request(
        'POST',
        '/scim/v2/Users',
        oktaUser(uniqueUserName(deprovision)),
      );
      const user = res.json<Resource>();
      const url = `/scim/v2/Users/${user.id}`;
      const done =
        deprovision === 'patch'
          ? await okta.request('PATCH', url, {
              schemas: [PATCH_OP],
              Operations: [{ op: 'replace', path: 'active', value: false }],
            })
          : await okta.request('DELETE', url);
      expect(done.statusCode).toBe(deprovision === 'patch' ? 200 : 204);
      expect(await users.findById(user.id)).toMatchObject({ status: 'suspended' });
    }
  });
});
