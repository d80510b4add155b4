import { createHash } from 'node:crypto';
import type { get } from './accounts';

/** A response from `TestApp.inject` (and so from the `get`/`post` helpers). */
export type Response = Awaited<ReturnType<typeof get>>;

export const PROBLEM = /^application\/problem\+json/;

/** How long a revoked session, client or token may keep working on any instance (the bound). */
export const REVOCATION_BOUND_MS = 1000;

/**
 * An RFC 9457 problem with this status and code, as the one error filter writes it: its type
 * URN, a title and a detail, and the request id of the X-Request-Id header. Returns the body.
 */
export function expectProblem(
  res: Response,
  status: number,
  code: string,
): Record<string, unknown> {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toMatch(PROBLEM);
  const body = res.json<Record<string, unknown>>();
  expect(body).toMatchObject({ status, code, type: `urn:gatehouse:problem:${code}` });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  expect(body.request_id).toBe(res.headers['x-request-id']);
  return body;
}

/** A 422 whose error list names `field`. */
export function expectInvalidField(res: Response, field: string): void {
  const body = expectProblem(res, 422, 'validation_failed');
  const errors = body.errors as { field: string; message: string }[];
  expect(errors.map((e) => e.field)).toContain(field);
}

/** `record` without the named keys. */
export function without(record: object, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !keys.includes(key)));
}

/** Response headers without what differs per request (request id and date). */
export function headersWithoutIds(res: Response): Record<string, unknown> {
  return without(res.headers, 'x-request-id', 'date');
}

/** SHA-256 of the UTF-8 text: how tokens are stored. */
export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The parameters of a PHC-format argon2id hash, in whatever order the library wrote them. */
export function argon2Parameters(hash: string): Record<string, number> {
  const match = /^\$argon2id\$v=19\$([^$]+)\$[^$]+\$[^$]+$/.exec(hash);
  if (!match) throw new Error('not an argon2id v19 hash');
  return Object.fromEntries(
    match[1].split(',').map((pair) => {
      const [key, value] = pair.split('=');
      return [key, Number(value)];
    }),
  );
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The middle value (the upper one of an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
