/** RFC 4648 §6: the alphabet authenticator apps expect secrets in. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * Symbol value by character, both cases spelled out: `toUpperCase()` would also turn non-ASCII
 * letters into alphabet letters ('ı' into 'I', 'ſ' into 'S') and accept them.
 */
const VALUES = new Map<string, number>(
  [...ALPHABET].flatMap((symbol, value) => [
    [symbol, value],
    [symbol.toLowerCase(), value],
  ]),
);

/** Lengths (mod 8) that no whole number of bytes encodes to: 1, 3 and 6 symbols. */
const IMPOSSIBLE_REMAINDERS = new Set([1, 3, 6]);

/**
 * A TOTP secret as authenticator apps take it (RFC 4648 base32): upper case and without `=`
 * padding, which the Google Authenticator Key Uri Format asks to leave out.
 */
export function encodeBase32(bytes: Buffer): string {
  let text = '';
  let pending = 0;
  let bits = 0;
  for (const byte of bytes) {
    pending = (pending << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      text += ALPHABET[(pending >>> bits) & 31];
    }
    pending &= (1 << bits) - 1;
  }
  if (bits > 0) text += ALPHABET[(pending << (5 - bits)) & 31];
  return text;
}

/**
 * The bytes of a base32 secret as a person may type it back: any case, grouped with spaces,
 * padded or not. Null for anything else: another character, `=` other than at the end, a length
 * no byte string encodes to, or non-zero unused trailing bits (RFC 4648 §3.5), so that each
 * secret has exactly one accepted spelling up to case, spaces and padding.
 */
export function decodeBase32(text: string): Buffer | null {
  const symbols = text.replaceAll(' ', '').replace(/=+$/, '');
  if (IMPOSSIBLE_REMAINDERS.has(symbols.length % 8)) return null;
  const bytes = Buffer.alloc(Math.floor((symbols.length * 5) / 8));
  let length = 0;
  let pending = 0;
  let bits = 0;
  for (const symbol of symbols) {
    const value = VALUES.get(symbol);
    if (value === undefined) return null;
    pending = (pending << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes[length++] = pending >>> bits;
      pending &= (1 << bits) - 1;
    }
  }
  return pending === 0 ? bytes : null;
}
