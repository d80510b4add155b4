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
  DependencyUnavailable = 'dependency_unavailable',
  InternalError = 'internal_error',
}
