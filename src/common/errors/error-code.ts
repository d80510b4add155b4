/*
 * The machine-readable `code` of every error Gatehouse answers: the public catalogue, which
 * clients switch on, so a value never changes once released. Each module raises codes of its own
 * enum (and the common ones); problem-mapper.ts gives every code its one HTTP status, and a code
 * without one does not compile.
 */

/** Codes any module, or the HTTP layer itself, may raise. */
export enum CommonErrorCode {
  BadRequest = 'bad_request',
  MalformedBody = 'malformed_body',
  ValidationFailed = 'validation_failed',
  Unauthorized = 'unauthorized',
  Forbidden = 'forbidden',
  NotFound = 'not_found',
  RouteNotFound = 'route_not_found',
  MethodNotAllowed = 'method_not_allowed',
  NotAcceptable = 'not_acceptable',
  Conflict = 'conflict',
  PayloadTooLarge = 'payload_too_large',
  UnsupportedMediaType = 'unsupported_media_type',
  TooManyRequests = 'too_many_requests',
  HeadersTooLarge = 'headers_too_large',
  UriTooLong = 'uri_too_long',
  RequestTimeout = 'request_timeout',
  DependencyUnavailable = 'dependency_unavailable',
  /** A download link (of an export) altered, issued to someone else, or expired. */
  InvalidDownloadLink = 'invalid_download_link',
  ServiceUnavailable = 'service_unavailable',
  InternalError = 'internal_error',
}

/** Authentication: logins, tokens and sessions. */
export enum AuthErrorCode {
  InvalidCredentials = 'invalid_credentials',
  EmailNotVerified = 'email_not_verified',
  AccountSuspended = 'account_suspended',
  AccountDeactivated = 'account_deactivated',
  InvalidToken = 'invalid_token',
  InvalidOrExpiredToken = 'invalid_or_expired_token',
  InvalidRefreshToken = 'invalid_refresh_token',
  UserTokenRequired = 'user_token_required',
  InsufficientUserAuthentication = 'insufficient_user_authentication',
}

/** Accounts and profiles. */
export enum UsersErrorCode {
  InvalidCurrentPassword = 'invalid_current_password',
  EmailTaken = 'email_taken',
  /** An administrator's change that would leave them unable to sign in (suspending oneself). */
  SelfLockout = 'self_lockout',
  /** A status change that does not apply to the account's status (reactivating an active one). */
  AccountStatusConflict = 'account_status_conflict',
}

/** Second factors. */
export enum MfaErrorCode {
  InvalidMfaToken = 'invalid_mfa_token',
  /** A wrong code in the second step of a login, which the `mfa_token` authenticates. */
  InvalidMfaCode = 'invalid_mfa_code',
  /** A wrong code from a signed-in user (activation, step-up, removal of a factor). */
  InvalidCurrentMfaCode = 'invalid_current_mfa_code',
  MfaAlreadyEnabled = 'mfa_already_enabled',
  MfaNotEnabled = 'mfa_not_enabled',
  MfaEnrollmentNotStarted = 'mfa_enrollment_not_started',
  MfaRequiredByRole = 'mfa_required_by_role',
}

/** Service clients. */
export enum ClientErrorCode {
  SecretLimitReached = 'secret_limit_reached',
}

/** Roles, grants and policies. */
export enum AccessErrorCode {
  NameTaken = 'name_taken',
  BuiltInRole = 'built_in_role',
  RoleInUse = 'role_in_use',
  LastAdministrator = 'last_administrator',
}

/** Authorization decisions. */
export enum AuthzErrorCode {
  PolicySetVersionUnavailable = 'policy_set_version_unavailable',
  PrivilegeEscalation = 'privilege_escalation',
}

/** Domain events leaving Gatehouse: outbound webhooks and event streams. */
export enum EventsErrorCode {
  InvalidWebhookUrl = 'invalid_webhook_url',
  /** An event-type filter named types or families that are not in the event catalogue. */
  UnknownEventTypes = 'unknown_event_types',
  EndpointDisabled = 'endpoint_disabled',
  /** `Last-Event-ID` is not a position this deployment has given out. */
  UnknownEventPosition = 'unknown_event_position',
  TooManyStreams = 'too_many_streams',
}

/** The audit log: its queries, exports and verification. */
export enum AuditErrorCode {
  /** A filter that does not parse, contradicts another, or asks for too much at once. */
  InvalidAuditFilter = 'invalid_audit_filter',
  /** A cursor this list did not issue for this filter (altered, or from another list). */
  InvalidCursor = 'invalid_cursor',
}

/** Trading accounts: broker links, their sessions and memberships. */
export enum TradingAccountsErrorCode {
  /** A link's `state` altered, expired, used already, or started by someone else. */
  InvalidLinkState = 'invalid_link_state',
  /** The broker's redirect reached a browser other than the one that started the link. */
  LinkStartedElsewhere = 'link_started_elsewhere',
  /** The broker refused the request token (expired, used already, or for another app). */
  BrokerTokenRejected = 'broker_token_rejected',
  /** The broker user is linked to another Gatehouse account. */
  BrokerAccountLinkedElsewhere = 'broker_account_linked_elsewhere',
  /** The account's broker session is not usable (expired, revoked, failing): link it again. */
  TradingAccountInactive = 'trading_account_inactive',
  /** The user is already a member of (or invited to) the account, or owns it. */
  AlreadyMember = 'already_member',
  /** No pending invitation of the caller to this account. */
  NoInvitation = 'no_invitation',
}

/** Sign-in through external identity providers, linked identities and provider webhooks. */
export enum FederationErrorCode {
  /** A provider slug that another provider has. */
  ProviderSlugTaken = 'provider_slug_taken',
  /** An issuer, redirect URI or management API URL that is not acceptable. */
  InvalidProviderUrl = 'invalid_provider_url',
  RedirectUriNotAllowed = 'redirect_uri_not_allowed',
  /** A callback's `state` unknown, already used, expired, or of another provider. */
  InvalidFederationState = 'invalid_federation_state',
  /** The provider refused the code, or its ID token failed a check. */
  FederationRejected = 'federation_rejected',
  /** The provider did not answer, or answered with an error of its own. */
  ProviderUnavailable = 'identity_provider_unavailable',
  /** No account is linked and the provider may not provision or link one. */
  AccountNotLinked = 'account_not_linked',
  /** The provider's address for the person is unverified, or outside its allowed domains. */
  EmailNotAcceptable = 'email_not_acceptable',
  /** Removing the identity would leave the account without a way to sign in. */
  LastSignInMethod = 'last_sign_in_method',
  /** A provider webhook whose signature or authorization is missing or wrong. */
  InvalidWebhookSignature = 'invalid_webhook_signature',
  /** A sync asked of a provider without a management API. */
  SyncNotConfigured = 'sync_not_configured',
}

/** The vault of users' offline tokens at identity providers. */
export enum TokenVaultErrorCode {
  /** A consent's `state` altered, expired, used already, or started by another user or session. */
  InvalidConsentState = 'invalid_consent_state',
  /** The person refused consent at the provider, or the provider answered the consent with an error. */
  ConsentDenied = 'consent_denied',
  /** The provider granted no offline token (no `offline_access`, or no refresh token). */
  OfflineAccessNotGranted = 'offline_access_not_granted',
  /** The provider refused the offline token (`invalid_grant`): the user must consent again. */
  OfflineTokenRevoked = 'offline_token_revoked',
}

/** HR onboarding: HR sources and their deliveries. */
export enum HrErrorCode {
  /** A delivery without a valid signature or API key of a registered HR source (or a stale one). */
  InvalidHrAuthentication = 'invalid_hr_authentication',
  /** Another HR source has this name. */
  HrSourceNameTaken = 'hr_source_name_taken',
}

/** Every `code` of a problem+json answer. */
export type ErrorCode =
  | CommonErrorCode
  | AuthErrorCode
  | UsersErrorCode
  | MfaErrorCode
  | ClientErrorCode
  | AccessErrorCode
  | AuthzErrorCode
  | EventsErrorCode
  | AuditErrorCode
  | TradingAccountsErrorCode
  | FederationErrorCode
  | TokenVaultErrorCode
  | HrErrorCode;

export const ERROR_CODES: readonly ErrorCode[] = [
  ...Object.values(CommonErrorCode),
  ...Object.values(AuthErrorCode),
  ...Object.values(UsersErrorCode),
  ...Object.values(MfaErrorCode),
  ...Object.values(ClientErrorCode),
  ...Object.values(AccessErrorCode),
  ...Object.values(AuthzErrorCode),
  ...Object.values(EventsErrorCode),
  ...Object.values(AuditErrorCode),
  ...Object.values(TradingAccountsErrorCode),
  ...Object.values(FederationErrorCode),
  ...Object.values(TokenVaultErrorCode),
  ...Object.values(HrErrorCode),
];

/**
 * The errors the OAuth endpoints raise themselves (RFC 6749 §5.2), answered in the OAuth shape
 * with these very codes (oauth-error-mapper.ts), never as problems.
 */
export enum OAuthErrorCode {
  InvalidRequest = 'invalid_request',
  InvalidClient = 'invalid_client',
  UnauthorizedClient = 'unauthorized_client',
  UnsupportedGrantType = 'unsupported_grant_type',
  InvalidScope = 'invalid_scope',
}

/**
 * The errors the SCIM endpoints raise themselves (RFC 7644 §3.12): each is a `scimType` with its
 * status, answered in SCIM's error shape (scim-error-mapper.ts), never as problems.
 */
export enum ScimErrorCode {
  InvalidFilter = 'invalidFilter',
  TooMany = 'tooMany',
  Uniqueness = 'uniqueness',
  Mutability = 'mutability',
  InvalidSyntax = 'invalidSyntax',
  InvalidPath = 'invalidPath',
  NoTarget = 'noTarget',
  InvalidValue = 'invalidValue',
  InvalidVersion = 'invalidVers',
  /** `If-Match` names a version the resource no longer has (412, no scimType). */
  PreconditionFailed = 'precondition_failed',
}

/** What a DomainError may carry. */
export type DomainErrorCode = ErrorCode | OAuthErrorCode | ScimErrorCode;
