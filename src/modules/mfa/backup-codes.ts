import { randomBytes } from 'node:crypto';

/** How many recovery codes a set has. */
export const BACKUP_CODE_COUNT = 10;

/** Lower-case RFC 4648 base32: no 0/1/8/9, so no O/0 or l/1 confusion when typed from paper. */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
/** 16 characters of 5 bits: 80 bits of entropy (the issue asks for at least 60). */
const CODE_CHARACTERS = 16;
const NORMALIZED = /^[a-z2-7]{16}$/;

/** A new code, as shown to the user: `xxxx-xxxx-xxxx-xxxx`. */
export function newBackupCode(): string {
  const bytes = randomBytes(CODE_CHARACTERS);
  // 256 is a multiple of 32: taking each byte modulo 32 is unbiased.
  const chars = [...bytes].map((b) => ALPHABET[b % ALPHABET.length]);
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join('')).join('-');
}

/**
 * What is hashed and compared: the code without separators or spaces, in lower case; null when
 * the input cannot be a code (then no hash is computed for it).
 */
export function normalizeBackupCode(input: string): string | null {
  const normalized = input.replace(/[\s-]/g, '').toLowerCase();
  return NORMALIZED.test(normalized) ? normalized : null;
}
