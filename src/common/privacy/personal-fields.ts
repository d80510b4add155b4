/**
 * Names of values that identify a person, wherever they appear in an audit row's details or an
 * event's payload: in the audit log such values are stored encrypted under the user's key
 * (`subject_personal`), never in clear; erasure blanks them in the event log (`redactPersonal`).
 */
const PERSONAL_KEYS = new Set([
  'email',
  'previous_email',
  'new_email',
  'name',
  'previous_name',
  'display_name',
  'given_name',
  'family_name',
  'phone',
  'phone_number',
  'address',
  'ip',
  'user_agent',
]);

type Json = Record<string, unknown>;

const isPlainObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

/**
 * Splits details into what may stay in clear, where each personal value is null, and what is
 * personal (at the same paths). Values under a personal key are personal whole (`email: {from,
 * to}` included).
 */
export function splitPersonal(details: Json): { details: Json; personal: Json | null } {
  const clear: Json = {};
  const personal: Json = {};
  for (const [key, value] of Object.entries(details)) {
    if (PERSONAL_KEYS.has(key)) {
      // The key stays, null: what was recorded shows, and reads as erased once the key is gone.
      clear[key] = null;
      personal[key] = value;
    } else if (isPlainObject(value)) {
      const split = splitPersonal(value);
      clear[key] = split.details;
      if (split.personal) personal[key] = split.personal;
    } else {
      clear[key] = value;
    }
  }
  return { details: clear, personal: Object.keys(personal).length > 0 ? personal : null };
}

/** Personal values put back into the details they were split from. */
export function mergePersonal(details: Json, personal: Json | null): Json {
  if (!personal) return details;
  const merged: Json = { ...details };
  for (const [key, value] of Object.entries(personal)) {
    const clear = merged[key];
    merged[key] =
      isPlainObject(clear) && isPlainObject(value) && !PERSONAL_KEYS.has(key)
        ? mergePersonal(clear, value)
        : value;
  }
  return merged;
}

/**
 * The value with every personal value blanked (null), at any depth; `alsoPersonal` names more
 * keys of the top level that hold one (an event's `from` and `to` addresses).
 */
export function redactPersonal(value: Json, alsoPersonal: readonly string[] = []): Json {
  const redacted: Json = {};
  for (const [key, inner] of Object.entries(value)) {
    if (PERSONAL_KEYS.has(key) || alsoPersonal.includes(key)) redacted[key] = null;
    else if (isPlainObject(inner)) redacted[key] = redactPersonal(inner);
    else redacted[key] = inner;
  }
  return redacted;
}
