import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Standard Webhooks' prefix of a signing secret; the rest is the key, base64. */
const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;

/** A new signing secret: `whsec_` and the base64 of 32 random bytes (Standard Webhooks). */
export function newSigningSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/** The HMAC key of a secret: the bytes its base64 part stands for. */
export function signingKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('not a webhook signing secret');
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
}

/**
 * The `webhook-signature` header of a delivery (Standard Webhooks 1.0): for each key,
 * `v1,` and the base64 HMAC-SHA256 of `${id}.${timestamp}.${body}`, separated by spaces. During
 * a rotation a delivery carries the current secret's signature and the previous one's.
 */
export function signatureHeader(
  keys: Buffer[],
  id: string,
  timestampSeconds: number,
  body: string,
): string {
  const content = `${id}.${timestampSeconds}.${body}`;
  return keys
    .map((key) => `v1,${createHmac('sha256', key).update(content, 'utf8').digest('base64')}`)
    .join(' ');
}

/**
 * Whether a received `webhook-signature` header holds a valid `v1` signature of the delivery
 * under one of `keys` (Standard Webhooks 1.0, as `signatureHeader` writes them). Each candidate is
 * compared in constant time; a malformed entry is skipped.
 */
export function signatureMatches(
  keys: Buffer[],
  id: string,
  timestampSeconds: number,
  body: string,
  header: string,
): boolean {
  const expected = signatureHeader(keys, id, timestampSeconds, body)
    .split(' ')
    .map((entry) => Buffer.from(entry.slice(3), 'base64'));
  const given = header
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry.slice(3), 'base64'));
  let matched = false;
  for (const candidate of given) {
    for (const signature of expected) {
      if (candidate.length === signature.length && timingSafeEqual(candidate, signature)) {
        matched = true;
      }
    }
  }
  return matched;
}
