import { isSessionLive, liveSession } from './session-liveness';

const AT = new Date('2026-01-01T00:00:00Z');
const later = (ms: number) => new Date(AT.getTime() + ms);
const session = (changes: Partial<Parameters<typeof isSessionLive>[0]> = {}) => ({
  revokedAt: null,
  idleExpiresAt: later(1),
  absoluteExpiresAt: later(1),
  ...changes,
});

describe('isSessionLive', () => {
  it('is live until the first of its two expiries, as the SQL condition (strictly after)', () => {
    expect(isSessionLive(session(), AT)).toBe(true);
    expect(isSessionLive(session({ idleExpiresAt: AT }), AT)).toBe(false);
    expect(isSessionLive(session({ absoluteExpiresAt: AT }), AT)).toBe(false);
  });

  it('is not live once revoked, whatever its expiries', () => {
    expect(isSessionLive(session({ revokedAt: later(-1) }), AT)).toBe(false);
  });
});

describe('liveSession', () => {
  it('asks the same three things of the aliased row', () => {
    expect(liveSession('s', '$2')).toBe(
      's.revoked_at IS NULL AND s.idle_expires_at > $2 AND s.absolute_expires_at > $2',
    );
  });
});
