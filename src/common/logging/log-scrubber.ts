/**
 * What must never reach a log: credentials by key name, wherever they sit in a logged object;
 * passwords inside URLs; and email addresses, which are masked to their first two characters
 * and domain.
 */
const SECRET_KEY =
  /pass(word|wd|phrase)?|secret|token|authori[sz]ation|cookie|api[-_]?key|credential|private[-_]?key|otp|backup[-_]?code|pepper|master[-_]?key|bearer|signature|salt|hash|^(auth|code|jwt|session)$/i;

/**
 * Local part and domain as RFC 6531 allows them, so internationalised addresses are masked too;
 * `/` is left out so that an address in a URL path does not swallow the path before it.
 */
const EMAIL = /([\p{L}\p{N}.!#$%&'*+=?^_`{|}~-]{1,64})@((?:[\p{L}\p{N}-]+\.)+\p{L}{2,})/gu;

/** `scheme://user:password@host`: the password goes, the rest stays useful. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]+@/gi;

export const REDACTED = '[REDACTED]';

export function maskEmail(local: string, domain: string): string {
  return `${local.slice(0, 2)}***@${domain}`;
}

export function scrubString(text: string): string {
  return text
    .replace(URL_CREDENTIALS, `$1:${REDACTED}@`)
    .replace(EMAIL, (_match, local: string, domain: string) => maskEmail(local, domain));
}

const MAX_DEPTH = 8;

function scrubError(error: Error, depth: number): Record<string, unknown> {
  const { code, errors } = error as Error & { code?: unknown; errors?: unknown };
  return {
    type: error.name,
    message: scrubString(error.message),
    stack: error.stack === undefined ? undefined : scrubString(error.stack),
    code: code === undefined ? undefined : scrubLogValue(code, depth + 1),
    cause: error.cause === undefined ? undefined : scrubLogValue(error.cause, depth + 1),
    errors: Array.isArray(errors) ? scrubLogValue(errors, depth + 1) : undefined,
  };
}

/** Returns a scrubbed copy; the original object (often live application state) is untouched. */
export function scrubLogValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[Truncated]';
  if (value instanceof Error) return scrubError(value, depth);
  if (value instanceof Date) return value.toISOString();
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (value instanceof Map) return scrubLogValue(Object.fromEntries(value), depth);
  if (value instanceof Set) return scrubLogValue([...value], depth);
  if (Array.isArray(value)) return value.map((item) => scrubLogValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? REDACTED : scrubLogValue(item, depth + 1);
  }
  return out;
}

/**
 * Scrubs the object of one log call. Keys in `serialized` are left to their pino serializers,
 * which keep only safe fields; pino hands this formatter the raw values (a whole
 * IncomingMessage, say), and walking those would cost more than the rest of the request.
 */
export function scrubLogObject(
  object: Record<string, unknown>,
  serialized: ReadonlySet<string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(object)) {
    if (serialized.has(key)) out[key] = item;
    else out[key] = SECRET_KEY.test(key) ? REDACTED : scrubLogValue(item, 1);
  }
  return out;
}
