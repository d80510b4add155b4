import { randomUUID } from 'node:crypto';
import { isUUID } from 'class-validator';
import { uuidV7, uuidV7Time } from './uuid-v7';

describe('uuidV7', () => {
  it('is a version 7, RFC 9562 variant UUID carrying its millisecond timestamp', () => {
    const at = Date.UTC(2026, 8, 7, 6, 5, 4, 321);
    const id = uuidV7(at);
    expect(isUUID(id, 7)).toBe(true);
    expect(id[19]).toMatch(/[89ab]/);
    expect(uuidV7Time(id)).toBe(at);
    expect(uuidV7(at)).not.toBe(id);
  });

  it('has no timestamp to give for another version or a malformed id', () => {
    expect(uuidV7Time(randomUUID())).toBeNull();
    expect(uuidV7Time('not-a-uuid')).toBeNull();
    expect(uuidV7Time(uuidV7().toUpperCase())).not.toBeNull();
  });
});
