import { Inject, Injectable } from '@nestjs/common';
import { dictionary } from '@zxcvbn-ts/language-common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { invalidFields } from '../errors/invalid-fields';

/**
 * The one form a password is checked, hashed and verified in: NFKC, so that the same characters
 * typed on different keyboards or platforms (precomposed or combining accents, full-width
 * digits, ligatures) are the same password.
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/** Lower-cased without a locale, so that the outcome does not depend on the server's. */
function fold(value: string): string {
  return normalizePassword(value).toLowerCase();
}

let blocklist: ReadonlySet<string> | undefined;

/** The common passwords refused at any case (zxcvbn's list, ~49,000), built once per process. */
export function commonPasswords(): ReadonlySet<string> {
  blocklist ??= new Set(dictionary.passwords.map(fold));
  return blocklist;
}

/** Unicode code points, not UTF-16 units: a character beyond the BMP (most emoji) counts once. */
function codePoints(value: string): number {
  return [...value].length;
}

/**
 * C0 and C1 controls (line breaks, tabs, NUL, DEL, …): no form or prompt types them into a
 * password field, so a password holding one is a mistake (two lines piped to the CLI, a pasted
 * line break) that would lock its owner out.
 */
const CONTROL_CHARACTER = /\p{Cc}/u;

/** What precedes the last `@` (a quoted local part may contain one), folded. */
function emailLocalPart(email: string): string {
  const at = email.lastIndexOf('@');
  return fold(at === -1 ? email : email.slice(0, at));
}

/**
 * What a new password must be: free of control characters, long enough, not too long, not a
 * common password and not the account's own email. No composition rules (NIST SP 800-63B §3.1.1.2).
 */
@Injectable()
export class PasswordPolicy {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    commonPasswords(); // built at boot rather than during the first registration
  }

  /** Throws a 422 problem naming `field` (default `password`); the message never quotes it. */
  assertAcceptable(password: string, context: { email?: string; field?: string } = {}): void {
    const message = this.violation(normalizePassword(password), context.email);
    if (message === undefined) return;
    throw invalidFields([{ field: context.field ?? 'password', message }]);
  }

  private violation(password: string, email: string | undefined): string | undefined {
    if (CONTROL_CHARACTER.test(password)) {
      return 'must not contain control characters (line breaks, tabs and the like)';
    }
    const { minLength, maxLength } = this.config.passwords;
    const length = codePoints(password);
    if (length < minLength) return `must be at least ${minLength} characters`;
    if (length > maxLength) return `must be at most ${maxLength} characters`;
    const folded = password.toLowerCase();
    if (commonPasswords().has(folded)) return 'is too common';
    const localPart = email === undefined ? '' : emailLocalPart(email);
    if (codePoints(localPart) >= 3 && folded.includes(localPart)) {
      return 'must not contain your email address';
    }
    return undefined;
  }
}
