/**
 * What the clients module says about its clients to others (states, grants, the credentials a
 * token request is checked against), apart from how it stores them.
 */
export const CLIENT_STATUSES = ['active', 'disabled'] as const;
export type ClientStatus = (typeof CLIENT_STATUSES)[number];

/** The grants a client may be allowed. Only the client-credentials grant exists today. */
export const GRANT_TYPES = ['client_credentials'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/** A client as a token request checks it: its state, grants, scopes and secret hashes. */
export interface ClientCredentials {
  id: string;
  clientId: string;
  status: ClientStatus;
  grantTypes: GrantType[];
  allowedScopes: string[];
  lastUsedAt: Date | null;
  secretHashes: Buffer[];
}
