import { EnvelopeCipher } from './envelope-cipher';

/** A secret as stored: its envelope, and the id of the master key that opens it (its key version). */
export interface SealedSecret {
  envelope: string;
  keyId: string;
}

/**
 * Secrets of one kind of record (broker credentials, offline tokens, federation client
 * secrets), each sealed with the envelope cipher for one field of one record: the associated
 * data binds `<purpose>:<record id>:<field>`, so an envelope copied to another record, another
 * field or another purpose does not open. The key id is kept beside each envelope, so the rows
 * still sealed under an older master key can be found (and re-encrypted) with an index.
 */
export class FieldVault {
  constructor(
    private readonly cipher: EnvelopeCipher,
    private readonly purpose: string,
  ) {}

  seal(recordId: string, field: string, plaintext: string): SealedSecret {
    return {
      envelope: this.cipher.encrypt(Buffer.from(plaintext, 'utf8'), this.context(recordId, field)),
      keyId: this.cipher.keyId,
    };
  }

  /** Throws when the envelope belongs to another record or field, or was altered. */
  open(recordId: string, field: string, envelope: string): string {
    const plaintext = this.cipher.decrypt(envelope, this.context(recordId, field));
    try {
      return plaintext.toString('utf8');
    } finally {
      plaintext.fill(0);
    }
  }

  private context(recordId: string, field: string): string {
    return fieldContext(this.purpose, recordId, field);
  }
}

/** The associated data of one field of one record of a FieldVault's purpose. */
export function fieldContext(purpose: string, recordId: string, field: string): string {
  return `${purpose}:${recordId}:${field}`;
}
