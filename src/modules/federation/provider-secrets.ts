import { Injectable } from '@nestjs/common';
import { EnvelopeCipher } from '../../common/crypto/envelope-cipher';

/** The secrets a provider row holds, each sealed for its own purpose. */
export type ProviderSecretKind = 'client_secret' | 'management_api_token' | 'webhook_secret';

/**
 * Provider secrets at rest: envelope-encrypted under the master key, bound to the provider's id
 * and the secret's kind, so a sealed value copied to another row or column does not open.
 */
@Injectable()
export class ProviderSecrets {
  constructor(private readonly cipher: EnvelopeCipher) {}

  seal(providerId: string, kind: ProviderSecretKind, secret: string): string {
    return this.cipher.encrypt(
      Buffer.from(secret, 'utf8'),
      providerSecretContext(providerId, kind),
    );
  }

  open(providerId: string, kind: ProviderSecretKind, sealed: string): string {
    return this.cipher.decrypt(sealed, providerSecretContext(providerId, kind)).toString('utf8');
  }

  /** Data kept with a sign-in in flight (its nonce and PKCE verifier), bound to its state. */
  sealFor(context: string, value: unknown): string {
    return this.cipher.encrypt(Buffer.from(JSON.stringify(value), 'utf8'), context);
  }

  openFor<T>(context: string, sealed: string): T {
    return JSON.parse(this.cipher.decrypt(sealed, context).toString('utf8')) as T;
  }
}

export function providerSecretContext(providerId: string, kind: ProviderSecretKind): string {
  return `identity-provider:${providerId}:${kind}`;
}
