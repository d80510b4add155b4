import { randomBytes } from 'node:crypto';
import { EnvelopeCipher } from './envelope-cipher';

describe('EnvelopeCipher', () => {
  const cipher = new EnvelopeCipher(randomBytes(32));
  const secret = Buffer.from('-----BEGIN PRIVATE KEY----- not really');

  it('round-trips a value for the same context', () => {
    const sealed = cipher.encrypt(secret, 'signing_keys:a');
    expect(sealed).toMatch(/^v1\.[0-9a-f]{16}\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('PRIVATE');
    expect(cipher.decrypt(sealed, 'signing_keys:a')).toEqual(secret);
  });

  it('seals the same value differently every time (fresh data key and IVs)', () => {
    expect(cipher.encrypt(secret, 'c')).not.toBe(cipher.encrypt(secret, 'c'));
  });

  it('refuses a value moved to another context (row or purpose)', () => {
    const sealed = cipher.encrypt(secret, 'signing_keys:a');
    expect(() => cipher.decrypt(sealed, 'signing_keys:b')).toThrow();
  });

  it('refuses a value sealed under another master key, naming that key by fingerprint', () => {
    const other = new EnvelopeCipher(randomBytes(32));
    const sealed = other.encrypt(secret, 'c');
    expect(() => cipher.decrypt(sealed, 'c')).toThrow(
      `sealed under another master key (${other.keyId})`,
    );
  });

  it('refuses a tampered ciphertext or wrapped key', () => {
    const [version, keyId, wrapped, body] = cipher.encrypt(secret, 'c').split('.');
    const flip = (part: string) => {
      const bytes = Buffer.from(part, 'base64url');
      bytes[bytes.length - 1] ^= 1;
      return bytes.toString('base64url');
    };
    expect(() => cipher.decrypt([version, keyId, wrapped, flip(body)].join('.'), 'c')).toThrow();
    expect(() => cipher.decrypt([version, keyId, flip(wrapped), body].join('.'), 'c')).toThrow();
    expect(() => cipher.decrypt(`v9.${keyId}.${wrapped}.${body}`, 'c')).toThrow(/version/);
  });

  it('accepts only a 32-byte master key', () => {
    expect(() => new EnvelopeCipher(randomBytes(16))).toThrow('32 bytes');
  });
});
