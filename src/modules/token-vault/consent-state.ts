import { timingSafeEqual } from 'node:crypto';
import { isUUID } from 'class-validator';
import { EnvelopeCipher } from '../../common/crypto/envelope-cipher';

const PURPOSE = 'token vault consent state';

/** What a consent's state is bound to, read back from the consent's row. */
export interface ConsentBinding {
  consentId: string;
  userId: string;
  sessionId: string;
  expiresAt: Date;
}

/**
 * The `state` of a consent: `<consent id>.<expiry, seconds since the epoch>.<HMAC>`, the HMAC
 * (under a key derived from the master key) covering the id, the expiry, and the user and
 * session that asked, which stay server-side in the consent row. A state altered, forged,
 * expired or presented for another user's consent fails `verify`; its single use is the row's.
 */
export class ConsentState {
  constructor(private readonly cipher: EnvelopeCipher) {}

  sign(binding: ConsentBinding): string {
    const payload = `${binding.consentId}.${Math.floor(binding.expiresAt.getTime() / 1000)}`;
    return `${payload}.${this.mac(payload, binding).toString('base64url')}`;
  }

  /** The consent id a well-formed state names (to find its row), before `verify`. */
  static consentIdOf(state: string): string | null {
    const [consentId, expires, mac, ...rest] = state.split('.');
    if (rest.length > 0 || mac === undefined) return null;
    return isUUID(consentId) && /^\d{1,12}$/.test(expires) ? consentId : null;
  }

  /** Whether this deployment signed the state for this very consent, and it has not expired. */
  verify(state: string, binding: ConsentBinding, now: Date): boolean {
    const [consentId, expires, mac] = state.split('.');
    if (consentId !== binding.consentId) return false;
    if (Number(expires) !== Math.floor(binding.expiresAt.getTime() / 1000)) return false;
    const presented = Buffer.from(mac, 'base64url');
    const expected = this.mac(`${consentId}.${expires}`, binding);
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return false;
    return binding.expiresAt.getTime() > now.getTime();
  }

  private mac(payload: string, binding: ConsentBinding): Buffer {
    return this.cipher.keyedHash(PURPOSE, `${payload}.${binding.userId}.${binding.sessionId}`);
  }
}
