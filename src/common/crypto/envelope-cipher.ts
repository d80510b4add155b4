import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  hkdfSync,
  KeyObject,
  randomBytes,
} from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const DATA_KEY_BYTES = 32;
/** iv + tag + the encrypted data key: the only valid length of a wrapped key. */
const WRAPPED_KEY_BYTES = IV_BYTES + TAG_BYTES + DATA_KEY_BYTES;

function seal(key: KeyObject | Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES }).setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
}

function open(key: KeyObject | Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new Error('envelope too short');
  const iv = sealed.subarray(0, IV_BYTES);
  const tag = sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES })
    .setAAD(aad)
    .setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}

/**
 * Envelope encryption for secrets kept in the database (signing keys, broker tokens, TOTP seeds):
 * each value gets its own random data key (AES-256-GCM), and the data key is itself encrypted
 * under the master key. The output names the master key it needs by an HMAC-derived id (never
 * the key), so values sealed under another key are recognised and can be re-encrypted when the
 * master key changes. The version, that id and the caller's `context` are bound into both layers
 * as associated data: a ciphertext copied to another row or purpose does not decrypt.
 *
 * Master-key rotation: the cipher holds the current key and the previous ones (MASTER_KEYS).
 * It seals under the current key only and opens with whichever key an envelope names, so old
 * envelopes keep opening until `keys:rewrap` reseals them (`reseal`).
 *
 * Format: `v1.<master key id>.<wrapped data key>.<ciphertext>` (base64url parts).
 */
export class EnvelopeCipher {
  /** The id of the current master key, which seals. */
  readonly keyId: string;
  /** Every key this cipher opens with: the current one first, then the previous ones. */
  readonly keyIds: readonly string[];
  /** KeyObjects in #private fields: neither util.inspect nor JSON shows a key. */
  readonly #masterKey: KeyObject;
  readonly #openingKeys = new Map<string, KeyObject>();
  /** Keys derived for keyed hashing, by purpose (see `keyedHash`). */
  readonly #hashKeys = new Map<string, KeyObject>();

  constructor(masterKey: Buffer, previousKeys: readonly Buffer[] = []) {
    for (const key of [masterKey, ...previousKeys]) {
      if (key.length !== 32) throw new Error('the master key must be 32 bytes');
      this.#openingKeys.set(masterKeyId(key), createSecretKey(key));
    }
    this.#masterKey = createSecretKey(masterKey);
    this.keyId = masterKeyId(masterKey);
    this.keyIds = [...this.#openingKeys.keys()];
  }

  encrypt(plaintext: Buffer, context: string): string {
    const aad = this.associatedData(this.keyId, context);
    const dataKey = randomBytes(DATA_KEY_BYTES);
    try {
      const wrapped = seal(this.#masterKey, dataKey, aad);
      const body = seal(dataKey, plaintext, aad);
      return [VERSION, this.keyId, wrapped.toString('base64url'), body.toString('base64url')].join(
        '.',
      );
    } finally {
      dataKey.fill(0);
    }
  }

  /** The id of the master key an envelope was sealed under, without opening it. */
  keyIdOf(envelope: string): string | undefined {
    const [version, keyId] = envelope.split('.');
    return version === VERSION ? keyId : undefined;
  }

  /** Whether this cipher has the key an envelope names (current or previous). */
  canOpen(envelope: string): boolean {
    const keyId = this.keyIdOf(envelope);
    return keyId !== undefined && this.#openingKeys.has(keyId);
  }

  /**
   * The same plaintext sealed under the current key, for the same context: what `keys:rewrap`
   * writes in place of an envelope sealed under a previous key.
   */
  reseal(envelope: string, context: string): string {
    const plaintext = this.decrypt(envelope, context);
    try {
      return this.encrypt(plaintext, context);
    } finally {
      plaintext.fill(0);
    }
  }

  /** Throws when the value was sealed under a key not held, for another context, or altered. */
  decrypt(envelope: string, context: string): Buffer {
    const [version, keyId, wrappedPart, bodyPart, ...rest] = envelope.split('.');
    if (version !== VERSION || rest.length > 0 || !wrappedPart || !bodyPart) {
      throw new Error('not an envelope this version can open');
    }
    const masterKey = this.#openingKeys.get(keyId);
    if (!masterKey) throw new Error(`sealed under another master key (${keyId})`);
    const wrapped = Buffer.from(wrappedPart, 'base64url');
    if (wrapped.length !== WRAPPED_KEY_BYTES) throw new Error('malformed wrapped data key');
    const aad = this.associatedData(keyId, context);
    const dataKey = open(masterKey, wrapped, aad);
    try {
      return open(dataKey, Buffer.from(bodyPart, 'base64url'), aad);
    } finally {
      dataKey.fill(0);
    }
  }

  /**
   * A keyed hash (HMAC-SHA256) of `value` for data that must be recognised but not kept, such
   * as the networks a user signed in from: without the master key, a guess cannot be checked
   * against it. The key is derived from the master key for `purpose` (HKDF-SHA256), so hashes of
   * one purpose say nothing about another's. They change with the master key (`keyId`), and
   * cannot be converted: callers keep `keyId` beside them to know which still compare.
   */
  keyedHash(purpose: string, value: string): Buffer {
    let key = this.#hashKeys.get(purpose);
    if (!key) {
      const derived = Buffer.from(
        hkdfSync(
          'sha256',
          this.#masterKey,
          Buffer.alloc(0),
          `gatehouse keyed hash: ${purpose}`,
          32,
        ),
      );
      key = createSecretKey(derived);
      derived.fill(0);
      this.#hashKeys.set(purpose, key);
    }
    return createHmac('sha256', key).update(value, 'utf8').digest();
  }

  private associatedData(keyId: string, context: string): Buffer {
    return Buffer.from(`${VERSION}.${keyId}.${context}`, 'utf8');
  }
}

/** A master key's public name: an HMAC of a fixed label, so the id says nothing of the key. */
export function masterKeyId(masterKey: Buffer): string {
  return createHmac('sha256', masterKey)
    .update('gatehouse master key id')
    .digest('hex')
    .slice(0, 16);
}
