import { createHmac, timingSafeEqual } from 'node:crypto';

export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

/** The parameters both sides of TOTP must agree on (RFC 6238 §4, §5.2). */
export interface TotpParameters {
  algorithm: TotpAlgorithm;
  digits: number;
  periodSeconds: number;
}

/**
 * What authenticator apps (Google Authenticator, 1Password, Authy) assume. Frozen: it is the
 * default of every function here, and a change to it would change every code.
 */
export const AUTHENTICATOR_TOTP: TotpParameters = Object.freeze({
  algorithm: 'SHA1',
  digits: 6,
  periodSeconds: 30,
});

const HMAC_DIGESTS: Record<TotpAlgorithm, string> = {
  SHA1: 'sha1',
  SHA256: 'sha256',
  SHA512: 'sha512',
};

/**
 * The TOTP time step T of an instant (RFC 6238 §4.2, T0 = 0): how many whole periods have
 * passed since the Unix epoch. Milliseconds, as Date.now() gives them, so that callers and tests
 * pass the clock in rather than this module reading it.
 */
export function totpTimeStep(unixMs: number, params = AUTHENTICATOR_TOTP): number {
  return Math.floor(unixMs / (params.periodSeconds * 1000));
}

/**
 * The one-time code of a time step: HOTP (RFC 4226 §5.3) with the step as counter, written as a
 * full 8-byte big-endian integer: a counter cut to 32 bits would repeat codes. Zero-padded to
 * `digits`, which RFC 4226 puts at 6 to 8 (fewer is guessable, more than the 31-bit truncated
 * value can spread evenly over).
 */
export function totpCode(secret: Buffer, timeStep: number, params = AUTHENTICATOR_TOTP): string {
  if (!Number.isSafeInteger(timeStep) || timeStep < 0) {
    throw new RangeError(`a TOTP time step is a non-negative integer, not ${timeStep}`);
  }
  if (!Number.isInteger(params.digits) || params.digits < 6 || params.digits > 8) {
    throw new RangeError(`TOTP codes have 6 to 8 digits, not ${params.digits}`);
  }
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(timeStep));
  const mac = createHmac(HMAC_DIGESTS[params.algorithm], secret).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const truncated = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(truncated % 10 ** params.digits).padStart(params.digits, '0');
}

/**
 * The time step within ±options.window of unixMs whose code equals `code`, or null. Only steps
 * strictly greater than options.after (the last step already accepted: replay protection) count.
 * Every candidate step is computed and compared in constant time (crypto.timingSafeEqual),
 * whatever matches, so the time taken does not tell which step, if any, matched. A code that is
 * not exactly `digits` ASCII digits is null without comparison.
 *
 * The window absorbs clock drift between server and phone and the seconds a person takes to
 * type; RFC 6238 §5.2 recommends at most one step either way. Should two steps in the window
 * give the same code, the earliest one after `after` is the match. Steps before the epoch are
 * not candidates.
 */
export function matchTotpStep(
  secret: Buffer,
  code: string,
  unixMs: number,
  options: { window: number; after?: number | null },
  params = AUTHENTICATOR_TOTP,
): number | null {
  if (!Number.isSafeInteger(options.window) || options.window < 0) {
    throw new RangeError(`a TOTP window is a non-negative integer, not ${options.window}`);
  }
  if (code.length !== params.digits || !/^[0-9]+$/.test(code)) return null;
  const given = Buffer.from(code, 'ascii');
  const now = totpTimeStep(unixMs, params);
  let matched: number | null = null;
  for (let step = Math.max(0, now - options.window); step <= now + options.window; step++) {
    const expected = Buffer.from(totpCode(secret, step, params), 'ascii');
    const equal = timingSafeEqual(expected, given);
    if (equal && matched === null && (options.after == null || step > options.after)) {
      matched = step;
    }
  }
  return matched;
}
