import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * A file kept as a sequence of chunks (exports of the audit log, personal data exports), each
 * sealed on its own (AES-256-GCM under the file's data key) with the file, its position and
 * whether it is the last bound in as associated data: a download checks each chunk before
 * sending a byte of it, and a chunk moved, swapped, dropped from the end or taken from another
 * file does not open. `file` names the file and its kind (`audit_exports:<id>`).
 */
export class ChunkedFileCipher {
  constructor(
    private readonly key: Buffer,
    private readonly file: string,
  ) {}

  seal(index: number, plaintext: Buffer, last: boolean): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(this.associatedData(index, last));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  /** Throws when the chunk is not this export's chunk at `index`. */
  open(index: number, sealed: Buffer, last: boolean): Buffer {
    const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(this.associatedData(index, last));
    decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([
      decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]);
  }

  private associatedData(index: number, last: boolean): Buffer {
    return Buffer.from(`${this.file}:${index}:${last ? 'last' : 'more'}`);
  }
}
