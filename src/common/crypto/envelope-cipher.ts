import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

function seal(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
}

function open(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  const iv = sealed.subarray(0, IV_BYTES);
  const tag = sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv).setAAD(aad).setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}

/**
 * Envelope encryption for secrets kept in the database (signing keys, broker tokens, TOTP seeds):
 * each value gets its own random data key (AES-256-GCM), and the data key is itself encrypted
 * under the master key. The output names the master key it needs (a fingerprint, never the key),
 * so values can be re-encrypted when the master key changes. `context` is bound into both layers
 * as associated data: a ciphertext copied to another row or purpose does not decrypt.
 *
 * Format: `v1.<master key id>.<wrapped data key>.<ciphertext>` (base64url parts).
 */
export class EnvelopeCipher {
  readonly keyId: string;

  constructor(private readonly masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error('the master key must be 32 bytes');
    this.keyId = createHash('sha256').update(masterKey).digest('hex').slice(0, 16);
  }

  encrypt(plaintext: Buffer, context: string): string {
    const aad = Buffer.from(context, 'utf8');
    const dataKey = randomBytes(32);
    try {
      const wrapped = seal(this.masterKey, dataKey, aad);
      const body = seal(dataKey, plaintext, aad);
      return [VERSION, this.keyId, wrapped.toString('base64url'), body.toString('base64url')].join(
        '.',
      );
    } finally {
      dataKey.fill(0);
    }
  }

  /** Throws when the value was sealed under another master key, for another context, or altered. */
  decrypt(envelope: string, context: string): Buffer {
    const [version, keyId, wrapped, body, ...rest] = envelope.split('.');
    if (version !== VERSION || rest.length > 0 || !wrapped || !body) {
      throw new Error('not an envelope this version can open');
    }
    if (keyId !== this.keyId) throw new Error(`sealed under another master key (${keyId})`);
    const aad = Buffer.from(context, 'utf8');
    const dataKey = open(this.masterKey, Buffer.from(wrapped, 'base64url'), aad);
    try {
      return open(dataKey, Buffer.from(body, 'base64url'), aad);
    } finally {
      dataKey.fill(0);
    }
  }
}
