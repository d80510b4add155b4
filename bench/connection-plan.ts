import { resolve } from 'node:path';

/** One request as autocannon sends it, in a form that can be copied to its worker thread. */
export interface PlannedRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * What each connection of a load run sends, for runs in which connections must differ. autocannon
 * generates load in a worker thread and, there, takes per-connection behaviour only from a file
 * it loads itself (connection-setup.ts); the plan travels to that file as data, in autocannon's
 * `initialContext` option.
 */
export type ConnectionPlan =
  /** Connection n cycles through its own list, e.g. logins of accounts no other connection uses. */
  | { kind: 'fixed-requests'; requestsByConnection: PlannedRequest[][] }
  /**
   * Connection n follows one refresh-token rotation chain from `refreshTokens[n]`: each
   * response's refresh token is the next request's, so no request replays a rotated token.
   */
  | { kind: 'refresh-chain'; path: string; refreshTokens: string[] };

/** The compiled connection-setup.ts beside this file, as autocannon's worker `require`s it. */
export const CONNECTION_SETUP_MODULE = resolve(__dirname, 'connection-setup.js');
