import { randomBytes } from 'node:crypto';
import { GATEHOUSE_PERMISSIONS } from '../../common/auth/gatehouse-permissions';

/** Prefix of every client id: public identifiers that can never be mistaken for a user's UUID. */
export const CLIENT_ID_PREFIX = 'ghc_';
/** 128 random bits: unguessable enough for an identifier that is not a credential. */
const CLIENT_ID_BYTES = 16;
const CLIENT_ID_PATTERN = /^ghc_[A-Za-z0-9_-]{22}$/;

export function newClientId(): string {
  return CLIENT_ID_PREFIX + randomBytes(CLIENT_ID_BYTES).toString('base64url');
}

/** Whether `value` has the form of a client id (whether or not such a client exists). */
export function isClientId(value: unknown): value is string {
  return typeof value === 'string' && CLIENT_ID_PATTERN.test(value);
}

/** A scope token (RFC 6749 §3.3) as Gatehouse names permissions: `resource:action`. */
const SCOPE_PATTERN = /^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$/;

export function isScope(value: string): boolean {
  return SCOPE_PATTERN.test(value);
}

/**
 * The scopes of a space-delimited `scope` value (RFC 6749 §3.3: one or more tokens, single
 * spaces between), or null when it is malformed or names a scope Gatehouse cannot have.
 */
export function parseScopeList(value: string): string[] | null {
  const scopes = value.split(' ');
  return scopes.every(isScope) ? scopes : null;
}

/** The scope that lets a client use the introspection endpoint (RFC 7662 §2.1). */
export const INTROSPECTION_SCOPE = 'oauth:introspect';

/**
 * What a client may be allowed: the permissions of Gatehouse's own endpoints (a service token
 * passes `@RequirePermission` with the permission among its scopes) and introspection. Tokens
 * are for Gatehouse alone (`aud`), so no other scope could mean anything.
 */
export const GRANTABLE_SCOPES: readonly string[] = [...GATEHOUSE_PERMISSIONS, INTROSPECTION_SCOPE];
