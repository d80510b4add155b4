import { randomUUID } from 'node:crypto';
import { isUUID } from 'class-validator';
import { monotonicUuidV7, uuidV7, uuidV7Time } from './uuid-v7';

describe('uuidV7', () => {
  it('is a version 7, RFC 9562 variant UUID carrying its millisecond timestamp', () => {
    const at = Date.UTC(2026, 8, 7, 6, 5, 4, 321);
    const id = uuidV7(at);
    expect(isUUID(id, 7)).toBe(true);
    expect(id[19]).toMatch(/[89ab]/);
    expect(uuidV7Time(id)).toBe(at);
    expect(uuidV7(at)).not.toBe(id);
  });

  it('gets random bits of its own for every id, however many are made at one instant', () => {
    const at = Date.UTC(2026, 11, 7, 9, 0, 0, 0);
    // Several times the random bytes one draw from the CSPRNG gives.
    const randomParts = Array.from({ length: 2000 }, () => uuidV7(at).slice(15).replace('-', ''));
    expect(new Set(randomParts).size).toBe(randomParts.length);
  });

  it('has no timestamp to give for another version or a malformed id', () => {
    expect(uuidV7Time(randomUUID())).toBeNull();
    expect(uuidV7Time('not-a-uuid')).toBeNull();
    expect(uuidV7Time(uuidV7().toUpperCase())).not.toBeNull();
  });
});

describe('monotonicUuidV7', () => {
  it('sorts in the order made, within one millisecond and across a clock stepping back', () => {
    const at = Date.UTC(2026, 11, 6, 12, 0, 0, 0);
    const ids = [
      ...Array.from({ length: 5000 }, () => monotonicUuidV7(at)),
      monotonicUuidV7(at - 10),
      monotonicUuidV7(at + 5000),
    ];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => isUUID(id, 7))).toBe(true);
    expect(uuidV7Time(ids[0])).toBe(at);
  });
});
