import { hash, randomBytes } from 'node:crypto';

/** Kinds of opaque secret Gatehouse issues, each with a prefix that names it (and scanners find). */
export const TOKEN_PREFIXES = {
  refresh: 'ghr_',
  verifyEmail: 'ghv_',
  resetPassword: 'ghp_',
  changeEmail: 'ghe_',
  invitation: 'ghi_',
  clientSecret: 'ghs_',
  mfa: 'ghm_',
  hrApiKey: 'ghk_',
} as const;

export type TokenKind = keyof typeof TOKEN_PREFIXES;

const TOKEN_BYTES = 32;
/** base64url of 32 bytes, unpadded. */
const BODY = /^[A-Za-z0-9_-]{43}$/;

export interface IssuedToken {
  /** Shown once to its holder, never stored. */
  token: string;
  /** What is stored and looked up. */
  hash: Buffer;
}

/** A new 256-bit random secret of the given kind and the SHA-256 to store for it. */
export function issueOpaqueToken(kind: TokenKind): IssuedToken {
  const token = TOKEN_PREFIXES[kind] + randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, hash: hashOpaqueToken(token) };
}

/**
 * The lookup hash of a presented token, or null when it cannot be one of ours (wrong kind,
 * wrong length): such input never reaches the database. With 256 bits of entropy a plain
 * SHA-256 is enough; the lookup is by hash, so no comparison of secrets happens in our code.
 */
export function presentedTokenHash(
  kind: TokenKind | TokenKind[],
  presented: string,
): Buffer | null {
  const kinds = Array.isArray(kind) ? kind : [kind];
  const matches = kinds.some(
    (k) => presented.startsWith(TOKEN_PREFIXES[k]) && BODY.test(presented.slice(4)),
  );
  return matches ? hashOpaqueToken(presented) : null;
}

export function hashOpaqueToken(token: string): Buffer {
  return hash('sha256', token, 'buffer');
}
