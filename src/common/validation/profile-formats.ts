import { isValidPhoneNumber, parsePhoneNumberWithError } from 'libphonenumber-js';
import { Matches, ValidateBy, ValidationOptions } from 'class-validator';

/** `+` and 8–15 digits that form a number valid in its country plan; null otherwise. */
export function canonicalPhone(value: string): string | null {
  if (!/^\+[1-9]\d{7,14}$/.test(value) || !isValidPhoneNumber(value)) return null;
  return parsePhoneNumberWithError(value).number;
}

let zonesByLowerCase: Map<string, string> | undefined;

/**
 * An IANA time zone name the runtime knows, spelled as its zone list spells it when the input
 * differs only in case (`europe/paris` → `Europe/Paris`); null if unknown. A name the runtime
 * accepts but lists under an older alias (`Asia/Kolkata`, listed as `Asia/Calcutta`) is kept
 * as given rather than turned into the alias.
 */
export function canonicalTimeZone(value: string): string | null {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(value)) return null;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
  } catch {
    return null;
  }
  zonesByLowerCase ??= new Map(
    [...Intl.supportedValuesOf('timeZone'), 'UTC'].map((zone) => [zone.toLowerCase(), zone]),
  );
  return zonesByLowerCase.get(value.toLowerCase()) ?? value;
}

/** The canonical form of a BCP 47 language tag (`en-us` → `en-US`); null if malformed. */
export function canonicalLocale(value: string): string | null {
  if (value.length > 35) return null;
  try {
    return Intl.getCanonicalLocales(value)[0] ?? null;
  } catch {
    return null;
  }
}

function format(
  name: string,
  canonical: (value: string) => string | null,
  message: string,
  options?: ValidationOptions,
): PropertyDecorator {
  return ValidateBy(
    {
      name,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && canonical(value) !== null,
        defaultMessage: () => message,
      },
    },
    options,
  );
}

export const IsE164Phone = (options?: ValidationOptions) =>
  format(
    'isE164Phone',
    canonicalPhone,
    'must be a valid phone number in E.164 form (+14155550123)',
    options,
  );

export const IsIanaTimeZone = (options?: ValidationOptions) =>
  format(
    'isIanaTimeZone',
    canonicalTimeZone,
    'must be an IANA time zone such as Europe/Paris',
    options,
  );

export const IsBcp47Locale = (options?: ValidationOptions) =>
  format('isBcp47Locale', canonicalLocale, 'must be a BCP 47 language tag such as en-GB', options);

/**
 * A display name: not blank, no control characters, and none of the invisible or
 * direction-overriding characters that make one name look like another (zero-width space,
 * word joiner, BOM, bidi embeddings, overrides and isolates). Joiners that scripts and emoji
 * need (U+200C, U+200D) stay allowed.
 */
export const DISPLAY_NAME = /^(?!.*[\p{Cc}\u200B\u2060\uFEFF\u202A-\u202E\u2066-\u2069])\s*\S.*$/su;

export const IsDisplayName = (options?: ValidationOptions) =>
  Matches(DISPLAY_NAME, {
    message: 'must not be blank or contain control or invisible formatting characters',
    ...options,
  });
