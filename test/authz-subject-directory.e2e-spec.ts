import { DataSource } from 'typeorm';
import { AccessService } from '../src/modules/access/access.service';
import { RolesService } from '../src/modules/access/roles.service';
import { SUBJECT_CACHE_MS, SubjectDirectory } from '../src/modules/authz/subject-directory';
import { UsersService } from '../src/modules/users/users.service';
import { signedInUser, uniqueName } from './support/access';
import { settled } from './support/accounts';
import { createClient, setClientStatus, TEST_ACTOR } from './support/clients';
import { startTestApp, TestApp } from './support/test-app';

/** A version-4 UUID, which no account has: the database hands out only UUIDv7 ids. */
const UNKNOWN_USER_ID = '01890a5d-ac96-474b-bcce-b302099a8057';

describe('subject directory (the attributes and roles decisions see)', () => {
  let t: TestApp;
  let directory: SubjectDirectory;
  let users: UsersService;
  let access: AccessService;
  let db: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    directory = t.app.get(SubjectDirectory);
    users = t.app.get(UsersService);
    access = t.app.get(AccessService);
    db = t.app.get(DataSource);
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(() => t.close());

  /**
   * Moves Date.now by hand, the directory's only clock. Timers stay real: the database driver
   * of the running app depends on them.
   */
  const handClock = () => {
    let now = Date.now();
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    return { advance: (ms: number) => void (now += ms) };
  };
  /** Counts the database reads of one subject, whatever else the app reads meanwhile. */
  const readsOf = (spy: jest.SpyInstance<unknown, [string]>, id: string) =>
    spy.mock.calls.filter(([argument]) => argument === id).length;
  const createRole = async () => {
    const name = uniqueName('trader');
    await t.app
      .get(RolesService)
      .create({ name, description: '', permissions: ['documents:read'] }, TEST_ACTOR);
    return name;
  };
  /** A signed-in account holding a role of its own besides `user`. */
  const userWithRole = async () => {
    const user = await signedInUser(t);
    const role = await createRole();
    await access.grantRole(user.id, role, TEST_ACTOR);
    return { ...user, role };
  };
  // No suspension endpoint yet: accounts change status in place.
  const setStatus = (id: string, status: string) =>
    db.query('UPDATE users SET status = $1 WHERE id = $2', [status, id]);

  it("describes an active account by its row and grants, another account's apart", async () => {
    const subject = await userWithRole();
    const other = await signedInUser(t);
    const row = (await users.findById(subject.id))!;
    const version = await access.currentVersion();

    const [mine, theirs] = await Promise.all([
      directory.user(subject.id, version),
      directory.user(other.id, version),
    ]);
    expect(mine).toEqual({
      roles: [subject.role, 'user'],
      attributes: {
        status: 'active',
        email: subject.email,
        email_verified: true,
        name: 'Test User',
        phone: null,
        avatar_url: null,
        locale: null,
        timezone: null,
        created_at: row.createdAt.toISOString(),
        last_login_at: row.lastLoginAt!.toISOString(),
      },
    });
    expect(theirs).toMatchObject({ roles: ['user'], attributes: { email: other.email } });
  });

  it('answers the checks that miss the cache together with one read', async () => {
    const subject = await userWithRole();
    const other = await signedInUser(t);
    const findById = jest.spyOn(users, 'findById');
    const rolesOfUser = jest.spyOn(access, 'rolesOfUser');
    const version = await access.currentVersion();

    const [mine, theirs] = await Promise.all(
      [subject.id, other.id].map((id) =>
        Promise.all(Array.from({ length: 25 }, () => directory.user(id, version))),
      ),
    );
    for (const id of [subject.id, other.id]) {
      expect(readsOf(findById, id)).toBe(1);
      expect(readsOf(rolesOfUser, id)).toBe(1);
    }
    expect(new Set(mine).size).toBe(1);
    expect(mine[0].roles).toEqual([subject.role, 'user']);
    expect(new Set(theirs).size).toBe(1);
    expect(theirs[0].roles).toEqual(['user']);
  });

  it('reads again once the entry is older than SUBJECT_CACHE_MS, or for another policy set', async () => {
    const subject = await userWithRole();
    const other = await signedInUser(t);
    const findById = jest.spyOn(users, 'findById');
    const version = await access.currentVersion();
    const clock = handClock();
    const active = { roles: [subject.role, 'user'], attributes: { status: 'active' } };

    expect(await directory.user(subject.id, version)).toMatchObject(active);
    await setStatus(subject.id, 'suspended');
    clock.advance(SUBJECT_CACHE_MS - 1);
    expect(await directory.user(subject.id, version)).toMatchObject(active);
    expect(readsOf(findById, subject.id)).toBe(1);

    clock.advance(1);
    expect(await directory.user(subject.id, version)).toMatchObject({
      roles: [],
      attributes: { status: 'suspended' },
    });
    expect(readsOf(findById, subject.id)).toBe(2);

    // Reactivated while the entry is fresh: only a new policy set version shows it at once. The
    // grant that moves the version on goes to someone else and must not reach these roles.
    await setStatus(subject.id, 'active');
    await access.grantRole(other.id, await createRole(), TEST_ACTOR);
    const next = await access.currentVersion();
    expect(next).toBeGreaterThan(version);
    expect(await directory.user(subject.id, next)).toMatchObject(active);
    expect(readsOf(findById, subject.id)).toBe(3);
  });

  it('answers from the cache at once what a read would, and nothing once a read is due', async () => {
    const subject = await signedInUser(t);
    const other = await signedInUser(t);
    const findById = jest.spyOn(users, 'findById');
    const version = await access.currentVersion();
    const clock = handClock();

    expect(directory.cached('user', subject.id, version)).toBeUndefined();
    const read = await directory.user(subject.id, version);
    expect(directory.cached('user', subject.id, version)).toBe(read);
    expect(directory.cached('user', subject.id, version + 1)).toBeUndefined();
    expect(directory.cached('service', subject.id, version)).toBeUndefined();
    expect(directory.cached('user', other.id, version)).toBeUndefined();
    clock.advance(SUBJECT_CACHE_MS);
    expect(directory.cached('user', subject.id, version)).toBeUndefined();
    expect(readsOf(findById, subject.id)).toBe(1);
  });

  it('reads a subject again once told to forget it, and only that subject', async () => {
    const subject = await signedInUser(t);
    const other = await signedInUser(t);
    // Their sign-up's events, published now, would make the directory forget them below.
    await settled(t);
    const findById = jest.spyOn(users, 'findById');
    const version = await access.currentVersion();

    await Promise.all([directory.user(subject.id, version), directory.user(other.id, version)]);
    await setStatus(subject.id, 'suspended');
    directory.forget('user', subject.id);
    directory.forget('service', other.id);
    expect(directory.cached('user', other.id, version)).toBeDefined();
    expect(await directory.user(subject.id, version)).toMatchObject({
      roles: [],
      attributes: { status: 'suspended' },
    });
    expect(readsOf(findById, subject.id)).toBe(2);
    expect(readsOf(findById, other.id)).toBe(1);
  });

  it('does not keep a read that failed, nor share one made for another policy set', async () => {
    const subject = await signedInUser(t);
    const findById = jest.spyOn(users, 'findById');
    const version = await access.currentVersion();

    // A real failed read: the database refuses an id that is no UUID (why AuthzService never
    // passes one here).
    for (let attempt = 1; attempt <= 2; attempt++) {
      await expect(directory.user('not-a-uuid', version)).rejects.toThrow(
        'invalid input syntax for type uuid',
      );
      expect(readsOf(findById, 'not-a-uuid')).toBe(attempt);
    }
    expect(directory.cached('user', 'not-a-uuid', version)).toBeUndefined();

    await Promise.all([
      directory.user(subject.id, version),
      directory.user(subject.id, version + 1),
    ]);
    expect(readsOf(findById, subject.id)).toBe(2);
  });

  it('gives an account that is not active its status and no roles', async () => {
    const subject = await userWithRole();
    const version = await access.currentVersion();
    await setStatus(subject.id, 'deactivated');
    expect(await directory.user(subject.id, version)).toMatchObject({
      roles: [],
      attributes: { status: 'deactivated', email: subject.email },
    });
  });

  it('describes an unknown user or service client as unknown, with no roles', async () => {
    const version = await access.currentVersion();
    const unknown = { roles: [], attributes: { status: 'unknown' } };
    expect(await directory.user(UNKNOWN_USER_ID, version)).toEqual(unknown);
    expect(await directory.service(uniqueName('no-such-client'), version)).toEqual(unknown);
  });

  it('describes a service client by its status, name and scopes, never with roles', async () => {
    const client = await createClient(t, ['authz:check', 'users:read'], 'Ledger service');
    const other = await createClient(t, ['authz:check'], 'Other service');
    await setClientStatus(t, other, 'disabled');
    const version = await access.currentVersion();

    expect(await directory.service(client.clientId, version)).toEqual({
      roles: [],
      attributes: {
        status: 'active',
        name: 'Ledger service',
        scopes: ['authz:check', 'users:read'],
      },
    });
    expect(await directory.service(other.clientId, version)).toMatchObject({
      roles: [],
      attributes: { status: 'disabled', name: 'Other service', scopes: ['authz:check'] },
    });
  });
});
