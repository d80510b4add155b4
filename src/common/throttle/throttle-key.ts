import { hash } from 'node:crypto';

/**
 * A store key for `identifier` (an email, an IP address, a caller's rate-limit key) under
 * `namespace`. Identifiers are hashed: no email or address is ever written to Redis, and keys
 * keep one short length whatever the caller passes.
 */
export function throttleKey(namespace: string, identifier: string): string {
  return `${namespace}:${hash('sha256', identifier, 'base64url')}`;
}
