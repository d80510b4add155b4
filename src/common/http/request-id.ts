import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:/+=-]{1,128}$/;

/**
 * Keeps a caller's `X-Request-Id` when it is a plain token of at most 128 characters, so a
 * request can be followed across services; anything else (too long, control characters,
 * spaces that could forge log lines, an `@` that could carry an email address onto every log
 * line) is replaced by a fresh id.
 */
export function resolveRequestId(header: string | string[] | undefined): string {
  const candidate = Array.isArray(header) ? header[0] : header;
  return candidate !== undefined && SANE_REQUEST_ID.test(candidate) ? candidate : randomUUID();
}
