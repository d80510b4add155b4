import {
  canonicalLocale,
  canonicalPhone,
  DISPLAY_NAME,
} from '../../common/validation/profile-formats';
import { ProfileChanges } from '../users/users.service';
import { ClaimMapping } from './identity-provider.entity';

const MAX_NAME_LENGTH = 200;
const MAX_EMAIL_LENGTH = 254;

/** What a provider says of a person, read through the provider's claim mapping. */
export interface ProviderProfile {
  /** Lower-cased; null when absent or not an address. */
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  /** The profile fields to bring the local account to; invalid values are left out. */
  changes: ProfileChanges;
}

function text(claims: Record<string, unknown>, claim: string): string | null {
  const value = claims[claim];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/**
 * Reads a person's profile from ID token or userinfo claims (or a management API's user, mapped
 * to claim names). A value the local profile would refuse (a phone that is not E.164, a locale
 * that is not BCP 47) is ignored rather than stored.
 */
export function profileOf(claims: Record<string, unknown>, mapping: ClaimMapping): ProviderProfile {
  const rawEmail = text(claims, mapping.email);
  const email =
    rawEmail && rawEmail.length <= MAX_EMAIL_LENGTH && /^[^@\s]+@[^@\s]+$/.test(rawEmail)
      ? rawEmail.toLowerCase()
      : null;
  const verified = claims.email_verified;
  const rawName = text(claims, mapping.name);
  const name =
    rawName && rawName.length <= MAX_NAME_LENGTH && DISPLAY_NAME.test(rawName) ? rawName : null;
  const changes: ProfileChanges = {};
  if (name) changes.name = name;
  const phone = text(claims, mapping.phone);
  const canonicalPhoneValue = phone ? canonicalPhone(phone) : null;
  if (canonicalPhoneValue) changes.phone = canonicalPhoneValue;
  const locale = text(claims, mapping.locale);
  const canonicalLocaleValue = locale ? canonicalLocale(locale.replace('_', '-')) : null;
  if (canonicalLocaleValue) changes.locale = canonicalLocaleValue;
  return {
    email,
    emailVerified: verified === true || verified === 'true',
    name,
    changes,
  };
}
