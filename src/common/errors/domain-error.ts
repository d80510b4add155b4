import { DomainErrorCode } from './error-code';
import { FieldError } from './problem';

/** What an error may tell beyond its code and detail; each mapper renders it for its protocol. */
export interface DomainErrorDetails {
  /** The fields of the request at fault. */
  errors?: FieldError[];
  /** When the caller may try again, in whole seconds (a throttle's lock). */
  retryAfterSeconds?: number;
  /** What an authentication refused as too weak or too old lacks (RFC 9470). */
  requiredAuthentication?: { acrValues?: string; maxAgeSeconds?: number };
  /** Further members for the client (`attempts_remaining`, `missing_permissions`…). */
  extensions?: Record<string, unknown>;
}

/**
 * The one way a service, guard or pipe refuses a request: a code from its module's enum and a
 * detail for the client, never a status. Which status and headers a code gets is decided once
 * per protocol (problem-mapper.ts, oauth-error-mapper.ts). `detail` must be safe to show: never
 * a secret, SQL or another user's data.
 */
export class DomainError extends Error {
  override readonly name = 'DomainError';

  constructor(
    readonly code: DomainErrorCode,
    readonly detail: string,
    readonly details: DomainErrorDetails = {},
  ) {
    super(detail);
  }
}
