/** Machine-readable `code` of every problem Gatehouse returns. Clients switch on these. */
export enum ErrorCode {
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
  RequestTimeout = 'request_timeout',
  DependencyUnavailable = 'dependency_unavailable',
  ServiceUnavailable = 'service_unavailable',
  InternalError = 'internal_error',
  // Service clients
  UserTokenRequired = 'user_token_required',
  SecretLimitReached = 'secret_limit_reached',
  // Authentication and accounts
  InvalidCredentials = 'invalid_credentials',
  InvalidCurrentPassword = 'invalid_current_password',
  EmailNotVerified = 'email_not_verified',
  AccountSuspended = 'account_suspended',
  AccountDeactivated = 'account_deactivated',
  InvalidToken = 'invalid_token',
  InvalidOrExpiredToken = 'invalid_or_expired_token',
  InvalidRefreshToken = 'invalid_refresh_token',
  EmailTaken = 'email_taken',
  // Second factors and step-up
  InvalidMfaToken = 'invalid_mfa_token',
  /** A wrong code in the second step of a login, which the `mfa_token` and the code authenticate. */
  InvalidMfaCode = 'invalid_mfa_code',
  /** A wrong code from a signed-in user (activation, step-up, removal of a factor). */
  InvalidCurrentMfaCode = 'invalid_current_mfa_code',
  MfaAlreadyEnabled = 'mfa_already_enabled',
  MfaNotEnabled = 'mfa_not_enabled',
  MfaEnrollmentNotStarted = 'mfa_enrollment_not_started',
  MfaRequiredByRole = 'mfa_required_by_role',
  InsufficientUserAuthentication = 'insufficient_user_authentication',
  // Roles, grants and policies
  NameTaken = 'name_taken',
  BuiltInRole = 'built_in_role',
  RoleInUse = 'role_in_use',
  LastAdministrator = 'last_administrator',
  // Authorization
  PolicySetVersionUnavailable = 'policy_set_version_unavailable',
  PrivilegeEscalation = 'privilege_escalation',
}
