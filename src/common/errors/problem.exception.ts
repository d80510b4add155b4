import { HttpException } from '@nestjs/common';
import { ErrorCode } from './error-code';
import { FieldError } from './problem';

/**
 * An error that already knows how it should look to a client. `detail` must be safe to show:
 * it never carries secrets, SQL or another user's data.
 */
export class ProblemException extends HttpException {
  constructor(
    status: number,
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extensions: { errors?: FieldError[] } & Record<string, unknown> = {},
    /** Response headers the problem needs (`Retry-After`, `WWW-Authenticate`). */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail, status);
  }
}
