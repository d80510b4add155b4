import { send, signedInAdmin } from './support/access';
import {
  expectScimError,
  GROUP_SCHEMA,
  oktaUser,
  PATCH_OP,
  ScimClient,
  scimClient,
  uniqueUserName,
} from './support/scim';
import { startTestApp, TestApp } from './support/test-app';
import { UserRolesService } from '../src/modules/access/user-roles.service';
import { RolesService } from '../src/modules/access/roles.service';
import { TEST_ACTOR } from './support/clients';

type Resource = Record<string, unknown> & { id: string; meta: { version: string } };

describe('SCIM /scim/v2/Groups', () => {
  let t: TestApp;
  let okta: ScimClient;

  beforeAll(async () => {
    t = await startTestApp();
    okta = await scimClient(t);
  });
  afterAll(() => t.close());

  async function created(
    client: ScimClient,
    type: 'Users' | 'Groups',
    body: Record<string, unknown>,
  ): Promise<Resource> {
    const res = await client.request('POST', `/scim/v2/${type}`, body);
    expect({ status: res.statusCode, body: res.body }).toMatchObject({ status: 201 });
    return res.json<Resource>();
  }

  const group = (displayName: string, extra: Record<string, unknown> = {}) => ({
    schemas: [GROUP_SCHEMA],
    displayName,
    ...extra,
  });
  const patch = (client: ScimClient, id: string, Operations: unknown[]) =>
    client.request('PATCH', `/scim/v2/Groups/${id}`, { schemas: [PATCH_OP], Operations });
  const rolesOf = async (userId: string) =>
    (await t.app.get(UserRolesService).grantsOf(userId)).map((g) => g.roleId);
  const users = async (client: ScimClient, n: number) => {
    const made: Resource[] = [];
    for (let i = 0; i < n; i++)
      made.push(await created(client, 'Users', oktaUser(uniqueUserName('member'))));
    return made;
  };

  it("follows Okta's group push: create, rename, add and remove members, delete", async () => {
    const [ann, bob] = await users(okta, 2);
    const name = `Test SCIMv2 ${uniqueUserName('g')}`;
    const res = await okta.request('POST', '/scim/v2/Groups', group(name, { members: [] }));
    expect(res.statusCode).toBe(201);
    const created = res.json<Resource>();
    expect(created).toMatchObject({
      schemas: [GROUP_SCHEMA],
      displayName: name,
      meta: { resourceType: 'Group', version: 'W/"1"' },
    });
    const role = await t.app.get(RolesService).get(created.id);
    expect(role.permissions).toEqual([]);
    expect(role.name).toMatch(/^test-scimv2-g-/);

    const renamed = await patch(okta, created.id, [
      { op: 'replace', value: { id: created.id, displayName: `${name} renamed` } },
    ]);
    expect(renamed.json()).toMatchObject({ displayName: `${name} renamed` });

    const added = await patch(okta, created.id, [
      {
        op: 'add',
        path: 'members',
        value: [
          { value: ann.id, display: 'Ann' },
          { value: bob.id, display: 'Bob' },
        ],
      },
    ]);
    expect(added.statusCode).toBe(200);
    expect(
      added
        .json<{ members: { value: string }[] }>()
        .members.map((m) => m.value)
        .sort(),
    ).toEqual([ann.id, bob.id].sort());
    expect(await rolesOf(ann.id)).toContain(created.id);
    const userView = await okta.request('GET', `/scim/v2/Users/${ann.id}`);
    expect(userView.json()).toMatchObject({
      groups: [{ value: created.id, display: `${name} renamed`, type: 'direct' }],
    });

    const removed = await patch(okta, created.id, [
      { op: 'remove', path: `members[value eq "${ann.id}"]` },
    ]);
    expect(removed.json()).toMatchObject({ members: [{ value: bob.id }] });
    expect(await rolesOf(ann.id)).not.toContain(created.id);
    expect(await rolesOf(bob.id)).toContain(created.id);

    expect((await okta.request('DELETE', `/scim/v2/Groups/${created.id}`)).statusCode).toBe(204);
    expectScimError(await okta.request('GET', `/scim/v2/Groups/${created.id}`), 404);
    expect(await rolesOf(bob.id)).not.toContain(created.id);
    await expect(t.app.get(RolesService).get(created.id)).rejects.toThrow();
  });

  it("follows Entra ID's: filter by displayName, add and remove members by value, check membership by filter", async () => {
    const entra = await scimClient(t);
    const [ann, bob, cid] = await users(entra, 3);
    const name = `Entra ${uniqueUserName('g')}`;
    const lookup = await entra.request(
      'GET',
      `/scim/v2/Groups?excludedAttributes=members&filter=${encodeURIComponent(`displayName eq "${name}"`)}`,
    );
    expect(lookup.json()).toMatchObject({ totalResults: 0 });
    const group_ = await created(
      entra,
      'Groups',
      group(name, {
        externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
        meta: { resourceType: 'Group' },
      }),
    );

    const add = await patch(entra, group_.id, [
      {
        op: 'Add',
        path: 'members',
        value: [{ value: ann.id }, { value: bob.id }, { value: cid.id }],
      },
    ]);
    expect(add.statusCode).toBe(200);
    const remove = await patch(entra, group_.id, [
      { op: 'Remove', path: 'members', value: [{ value: bob.id }] },
    ]);
    expect(remove.statusCode).toBe(200);

    const membership = (userId: string) =>
      entra.request(
        'GET',
        `/scim/v2/Groups?excludedAttributes=members&filter=${encodeURIComponent(`id eq "${group_.id}" and members[value eq "${userId}"]`)}`,
      );
    const isMember = await membership(ann.id);
    expect(isMember.json()).toMatchObject({
      totalResults: 1,
      Resources: [{ id: group_.id, displayName: name }],
    });
    expect(isMember.json<{ Resources: Resource[] }>().Resources[0]).not.toHaveProperty('members');
    expect((await membership(bob.id)).json()).toMatchObject({ totalResults: 0 });

    const withoutMembers = await entra.request(
      'GET',
      `/scim/v2/Groups/${group_.id}?excludedAttributes=members`,
    );
    expect(withoutMembers.json()).not.toHaveProperty('members');
    const byMember = await entra.request(
      'GET',
      `/scim/v2/Users?filter=${encodeURIComponent(`groups.value eq "${group_.id}"`)}`,
    );
    expect(byMember.json()).toMatchObject({ totalResults: 2 });
  });

  it('adds and removes many members in one PATCH, each a grant of the role', async () => {
    const many = await users(okta, 60);
    const group_ = await created(okta, 'Groups', group(`Many ${uniqueUserName('g')}`));
    const add = await patch(okta, group_.id, [
      { op: 'add', path: 'members', value: many.map((u) => ({ value: u.id })) },
    ]);
    expect(add.statusCode).toBe(200);
    expect(add.json<{ members: unknown[] }>().members).toHaveLength(60);
    for (const user of [many[0], many[59]]) expect(await rolesOf(user.id)).toContain(group_.id);
    const remove = await patch(
      okta,
      group_.id,
      many.slice(0, 40).map((u) => ({ op: 'remove', path: `members[value eq "${u.id}"]` })),
    );
    expect(remove.json<{ members: unknown[] }>().members).toHaveLength(20);
    expect(await rolesOf(many[0].id)).not.toContain(group_.id);
    const replace = await okta.request(
      'PUT',
      `/scim/v2/Groups/${group_.id}`,
      group(group_.displayName as string, { members: [{ value: many[0].id }] }),
    );
    expect(replace.json()).toMatchObject({ members: [{ value: many[0].id }] });
    expect(await rolesOf(many[59].id)).not.toContain(group_.id);
  });

  it('forgets a member whose grant an administrator revoked', async () => {
    const [ann] = await users(okta, 1);
    const group_ = await created(
      okta,
      'Groups',
      group(`Revoked ${uniqueUserName('g')}`, { members: [{ value: ann.id }] }),
    );
    await t.app.get(UserRolesService).revoke(ann.id, group_.id, TEST_ACTOR);
    const read = await okta.request('GET', `/scim/v2/Groups/${group_.id}`);
    expect(read.json()).not.toHaveProperty('members');
    expect(read.json()).toMatchObject({ meta: { version: 'W/"2"' } });
  });

  it("refuses members the client cannot see, and a role's permissions the client lacks", async () => {
    const other = await scimClient(t);
    const [theirs] = await users(other, 1);
    const [mine] = await users(okta, 1);
    const group_ = await created(okta, 'Groups', group(`Guarded ${uniqueUserName('g')}`));
    for (const value of [theirs.id, 'not-a-uuid', group_.id]) {
      expectScimError(
        await patch(okta, group_.id, [{ op: 'add', path: 'members', value: [{ value }] }]),
        400,
        'invalidValue',
      );
    }
    const admin = await signedInAdmin(t);
    const grantPower = await send(t, 'PATCH', `/v1/roles/${group_.id}`, admin.token, {
      permissions: ['users:read'],
    });
    expect(grantPower.statusCode).toBe(200);
    const escalation = await patch(okta, group_.id, [
      { op: 'add', path: 'members', value: [{ value: mine.id }] },
    ]);
    expectScimError(escalation, 403);
    expect(await rolesOf(mine.id)).not.toContain(group_.id);
  });

  it('refuses duplicates, stale versions and bad bodies, and hides other clients\u2019 groups', async () => {
    const name = `Unique ${uniqueUserName('g')}`;
    const group_ = await created(okta, 'Groups', group(name));
    expectScimError(
      await okta.request('POST', '/scim/v2/Groups', group(name.toUpperCase())),
      409,
      'uniqueness',
    );
    expectScimError(await okta.request('POST', '/scim/v2/Groups', group('')), 400, 'invalidValue');
    expectScimError(
      await okta.request('POST', '/scim/v2/Groups', group('x', { members: [{ value: 42 }] })),
      400,
      'invalidValue',
    );
    expectScimError(
      await okta.request('POST', '/scim/v2/Groups', { displayName: 'no schemas' }),
      400,
      'invalidSyntax',
    );
    expectScimError(
      await okta.request(
        'PATCH',
        `/scim/v2/Groups/${group_.id}`,
        { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'x' }] },
        { 'if-match': 'W/"7"' },
      ),
      412,
    );
    const other = await scimClient(t);
    expectScimError(await other.request('GET', `/scim/v2/Groups/${group_.id}`), 404);
    expectScimError(
      await patch(other, group_.id, [{ op: 'replace', path: 'displayName', value: 'mine' }]),
      404,
    );
    expectScimError(await other.request('DELETE', `/scim/v2/Groups/${group_.id}`), 404);
    const list = await other.request(
      'GET',
      `/scim/v2/Groups?filter=${encodeURIComponent(`displayName eq "${name}"`)}`,
    );
    expect(list.json()).toMatchObject({ totalResults: 0 });
  });

  it('describes itself: ServiceProviderConfig, ResourceTypes and Schemas', async () => {
    const config = await okta.request('GET', '/scim/v2/ServiceProviderConfig');
    expect(config.statusCode).toBe(200);
    expect(config.json()).toMatchObject({
      patch: { supported: true },
      bulk: { supported: false },
      filter: { supported: true, maxResults: t.config.scim.maxPageSize },
      sort: { supported: true },
      etag: { supported: true },
      authenticationSchemes: [{ type: 'oauthbearertoken', primary: true }],
    });
    const types = await okta.request('GET', '/scim/v2/ResourceTypes');
    expect(types.json()).toMatchObject({
      totalResults: 2,
      Resources: [
        {
          id: 'User',
          endpoint: '/Users',
          schemaExtensions: [
            {
              schema: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
              required: false,
            },
          ],
        },
        { id: 'Group', endpoint: '/Groups' },
      ],
    });
    const schemas = await okta.request('GET', '/scim/v2/Schemas');
    expect(schemas.json<{ Resources: { id: string }[] }>().Resources.map((s) => s.id)).toEqual([
      'urn:ietf:params:scim:schemas:core:2.0:User',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
      GROUP_SCHEMA,
    ]);
    const user = await okta.request(
      'GET',
      '/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User',
    );
    expect(user.json()).toMatchObject({
      attributes: expect.arrayContaining([
        expect.objectContaining({
          name: 'userName',
          required: true,
          caseExact: false,
          uniqueness: 'server',
        }),
        expect.objectContaining({ name: 'password', mutability: 'writeOnly', returned: 'never' }),
      ]),
    });
    expectScimError(await okta.request('GET', '/scim/v2/Schemas/urn:nope'), 404);
    expectScimError(await okta.request('GET', '/scim/v2/ResourceTypes/Device'), 404);
  });
});
