import { decodeBase32 } from './base32';
import { otpauthUri } from './otpauth-uri';

/** What an authenticator app reads from the URI. */
function parse(uri: string) {
  const url = new URL(uri);
  const label = decodeURIComponent(url.pathname.slice(1));
  const separator = label.indexOf(':');
  return {
    scheme: url.protocol,
    type: url.host,
    labelIssuer: label.slice(0, separator),
    account: label.slice(separator + 1),
    secret: decodeBase32(url.searchParams.get('secret') ?? ''),
    issuer: url.searchParams.get('issuer'),
    algorithm: url.searchParams.get('algorithm'),
    digits: url.searchParams.get('digits'),
    period: url.searchParams.get('period'),
  };
}

describe('otpauthUri', () => {
  const secret = Buffer.from('12345678901234567890', 'ascii');

  it('is the Key Uri Format with the authenticator parameters', () => {
    expect(otpauthUri({ issuer: 'Gatehouse', account: 'ada@example.com', secret })).toBe(
      'otpauth://totp/Gatehouse:ada%40example.com' +
        '?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30',
    );
  });

  it('reads back as the secret, issuer, label and parameters', () => {
    expect(parse(otpauthUri({ issuer: 'Gatehouse', account: 'ada@example.com', secret }))).toEqual({
      scheme: 'otpauth:',
      type: 'totp',
      labelIssuer: 'Gatehouse',
      account: 'ada@example.com',
      secret,
      issuer: 'Gatehouse',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
  });

  it('encodes spaces, @, & and non-ASCII in the label and issuer, and they read back', () => {
    const issuer = 'Ümlaut & Co Zoë';
    const account = 'José Ñúñez+tag@exämple.com';
    const uri = otpauthUri({ issuer, account, secret });
    expect(uri).toMatch(/^[\x21-\x7e]+$/);
    expect(uri).not.toContain('+');
    expect(uri).toContain('issuer=%C3%9Cmlaut%20%26%20Co%20Zo%C3%AB&');
    const read = parse(uri);
    expect(read).toMatchObject({ labelIssuer: issuer, account, issuer, secret });
  });

  it.each([
    ['Evil:Bank', 'ada'],
    ['Gatehouse', 'ada:admin'],
  ])('refuses a colon in issuer %p or account %p', (issuer, account) => {
    expect(() => otpauthUri({ issuer, account, secret })).toThrow(/cannot contain ":"/);
  });
});
