import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiUnauthorizedResponse } from '@nestjs/swagger';
import { DomainError } from '../errors/domain-error';
import { AuthErrorCode } from '../errors/error-code';

export const RECENT_AUTH_MAX_AGE = 'gatehouse:recent-auth-max-age';
export const REQUIRED_ASSURANCE = 'gatehouse:required-assurance';

/** Authenticator assurance levels (NIST SP 800-63B), as the `acr` of Gatehouse's tokens. */
export type AssuranceLevel = 'aal1' | 'aal2';

/**
 * Authentication methods (RFC 8176) that are a second factor: a code here, or `mfa` asserted by
 * an identity provider that authenticated the user with more than one factor.
 */
const SECOND_FACTOR_METHODS = new Set(['otp', 'mfa']);

/** The assurance of an authentication that used these methods (`amr`). */
export function assuranceOf(amr: readonly string[]): AssuranceLevel {
  return amr.some((method) => SECOND_FACTOR_METHODS.has(method)) ? 'aal2' : 'aal1';
}

const STEP_UP_DESCRIPTION =
  'No valid access token, or one whose authentication is not enough for this route: then ' +
  '`WWW-Authenticate: Bearer error="insufficient_user_authentication"` with `max_age` or ' +
  '`acr_values` (RFC 9470); `POST /v1/auth/step-up` returns a token that is.';

/** How recent a login must be for a sensitive change of one's own account (10 minutes). */
export const RECENT_AUTH_SECONDS = 10 * 60;

/**
 * The signed-in user must have authenticated (logged in or stepped up) within `maxAgeSeconds`.
 * Otherwise 401 with `error="insufficient_user_authentication"` and `max_age` (RFC 9470).
 */
export const RequireRecentAuth = (maxAgeSeconds: number) =>
  applyDecorators(
    SetMetadata(RECENT_AUTH_MAX_AGE, maxAgeSeconds),
    ApiUnauthorizedResponse({ description: STEP_UP_DESCRIPTION }),
  );

/**
 * The signed-in user's authentication must have used a second factor (`acr` aal2). Otherwise
 * 401 with `error="insufficient_user_authentication"` and `acr_values="aal2"` (RFC 9470).
 */
export const RequireAal = (level: 2) =>
  applyDecorators(
    SetMetadata(REQUIRED_ASSURANCE, `aal${level}` satisfies AssuranceLevel),
    ApiUnauthorizedResponse({ description: STEP_UP_DESCRIPTION }),
  );

/**
 * The refusal of an authentication that is too weak or too old for a route (RFC 9470), saying
 * what would do: `acr_values` and/or `max_age`.
 */
export function insufficientAuthentication(needs: {
  assurance?: AssuranceLevel;
  maxAgeSeconds?: number;
}): DomainError {
  const { assurance, maxAgeSeconds } = needs;
  return new DomainError(
    AuthErrorCode.InsufficientUserAuthentication,
    assurance
      ? 'This operation needs an authentication with a second factor: step up with a code.'
      : `This operation needs an authentication within the last ${maxAgeSeconds} seconds: step up.`,
    { requiredAuthentication: { acrValues: assurance, maxAgeSeconds } },
  );
}
