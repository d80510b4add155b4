import { randomUUID } from 'node:crypto';
import { LinkBrowserBinding } from './link-browser-binding';

describe('LinkBrowserBinding', () => {
  const linkId = randomUUID();
  const { nonce, binding } = LinkBrowserBinding.create();
  const name = `gatehouse_link_${linkId}`;

  it('matches only the nonce of its own link, among any other cookies', () => {
    expect(LinkBrowserBinding.matches(`a=1; ${name}=${nonce}; b=2`, linkId, binding)).toBe(true);
    expect(LinkBrowserBinding.matches(`${name}=${nonce}x`, linkId, binding)).toBe(false);
    expect(LinkBrowserBinding.matches(`${name}=`, linkId, binding)).toBe(false);
    expect(
      LinkBrowserBinding.matches(`gatehouse_link_${randomUUID()}=${nonce}`, linkId, binding),
    ).toBe(false);
    expect(LinkBrowserBinding.matches(undefined, linkId, binding)).toBe(false);
    expect(
      LinkBrowserBinding.matches(`${name}=${nonce}`, linkId, LinkBrowserBinding.create().binding),
    ).toBe(false);
  });

  it('makes a fresh nonce every time, of 256 bits', () => {
    const other = LinkBrowserBinding.create();
    expect(other.nonce).not.toBe(nonce);
    expect(Buffer.from(nonce, 'base64url')).toHaveLength(32);
    expect(binding).toHaveLength(32);
  });

  it('scopes the cookie to the callback under PUBLIC_URL, Secure over https', () => {
    expect(LinkBrowserBinding.cookie('https://id.example.com/auth/', linkId, nonce, 600)).toBe(
      `${name}=${nonce}; Path=/auth/v1/trading-accounts/links/callback; Max-Age=600; HttpOnly; SameSite=Lax; Secure`,
    );
    expect(LinkBrowserBinding.cleared('http://localhost:3000', linkId)).toBe(
      `${name}=; Path=/v1/trading-accounts/links/callback; Max-Age=0; HttpOnly; SameSite=Lax`,
    );
  });
});
