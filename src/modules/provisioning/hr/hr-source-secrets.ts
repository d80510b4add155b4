import { Injectable } from '@nestjs/common';
import { EnvelopeCipher } from '../../../common/crypto/envelope-cipher';
import { FieldVault } from '../../../common/crypto/field-vault';
import { signingKey } from '../../events/webhooks/webhook-signature';

/** The FieldVault purpose of HR sources' signing secrets (`hr_sources.secret_sealed`). */
export const HR_SOURCE_SECRETS_PURPOSE = 'hr-source';
export const HR_SOURCE_SECRET_FIELD = 'secret';

/**
 * HR sources' signing secrets at rest: envelope-encrypted under the master key, bound to their
 * source's id, so a sealed secret copied onto another source's row does not open.
 */
@Injectable()
export class HrSourceSecrets {
  private readonly vault: FieldVault;

  constructor(cipher: EnvelopeCipher) {
    this.vault = new FieldVault(cipher, HR_SOURCE_SECRETS_PURPOSE);
  }

  seal(sourceId: string, secret: string): string {
    return this.vault.seal(sourceId, HR_SOURCE_SECRET_FIELD, secret).envelope;
  }

  /** The HMAC key of a sealed secret. */
  key(sourceId: string, sealed: string): Buffer {
    return signingKey(this.vault.open(sourceId, HR_SOURCE_SECRET_FIELD, sealed));
  }
}
