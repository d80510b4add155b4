import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
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

  describe('with a key ring (MASTER_KEYS)', () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const before = new EnvelopeCipher(oldKey);
    const ring = new EnvelopeCipher(newKey, [oldKey]);

    it('opens what a previous key sealed and seals under the current key only', () => {
      const old = before.encrypt(secret, 'c');
      expect(ring.keyId).toBe(new EnvelopeCipher(newKey).keyId);
      expect(ring.keyIds).toEqual([ring.keyId, before.keyId]);
      expect(ring.decrypt(old, 'c')).toEqual(secret);
      expect(ring.keyIdOf(ring.encrypt(secret, 'c'))).toBe(ring.keyId);
      expect(ring.canOpen(old)).toBe(true);
      expect(ring.canOpen(new EnvelopeCipher(randomBytes(32)).encrypt(secret, 'c'))).toBe(false);
      expect(ring.canOpen('not an envelope')).toBe(false);
    });

    it('reseals under the current key for the same context, which the new key alone opens', () => {
      const resealed = ring.reseal(before.encrypt(secret, 'c'), 'c');
      expect(ring.keyIdOf(resealed)).toBe(ring.keyId);
      expect(new EnvelopeCipher(newKey).decrypt(resealed, 'c')).toEqual(secret);
      expect(() => before.decrypt(resealed, 'c')).toThrow('sealed under another master key');
      expect(() => ring.reseal(before.encrypt(secret, 'c'), 'other')).toThrow();
    });

    it('keys hashes with the current key', () => {
      expect(ring.keyedHash('p', 'v')).toEqual(new EnvelopeCipher(newKey).keyedHash('p', 'v'));
    });

    it('shows no key when inspected', () => {
      expect(inspect(ring, { showHidden: true, depth: 5 })).not.toContain(
        oldKey.toString('hex').slice(0, 8),
      );
    });
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

  it('refuses truncated envelopes (short tags, short wrapped keys)', () => {
    const [version, keyId, wrapped, body] = cipher.encrypt(secret, 'c').split('.');
    const cut = (part: string, bytes: number) =>
      Buffer.from(part, 'base64url').subarray(0, bytes).toString('base64url');
    expect(() => cipher.decrypt([version, keyId, wrapped, cut(body, 16)].join('.'), 'c')).toThrow();
    expect(() => cipher.decrypt([version, keyId, cut(wrapped, 40), body].join('.'), 'c')).toThrow(
      'malformed wrapped data key',
    );
  });

  it('names the master key of an envelope without opening it, and never shows the key', () => {
    const key = randomBytes(32);
    const own = new EnvelopeCipher(key);
    expect(own.keyIdOf(own.encrypt(secret, 'c'))).toBe(own.keyId);
    expect(own.keyIdOf('garbage')).toBeUndefined();
    const shown = inspect(own, { showHidden: true, depth: 5 }) + JSON.stringify(own);
    expect(shown).not.toContain(key.toString('hex').slice(0, 16));
    expect(shown).not.toContain(key.toString('base64').slice(0, 16));
    expect(own.keyId).not.toBe(key.toString('hex').slice(0, 16));
  });

  it('hashes a value under a key of its purpose and master key', () => {
    const value = 'user-1 network 192.0.2.0/24';
    const hash = cipher.keyedHash('sign-in contexts', value);
    expect(hash).toHaveLength(32);
    expect(cipher.keyedHash('sign-in contexts', value)).toEqual(hash);
    expect(cipher.keyedHash('sign-in contexts', `${value} `)).not.toEqual(hash);
    expect(cipher.keyedHash('another purpose', value)).not.toEqual(hash);
    expect(new EnvelopeCipher(randomBytes(32)).keyedHash('sign-in contexts', value)).not.toEqual(
      hash,
    );
  });

  it('accepts only a 32-byte master key', () => {
    expect(() => new EnvelopeCipher(randomBytes(16))).toThrow('32 bytes');
  });
});
