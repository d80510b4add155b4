/**
 * What must never reach a log: credentials by key name, wherever they sit in a logged object,
 * and email addresses, which are masked to their first two characters and domain.
 */
const SECRET_KEY =
  /pass(word|wd|phrase)?|secret|token|authorization|cookie|api[-_]?key|credential|private[-_]?key|otp|totp|backup[-_]?code|pepper|master[-_]?key/i;

const EMAIL = /([A-Za-z0-9._%+-]{1,64})@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;

export const REDACTED = '[REDACTED]';

export function maskEmail(local: string, domain: string): string {
  return `${local.slice(0, 2)}***@${domain}`;
}

export function maskEmails(text: string): string {
  return text.replace(EMAIL, (_match, local: string, domain: string) => maskEmail(local, domain));
}

const MAX_DEPTH = 8;

/** Returns a scrubbed copy; the original object (often live application state) is untouched. */
export function scrubLogValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskEmails(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[Truncated]';
  if (value instanceof Error) {
    return {
      type: value.name,
      message: maskEmails(value.message),
      stack: value.stack === undefined ? undefined : maskEmails(value.stack),
    };
  }
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
