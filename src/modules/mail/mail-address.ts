import { maskEmail, REDACTED } from '../../common/logging/log-scrubber';

/**
 * An address as logs and notices may show it: masked the way the log scrubber masks addresses
 * in text, but also when the address is one the scrubber would not recognise (no dot in the
 * domain, say).
 */
export function maskAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return REDACTED;
  return maskEmail(address.slice(0, at), address.slice(at + 1));
}
