import { encodeBase32 } from './base32';
import { AUTHENTICATOR_TOTP } from './totp';

/**
 * The provisioning URI an authenticator app scans (Google Authenticator Key Uri Format):
 * `otpauth://totp/Issuer:account?secret=…&issuer=Issuer&…`. The issuer is in both the label and
 * the `issuer` parameter, as that format recommends: older apps read only the label. Every part
 * is percent-encoded with encodeURIComponent (a space as %20, never the form encoding '+', which
 * apps show literally).
 *
 * Neither issuer nor account may contain ':', as that format says. Apps take the issuer from the
 * label by splitting it at a colon, literal or percent-encoded alike, and do not agree on which
 * colon: an issuer "Evil:Bank" would show as "Evil", an account "a:b" as issuer "Issuer:a" in an
 * app that splits at the last one. Throwing is better than showing the user a misleading entry.
 */
export function otpauthUri({
  issuer,
  account,
  secret,
}: {
  issuer: string;
  account: string;
  secret: Buffer;
}): string {
  if (issuer.includes(':')) throw new Error('a TOTP issuer cannot contain ":"');
  if (account.includes(':')) throw new Error('a TOTP account name cannot contain ":"');
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const { algorithm, digits, periodSeconds } = AUTHENTICATOR_TOTP;
  const parameters = [
    `secret=${encodeBase32(secret)}`,
    `issuer=${encodeURIComponent(issuer)}`,
    `algorithm=${algorithm}`,
    `digits=${digits}`,
    `period=${periodSeconds}`,
  ];
  return `otpauth://totp/${label}?${parameters.join('&')}`;
}
