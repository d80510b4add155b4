import { timingSafeEqual } from 'node:crypto';
import { isUUID } from 'class-validator';
import { EnvelopeCipher } from '../../common/crypto/envelope-cipher';

const PURPOSE = 'trading account link state';

/**
 * The `state` a link carries through the broker's login and back: `<link id>.<expiry, seconds
 * since the epoch>.<HMAC of both under a key derived from the master key>`. A state that was
 * altered or forged, or has expired, is refused before the database is asked; that it is used
 * once is the link row's business.
 */
export class LinkState {
  constructor(private readonly cipher: EnvelopeCipher) {}

  sign(linkId: string, expiresAt: Date): string {
    const payload = `${linkId}.${Math.floor(expiresAt.getTime() / 1000)}`;
    return `${payload}.${this.mac(payload).toString('base64url')}`;
  }

  /** The link id of a state this deployment signed and that has not expired, else null. */
  verify(state: string, now: Date): string | null {
    const parts = state.split('.');
    if (parts.length !== 3) return null;
    const [linkId, expires, mac] = parts;
    if (!isUUID(linkId) || !/^\d{1,12}$/.test(expires)) return null;
    const presented = Buffer.from(mac, 'base64url');
    const expected = this.mac(`${linkId}.${expires}`);
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return null;
    return Number(expires) * 1000 > now.getTime() ? linkId : null;
  }

  private mac(payload: string): Buffer {
    return this.cipher.keyedHash(PURPOSE, payload);
  }
}
