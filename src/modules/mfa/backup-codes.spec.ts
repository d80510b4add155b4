import { BACKUP_CODE_COUNT, newBackupCode, normalizeBackupCode } from './backup-codes';

describe('backup codes', () => {
  it('are four groups of four base32 characters, 80 bits, and differ', () => {
    const codes = Array.from({ length: 1000 }, newBackupCode);
    for (const code of codes) expect(code).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
    expect(new Set(codes).size).toBe(codes.length);
    expect(BACKUP_CODE_COUNT).toBe(10);
  });

  it('use every character of the alphabet', () => {
    const seen = new Set(Array.from({ length: 200 }, newBackupCode).join('').replace(/-/g, ''));
    expect(seen.size).toBe(32);
  });

  it.each([
    ['abcd-efgh-ijkl-mnop', 'abcdefghijklmnop'],
    ['ABCD-EFGH-IJKL-MNOP', 'abcdefghijklmnop'],
    ['abcd efgh ijkl mnop', 'abcdefghijklmnop'],
    [' abcdefghijklmnop\n', 'abcdefghijklmnop'],
  ])('normalizes %j', (input, expected) => {
    expect(normalizeBackupCode(input)).toBe(expected);
  });

  it.each(['', 'abcd-efgh-ijkl-mno', 'abcd-efgh-ijkl-mnopq', 'abcd-efgh-ijkl-mn0p', '123456'])(
    'refuses %j',
    (input) => {
      expect(normalizeBackupCode(input)).toBeNull();
    },
  );
});
