import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const COOKIE_PREFIX = 'gatehouse_link_';
const CALLBACK_PATH = '/v1/trading-accounts/links/callback';

/**
 * Login CSRF on the broker's redirect: `GET /links/callback` needs no sign-in, because the state
 * names the user. Without more, an attacker could start a link, send the login URL to a victim,
 * and collect the victim's broker account once they log in at Kite. So `POST /links` also sets
 * an HttpOnly, SameSite=Lax cookie holding a random nonce, whose SHA-256 the signed state
 * carries: the redirect completes a link only in the browser that started it. The cookie is
 * named after the link, so links started side by side do not overwrite each other's.
 */
export class LinkBrowserBinding {
  /** A fresh nonce for the cookie, and its hash for the state. */
  static create(): { nonce: string; binding: Buffer } {
    const nonce = randomBytes(32).toString('base64url');
    return { nonce, binding: LinkBrowserBinding.hash(nonce) };
  }

  /** Whether the request's cookies hold the nonce whose hash the link's state carries. */
  static matches(cookieHeader: string | undefined, linkId: string, binding: Buffer): boolean {
    const nonce = cookieValue(cookieHeader, `${COOKIE_PREFIX}${linkId}`);
    if (!nonce) return false;
    const presented = LinkBrowserBinding.hash(nonce);
    return presented.length === binding.length && timingSafeEqual(presented, binding);
  }

  /** `Set-Cookie` of a link's nonce, sent only to the callback under PUBLIC_URL. */
  static cookie(publicUrl: string, linkId: string, nonce: string, maxAgeSeconds: number): string {
    return serialize(publicUrl, `${COOKIE_PREFIX}${linkId}`, nonce, maxAgeSeconds);
  }

  /** `Set-Cookie` removing a link's cookie once the link is done. */
  static cleared(publicUrl: string, linkId: string): string {
    return serialize(publicUrl, `${COOKIE_PREFIX}${linkId}`, '', 0);
  }

  private static hash(nonce: string): Buffer {
    return createHash('sha256').update(nonce, 'utf8').digest();
  }
}

function serialize(publicUrl: string, name: string, value: string, maxAge: number): string {
  const url = new URL(publicUrl);
  const path = `${url.pathname.replace(/\/+$/, '')}${CALLBACK_PATH}`;
  const secure = url.protocol === 'https:' ? '; Secure' : '';
  return `${name}=${value}; Path=${path}; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure}`;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const pair of (header ?? '').split(';')) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim();
  }
  return undefined;
}
