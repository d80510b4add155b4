/**
 * The little of oidc-provider's API the peers use (the package ships no types): a provider for
 * an issuer and a configuration, its Node request handler, and what an interaction route of the
 * test peer (test/peers/oidc-provider-peer.ts) needs to finish a sign-in without a browser.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
    interactionDetails(
      request: IncomingMessage,
      response: ServerResponse,
    ): Promise<{ uid: string; params: Record<string, unknown>; prompt: { name: string } }>;
    interactionResult(
      request: IncomingMessage,
      response: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<string>;
    Grant: {
      new (properties: { accountId: string; clientId: string }): {
        addOIDCScope(scope: string): void;
        save(): Promise<string>;
      };
      adapter: { destroy(id: string): Promise<void> };
    };
    /** Tokens by grant, for the token vault's peer (offline access, revocation). */
    RefreshToken: TokenModel;
    AccessToken: TokenModel;
    ClientCredentials: TokenModel;
    on(event: string, listener: (...args: never[]) => void): this;
  }

  interface TokenModel {
    find(value: string): Promise<{ isExpired: boolean } | undefined>;
    revokeByGrantId(grantId: string): Promise<void>;
  }
}
