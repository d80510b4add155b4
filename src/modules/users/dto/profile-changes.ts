import {
  canonicalLocale,
  canonicalPhone,
  canonicalTimeZone,
} from '../../../common/validation/profile-formats';
import { ProfileChanges } from '../users.repository';
import { UpdateProfileDto } from './update-profile.dto';

function nullable<T>(
  value: T | null | undefined,
  canonical: (v: T) => T | null,
): T | null | undefined {
  return value === undefined || value === null ? value : canonical(value);
}

/**
 * The profile fields a request changes, in their canonical forms; fields it leaves out are
 * absent (not undefined), `null` clears. For the user's own changes and an administrator's.
 */
export function profileChangesOf(
  body: Pick<UpdateProfileDto, 'name' | 'phone' | 'avatar_url' | 'timezone' | 'locale'>,
): ProfileChanges {
  const changes: ProfileChanges = {
    name: body.name?.trim(),
    phone: nullable(body.phone, canonicalPhone),
    avatarUrl: body.avatar_url,
    timezone: nullable(body.timezone, canonicalTimeZone),
    locale: nullable(body.locale, canonicalLocale),
  };
  return Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
}
