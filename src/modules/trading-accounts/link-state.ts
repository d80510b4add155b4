import { timingSafeEqual } from 'node:crypto';
import { isUUID } from 'class-validator';
import { EnvelopeCipher } from '../../common/crypto/envelope-cipher';

const PURPOSE = 'trading account link state';
const BINDING_BYTES = 32;

/** What a good state says: its link, and the hash of the nonce of the browser that started it. */
export interface VerifiedLinkState {
  linkId: string;
  browserBinding: Buffer;
}

/**
 * The `state` a link carries through the broker's login and back: `<link id>.<expiry, seconds
 * since the epoch>.<browser binding>.<HMAC of the three under a key derived from the master
 * key>`, the binding being the SHA-256 of the nonce in the starting browser's cookie
 * (LinkBrowserBinding). A state that was altered or forged, or has expired, is refused before
 * the database is asked; that it is used once is the link row's business.
 */
export class LinkState {
  constructor(private readonly cipher: EnvelopeCipher) {}

  sign(linkId: string, expiresAt: Date, browserBinding: Buffer): string {
    const payload = `${linkId}.${Math.floor(expiresAt.getTime() / 1000)}.${browserBinding.toString('base64url')}`;
    return `${payload}.${this.mac(payload).toString('base64url')}`;
  }

  /** The link and binding of a state this deployment signed and that has not expired, else null. */
  verify(state: string, now: Date): VerifiedLinkState | null {
    const parts = state.split('.');
    if (parts.length !== 4) return null;
    const [linkId, expires, binding, mac] = parts;
    if (!isUUID(linkId) || !/^\d{1,12}$/.test(expires)) return null;
    const presented = Buffer.from(mac, 'base64url');
    const expected = this.mac(`${linkId}.${expires}.${binding}`);
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return null;
    const browserBinding = Buffer.from(binding, 'base64url');
    if (browserBinding.length !== BINDING_BYTES) return null;
    return Number(expires) * 1000 > now.getTime() ? { linkId, browserBinding } : null;
  }

  private mac(payload: string): Buffer {
    return this.cipher.keyedHash(PURPOSE, payload);
  }
}
