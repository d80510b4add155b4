/** Role and policy names: lower-case, start with a letter, at most 63 characters. */
export const NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;

/** Holds every Gatehouse permission, always (see `GATEHOUSE_PERMISSIONS`). */
export const ADMIN_ROLE = 'admin';

/** Held implicitly by every active user; never granted explicitly. */
export const USER_ROLE = 'user';
