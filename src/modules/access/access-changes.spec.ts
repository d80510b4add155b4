import { Logger } from '@nestjs/common';
import { AccessChange, AccessChanges } from './access-changes';

describe('AccessChanges', () => {
  let errors: jest.SpyInstance;

  beforeEach(() => {
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => errors.mockRestore());

  it('tells every subscriber, until it unsubscribes', async () => {
    const changes = new AccessChanges();
    const first: AccessChange[] = [];
    const second: AccessChange[] = [];
    const unsubscribe = changes.subscribe((c) => void first.push(c));
    changes.subscribe((c) => void second.push(c));
    await changes.emit({ version: 2, userIds: ['u1'] });
    unsubscribe();
    await changes.emit({ version: 3 });
    expect(first).toEqual([{ version: 2, userIds: ['u1'] }]);
    expect(second).toEqual([{ version: 2, userIds: ['u1'] }, { version: 3 }]);
  });

  it('logs a listener that throws or rejects, still tells the others, and never rejects', async () => {
    const changes = new AccessChanges();
    const seen: number[] = [];
    changes.subscribe(() => {
      throw new Error('sync failure');
    });
    changes.subscribe(() => Promise.reject(new Error('async failure')));
    changes.subscribe((c) => void seen.push(c.version));
    await expect(changes.emit({ version: 7 })).resolves.toBeUndefined();
    expect(seen).toEqual([7]);
    expect(errors).toHaveBeenCalledTimes(2);
  });
});
