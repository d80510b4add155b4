import { Webhook } from 'standardwebhooks';
import {
  newSigningSecret,
  signatureHeader,
  signatureMatches,
  signingKey,
} from './webhook-signature';

describe('webhook signatures (Standard Webhooks 1.0)', () => {
  const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
  const body = JSON.stringify({ type: 'user.registered', timestamp: 'x', data: { a: 1 } });

  it('issues whsec_ secrets of 32 random bytes', () => {
    const secret = newSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(signingKey(secret)).toHaveLength(32);
    expect(newSigningSecret()).not.toBe(secret);
  });

  it('signs as the reference library verifies', () => {
    const secret = newSigningSecret();
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader([signingKey(secret)], id, timestamp, body),
    };
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(newSigningSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
  });

  it('matches the specification’s example', () => {
    // The example of the Standard Webhooks specification (and its reference libraries' tests).
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const header = signatureHeader(
      [signingKey(secret)],
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1614265330,
      '{"test": 2432232314}',
    );
    expect(header).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('carries one signature per key, each verifying alone', () => {
    const [current, previous] = [newSigningSecret(), newSigningSecret()];
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = signatureHeader(
      [signingKey(current), signingKey(previous)],
      id,
      timestamp,
      body,
    );
    expect(signature.split(' ')).toHaveLength(2);
    for (const secret of [current, previous]) {
      const headers = {
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signature,
      };
      expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    }
  });

  it('refuses a secret without its prefix', () => {
    expect(() => signingKey('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toThrow();
  });

  it('verifies what the reference library signs, and nothing else', () => {
    const secret = newSigningSecret();
    const at = new Date();
    const seconds = Math.floor(at.getTime() / 1000);
    const header = new Webhook(secret).sign(id, at, body);
    const key = signingKey(secret);
    expect(signatureMatches([key], id, seconds, body, header)).toBe(true);
    expect(signatureMatches([key], id, seconds, body, `v1,bogus ${header}`)).toBe(true);
    expect(signatureMatches([key], id, seconds, `${body} `, header)).toBe(false);
    expect(signatureMatches([key], `${id}x`, seconds, body, header)).toBe(false);
    expect(signatureMatches([key], id, seconds + 1, body, header)).toBe(false);
    expect(signatureMatches([signingKey(newSigningSecret())], id, seconds, body, header)).toBe(
      false,
    );
    expect(signatureMatches([key], id, seconds, body, header.replace('v1,', 'v2,'))).toBe(false);
    expect(signatureMatches([key], id, seconds, body, '')).toBe(false);
  });
});
