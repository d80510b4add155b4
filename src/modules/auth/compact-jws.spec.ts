import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { CompactSign, compactVerify, decodeProtectedHeader, jwtVerify } from 'jose';
import { signCompactJws } from './compact-jws';

const KEYS: Record<string, () => { publicKey: KeyObject; privateKey: KeyObject }> = {
  ES256: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  RS256: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  EdDSA: () => generateKeyPairSync('ed25519'),
};

describe('signCompactJws', () => {
  const payload = { sid: 'a', amr: ['pwd'], iss: 'https://id.example', sub: 's', exp: 4e9 };

  it.each(Object.keys(KEYS))(
    '%s: jose verifies the signature and reads what was signed',
    async (alg) => {
      const { publicKey, privateKey } = KEYS[alg]();
      const token = signCompactJws({ alg, typ: 'at+jwt', kid: 'k1' }, payload, privateKey);
      const { payload: verified, protectedHeader } = await jwtVerify(token, publicKey, {
        algorithms: [alg],
        typ: 'at+jwt',
      });
      expect(protectedHeader).toEqual({ alg, typ: 'at+jwt', kid: 'k1' });
      expect(verified).toEqual(payload);
    },
  );

  it.each(Object.keys(KEYS))('%s: the same signing input as jose', async (alg) => {
    const { privateKey } = KEYS[alg]();
    const header = { alg, typ: 'at+jwt', kid: 'k1' };
    const ours = signCompactJws(header, payload, privateKey);
    const jose = await new CompactSign(Buffer.from(JSON.stringify(payload)))
      .setProtectedHeader(header)
      .sign(privateKey);
    const signingInput = (jws: string) => jws.split('.').slice(0, 2).join('.');
    expect(signingInput(ours)).toBe(signingInput(jose));
  });

  it('ES256 signatures are r || s (64 bytes), not DER', async () => {
    const { publicKey, privateKey } = KEYS.ES256();
    const token = signCompactJws({ alg: 'ES256' }, payload, privateKey);
    expect(Buffer.from(token.split('.')[2], 'base64url')).toHaveLength(64);
    await expect(compactVerify(token, publicKey)).resolves.toBeDefined();
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256' });
  });

  it('refuses an algorithm it does not sign with', () => {
    const { privateKey } = KEYS.ES256();
    expect(() => signCompactJws({ alg: 'HS256' }, payload, privateKey)).toThrow(/HS256/);
  });
});
