import { kiteTokenExpiry } from './token-expiry';

describe('kiteTokenExpiry', () => {
  it('is the next 06:00 IST (00:30 UTC) after a login in the Indian day', () => {
    expect(kiteTokenExpiry(new Date('2026-03-10T04:00:00Z')).toISOString()).toBe(
      '2026-03-11T00:30:00.000Z',
    );
  });

  it('is the same morning for a login between midnight and 06:00 IST', () => {
    expect(kiteTokenExpiry(new Date('2026-03-10T00:10:00Z')).toISOString()).toBe(
      '2026-03-10T00:30:00.000Z',
    );
  });

  it('is a day later for a login at 06:00 IST exactly', () => {
    expect(kiteTokenExpiry(new Date('2026-03-10T00:30:00Z')).toISOString()).toBe(
      '2026-03-11T00:30:00.000Z',
    );
  });

  it('crosses months and years', () => {
    expect(kiteTokenExpiry(new Date('2026-12-31T20:00:00Z')).toISOString()).toBe(
      '2027-01-01T00:30:00.000Z',
    );
  });
});
