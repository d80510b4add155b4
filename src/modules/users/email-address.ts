/**
 * The form an email address is stored and compared in: trimmed, NFC, lower-cased. Mail
 * providers treat local parts case-insensitively in practice, and one person must not be able
 * to hold `Ann@x.io` and `ann@x.io` as two accounts.
 */
export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}
