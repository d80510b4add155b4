import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { Injectable, Optional } from '@nestjs/common';
import { EnvelopeCipher } from '../../common/crypto/envelope-cipher';
import { AuditKeyRepository } from './audit-key.repository';

const USER_KEY_FORMAT = 'k1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A user's opened data key; null once erasure destroyed it. */
export type UserKey = Buffer | null;

/**
 * The key of a personal field's owner: a user's (opened, or destroyed), or for a field that
 * belongs to no user, the audit log's own (`nobodyKey`).
 */
export type FieldOwner = { userKey: UserKey };

export const userKeyContext = (userId: string) => `audit_user_keys:${userId}`;

/**
 * The keys of the audit log's personal fields (crypto-shredding). Each user has a data key of
 * their own, made on first use and sealed under the master key (EnvelopeCipher); a user's
 * fields are encrypted with it (AES-256-GCM, bound to the row and column), so destroying it
 * (erasure) makes all of them unreadable at once while the rows, and the hash chain over
 * their ciphertexts, stay. Fields that belong to no user (an unknown account's failed login)
 * are encrypted the same way under a data key of the audit log's own (`audit_secrets`, never
 * destroyed), so that rotating the master key reseals one key and no field: the chain over
 * the fields' ciphertexts is untouched. (Such fields written before there was that key are
 * sealed under the master key itself, and open only while the key that sealed them is listed.) The index key keys the HMACs of addresses and the
 * signatures of list cursors. Keys are read per batch, never cached: a destroyed key is
 * unusable at once on every instance. Tools that run without the master key (the CLI's account
 * commands) record rows that hold nothing personal, and are refused any that would.
 */
@Injectable()
export class AuditKeyring {
  private index: Buffer | undefined;
  private nobody: Buffer | undefined;

  constructor(
    private readonly keys: AuditKeyRepository,
    @Optional() private readonly envelopes?: EnvelopeCipher,
  ) {}

  private get cipher(): EnvelopeCipher {
    if (!this.envelopes)
      throw new Error('the audit log needs the master key to seal personal data');
    return this.envelopes;
  }

  /** The opened keys of these users, made for those who have none when `create`. */
  async userKeys(
    userIds: string[],
    { create }: { create: boolean },
  ): Promise<Map<string, UserKey>> {
    const wanted = [...new Set(userIds)];
    if (wanted.length === 0) return new Map();
    let stored = await this.keys.findUserKeys(wanted);
    const missing = wanted.filter((id) => !stored.some((k) => k.userId === id));
    if (create && missing.length > 0) {
      await this.keys.insertUserKeys(
        missing.map((userId) => {
          const key = randomBytes(32);
          const sealedKey = this.cipher.encrypt(key, userKeyContext(userId));
          key.fill(0);
          return { userId, sealedKey };
        }),
      );
      stored = await this.keys.findUserKeys(wanted);
    }
    return new Map(
      stored.map(({ userId, sealedKey }) => [
        userId,
        sealedKey ? this.cipher.decrypt(sealedKey, userKeyContext(userId)) : null,
      ]),
    );
  }

  /** Erasure: the user's fields in the audit log become unreadable, for good. */
  destroyUserKey(userId: string): Promise<boolean> {
    return this.keys.destroyUserKey(userId);
  }

  /** A personal value sealed for its owner, bound to `context`; null if the owner's key is gone. */
  seal(owner: FieldOwner, value: object, context: string): string | null {
    const plaintext = Buffer.from(JSON.stringify(value), 'utf8');
    if (!owner.userKey) return null;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', owner.userKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return `${USER_KEY_FORMAT}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** The value, or null when its key was destroyed (or it does not open). */
  open(sealed: string, owner: FieldOwner, context: string): Record<string, unknown> | null {
    try {
      let plaintext: Buffer;
      if (!sealed.startsWith(`${USER_KEY_FORMAT}.`)) {
        plaintext = this.cipher.decrypt(sealed, context);
      } else {
        if (!owner.userKey) return null;
        const raw = Buffer.from(sealed.slice(USER_KEY_FORMAT.length + 1), 'base64url');
        const decipher = createDecipheriv('aes-256-gcm', owner.userKey, raw.subarray(0, IV_BYTES), {
          authTagLength: TAG_BYTES,
        });
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        plaintext = Buffer.concat([
          decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)),
          decipher.final(),
        ]);
      }
      return JSON.parse(plaintext.toString('utf8')) as Record<string, unknown>;
    } catch {
      return null;
    }
  }

  /** HMAC-SHA-256 under the index key, for `purpose` (`ip`, `cursor`). */
  async mac(purpose: string, value: string): Promise<Buffer> {
    return createHmac('sha256', await this.indexKey())
      .update(`${purpose}\0${value}`, 'utf8')
      .digest();
  }

  /** The key of fields that belong to no user, made on first use. */
  async nobodyKey(): Promise<Buffer> {
    if (this.nobody) return this.nobody;
    const { key, found } = await this.secret('nobody');
    if (found) this.nobody = key;
    return key;
  }

  private async indexKey(): Promise<Buffer> {
    if (this.index) return this.index;
    const { key, found } = await this.secret('index');
    if (found) this.index = key;
    return key;
  }

  /**
   * One of the audit log's own keys, sealed under the master key in `audit_secrets`, made if
   * there is none. Only a key `found` stored is kept in memory: one made in the caller's
   * transaction is gone if that rolls back, with what it sealed.
   */
  private async secret(name: string): Promise<{ key: Buffer; found: boolean }> {
    const context = `audit_secrets:${name}`;
    const stored = await this.keys.findSecret(name);
    if (stored) return { key: this.cipher.decrypt(stored, context), found: true };
    const key = randomBytes(32);
    const sealed = await this.keys.insertSecret(name, this.cipher.encrypt(key, context));
    key.fill(0);
    return { key: this.cipher.decrypt(sealed, context), found: false };
  }
}
