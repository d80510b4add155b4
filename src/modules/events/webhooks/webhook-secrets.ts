import { Injectable } from '@nestjs/common';
import { EnvelopeCipher } from '../../../common/crypto/envelope-cipher';
import { signingKey } from './webhook-signature';

/**
 * Signing secrets at rest: envelope-encrypted under the master key, bound to their endpoint's
 * id, so a sealed secret copied onto another endpoint's row does not open.
 */
@Injectable()
export class WebhookSecrets {
  constructor(private readonly cipher: EnvelopeCipher) {}

  seal(endpointId: string, secret: string): string {
    return this.cipher.encrypt(Buffer.from(secret, 'utf8'), webhookSecretContext(endpointId));
  }

  /** The HMAC key of a sealed secret. */
  key(endpointId: string, sealed: string): Buffer {
    return signingKey(
      this.cipher.decrypt(sealed, webhookSecretContext(endpointId)).toString('utf8'),
    );
  }
}

export function webhookSecretContext(endpointId: string): string {
  return `webhook-endpoint-secret:${endpointId}`;
}
