import { Injectable } from '@nestjs/common';
import { EnvelopeCipher } from '../../../common/crypto/envelope-cipher';
import { signingKey } from '../../events/webhooks/webhook-signature';

export function hrSourceSecretContext(sourceId: string): string {
  return `hr-source-secret:${sourceId}`;
}

/**
 * HR sources' signing secrets at rest: envelope-encrypted under the master key, bound to their
 * source's id, so a sealed secret copied onto another source's row does not open.
 */
@Injectable()
export class HrSourceSecrets {
  constructor(private readonly cipher: EnvelopeCipher) {}

  seal(sourceId: string, secret: string): string {
    return this.cipher.encrypt(Buffer.from(secret, 'utf8'), hrSourceSecretContext(sourceId));
  }

  /** The HMAC key of a sealed secret. */
  key(sourceId: string, sealed: string): Buffer {
    return signingKey(
      this.cipher.decrypt(sealed, hrSourceSecretContext(sourceId)).toString('utf8'),
    );
  }
}
