import { AccessService } from '../access/access.service';
import { OAuthClientsService } from '../clients/oauth-clients.service';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { SUBJECT_CACHE_MS, SubjectDirectory } from './subject-directory';

const USER_ID = '01900000-0000-7000-8000-000000000001';

describe('SubjectDirectory', () => {
  let findById: jest.Mock;
  let rolesOfUser: jest.Mock;
  let directory: SubjectDirectory;
  let status: string;

  beforeEach(() => {
    status = 'active';
    findById = jest.fn(() =>
      Promise.resolve({
        id: USER_ID,
        status,
        emailVerifiedAt: new Date(0),
        locale: 'en',
        timezone: 'UTC',
        createdAt: new Date(0),
      } as unknown as User),
    );
    rolesOfUser = jest.fn(() => Promise.resolve(['trader', 'user']));
    directory = new SubjectDirectory(
      { findById } as unknown as UsersService,
      { rolesOfUser } as unknown as AccessService,
      {} as OAuthClientsService,
    );
  });
  afterEach(() => jest.useRealTimers());

  it('answers the checks that miss the cache together with one read', async () => {
    const subjects = await Promise.all(
      Array.from({ length: 50 }, () => directory.user(USER_ID, 7)),
    );
    expect(findById).toHaveBeenCalledTimes(1);
    expect(rolesOfUser).toHaveBeenCalledTimes(1);
    expect(new Set(subjects).size).toBe(1);
    expect(subjects[0].roles).toEqual(['trader', 'user']);
  });

  it('reads again once the entry is older than SUBJECT_CACHE_MS, or for another policy set', async () => {
    jest.useFakeTimers({ now: 1_000_000, doNotFake: ['nextTick', 'setImmediate'] });
    await directory.user(USER_ID, 7);
    await directory.user(USER_ID, 7);
    expect(findById).toHaveBeenCalledTimes(1);

    status = 'suspended';
    jest.setSystemTime(1_000_000 + SUBJECT_CACHE_MS);
    const later = await directory.user(USER_ID, 7);
    expect(findById).toHaveBeenCalledTimes(2);
    expect(later).toMatchObject({ roles: [], attributes: { status: 'suspended' } });

    await directory.user(USER_ID, 8);
    expect(findById).toHaveBeenCalledTimes(3);
  });

  it('answers from the cache at once what a read would, and nothing once a read is due', async () => {
    jest.useFakeTimers({ now: 1_000_000, doNotFake: ['nextTick', 'setImmediate'] });
    expect(directory.cached('user', USER_ID, 7)).toBeUndefined();
    const read = await directory.user(USER_ID, 7);
    expect(directory.cached('user', USER_ID, 7)).toBe(read);
    expect(directory.cached('user', USER_ID, 8)).toBeUndefined();
    expect(directory.cached('service', USER_ID, 7)).toBeUndefined();
    jest.setSystemTime(1_000_000 + SUBJECT_CACHE_MS);
    expect(directory.cached('user', USER_ID, 7)).toBeUndefined();
    expect(findById).toHaveBeenCalledTimes(1);
  });

  it('does not share a read that failed, nor one made for another policy set', async () => {
    findById.mockRejectedValueOnce(new Error('connection lost'));
    await expect(directory.user(USER_ID, 7)).rejects.toThrow('connection lost');
    await expect(directory.user(USER_ID, 7)).resolves.toMatchObject({ roles: ['trader', 'user'] });

    await Promise.all([directory.user(USER_ID, 9), directory.user(USER_ID, 10)]);
    expect(findById).toHaveBeenCalledTimes(4);
  });
});
